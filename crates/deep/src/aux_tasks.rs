//! Auxiliary clinical tasks for the transfer-learning head: extra heads that predict other
//! subject columns (sex, age group, APOE4 status, …) from the bottleneck. Each candidate is
//! weighted by |Spearman ρ| with the main task's class over the training subjects and kept
//! only where that correlation is significant (two-sided p < 0.05, p as scipy's `spearmanr`:
//! Student's t with n − 2 degrees of freedom). Columns with at most [`MAX_AUX_CLASSES`]
//! distinct values become classification heads (cross-entropy), others regression heads
//! (MSE of the standardized value).

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use biomarker_tables::PhenoValues;

use crate::error::{ensure_config, Result};
use crate::layers::Linear;
use crate::loss::{cross_entropy, mse};
use crate::params::ParamStore;

/// Columns with at most this many distinct values are classified, others regressed.
pub const MAX_AUX_CLASSES: usize = 5;

/// Significance level of the Spearman selection.
pub const AUX_ALPHA: f64 = 0.05;

/// Spearman's rank correlation with its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spearman {
    /// Pairs used.
    pub n: usize,
    /// ρ (NaN when a side is constant or n < 3).
    pub rho: f64,
    /// Two-sided p-value (NaN when ρ is).
    pub p: f64,
}

/// Ranks 1..n with ties given their mean rank.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = mid;
        }
        i = j + 1;
    }
    ranks
}

/// Spearman's ρ of paired samples (Pearson correlation of the average ranks) and its p-value
/// from `t = ρ·√((n−2)/(1−ρ²))` on n − 2 degrees of freedom.
pub fn spearman(x: &[f64], y: &[f64]) -> Spearman {
    let n = x.len().min(y.len());
    let nan = Spearman {
        n,
        rho: f64::NAN,
        p: f64::NAN,
    };
    if n < 3 {
        return nan;
    }
    let (rx, ry) = (average_ranks(&x[..n]), average_ranks(&y[..n]));
    let mean = (n as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        let (a, b) = (a - mean, b - mean);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if sxx == 0.0 || syy == 0.0 {
        return nan;
    }
    let rho = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
    let df = (n - 2) as f64;
    let p = if rho.abs() == 1.0 {
        0.0
    } else {
        let t = rho * (df / ((1.0 + rho) * (1.0 - rho))).sqrt();
        biomarker_stats::student::ln_t_two_sided(t, df).exp()
    };
    Spearman { n, rho, p }
}

/// What an auxiliary head predicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AuxKind {
    /// Classes 0..k (the column's distinct values, sorted).
    Classify {
        /// Number of classes.
        classes: usize,
    },
    /// The value standardized by the training subjects' mean and SD.
    Regress {
        /// Training mean.
        mean: f64,
        /// Training SD.
        sd: f64,
    },
}

/// A candidate auxiliary column, one value per subject (class index or raw number).
#[derive(Debug, Clone, PartialEq)]
pub struct AuxColumn {
    /// Column name.
    pub name: String,
    /// Per subject: class index (classification) or value (regression).
    pub values: Vec<Option<f64>>,
    /// Head type.
    pub kind: AuxKind,
}

impl AuxColumn {
    /// A column of the phenotype table, aligned to subjects by `rows` (the table row of each
    /// subject, `None` when absent); `train` are the training subjects (for standardization).
    pub fn from_pheno(
        name: &str,
        values: &PhenoValues,
        rows: &[Option<usize>],
        train: &[usize],
    ) -> Result<Self> {
        let distinct_numeric = |v: &[Option<f64>]| {
            let mut d: Vec<f64> = v.iter().flatten().copied().collect();
            d.sort_by(f64::total_cmp);
            d.dedup();
            d
        };
        let table_values: Vec<Option<f64>> = match values {
            PhenoValues::Numeric(v) => v.clone(),
            PhenoValues::Categorical(v) => {
                let mut names: Vec<&String> = v.iter().flatten().collect();
                names.sort();
                names.dedup();
                ensure_config!(
                    names.len() <= crate::transfer::MAX_CLASSES,
                    "auxiliary column {name:?} has {} categories; at most {} are supported",
                    names.len(),
                    crate::transfer::MAX_CLASSES
                );
                v.iter()
                    .map(|x| {
                        x.as_ref()
                            .map(|x| names.iter().position(|n| *n == x).unwrap_or(0) as f64)
                    })
                    .collect()
            }
        };
        let per_subject: Vec<Option<f64>> = rows
            .iter()
            .map(|r| r.and_then(|r| table_values[r]))
            .collect();
        let distinct = distinct_numeric(&table_values);
        ensure_config!(
            distinct.len() >= 2,
            "auxiliary column {name:?} has fewer than 2 distinct values"
        );
        let categorical = matches!(values, PhenoValues::Categorical(_));
        if categorical || distinct.len() <= MAX_AUX_CLASSES {
            let values = per_subject
                .iter()
                .map(|v| v.map(|x| distinct.iter().position(|d| *d == x).unwrap_or(0) as f64))
                .collect();
            Ok(Self {
                name: name.into(),
                values,
                kind: AuxKind::Classify {
                    classes: distinct.len(),
                },
            })
        } else {
            let known: Vec<f64> = train.iter().filter_map(|&s| per_subject[s]).collect();
            ensure_config!(
                known.len() >= 2,
                "auxiliary column {name:?} has fewer than 2 training values"
            );
            let mean = known.iter().sum::<f64>() / known.len() as f64;
            let sd = (known.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
                / (known.len() - 1) as f64)
                .sqrt()
                .max(1e-12);
            Ok(Self {
                name: name.into(),
                values: per_subject,
                kind: AuxKind::Regress { mean, sd },
            })
        }
    }

