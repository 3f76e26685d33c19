//! Soft parameter sharing by cross-stitch units (Misra et al. 2016, "Cross-stitch networks
//! for multi-task learning"), the alternative to hard sharing at the bottleneck.
//!
//! Two encoders of the same architecture run side by side: encoder A for the main task
//! (reconstruction; the decoder reads its bottleneck, and `encode` writes it) and encoder B for
//! the auxiliary heads (structure class, volume). After each encoder level a cross-stitch unit
//! mixes their activations per channel `c`:
//!
//! ```text
//! [x_A'; x_B'] = [[a_AA, a_AB], [a_BA, a_BB]]_c · [x_A; x_B]
//! ```
//!
//! with one learnable 2×2 matrix per channel, initialised to `[[1−s, s], [s, 1−s]]`
//! (s = 0.1 by default). Encoder B's parameters are named `enc.b.*` (its bottleneck
//! `enc.b.bottleneck.*`) and the units' `enc.stitch.{level}.alpha` (shape `[2, 2, C]`, entry
//! `[i, j, c]` = `a_ij` of channel c), so everything encoder A's bottleneck depends on counts as
//! encoder for transfer learning. They are created after all of the hard model's parameters, so
//! encoder A, the decoder and the heads start from the same values as the hard model of the
//! same seed.

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::{ensure_config, Result};
use crate::layers::{Conv3d, Linear};
use crate::params::ParamStore;

/// How the tasks share the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Sharing {
    /// One encoder and one bottleneck shared by every task (the base model).
    #[default]
    Hard,
    /// Two task-specific encoders joined by cross-stitch units after each level.
    CrossStitch {
        /// Initial off-diagonal weight `s` of every unit (the diagonal starts at `1 − s`).
        off_diagonal: f64,
    },
}

impl Sharing {
    /// Cross-stitch sharing with the study's initialisation `[[0.9, 0.1], [0.1, 0.9]]`.
    pub const CROSS_STITCH: Sharing = Sharing::CrossStitch { off_diagonal: 0.1 };

    /// True for hard sharing (so model descriptions of the base model stay as they were).
    pub fn is_hard(&self) -> bool {
        *self == Sharing::Hard
    }

    /// Checks the initialisation.
    pub fn validate(&self) -> Result<()> {
        if let Sharing::CrossStitch { off_diagonal } = *self {
            ensure_config!(
                (0.0..=1.0).contains(&off_diagonal),
                "the cross-stitch off-diagonal initialisation must be in [0, 1], got {off_diagonal}"
            );
        }
        Ok(())
    }
}

/// The cross-stitch operation: `alpha` is `[2, 2, C]`, `a` and `b` are `[N, C, …]`; returns
/// `(a_AA·a + a_AB·b, a_BA·a + a_BB·b)` per channel. Differentiable in all three inputs.
pub fn cross_stitch(a: &Tensor, b: &Tensor, alpha: &Tensor) -> Result<(Tensor, Tensor)> {
    let c = alpha.dim(2)?;
    ensure_config!(
        alpha.dims()[..2] == [2, 2] && a.dim(1)? == c && a.dims() == b.dims(),
        "cross-stitch: alpha {:?} does not fit activations {:?} and {:?}",
        alpha.dims(),
        a.dims(),
        b.dims()
    );
    // [C] → [1, C, 1, …] so it broadcasts over the batch and the spatial axes.
    let mut shape = vec![1usize; a.rank()];
    shape[1] = c;
    let w = |i: usize, j: usize| -> Result<Tensor> {
        Ok(alpha
            .narrow(0, i, 1)?
            .narrow(1, j, 1)?
            .reshape(shape.clone())?)
    };
    let a2 = (a.broadcast_mul(&w(0, 0)?)? + b.broadcast_mul(&w(0, 1)?)?)?;
    let b2 = (a.broadcast_mul(&w(1, 0)?)? + b.broadcast_mul(&w(1, 1)?)?)?;
    Ok((a2, b2))
}

/// One cross-stitch unit: its learnable `[2, 2, C]` mixing weights.
#[derive(Debug, Clone)]
pub struct CrossStitch {
    /// `alpha[i, j, c]` = `a_ij` of channel c (i, j: 0 = A, 1 = B).
    pub alpha: Tensor,
}

impl CrossStitch {
    /// Registers `{name}.alpha` for `channels` channels, initialised to
    /// `[[1−s, s], [s, 1−s]]` in every channel.
    pub fn new(
        ps: &mut ParamStore,
        name: &str,
        channels: usize,
        off_diagonal: f64,
    ) -> Result<Self> {
        let (d, s) = ((1.0 - off_diagonal) as f32, off_diagonal as f32);
        let mut v = Vec::with_capacity(4 * channels);
        for x in [d, s, s, d] {
            v.extend(std::iter::repeat_n(x, channels));
        }
        let value = Tensor::from_vec(v, (2, 2, channels), ps.device())?;
        let alpha = ps.insert(&format!("{name}.alpha"), value)?;
        Ok(Self { alpha })
    }

    /// Mixes the two encoders' activations.
    pub fn forward(&self, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
        cross_stitch(a, b, &self.alpha)
    }
}

/// Encoder B and the cross-stitch units of a cross-stitch model.
#[derive(Debug)]
pub struct StitchBranch {
    /// Encoder B's level convolutions (`enc.b.{i}`).
    pub enc: Vec<Conv3d>,
    /// Encoder B's residual convolutions (`enc.b.res.{i}`; strided residual variant only).
    pub enc_res: Vec<Conv3d>,
    /// Encoder B's last convolution (`enc.b.last`).
    pub enc_last: Conv3d,
    /// Encoder B's bottleneck (`enc.b.bottleneck`), read by the auxiliary heads.
    pub bottleneck: Linear,
    /// One unit per encoder level (`enc.stitch.{i}`).
    pub units: Vec<CrossStitch>,
}
