//! ROC AUC and cross-validation folds. The AUC is the Mann–Whitney probability that a case
//! scores above a control, ties counting one half (mid-ranks), which is what scikit-learn's
//! `roc_auc_score` computes. Cross-validated AUC refits the logistic model on k − 1 folds,
//! predicts the held-out fold, and takes one AUC over the pooled out-of-fold predictions
//! (scikit-learn's `roc_auc_score(y, cross_val_predict(...))`). Folds are stratified: each
//! class is shuffled with a seeded ChaCha8 generator and dealt round-robin, so fold sizes per
//! class differ by at most one and the same seed gives the same folds.

use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::{AssocError, Result};
use crate::regress::{logistic, LogisticOptions};

/// ROC AUC of `scores` for 0/1 `labels`; `None` when one class is absent.
pub fn roc_auc(scores: &[f64], labels: &[f64]) -> Option<f64> {
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum_cases = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Mid-rank (1-based) of the tie block i..=j.
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if labels[k] > 0.5 {
                rank_sum_cases += rank;
            }
        }
        i = j + 1;
    }
    let cases = labels.iter().filter(|&&l| l > 0.5).count() as f64;
    let controls = n as f64 - cases;
    if cases == 0.0 || controls == 0.0 {
        return None;
    }
    Some((rank_sum_cases - cases * (cases + 1.0) / 2.0) / (cases * controls))
}

/// Fold number (0..k) of each sample, stratified by the 0/1 `labels`.
pub fn stratified_folds(labels: &[f64], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut folds = vec![0; labels.len()];
    let mut next = 0;
    for class in [false, true] {
        let mut members: Vec<usize> = (0..labels.len())
            .filter(|&i| (labels[i] > 0.5) == class)
            .collect();
        members.shuffle(&mut rng);
        for i in members {
            folds[i] = next % k;
            next += 1;
        }
    }
    folds
}

/// Cross-validated ROC AUC of a logistic model of `y` on `x` over `k` stratified folds.
pub fn cv_auc(x: ArrayView2<f64>, y: &[f64], k: usize, seed: u64) -> Result<f64> {
    let (n, p) = x.dim();
    let cases = y.iter().filter(|&&v| v > 0.5).count();
    if k < 2 || cases < k || n - cases < k {
        return Err(AssocError::Option(format!(
            "{k}-fold cross-validation needs k ≥ 2 and at least k cases and k controls \
             ({cases} cases, {} controls)",
            n - cases
        )));
    }
    let folds = stratified_folds(y, k, seed);
    let mut predicted = vec![0.0; n];
    for f in 0..k {
        let train: Vec<usize> = (0..n).filter(|&i| folds[i] != f).collect();
        let xt = Array2::from_shape_fn((train.len(), p), |(r, c)| x[[train[r], c]]);
        let yt: Vec<f64> = train.iter().map(|&i| y[i]).collect();
        let fit = logistic(xt.view(), &yt, &LogisticOptions::default())?;
        for i in (0..n).filter(|&i| folds[i] == f) {
            // The linear predictor orders samples exactly as the probability does.
            predicted[i] = x.row(i).iter().zip(&fit.coef).map(|(a, b)| a * b).sum();
        }
    }
    roc_auc(&predicted, y).ok_or_else(|| AssocError::Regression("one class is empty".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(
            roc_auc(&[0.1, 0.4, 0.35, 0.8], &[0.0, 0.0, 1.0, 1.0]),
            Some(0.75)
        );
        assert_eq!(roc_auc(&[1.0, 1.0, 1.0], &[0.0, 1.0, 1.0]), Some(0.5));
        assert_eq!(roc_auc(&[1.0, 2.0], &[1.0, 1.0]), None);
    }

    #[test]
    fn folds_are_stratified_and_seeded() {
        let labels: Vec<f64> = (0..103).map(|i| f64::from(u8::from(i % 3 == 0))).collect();
        let a = stratified_folds(&labels, 5, 7);
        assert_eq!(a, stratified_folds(&labels, 5, 7));
        assert_ne!(a, stratified_folds(&labels, 5, 8));
        for class in [0.0, 1.0] {
            let mut counts = [0usize; 5];
            for (f, l) in a.iter().zip(&labels) {
                if *l == class {
                    counts[*f] += 1;
                }
            }
            let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            assert!(hi - lo <= 1, "{counts:?}");
        }
    }
}