    /// Output width of the head.
    pub fn width(&self) -> usize {
        match self.kind {
            AuxKind::Classify { classes } => classes,
            AuxKind::Regress { .. } => 1,
        }
    }
}

/// The selection verdict on one candidate column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuxSelection {
    /// Column name.
    pub name: String,
    /// Spearman correlation with the main class over training subjects.
    pub spearman: Spearman,
    /// Loss weight |ρ| (0 when dropped).
    pub weight: f64,
    /// Whether p < [`AUX_ALPHA`].
    pub kept: bool,
}

/// Spearman selection of `columns` against the main class, over the `train` subjects that
/// have both values.
pub fn select_aux(
    main: &[Option<u32>],
    columns: &[AuxColumn],
    train: &[usize],
) -> Vec<AuxSelection> {
    columns
        .iter()
        .map(|c| {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            for &s in train {
                if let (Some(m), Some(v)) = (main[s], c.values[s]) {
                    x.push(f64::from(m));
                    y.push(v);
                }
            }
            let sp = spearman(&x, &y);
            let kept = sp.p < AUX_ALPHA;
            AuxSelection {
                name: c.name.clone(),
                spearman: sp,
                weight: if kept { sp.rho.abs() } else { 0.0 },
                kept,
            }
        })
        .collect()
}

/// An auxiliary head: Linear–ReLU–Linear from the bottleneck to the column's classes or value.
#[derive(Debug)]
pub struct AuxHead {
    /// The column.
    pub column: AuxColumn,
    /// Loss weight |ρ|.
    pub weight: f64,
    /// Parameters `aux.<name>.{0,1}.*`.
    pub params: ParamStore,
    l1: Linear,
    l2: Linear,
}

impl AuxHead {
    /// A seeded head for `column`.
    pub fn new(
        column: AuxColumn,
        weight: f64,
        d_in: usize,
        hidden: usize,
        device: &Device,
        seed: u64,
    ) -> Result<Self> {
        let mut params = ParamStore::new(device, seed);
        let l1 = Linear::new(&mut params, &format!("aux.{}.0", column.name), d_in, hidden)?;
        let l2 = Linear::new(
            &mut params,
            &format!("aux.{}.1", column.name),
            hidden,
            column.width(),
        )?;
        Ok(Self {
            column,
            weight,
            params,
            l1,
            l2,
        })
    }

    /// Raw outputs `[N, width]` (logits or standardized value).
    pub fn forward(&self, z: &Tensor) -> Result<Tensor> {
        self.l2.forward(&self.l1.forward(z)?.relu()?)
    }

    /// What is fed into the main head: class probabilities or the standardized value.
    pub fn features(&self, out: &Tensor) -> Result<Tensor> {
        match self.column.kind {
            AuxKind::Classify { .. } => Ok(candle_nn::ops::softmax(out, 1)?),
            AuxKind::Regress { .. } => Ok(out.clone()),
        }
    }

    /// The unweighted loss of outputs `out` for the items of `subjects` (one per row) whose
    /// value is known; `None` when no row has one.
    pub fn loss(&self, out: &Tensor, subjects: &[usize]) -> Result<Option<Tensor>> {
        let mut rows = Vec::new();
        let mut targets = Vec::new();
        for (r, &s) in subjects.iter().enumerate() {
            if let Some(v) = self.column.values[s] {
                rows.push(r as u32);
                targets.push(v);
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        let dev = out.device();
        let idx = Tensor::new(rows.as_slice(), dev)?;
        let sel = out.index_select(&idx, 0)?;
        Ok(Some(match self.column.kind {
            AuxKind::Classify { .. } => {
                let t: Vec<u32> = targets.iter().map(|&v| v as u32).collect();
                cross_entropy(&sel, &Tensor::new(t.as_slice(), dev)?)?
            }
            AuxKind::Regress { mean, sd } => {
                let t: Vec<f64> = targets.iter().map(|v| (v - mean) / sd).collect();
                let t = Tensor::new(t.as_slice(), dev)?.to_dtype(DType::F32)?;
                mse(&sel.squeeze(1)?.to_dtype(DType::F32)?, &t)?
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_a_perfect_correlation() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0]),
            vec![3.5, 1.0, 3.5, 2.0]
        );
        let s = spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 25.0, 100.0]);
        assert_eq!((s.rho, s.p), (1.0, 0.0));
        assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).rho.is_nan());
    }
}
