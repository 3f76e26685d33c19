//! Integration tests of biomarker-reduce against its peers: scikit-learn for the PCA of deep
//! features, plink2 for genotype principal components (fixtures made by the scripts in
//! `scripts/`).

mod cohort;
mod features;
mod genotype;

/// The crate's fixture folder.
pub fn fixture(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}
