//! Metrics of a classifier head on held-out subjects: ROC AUC (binary, or macro one-vs-rest
//! for several classes, as scikit-learn's `roc_auc_score`), accuracy, sensitivity and
//! specificity (for several classes: the macro means of each class's recall and specificity).

use serde::{Deserialize, Serialize};

/// Classifier metrics; NaN where undefined (e.g. AUC with a single class present).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ClassMetrics {
    /// Subjects evaluated.
    pub n: usize,
    /// Area under the ROC curve.
    pub auc: f64,
    /// Fraction predicted correctly (prediction = most probable class).
    pub accuracy: f64,
    /// True-positive rate of class 1 (binary) or macro mean recall.
    pub sensitivity: f64,
    /// True-negative rate of class 0 (binary) or macro mean specificity.
    pub specificity: f64,
}

/// Area under the ROC curve of `scores` for `positive` items (Mann–Whitney U with ties
/// counted one half); NaN unless both groups are present.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mid-ranks of tied scores.
    let mut ranks = vec![0.0; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mid;
        }
        i = j + 1;
    }
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, &p)| p)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// Metrics of class probabilities `probs[i][k]` against labels in `0..k`.
pub fn class_metrics(probs: &[Vec<f64>], labels: &[u32]) -> ClassMetrics {
    let n = labels.len();
    let k = probs.first().map_or(0, Vec::len);
    if n == 0 || k < 2 {
        return ClassMetrics {
            n,
            auc: f64::NAN,
            accuracy: f64::NAN,
            sensitivity: f64::NAN,
            specificity: f64::NAN,
        };
    }
    let pred: Vec<u32> = probs
        .iter()
        .map(|p| {
            (0..k)
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                .unwrap_or(0) as u32
        })
        .collect();
    let accuracy = pred.iter().zip(labels).filter(|(a, b)| a == b).count() as f64 / n as f64;
    // Per class c: recall TP/(TP+FN) and specificity TN/(TN+FP), one-vs-rest.
    let per_class = |c: u32| -> (f64, f64) {
        let (mut tp, mut fnn, mut tn, mut fp) = (0usize, 0usize, 0usize, 0usize);
        for (&p, &y) in pred.iter().zip(labels) {
            match (y == c, p == c) {
                (true, true) => tp += 1,
                (true, false) => fnn += 1,
                (false, false) => tn += 1,
                (false, true) => fp += 1,
            }
        }
        let ratio = |a: usize, b: usize| {
            if a + b == 0 {
                f64::NAN
            } else {
                a as f64 / (a + b) as f64
            }
        };
        (ratio(tp, fnn), ratio(tn, fp))
    };
    let (auc, sensitivity, specificity) = if k == 2 {
        let scores: Vec<f64> = probs.iter().map(|p| p[1]).collect();
        let pos: Vec<bool> = labels.iter().map(|&y| y == 1).collect();
        let (sens, spec) = per_class(1);
        (roc_auc(&scores, &pos), sens, spec)
    } else {
        let mut aucs = Vec::new();
        let (mut sens, mut spec) = (Vec::new(), Vec::new());
        for c in 0..k {
            let scores: Vec<f64> = probs.iter().map(|p| p[c]).collect();
            let pos: Vec<bool> = labels.iter().map(|&y| y == c as u32).collect();
            aucs.push(roc_auc(&scores, &pos));
            let (a, b) = per_class(c as u32);
            sens.push(a);
            spec.push(b);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        (mean(&aucs), mean(&sens), mean(&spec))
    };
    ClassMetrics {
        n,
        auc,
        accuracy,
        sensitivity,
        specificity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // Positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4 half)
        // (0.4>0.1) → 3.5 / 4.
        let auc = roc_auc(&[0.8, 0.4, 0.4, 0.1], &[true, true, false, false]);
        assert!((auc - 0.875).abs() < 1e-12);
        assert!(roc_auc(&[0.1, 0.2], &[true, true]).is_nan());
    }
}
