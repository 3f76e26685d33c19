//! Dimension reduction.
//!
//! This crate will own: PCA of each structure's deep features (fit on one set of subjects,
//! apply saved loadings to others, a deterministic sign convention) and genotype principal
//! components by randomized SVD of standardized genotypes streamed in blocks of variants.
