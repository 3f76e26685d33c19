//! The sign convention of components, so that results never flip between runs, machines or
//! library versions (an SVD determines each component only up to sign):
//!
//! 1. where the structure's volume is given, a component is oriented so that its scores
//!    correlate positively with the volume over the fitting subjects that have one;
//! 2. otherwise (no volume, or a correlation of exactly zero), the loading of largest
//!    absolute value is made positive; ties go to the first such feature.
//!
//! Genotype principal components use rule 2 on the sample coordinates.

use serde::{Deserialize, Serialize};

/// Which rule fixed a component's sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignRule {
    /// Scores correlate positively with the structure's volume.
    Volume,
    /// The largest absolute loading is positive.
    LargestLoading,
}

/// +1 or −1: the sign that makes the entry of largest absolute value positive (the first
/// such entry on ties; +1 for an all-zero vector).
pub fn largest_entry_sign(v: &[f64]) -> f64 {
    let mut best = 0.0f64;
    let mut sign = 1.0;
    for &x in v {
        if x.abs() > best {
            best = x.abs();
            sign = x.signum();
        }
    }
    sign
}

/// The sign of the covariance between `scores` and the non-missing `volume` values, or None
/// when fewer than two subjects have a volume or the covariance is exactly zero.
pub fn volume_sign(scores: &[f64], volume: &[Option<f64>]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = scores
        .iter()
        .zip(volume)
        .filter_map(|(s, v)| v.map(|v| (*s, v)))
        .collect();
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let (ms, mv) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (s, v)| (a + s / n, b + v / n));
    let cov: f64 = pairs.iter().map(|(s, v)| (s - ms) * (v - mv)).sum();
    (cov != 0.0 && cov.is_finite()).then(|| cov.signum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_entry_decides_and_first_wins_ties() {
        assert_eq!(largest_entry_sign(&[0.1, -0.9, 0.5]), -1.0);
        assert_eq!(largest_entry_sign(&[-0.5, 0.5]), -1.0);
        assert_eq!(largest_entry_sign(&[0.0, 0.0]), 1.0);
    }

    #[test]
    fn volume_sign_uses_the_covariance_of_present_volumes() {
        assert_eq!(
            volume_sign(
                &[1.0, 2.0, 3.0, 100.0],
                &[Some(3.0), Some(2.0), Some(1.0), None]
            ),
            Some(-1.0)
        );
        assert_eq!(volume_sign(&[1.0, 2.0], &[Some(5.0), Some(5.0)]), None);
        assert_eq!(volume_sign(&[1.0, 2.0], &[Some(5.0), None]), None);
    }
}
