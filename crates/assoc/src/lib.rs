//! Association testing for biomarker-gwas: regression solvers (OLS, logistic IRLS, Firth)
//! shared by every command that regresses a phenotype on predictors, genome-wide scans over
//! PLINK .bed/.bim/.fam files with PLINK 2 `--glm` semantics, and two-sample tests between
//! groups of subjects.
//!
//! - [`regress`]: dense solvers that take a design matrix and a response;
//! - [`features`]: feature association (OLS, logistic with AUC, likelihood-ratio tests);
//! - [`scan`]: the streaming genome scan (blocks of variants, many phenotypes per pass);
//! - [`mmd`]: maximum mean discrepancy and companion two-sample tests;
//! - [`linalg`]: the small dense linear algebra they need (Cholesky, QR).

pub mod error;
pub mod features;
pub mod linalg;
pub mod mmd;
pub mod regress;
pub mod scan;

pub use error::{AssocError, Result};
