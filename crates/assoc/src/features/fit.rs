//! Model summaries with statsmodels' definitions. The design's first column must be the
//! intercept (a column of ones): R² is then `1 − RSS/TSS` with the centred total sum of
//! squares, adjusted R² `1 − (n − 1)/(n − p)·(1 − R²)`, the F test compares the model with the
//! intercept-only one on `p − 1` and `n − p` degrees of freedom, and AIC is `−2 llf + 2p`.
//! Confidence intervals are Wald intervals: `β ± t(0.975, n − p)·SE` for OLS and
//! `β ± z(0.975)·SE` for logistic regression, as statsmodels' `conf_int()`.

use ndarray::ArrayView2;

use super::auc::{cv_auc, roc_auc};
use crate::error::{AssocError, Result};
use crate::regress::{logistic, ols, LogisticFit, LogisticOptions, OlsFit};

/// An OLS fit with its model-level statistics.
#[derive(Debug, Clone)]
pub struct OlsSummary {
    /// The solver's result (coefficients, SE, t, ln p, covariance, log-likelihood).
    pub fit: OlsFit,
    /// Samples.
    pub n: usize,
    /// Lower and upper 95% confidence bounds per coefficient.
    pub ci: Vec<(f64, f64)>,
    /// R² (centred).
    pub r2: f64,
    /// Adjusted R².
    pub adj_r2: f64,
    /// F statistic of all slopes against the intercept-only model.
    pub f_stat: f64,
    /// Natural log of its p-value.
    pub f_ln_p: f64,
    /// Akaike information criterion.
    pub aic: f64,
}

/// A logistic fit with its model-level statistics.
#[derive(Debug, Clone)]
pub struct LogisticSummary {
    /// The solver's result (coefficients, SE, z, ln p, covariance, deviance).
    pub fit: LogisticFit,
    /// Samples.
    pub n: usize,
    /// Lower and upper 95% confidence bounds per coefficient (log odds).
    pub ci: Vec<(f64, f64)>,
    /// Akaike information criterion `deviance + 2p`.
    pub aic: f64,
    /// In-sample ROC AUC of the fitted probabilities.
    pub auc: Option<f64>,
    /// Cross-validated ROC AUC, when folds were asked for.
    pub auc_cv: Option<f64>,
}

/// A likelihood-ratio test of a model against a nested one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrTest {
    /// `2 (llf_full − llf_reduced)`, clamped at 0.
    pub stat: f64,
    /// Degrees of freedom: the difference in parameter counts.
    pub df: f64,
    /// Natural log of the χ² survival p-value.
    pub ln_p: f64,
}

fn check_intercept(x: &ArrayView2<f64>) -> Result<()> {
    if x.ncols() == 0 || x.column(0).iter().any(|&v| v != 1.0) {
        return Err(AssocError::Regression(
            "the design's first column must be the intercept (all ones)".into(),
        ));
    }
    Ok(())
}

/// OLS of `y` on `x` (first column the intercept) with R², F test, AIC and 95% CIs.
pub fn fit_ols(x: ArrayView2<f64>, y: &[f64]) -> Result<OlsSummary> {
    check_intercept(&x)?;
    let fit = ols(x, y)?;
    let (n, p) = x.dim();
    let mean = y.iter().sum::<f64>() / n as f64;
    let tss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    let r2 = 1.0 - fit.rss / tss;
    let adj_r2 = 1.0 - (n as f64 - 1.0) / fit.df * (1.0 - r2);
    let (f_stat, f_ln_p) = if p > 1 {
        let d1 = (p - 1) as f64;
        let f = ((tss - fit.rss) / d1) / (fit.rss / fit.df);
        (f, biomarker_stats::ln_f_sf(f, d1, fit.df))
    } else {
        (f64::NAN, f64::NAN)
    };
    let q = biomarker_stats::t_quantile(0.975, fit.df);
    let ci = fit
        .coef
        .iter()
        .zip(&fit.se)
        .map(|(b, s)| (b - q * s, b + q * s))
        .collect();
    let aic = -2.0 * fit.log_likelihood + 2.0 * p as f64;
    Ok(OlsSummary {
        fit,
        n,
        ci,
        r2,
        adj_r2,
        f_stat,
        f_ln_p,
        aic,
    })
}

/// Logistic regression of a 0/1 `y` on `x` (first column the intercept) with AIC, 95% CIs,
/// in-sample AUC and, when `cv` is `Some((k, seed))`, the k-fold cross-validated AUC.
pub fn fit_logistic(
    x: ArrayView2<f64>,
    y: &[f64],
    cv: Option<(usize, u64)>,
) -> Result<LogisticSummary> {
    check_intercept(&x)?;
    let fit = logistic(x, y, &LogisticOptions::default())?;
    let (n, p) = x.dim();
    let q = biomarker_stats::norm_quantile(0.975);
    let ci = fit
        .coef
        .iter()
        .zip(&fit.se)
        .map(|(b, s)| (b - q * s, b + q * s))
        .collect();
    let eta: Vec<f64> = x
        .outer_iter()
        .map(|r| r.iter().zip(&fit.coef).map(|(a, b)| a * b).sum())
        .collect();
    let auc = roc_auc(&eta, y);
    let auc_cv = cv.map(|(k, seed)| cv_auc(x, y, k, seed)).transpose()?;
    let aic = fit.deviance + 2.0 * p as f64;
    Ok(LogisticSummary {
        fit,
        n,
        ci,
        aic,
        auc,
        auc_cv,
    })
}

/// The likelihood-ratio test of a full model (`llf_full`, `p_full` parameters) against a
/// nested reduced one, as statsmodels' `compare_lr_test`.
pub fn lr_test(llf_full: f64, p_full: usize, llf_reduced: f64, p_reduced: usize) -> LrTest {
    let stat = (2.0 * (llf_full - llf_reduced)).max(0.0);
    let df = p_full.saturating_sub(p_reduced) as f64;
    LrTest {
        stat,
        df,
        ln_p: biomarker_stats::ln_chi2_sf(stat, df),
    }
}
