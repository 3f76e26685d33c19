//! PLINK 2's per-variant predictor checks, from cross-products over the samples tested: any
//! pair of non-intercept predictors correlated beyond `max_corr` is CORR_TOO_HIGH, a singular
//! correlation matrix VIF_INFINITE, a variance inflation factor (diagonal of its inverse)
//! above `max_vif` VIF_TOO_HIGH. The genotype is predictor 0, covariates follow.

use super::ErrCode;
use crate::linalg::{chol_inverse, cholesky};

/// Sums over the samples tested that the checks need. `k` counts the intercept, which is
/// covariate column 0.
pub struct CrossProducts<'a> {
    /// Samples tested.
    pub n: f64,
    /// Σ g and Σ g².
    pub g_sum: f64,
    /// Σ g².
    pub g_sq: f64,
    /// Σ g·c_j for each covariate column (column 0 is the intercept: Σ g).
    pub gc: &'a [f64],
    /// Σ c_j.
    pub c_sum: &'a [f64],
    /// Σ c_i c_j, row-major k×k.
    pub cc: &'a [f64],
}

/// Runs the checks; `None` when the variant may be tested.
pub fn check(
    x: &CrossProducts<'_>,
    max_corr: f64,
    max_vif: f64,
    scratch: &mut Vec<f64>,
) -> Option<ErrCode> {
    let k = x.c_sum.len();
    let p = k; // genotype + (k − 1) covariates
    scratch.clear();
    scratch.resize(p * p, 0.0);
    let n = x.n;
    let cov = |i: usize, j: usize| -> f64 {
        match (i, j) {
            (0, 0) => x.g_sq - x.g_sum * x.g_sum / n,
            (0, j) | (j, 0) => x.gc[j] - x.g_sum * x.c_sum[j] / n,
            (i, j) => x.cc[i * k + j] - x.c_sum[i] * x.c_sum[j] / n,
        }
    };
    let sd: Vec<f64> = (0..p).map(|i| cov(i, i).max(0.0).sqrt()).collect();
    if sd.iter().any(|&s| s.is_nan() || s <= 0.0) {
        return Some(ErrCode::VifInfinite);
    }
    for a in 0..p {
        for b in 0..a {
            let r = cov(a, b) / (sd[a] * sd[b]);
            if r.abs() > max_corr {
                return Some(ErrCode::CorrTooHigh);
            }
            scratch[a * p + b] = r;
            scratch[b * p + a] = r;
        }
        scratch[a * p + a] = 1.0;
    }
    if !cholesky(scratch, p, 1e-12) {
        return Some(ErrCode::VifInfinite);
    }
    let inv = chol_inverse(scratch, p);
    if (0..p).any(|i| inv[i * p + i] > max_vif) {
        return Some(ErrCode::VifTooHigh);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(g: &[f64], covs: &[Vec<f64>]) -> (f64, f64, Vec<f64>, Vec<f64>, Vec<f64>) {
        let k = covs.len() + 1;
        let col = |j: usize, i: usize| if j == 0 { 1.0 } else { covs[j - 1][i] };
        let n = g.len();
        let gc = (0..k)
            .map(|j| (0..n).map(|i| g[i] * col(j, i)).sum())
            .collect();
        let cs = (0..k).map(|j| (0..n).map(|i| col(j, i)).sum()).collect();
        let mut cc = vec![0.0; k * k];
        for a in 0..k {
            for b in 0..k {
                cc[a * k + b] = (0..n).map(|i| col(a, i) * col(b, i)).sum();
            }
        }
        (g.iter().sum(), g.iter().map(|v| v * v).sum(), gc, cs, cc)
    }

    #[test]
    fn flags_copies_and_collinear_sets() {
        let g = [0.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0, 0.0];
        let c1 = vec![0.5, 1.0, 3.0, 1.1, 0.2, 2.0, 0.9, 0.4];
        let run = |covs: &[Vec<f64>]| {
            let (gs, gq, gc, cs, cc) = sums(&g, covs);
            let x = CrossProducts {
                n: g.len() as f64,
                g_sum: gs,
                g_sq: gq,
                gc: &gc,
                c_sum: &cs,
                cc: &cc,
            };
            check(&x, 0.999, 50.0, &mut Vec::new())
        };
        assert_eq!(run(std::slice::from_ref(&c1)), None);
        assert_eq!(
            run(&[g.iter().map(|v| 2.0 * v + 1.0).collect()]),
            Some(ErrCode::CorrTooHigh)
        );
        // g = c1 + c2 exactly: no pair beyond 0.999, but the set is singular.
        let c2: Vec<f64> = g.iter().zip(&c1).map(|(a, b)| a - b).collect();
        assert!(matches!(
            run(&[c1, c2]),
            Some(ErrCode::VifInfinite | ErrCode::VifTooHigh)
        ));
    }
}
