//! Segmentation-style reconstruction losses: the generalised (weighted) Dice loss of Sudre et
//! al. 2017 and Dice + true-positive rate. Both read the sigmoid of the logits as the
//! foreground probability of each voxel and return the batch mean of a per-volume loss.

use candle_core::{DType, Tensor, D};

use crate::error::Result;

/// Smoothing of numerator and denominator of the generalised Dice (MONAI's defaults).
pub const GDICE_SMOOTH: f64 = 1e-5;

/// Per-volume sums the losses share: Σp, Σy, Σpy over the voxels of each volume, `[N]` each,
/// and the number of voxels per volume.
fn sums(logits: &Tensor, target: &Tensor) -> Result<(Tensor, Tensor, Tensor, usize)> {
    let p = candle_nn::ops::sigmoid(logits)?.flatten_from(1)?;
    let y = target.flatten_from(1)?;
    let voxels = p.dim(1)?;
    Ok((
        p.sum(D::Minus1)?,
        y.sum(D::Minus1)?,
        p.mul(&y)?.sum(D::Minus1)?,
        voxels,
    ))
}

/// The generalised Dice weights `1/(Σy_l)²` of (foreground, background) per volume; a class
/// absent from the target takes the other class's weight (as MONAI does with infinite
/// weights), so an empty mask still has a defined loss.
pub fn gdice_weights(fg_counts: &[f64], voxels: usize) -> Vec<(f64, f64)> {
    fg_counts
        .iter()
        .map(|&fg| {
            let bg = voxels as f64 - fg;
            let w = |c: f64| if c > 0.0 { 1.0 / (c * c) } else { 0.0 };
            let (wf, wb) = (w(fg), w(bg));
            let max = wf.max(wb);
            (
                if fg > 0.0 { wf } else { max },
                if bg > 0.0 { wb } else { max },
            )
        })
        .collect()
}

/// Generalised Dice loss over the two classes foreground (p, y) and background (1−p, 1−y):
/// `1 − (2 Σ_l w_l Σ p_l y_l + s) / (Σ_l w_l Σ (p_l + y_l) + s)` per volume with
/// `w_l = 1/(Σ y_l)²` and `s` = [`GDICE_SMOOTH`], batch mean. The weights come from the target
/// and are constants for the gradient.
pub fn generalized_dice_loss(logits: &Tensor, target: &Tensor) -> Result<Tensor> {
    let (sp, sy, spy, voxels) = sums(logits, target)?;
    let v = voxels as f64;
    let counts = sy.to_dtype(DType::F64)?.to_vec1::<f64>()?;
    let weights = gdice_weights(&counts, voxels);
    let as_tensor = |f: fn(&(f64, f64)) -> f64| -> Result<Tensor> {
        let values: Vec<f64> = weights.iter().map(f).collect();
        Ok(Tensor::new(values.as_slice(), sp.device())?.to_dtype(sp.dtype())?)
    };
    let (wf, wb) = (as_tensor(|w| w.0)?, as_tensor(|w| w.1)?);
    // Background sums from the foreground ones: Σ(1−p)(1−y) = V − Σp − Σy + Σpy and
    // Σ(1−p) + Σ(1−y) = 2V − Σp − Σy.
    let den_f = (&sp + &sy)?;
    let inter_b = (&spy - &den_f)?.affine(1.0, v)?;
    let den_b = den_f.affine(-1.0, 2.0 * v)?;
    let numer = (spy.mul(&wf)? + inter_b.mul(&wb)?)?.affine(2.0, GDICE_SMOOTH)?;
    let denom = (den_f.mul(&wf)? + den_b.mul(&wb)?)?.affine(1.0, GDICE_SMOOTH)?;
    Ok(numer.div(&denom)?.neg()?.affine(1.0, 1.0)?.mean_all()?)
}

/// Dice + true-positive rate: `(1 − (2Σpy + 1)/(Σp + Σy + 1)) + (1 − (Σpy + 1)/(Σy + 1))` per
/// volume, batch mean. The second term (one minus the soft sensitivity) pushes against
/// missing foreground, which plain Dice tolerates in small structures.
pub fn dice_tpr_loss(logits: &Tensor, target: &Tensor) -> Result<Tensor> {
    let (sp, sy, spy, _) = sums(logits, target)?;
    let dice = spy.affine(2.0, 1.0)?.div(&(&sp + &sy)?.affine(1.0, 1.0)?)?;
    let tpr = spy.affine(1.0, 1.0)?.div(&sy.affine(1.0, 1.0)?)?;
    Ok((dice + tpr)?.neg()?.affine(1.0, 2.0)?.mean_all()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_class_takes_the_other_weight() {
        let w = gdice_weights(&[0.0, 2.0, 8.0], 8);
        assert_eq!(w[0], (1.0 / 64.0, 1.0 / 64.0));
        assert_eq!(w[1], (0.25, 1.0 / 36.0));
        assert_eq!(w[2], (1.0 / 64.0, 1.0 / 64.0));
    }
}
