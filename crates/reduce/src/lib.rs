//! Feature reduction for biomarker-gwas.
//!
//! Two jobs, both principal component analyses, that meet the rest of the pipeline only in
//! the tables of `biomarker-tables`:
//!
//! - [`features`]: PCA of deep features, one fit per brain structure (subjects × bottleneck
//!   units), with loadings that can be saved ([`loadings`]) and applied to other subjects
//!   without refitting, and a deterministic sign convention ([`sign`]).
//! - [`genotype`]: genotype principal components (population-structure covariates) by a
//!   randomized, block-streamed eigendecomposition of the variance-standardized relationship
//!   matrix, with optional LD pruning.

pub mod error;
pub mod features;
pub mod genotype;
pub mod loadings;
pub mod pca;
pub mod sign;

pub use error::{ReduceError, Result};
pub use features::{apply_features, fit_features, FeaturePcaOptions};
pub use genotype::{genotype_pcs, GenotypePcaOptions, GenotypePcs, LdPruneOptions};
pub use loadings::{Loadings, StructureLoadings};
pub use pca::{PcaFit, PcaOptions};
