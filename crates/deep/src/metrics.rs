//! Evaluation metrics: Dice overlap of thresholded reconstructions, accuracy, R² (overall and
//! within groups such as structures).

/// Dice of two binary masks (`pred ≥ 0.5` against `truth ≥ 0.5`); 1 when both are empty.
pub fn dice(pred: &[f32], truth: &[f32]) -> f64 {
    let (mut inter, mut a, mut b) = (0usize, 0usize, 0usize);
    for (&p, &t) in pred.iter().zip(truth) {
        let (p, t) = (p >= 0.5, t >= 0.5);
        inter += usize::from(p && t);
        a += usize::from(p);
        b += usize::from(t);
    }
    if a + b == 0 {
        1.0
    } else {
        2.0 * inter as f64 / (a + b) as f64
    }
}

/// Coefficient of determination 1 − SS_res/SS_tot (NaN when the truth is constant).
pub fn r_squared(pred: &[f64], truth: &[f64]) -> f64 {
    let n = truth.len() as f64;
    let mean = truth.iter().sum::<f64>() / n;
    let ss_tot: f64 = truth.iter().map(|t| (t - mean).powi(2)).sum();
    let ss_res: f64 = pred.iter().zip(truth).map(|(p, t)| (p - t).powi(2)).sum();
    if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else {
        f64::NAN
    }
}

/// Mean over groups of the R² within each group (`group[i] < k`), skipping groups whose truth
/// is constant or that have fewer than two items; NaN when no group has an R².
pub fn mean_r2_within(pred: &[f64], truth: &[f64], group: &[usize], k: usize) -> f64 {
    let mut per: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); k];
    for ((&p, &t), &g) in pred.iter().zip(truth).zip(group) {
        per[g].0.push(p);
        per[g].1.push(t);
    }
    let r2: Vec<f64> = per
        .iter()
        .filter(|(p, _)| p.len() >= 2)
        .map(|(p, t)| r_squared(p, t))
        .filter(|r| !r.is_nan())
        .collect();
    if r2.is_empty() {
        f64::NAN
    } else {
        r2.iter().sum::<f64>() / r2.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_and_r2_on_small_cases() {
        assert_eq!(dice(&[1.0, 1.0, 0.0, 0.0], &[1.0, 0.0, 1.0, 0.0]), 0.5);
        assert_eq!(dice(&[0.0; 3], &[0.0; 3]), 1.0);
        // truth mean 2, SS_tot 2, SS_res 0.25
        assert!((r_squared(&[1.5, 2.0, 3.0], &[1.0, 2.0, 3.0]) - 0.875).abs() < 1e-12);
    }

    #[test]
    fn r2_within_groups_ignores_the_differences_between_groups() {
        // Group 0: R² 0.875 as above; group 1 predicted by its mean: R² 0; group 2 constant.
        let pred = [1.5, 2.0, 3.0, 20.0, 20.0, 7.0, 7.0];
        let truth = [1.0, 2.0, 3.0, 10.0, 30.0, 5.0, 5.0];
        let group = [0, 0, 0, 1, 1, 2, 2];
        assert!((mean_r2_within(&pred, &truth, &group, 3) - 0.4375).abs() < 1e-12);
        assert!(mean_r2_within(&[1.0], &[1.0], &[0], 1).is_nan());
    }
}
