//! Task losses: reconstruction (binary cross-entropy, soft Dice, or the segmentation losses of
//! [`crate::seg_loss`]), cross-entropy over structures, mean squared error of the standardized
//! volume. All are batch means.

use candle_core::{Tensor, D};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The reconstruction loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ReconLoss {
    /// Voxel-wise binary cross-entropy of the sigmoid output.
    #[default]
    Bce,
    /// 1 − soft Dice per volume, averaged over the batch.
    Dice,
    /// Generalised (class-weighted) Dice over foreground and background (Sudre et al. 2017).
    #[serde(rename = "generalized-dice")]
    GeneralizedDice,
    /// (1 − soft Dice) + (1 − soft true-positive rate).
    #[serde(rename = "dice-tpr")]
    DiceTpr,
}

/// Binary cross-entropy from logits, mean over all voxels, computed stably as
/// max(x, 0) − x·y + log(1 + exp(−|x|)).
pub fn bce_with_logits(logits: &Tensor, target: &Tensor) -> Result<Tensor> {
    let pos = logits.relu()?;
    let log_term = logits.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?;
    Ok((pos - logits.mul(target)?)?.add(&log_term)?.mean_all()?)
}

/// 1 − (2·Σpy + 1) / (Σp + Σy + 1) per volume (p = sigmoid(logits)), batch mean; the +1
/// keeps empty masks defined.
pub fn soft_dice_loss(logits: &Tensor, target: &Tensor) -> Result<Tensor> {
    let p = candle_nn::ops::sigmoid(logits)?.flatten_from(1)?;
    let y = target.flatten_from(1)?;
    let inter = p.mul(&y)?.sum(D::Minus1)?;
    let denom = (p.sum(D::Minus1)? + y.sum(D::Minus1)?)?.affine(1.0, 1.0)?;
    let dice = inter.affine(2.0, 1.0)?.div(&denom)?;
    Ok(dice.neg()?.affine(1.0, 1.0)?.mean_all()?)
}

/// The configured reconstruction loss.
pub fn recon_loss(kind: ReconLoss, logits: &Tensor, target: &Tensor) -> Result<Tensor> {
    match kind {
        ReconLoss::Bce => bce_with_logits(logits, target),
        ReconLoss::Dice => soft_dice_loss(logits, target),
        ReconLoss::GeneralizedDice => crate::seg_loss::generalized_dice_loss(logits, target),
        ReconLoss::DiceTpr => crate::seg_loss::dice_tpr_loss(logits, target),
    }
}

/// Cross-entropy of class logits `[N, K]` against labels `[N]` (u32).
pub fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    Ok(candle_nn::loss::cross_entropy(logits, labels)?)
}

/// Mean squared error.
pub fn mse(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    Ok(pred.sub(target)?.sqr()?.mean_all()?)
}
