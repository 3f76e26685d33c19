//! Two-sample tests between groups of subjects on per-structure feature vectors: maximum mean
//! discrepancy (biased, unbiased and linear-time estimators; linear, Gaussian and Laplacian
//! kernels) with permutation, gamma and normal nulls, and the companions DFDA, Hotelling T²
//! and energy distance. Families of tests (structures × group pairs) share permutations so
//! the max statistic controls family-wise error; q-values control the false discovery rate.

pub mod companion;
pub mod estimate;
pub mod family;
pub mod grouping;
pub mod kernel;
mod linalg;
pub mod null;
pub mod permute;
pub mod run;

pub use grouping::Grouping;
pub use kernel::{Bandwidth, KernelKind, KernelSpec, MedianConvention};
pub use run::{run_family, MmdConfig, TestKind};

/// Errors of the two-sample tests.
#[derive(Debug, thiserror::Error)]
pub enum MmdError {
    /// The data cannot support the test (no spread, too few subjects, singular covariance).
    #[error("{0}")]
    Degenerate(String),
    /// The grouping or the options do not fit the data.
    #[error("{0}")]
    Input(String),
    /// A table could not be read.
    #[error(transparent)]
    Table(#[from] biomarker_tables::TableError),
}
