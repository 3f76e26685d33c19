//! Auxiliary information about neighbouring structures, either as input or as output: the
//! masks of other structures of the same subject (e.g. white matter around a hippocampus),
//! resampled into the item's own box, become extra input channels of the encoder, or extra
//! channels the decoder must reconstruct. Batches carry `[structure, context…]` along the
//! channels; the model reads the channels it takes as input and reconstructs those it
//! outputs (see [`crate::model::Model::recon_target`]).

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::data::{Batch, Dataset, VolumeScaler};
use crate::error::{ensure_config, DeepError, Result};

/// Where the context masks go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextMode {
    /// Extra input channels of the encoder.
    Input,
    /// Extra output channels of the decoder (reconstructed beside the structure).
    Output,
}

/// Context structures and their role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextSpec {
    /// Structure names whose masks are the context channels, in channel order.
    pub structures: Vec<String>,
    /// Input or output.
    pub mode: ContextMode,
}

impl ContextSpec {
    /// Checks the spec.
    pub fn validate(&self) -> Result<()> {
        ensure_config!(
            !self.structures.is_empty(),
            "context needs at least one structure"
        );
        Ok(())
    }
}

/// The mask of item `source`'s structure resampled (nearest neighbour) into the box of item
/// `target`'s structure: voxel centres of the target box are mapped through image
/// coordinates into the source box; outside it the mask is 0. Without boxes (a dataset
/// built in memory on one grid) the masks share coordinates.
pub fn resampled_mask(data: &Dataset, source: usize, target: usize) -> Vec<f32> {
    let s = data.size;
    let mask = data.mask(source);
    let (bs, bt) = (
        data.item_structure[source] as usize,
        data.item_structure[target] as usize,
    );
    let (Some(src), Some(dst)) = (data.boxes.get(bs), data.boxes.get(bt)) else {
        return mask.iter().map(|&b| f32::from(b)).collect();
    };
    let map = |i: usize, a: usize| -> Option<usize> {
        // Image coordinate of the target voxel centre, then the source voxel holding it.
        let img = dst.origin[a] as f64 + (i as f64 + 0.5) * dst.side as f64 / s as f64;
        let k = ((img - src.origin[a] as f64) * s as f64 / src.side as f64).floor();
        (k >= 0.0 && k < s as f64).then_some(k as usize)
    };
    let mut out = Vec::with_capacity(s * s * s);
    for z in 0..s {
        for y in 0..s {
            for x in 0..s {
                out.push(match (map(x, 0), map(y, 1), map(z, 2)) {
                    (Some(i), Some(j), Some(k)) => f32::from(mask[(k * s + j) * s + i]),
                    _ => 0.0,
                });
            }
        }
    }
    out
}

/// The batch of `items` with the context channels of `spec` appended to `x` (`[N, 1 + C, S,
/// S, S]`); without a spec the plain batch.
pub fn batch(
    data: &Dataset,
    items: &[usize],
    scaler: &VolumeScaler,
    spec: Option<&ContextSpec>,
    device: &Device,
) -> Result<Batch> {
    let mut b = data.batch(items, scaler, device)?;
    let Some(spec) = spec else { return Ok(b) };
    let structures: Vec<u32> = spec
        .structures
        .iter()
        .map(|name| {
            data.structures
                .iter()
                .position(|s| s == name)
                .map(|p| p as u32)
                .ok_or_else(|| {
                    DeepError::Config(format!(
                        "context structure {name:?} is not among {:?}",
                        data.structures
                    ))
                })
        })
        .collect::<Result<_>>()?;
    // Items of each subject by structure.
    let mut by_subject = std::collections::HashMap::new();
    for i in 0..data.len() {
        by_subject.insert((data.item_subject[i], data.item_structure[i]), i);
    }
    let s = data.size;
    let v = s * s * s;
    let mut ctx = Vec::with_capacity(items.len() * structures.len() * v);
    for &item in items {
        for &c in &structures {
            match by_subject.get(&(data.item_subject[item], c)) {
                Some(&src) => ctx.extend(resampled_mask(data, src, item)),
                None => ctx.extend(std::iter::repeat_n(0.0f32, v)),
            }
        }
    }
    let ctx = Tensor::from_vec(ctx, vec![items.len(), structures.len(), s, s, s], device)?;
    b.x = Tensor::cat(&[&b.x, &ctx], 1)?;
    Ok(b)
}
