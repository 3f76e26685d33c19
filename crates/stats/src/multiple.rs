//! Summaries over many tests: the genomic inflation factor λGC and Benjamini–Hochberg
//! false-discovery-rate q-values.

/// Median of the χ²(1) distribution, the denominator of λGC.
pub const LAMBDA_GC_MEDIAN: f64 = 0.454_936_4;

/// λGC = median over tests of the χ²(1) quantile of each p-value, divided by
/// [`LAMBDA_GC_MEDIAN`]. Takes natural-log p-values; NaNs are ignored. `None` when no
/// finite-or-infinite p-value is given.
///
/// The χ² quantile is monotone in p, so only the middle one or two p-values (the median in
/// p order; the two middle values are averaged after transformation, as numpy does) are
/// transformed.
pub fn lambda_gc(ln_p: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = ln_p.into_iter().filter(|x| !x.is_nan()).collect();
    let n = v.len();
    if n == 0 {
        return None;
    }
    let cmp = |a: &f64, b: &f64| a.total_cmp(b);
    let mid = n / 2;
    let (_, &mut upper, _) = v.select_nth_unstable_by(mid, cmp);
    let q = |lp: f64| crate::chi2::chi2_isf_ln(lp, 1.0);
    let median = if n % 2 == 1 {
        q(upper)
    } else {
        let lower = v[..mid].iter().copied().max_by(cmp).unwrap_or(upper);
        0.5 * (q(lower) + q(upper))
    };
    Some(median / LAMBDA_GC_MEDIAN)
}

/// Benjamini–Hochberg q-values, in input order: `q_(i) = min_{j ≥ i} p_(j) · m / j`, capped
/// at 1, where `m` counts the non-NaN p-values. NaN p-values get NaN q-values.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = order.len() as f64;
    let mut q = vec![f64::NAN; p.len()];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m / (rank + 1) as f64);
        q[i] = running;
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bh_keeps_input_order_and_monotone() {
        let p = [0.04, 0.001, 0.03, 0.5, f64::NAN];
        let q = benjamini_hochberg(&p);
        // m = 4: sorted 0.001, 0.03, 0.04, 0.5 -> 0.004, min(0.06, 0.0533), 0.0533, 0.5
        assert!((q[1] - 0.004).abs() < 1e-15);
        assert!((q[2] - 0.04 * 4.0 / 3.0).abs() < 1e-15);
        assert!((q[0] - 0.04 * 4.0 / 3.0).abs() < 1e-15);
        assert!((q[3] - 0.5).abs() < 1e-15);
        assert!(q[4].is_nan());
    }

    #[test]
    fn lambda_gc_empty_is_none() {
        assert!(lambda_gc(std::iter::empty()).is_none());
        assert!(lambda_gc([f64::NAN]).is_none());
    }
}
