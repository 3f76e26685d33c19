//! QQ plot data: observed against expected −log10 p, the genomic inflation factor λGC and the
//! pointwise 95% band of the uniform order statistics.
//!
//! The i-th smallest of n uniform p-values follows Beta(i, n − i + 1); the band at rank i runs
//! between its 2.5% and 97.5% quantiles (biomarker-stats' `beta_quantile`). Expected values
//! are R's `ppoints`, (i − 0.5)/n, as qqman and most GWAS QQ plots use. λGC is
//! biomarker-stats' `lambda_gc`: the median χ²(1) quantile of the p-values over 0.4549364,
//! computed from log p so underflowed p-values count.

use biomarker_stats::{beta_quantile, lambda_gc};

/// Ranks at which the band is computed: all of the first 100, then about 300 more spread
/// evenly on the log scale the plot uses, and the last rank.
pub fn band_ranks(n: usize) -> Vec<usize> {
    let mut ranks: Vec<usize> = (1..=n.min(100)).collect();
    if n > 100 {
        let steps = 300;
        let (lo, hi) = ((100f64).ln(), (n as f64).ln());
        for k in 1..=steps {
            let r = (lo + (hi - lo) * k as f64 / steps as f64).exp().round() as usize;
            if r > *ranks.last().unwrap_or(&0) && r <= n {
                ranks.push(r);
            }
        }
        if *ranks.last().unwrap_or(&0) != n {
            ranks.push(n);
        }
    }
    ranks
}

/// The 95% band at rank `i` of `n`, as (expected, lower, upper) in −log10 p. "Lower" is the
/// smaller −log10 p, i.e. the 97.5% quantile of the p-value.
pub fn band_at(i: usize, n: usize) -> (f64, f64, f64) {
    let (a, b) = (i as f64, (n - i + 1) as f64);
    let expected = -((i as f64 - 0.5) / n as f64).log10();
    let upper = -beta_quantile(0.025, a, b).log10();
    let lower = -beta_quantile(0.975, a, b).log10();
    (expected, lower, upper)
}

/// Everything a QQ plot shows.
#[derive(Debug, Clone, PartialEq)]
pub struct QqData {
    /// Number of p-values.
    pub n: usize,
    /// λGC; None without p-values.
    pub lambda: Option<f64>,
    /// (expected, observed) −log10 p, most significant first.
    pub points: Vec<(f64, f64)>,
    /// (expected, lower, upper) at [`band_ranks`].
    pub band: Vec<(f64, f64, f64)>,
}

impl QqData {
    /// The QQ data of p-values given as −log10 p (non-finite values are left out).
    pub fn new(log10p: &[f64]) -> Self {
        let mut observed: Vec<f64> = log10p.iter().copied().filter(|v| v.is_finite()).collect();
        observed.sort_by(|a, b| b.total_cmp(a));
        let n = observed.len();
        let lambda = lambda_gc(observed.iter().map(|l| -l * std::f64::consts::LN_10));
        let points = observed
            .iter()
            .enumerate()
            .map(|(k, &o)| (-((k as f64 + 0.5) / n as f64).log10(), o))
            .collect();
        let band = band_ranks(n).into_iter().map(|i| band_at(i, n)).collect();
        Self {
            n,
            lambda,
            points,
            band,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_ranks_cover_both_ends_in_order() {
        assert_eq!(band_ranks(5), vec![1, 2, 3, 4, 5]);
        let r = band_ranks(1_000_000);
        assert_eq!(r[..3], [1, 2, 3]);
        assert_eq!(*r.last().unwrap(), 1_000_000);
        assert!(r.windows(2).all(|w| w[0] < w[1]));
        assert!(r.len() < 420);
    }

    #[test]
    fn points_are_sorted_and_expected_follows_ppoints() {
        let q = QqData::new(&[1.0, 3.0, f64::NAN, 2.0, 0.5]);
        assert_eq!(q.n, 4);
        let obs: Vec<f64> = q.points.iter().map(|p| p.1).collect();
        assert_eq!(obs, [3.0, 2.0, 1.0, 0.5]);
        assert!((q.points[0].0 - -(0.125f64).log10()).abs() < 1e-15);
        assert!((q.points[3].0 - -(0.875f64).log10()).abs() < 1e-15);
        assert_eq!(q.band.len(), 4);
    }
}
