//! Regression solvers shared by the genome scan and the feature-association command. Each
//! takes a design matrix (`n × p`, one row per sample, the intercept a column of ones when
//! wanted) and a response, and returns coefficients, standard errors, Wald statistics and
//! two-sided p-values as natural logarithms (so they never underflow).
//!
//! - [`ols`]: ordinary least squares by Householder QR, t tests;
//! - [`logistic`]: maximum likelihood by IRLS as R's `glm.fit` (≤ 25 iterations, relative
//!   deviance change < 1e-8), Wald Z tests;
//! - [`added`]: the same logistic fit for covariates plus one sparse 0/1/2 column, organised
//!   for a genome scan's one-fit-per-variant (covariate-only terms precomputed);
//! - [`firth`]: Firth-penalised logistic regression as `logistf` (step ≤ 5, ≤ 5 half-steps,
//!   1e-5 tolerances), Wald Z tests from the penalised fit.

pub mod added;
pub mod exp;
pub mod firth;
pub mod logistic;
pub mod ols;

pub use firth::firth;
pub use logistic::{logistic, LogisticFit, LogisticOptions};
pub use ols::{ols, OlsFit};

use ndarray::ArrayView2;

use crate::error::{AssocError, Result};

/// Checks that a design and a response fit together and that there are more samples than
/// predictors.
pub(crate) fn check_shapes(x: &ArrayView2<f64>, y: &[f64]) -> Result<()> {
    let (n, p) = x.dim();
    if n != y.len() {
        return Err(AssocError::Regression(format!(
            "design has {n} rows but the response has {}",
            y.len()
        )));
    }
    if n <= p {
        return Err(AssocError::Regression(format!(
            "{n} samples for {p} predictors: need more samples than predictors"
        )));
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return Err(AssocError::Regression(
            "design or response holds a non-finite value".into(),
        ));
    }
    Ok(())
}

/// `Xᵀ W X` (row-major `p×p`) and `Xᵀ W z` for weights `w`.
pub(crate) fn weighted_cross(x: &ArrayView2<f64>, w: &[f64], z: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let p = x.ncols();
    let mut xtwx = vec![0.0; p * p];
    let mut xtwz = vec![0.0; p];
    for (i, row) in x.outer_iter().enumerate() {
        let wi = w[i];
        for a in 0..p {
            let wa = wi * row[a];
            xtwz[a] += wa * z[i];
            for b in 0..=a {
                xtwx[a * p + b] += wa * row[b];
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            xtwx[b * p + a] = xtwx[a * p + b];
        }
    }
    (xtwx, xtwz)
}
