//! Logistic regression by iteratively reweighted least squares, as R's `glm.fit`: start from
//! `μ = (y + ½)/2`, at most 25 iterations, converged when the deviance changes by less than
//! 1e-8 relative, then one more Newton step to polish. Standard errors come from the
//! information matrix at the final estimate.

use ndarray::ArrayView2;

use crate::error::{AssocError, Result};
use crate::linalg::{chol_inverse, chol_solve, cholesky};

/// Options of [`logistic`].
#[derive(Debug, Clone)]
pub struct LogisticOptions {
    /// Maximum IRLS iterations.
    pub max_iter: usize,
    /// Convergence tolerance on `|dev − dev_old| / (|dev| + 0.1)`.
    pub tol: f64,
    /// Starting coefficients (e.g. the covariate-only fit with 0 for the tested term).
    pub start: Option<Vec<f64>>,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        Self {
            max_iter: 25,
            tol: 1e-8,
            start: None,
        }
    }
}

/// The result of a logistic (or Firth) fit.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Coefficients (log odds ratios), one per design column.
    pub coef: Vec<f64>,
    /// Standard errors from the inverse information matrix.
    pub se: Vec<f64>,
    /// Wald Z statistics.
    pub z: Vec<f64>,
    /// Natural log of the two-sided normal p-values.
    pub ln_p: Vec<f64>,
    /// Deviance `−2 log L` (unpenalised).
    pub deviance: f64,
    /// Log-likelihood `−deviance / 2` (unpenalised; statsmodels' `llf`).
    pub log_likelihood: f64,
    /// Covariance of the coefficients (inverse information), row-major `p × p`.
    pub cov: Vec<f64>,
    /// Iterations used.
    pub iterations: usize,
    /// Whether the convergence criterion was met within the iteration limit.
    pub converged: bool,
}

pub(crate) fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

pub(crate) fn deviance(y: &[f64], mu: &[f64]) -> f64 {
    -2.0 * y
        .iter()
        .zip(mu)
        .map(|(&yi, &m)| {
            if yi > 0.5 {
                m.max(f64::MIN_POSITIVE).ln()
            } else {
                (1.0 - m).max(f64::MIN_POSITIVE).ln()
            }
        })
        .sum::<f64>()
}

pub(crate) fn linear_predictor(x: &ArrayView2<f64>, beta: &[f64], eta: &mut [f64]) {
    for (e, row) in eta.iter_mut().zip(x.outer_iter()) {
        *e = row.iter().zip(beta).map(|(a, b)| a * b).sum();
    }
}

/// Wald statistics from coefficients and the inverse information.
pub(crate) fn wald(
    coef: Vec<f64>,
    inv: Vec<f64>,
    deviance: f64,
    iterations: usize,
    converged: bool,
) -> LogisticFit {
    let p = coef.len();
    let se: Vec<f64> = (0..p).map(|i| inv[i * p + i].sqrt()).collect();
    let z: Vec<f64> = coef.iter().zip(&se).map(|(b, s)| b / s).collect();
    let ln_p = z
        .iter()
        .map(|&z| biomarker_stats::ln_norm_two_sided(z))
        .collect();
    LogisticFit {
        coef,
        se,
        z,
        ln_p,
        deviance,
        log_likelihood: -0.5 * deviance,
        cov: inv,
        iterations,
        converged,
    }
}

/// Fits `P(y = 1) = σ(Xβ)` for a 0/1 response `y`.
pub fn logistic(x: ArrayView2<f64>, y: &[f64], opts: &LogisticOptions) -> Result<LogisticFit> {
    super::check_shapes(&x, y)?;
    let (n, p) = x.dim();
    let mut eta = vec![0.0; n];
    let mut mu: Vec<f64>;
    let mut beta: Vec<f64>;
    if let Some(start) = &opts.start {
        beta = start.clone();
        linear_predictor(&x, &beta, &mut eta);
        mu = eta.iter().map(|&e| sigmoid(e)).collect();
    } else {
        beta = vec![0.0; p];
        mu = y.iter().map(|&v| (v + 0.5) / 2.0).collect();
        for (e, m) in eta.iter_mut().zip(&mu) {
            *e = (m / (1.0 - m)).ln();
        }
    }
    let mut dev_old = deviance(y, &mu);
    let mut w = vec![0.0; n];
    let mut z = vec![0.0; n];
    let mut converged = false;
    let mut iterations = 0;
    for it in 1..=opts.max_iter {
        iterations = it;
        for i in 0..n {
            let v = (mu[i] * (1.0 - mu[i])).max(1e-300);
            w[i] = v;
            z[i] = eta[i] + (y[i] - mu[i]) / v;
        }
        let (mut xtwx, mut xtwz) = super::weighted_cross(&x, &w, &z);
        if !cholesky(&mut xtwx, p, 1e-13) {
            return Err(AssocError::Regression("singular information matrix".into()));
        }
        chol_solve(&xtwx, p, &mut xtwz);
        beta = xtwz;
        linear_predictor(&x, &beta, &mut eta);
        mu = eta.iter().map(|&e| sigmoid(e)).collect();
        let dev = deviance(y, &mu);
        if !dev.is_finite() {
            break;
        }
        if (dev - dev_old).abs() / (dev.abs() + 0.1) < opts.tol {
            converged = true;
            dev_old = dev;
            break;
        }
        dev_old = dev;
    }
    if converged {
        // glm.fit's deviance criterion stops while the last step may still be ~1e-5: one
        // more Newton step (quadratic convergence) makes the estimate exact to rounding.
        for i in 0..n {
            let v = (mu[i] * (1.0 - mu[i])).max(1e-300);
            w[i] = v;
            z[i] = eta[i] + (y[i] - mu[i]) / v;
        }
        let (mut xtwx, mut xtwz) = super::weighted_cross(&x, &w, &z);
        if cholesky(&mut xtwx, p, 1e-13) {
            chol_solve(&xtwx, p, &mut xtwz);
            if xtwz.iter().all(|b| b.is_finite()) {
                beta = xtwz;
                linear_predictor(&x, &beta, &mut eta);
                mu = eta.iter().map(|&e| sigmoid(e)).collect();
                dev_old = deviance(y, &mu);
            }
        }
    }
    // Information at the final estimate.
    let w: Vec<f64> = mu.iter().map(|m| m * (1.0 - m)).collect();
    let (mut info, _) = super::weighted_cross(&x, &w, &z);
    if !cholesky(&mut info, p, 1e-13) {
        return Err(AssocError::Regression(
            "singular information matrix at the estimate".into(),
        ));
    }
    let inv = chol_inverse(&info, p);
    Ok(wald(beta, inv, dev_old, iterations, converged))
}
