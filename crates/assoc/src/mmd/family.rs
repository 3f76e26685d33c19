//! Multiple testing over a family of tests (structures × group pairs): single-step
//! max-statistic family-wise p-values from permutations shared across the family
//! (Westfall & Young), and Benjamini–Hochberg q-values.

/// Family-wise p-values by the max statistic. `z[t]` is test t's observed statistic
/// standardised against its own null and `null_z[t][b]` the same for permutation b; every
/// test must use the same permutations b (same subjects relabelled), so that
/// `max_t null_z[t][b]` is a draw from the null of the maximum.
/// `p_fwer[t] = (1 + #{b : max_t' null_z[t'][b] ≥ z[t]})/(1 + B)`.
pub fn max_statistic(z: &[f64], null_z: &[Vec<f64>]) -> Vec<f64> {
    assert_eq!(z.len(), null_z.len(), "one null per test");
    let b = null_z.first().map_or(0, Vec::len);
    assert!(
        null_z.iter().all(|v| v.len() == b),
        "the same number of permutations per test"
    );
    let maxima: Vec<f64> = (0..b)
        .map(|i| {
            null_z
                .iter()
                .map(|v| v[i])
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    z.iter()
        .map(|&zt| {
            let ge = maxima
                .iter()
                .filter(|&&mx| mx >= zt - super::permute::TIE_TOLERANCE * zt.abs().max(1.0))
                .count();
            (1.0 + ge as f64) / (1.0 + b as f64)
        })
        .collect()
}

/// Standardises statistics against their null: `(v − mean)/sd` with the null's mean and
/// sample standard deviation.
pub fn standardise(values: &[f64], null: &[f64]) -> Vec<f64> {
    let b = null.len() as f64;
    let mean = null.iter().sum::<f64>() / b;
    let sd = (null.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (b - 1.0)).sqrt();
    values.iter().map(|v| (v - mean) / sd).collect()
}

/// Benjamini–Hochberg q-values (the stats crate's, re-exported for the family code).
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    biomarker_stats::benjamini_hochberg(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_statistic_by_hand() {
        // Two tests, four permutations: maxima are 1.0, 2.5, 0.3, 3.0.
        let null = vec![vec![1.0, 2.5, 0.1, -1.0], vec![0.2, 0.0, 0.3, 3.0]];
        let p = max_statistic(&[2.0, 3.5], &null);
        assert_eq!(p, vec![3.0 / 5.0, 1.0 / 5.0]);
    }

    #[test]
    fn standardise_uses_the_sample_sd() {
        let z = standardise(&[3.0], &[1.0, 2.0, 3.0]);
        assert!((z[0] - 1.0).abs() < 1e-15);
    }
}
