//! The strided residual variant of the autoencoder: each encoder level is a strided 3³
//! convolution (stride 2 halves the side, replacing max-pooling) followed by a 3³ convolution
//! whose output is concatenated with its input (the skip), then dropout; the decoder mirrors
//! it with a transposed convolution, a 3³ convolution and the same concatenation. Dropout masks
//! come from a seeded generator that the training step sets, so runs and resumes stay exact;
//! without a seed (evaluation, encoding) dropout is off.

use candle_core::{DType, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::layers::Conv3d;

/// The encoder/decoder design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Architecture {
    /// Conv3d–ReLU–MaxPool3d levels, upsampling decoder (the base model).
    #[default]
    Plain,
    /// Strided convolutions with concatenated skips and dropout.
    StridedResidual,
}

/// One residual step: `d` (already computed by the level's first convolution and ReLU) is
/// followed by `r = ReLU(res(d))`, and the level's output is `[d, r]` along the channels.
pub fn residual_concat(d: &Tensor, res: &Conv3d) -> Result<Tensor> {
    let r = res.forward(d)?.relu()?;
    Ok(Tensor::cat(&[d, &r], 1)?)
}

/// Inverted dropout with probability `p`: each element is zeroed with probability `p` and the
/// others scaled by 1/(1−p); the mask is drawn from `rng`.
pub fn dropout(x: &Tensor, p: f64, rng: &mut ChaCha8Rng) -> Result<Tensor> {
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let keep = 1.0 / (1.0 - p);
    let n = x.elem_count();
    let mask: Vec<f32> = (0..n)
        .map(|_| {
            if rng.random::<f64>() < p {
                0.0
            } else {
                keep as f32
            }
        })
        .collect();
    let mask = Tensor::from_vec(mask, x.dims().to_vec(), x.device())?.to_dtype(x.dtype())?;
    Ok(x.mul(&mask)?)
}

/// The seeded dropout state of a model: `None` means dropout is off.
#[derive(Debug, Default)]
pub struct DropoutState(std::sync::Mutex<Option<ChaCha8Rng>>);

impl DropoutState {
    /// Turns dropout on with masks drawn from `seed`, or off with `None`.
    pub fn set(&self, seed: Option<u64>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = seed.map(ChaCha8Rng::seed_from_u64);
    }

    /// Applies dropout with probability `p` when on.
    pub fn apply(&self, x: &Tensor, p: f64) -> Result<Tensor> {
        match self.0.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some(rng) => dropout(x, p, rng),
            None => Ok(x.clone()),
        }
    }
}

/// Fraction of zeros in a tensor (for tests and logs).
pub fn zero_fraction(x: &Tensor) -> Result<f64> {
    let v = x.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    Ok(v.iter().filter(|&&a| a == 0.0).count() as f64 / v.len().max(1) as f64)
}
