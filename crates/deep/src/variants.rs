//! Options of the model variants the founding studies compared, kept apart from the base
//! model so each is one switch of `train`: an L1 sparsity penalty on the bottleneck
//! activations, and the bottleneck activation histogram that shows its effect in the log.
//! (Convex task weighting lives with the other balancers in [`crate::balance`]; the
//! segmentation losses in [`crate::seg_loss`].)

use candle_core::{DType, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{ensure_config, Result};

/// Variant options of a training run; the default is the base model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Variants {
    /// Sparsity: λ of the penalty `λ · mean over the batch of Σⱼ |zⱼ|` on the bottleneck
    /// activations `z` (0: none).
    pub l1: f64,
}

impl Variants {
    /// Checks the options.
    pub fn validate(&self) -> Result<()> {
        ensure_config!(
            self.l1.is_finite() && self.l1 >= 0.0,
            "the L1 penalty must be finite and ≥ 0, got {}",
            self.l1
        );
        Ok(())
    }
}

/// The unscaled L1 penalty of bottleneck vectors `[N, d]`: mean over rows of Σⱼ |zⱼ|.
pub fn l1_penalty(z: &Tensor) -> Result<Tensor> {
    let n = z.dim(0)?.max(1) as f64;
    Ok(z.abs()?.sum_all()?.affine(1.0 / n, 0.0)?)
}

/// `∂(λ·l1_penalty)/∂z` for bottleneck vectors `z` (computed by autograd on a detached copy,
/// so it is exactly the gradient of [`l1_penalty`]), and the penalty's value.
pub fn l1_gradient(z: &Tensor, lambda: f64) -> Result<(Tensor, f64)> {
    let leaf = candle_core::Var::from_tensor(&z.detach())?;
    let penalty = l1_penalty(leaf.as_tensor())?;
    let value = penalty.to_dtype(DType::F64)?.to_scalar::<f64>()?;
    let grads = penalty.affine(lambda, 0.0)?.backward()?;
    let g = grads
        .get(leaf.as_tensor())
        .cloned()
        .unwrap_or(leaf.as_tensor().zeros_like()?);
    Ok((g, value))
}

/// Distribution of the bottleneck activations over a set of items, for the training log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ActivationHistogram {
    /// Bin edges (`counts.len() + 1` of them), symmetric around 0 up to the largest |z|.
    pub edges: Vec<f64>,
    /// Activations per bin (the last bin includes its right edge).
    pub counts: Vec<u64>,
    /// Mean |z|.
    pub mean_abs: f64,
    /// Fraction of activations with |z| < 0.01 (near zero: what the L1 penalty favours).
    pub near_zero: f64,
}

/// Number of histogram bins.
pub const HISTOGRAM_BINS: usize = 20;

impl ActivationHistogram {
    /// The histogram of `values` in [`HISTOGRAM_BINS`] equal bins over `[-m, m]`, m = max |z|.
    pub fn of(values: &[f32]) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        let m = values
            .iter()
            .fold(0f64, |a, &v| a.max(f64::from(v).abs()))
            .max(1e-12);
        let width = 2.0 * m / HISTOGRAM_BINS as f64;
        let edges = (0..=HISTOGRAM_BINS)
            .map(|i| -m + width * i as f64)
            .collect();
        let mut counts = vec![0u64; HISTOGRAM_BINS];
        let (mut abs_sum, mut near) = (0.0, 0usize);
        for &v in values {
            let v = f64::from(v);
            let bin = (((v + m) / width).floor() as usize).min(HISTOGRAM_BINS - 1);
            counts[bin] += 1;
            abs_sum += v.abs();
            near += usize::from(v.abs() < 0.01);
        }
        let n = values.len() as f64;
        Self {
            edges,
            counts,
            mean_abs: abs_sum / n,
            near_zero: near as f64 / n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn l1_penalty_and_gradient_by_hand() {
        let z = Tensor::new(&[[1.0f64, -2.0, 0.5], [-0.25, 3.0, -1.0]], &Device::Cpu).unwrap();
        let p = l1_penalty(&z).unwrap().to_scalar::<f64>().unwrap();
        // (1 + 2 + 0.5 + 0.25 + 3 + 1) / 2
        assert!((p - 3.875).abs() < 1e-12);
        let (g, v) = l1_gradient(&z, 0.4).unwrap();
        assert!((v - 3.875).abs() < 1e-12);
        // λ·sign(z)/N = ±0.2
        assert_eq!(
            g.to_vec2::<f64>().unwrap(),
            vec![vec![0.2, -0.2, 0.2], vec![-0.2, 0.2, -0.2]]
        );
    }

    #[test]
    fn histogram_counts_every_value() {
        let h = ActivationHistogram::of(&[-1.0, -0.5, 0.0, 0.005, 0.5, 1.0]);
        assert_eq!(h.counts.iter().sum::<u64>(), 6);
        assert_eq!(h.edges.len(), HISTOGRAM_BINS + 1);
        assert!((h.edges[0] + 1.0).abs() < 1e-12 && (h.edges[HISTOGRAM_BINS] - 1.0).abs() < 1e-12);
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[HISTOGRAM_BINS - 1], 1);
        // 0 and 0.005 fall into the bin [0, 0.1)
        assert_eq!(h.counts[HISTOGRAM_BINS / 2], 2);
        assert!((h.near_zero - 2.0 / 6.0).abs() < 1e-12);
        assert!((h.mean_abs - 3.005 / 6.0).abs() < 1e-9);
        assert!(Variants { l1: -1.0 }.validate().is_err());
    }
}
