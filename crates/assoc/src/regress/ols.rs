//! Ordinary least squares by Householder QR: coefficients, their covariance `σ² (XᵀX)⁻¹`,
//! t statistics, two-sided p-values in log space and the Gaussian log-likelihood.

use ndarray::ArrayView2;

use crate::error::{AssocError, Result};
use crate::linalg::thin_qr;

/// The result of an OLS fit.
#[derive(Debug, Clone, PartialEq)]
pub struct OlsFit {
    /// Coefficients, one per design column.
    pub coef: Vec<f64>,
    /// Standard errors.
    pub se: Vec<f64>,
    /// t statistics `coef / se`.
    pub t: Vec<f64>,
    /// Natural log of the two-sided p-values (t distribution with `df` degrees of freedom).
    pub ln_p: Vec<f64>,
    /// Residual degrees of freedom `n − p`.
    pub df: f64,
    /// Residual sum of squares.
    pub rss: f64,
    /// Covariance of the coefficients `σ² (XᵀX)⁻¹`, row-major `p × p`.
    pub cov: Vec<f64>,
    /// Gaussian log-likelihood at the estimate with `σ² = rss / n` (statsmodels' `llf`).
    pub log_likelihood: f64,
}

/// Regresses `y` on the columns of `x` (`n × p`).
pub fn ols(x: ArrayView2<f64>, y: &[f64]) -> Result<OlsFit> {
    super::check_shapes(&x, y)?;
    let (n, p) = x.dim();
    let mut cm = vec![0.0; n * p];
    for ((i, j), v) in x.indexed_iter() {
        cm[j * n + i] = *v;
    }
    let (q, r) = thin_qr(&cm, n, p).ok_or_else(|| {
        AssocError::Regression("the design matrix is rank deficient (collinear columns)".into())
    })?;
    // Qᵀy and the residual sum of squares ‖y‖² − ‖Qᵀy‖², computed from residuals for accuracy.
    let qty: Vec<f64> = (0..p)
        .map(|j| {
            q[j * n..(j + 1) * n]
                .iter()
                .zip(y)
                .map(|(a, b)| a * b)
                .sum()
        })
        .collect();
    let mut coef = qty.clone();
    for i in (0..p).rev() {
        let mut s = coef[i];
        for k in i + 1..p {
            s -= r[i * p + k] * coef[k];
        }
        coef[i] = s / r[i * p + i];
    }
    let rss: f64 = x
        .outer_iter()
        .zip(y)
        .map(|(row, yi)| {
            let fit: f64 = row.iter().zip(&coef).map(|(a, b)| a * b).sum();
            (yi - fit).powi(2)
        })
        .sum();
    let df = (n - p) as f64;
    let sigma2 = rss / df;
    // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ.
    let mut rinv = vec![0.0; p * p];
    for c in 0..p {
        for i in (0..=c).rev() {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for k in i + 1..=c {
                s -= r[i * p + k] * rinv[k * p + c];
            }
            rinv[i * p + c] = s / r[i * p + i];
        }
    }
    let mut cov = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            let from = i.max(j);
            cov[i * p + j] = sigma2
                * (from..p)
                    .map(|c| rinv[i * p + c] * rinv[j * p + c])
                    .sum::<f64>();
        }
    }
    let se: Vec<f64> = (0..p).map(|i| cov[i * p + i].sqrt()).collect();
    let t: Vec<f64> = coef.iter().zip(&se).map(|(b, s)| b / s).collect();
    let ln_p = t
        .iter()
        .map(|&t| biomarker_stats::ln_t_two_sided(t, df))
        .collect();
    let nf = n as f64;
    let log_likelihood = -0.5 * nf * ((2.0 * std::f64::consts::PI * rss / nf).ln() + 1.0);
    Ok(OlsFit {
        coef,
        se,
        t,
        ln_p,
        df,
        rss,
        cov,
        log_likelihood,
    })
}
