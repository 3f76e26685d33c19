//! NIfTI label maps → per-structure binary masks on a `size³` grid, in two streaming passes
//! (memory holds one label map at a time plus the output masks):
//!
//! 1. every map: per label, the voxel count, centroid and bounding box;
//! 2. every map again: per structure, the mask in a fixed box. A structure whose population
//!    bounding box (union over subjects) fits in `size³` is cropped around its population
//!    centroid (mean of the subjects' centroids), shifted so that the bounding box lies inside:
//!    the mask is the whole structure at the image's own voxel size, so its voxel count is the
//!    volume. A larger one (grey/white matter, CSF) has its population bounding cube resampled
//!    to `size³` by nearest neighbour; the cube is the same for every subject, so the mask's
//!    voxel count stays proportional to the volume (absolute size is kept, not normalised
//!    away as a per-subject box would).
//!
//! Volumes are voxel count × voxel volume (|pixdim₁·pixdim₂·pixdim₃|) of the original image.

use std::path::Path;

use nifti::{IntoNdArray, NiftiObject, ReaderOptions};
use serde::{Deserialize, Serialize};

use super::inputs::{ImageEntry, LabelEntry};
use super::Dataset;
use crate::error::{ensure_config, DeepError, Result};

/// A label map in memory.
#[derive(Debug, Clone)]
pub struct LabelMap {
    /// Grid size (x, y, z).
    pub dims: [usize; 3],
    /// Labels, x fastest: index `x + X·(y + Y·z)`.
    pub labels: Vec<i64>,
    /// Voxel volume in mm³.
    pub voxel_mm3: f64,
}

impl LabelMap {
    /// Label at (x, y, z), 0 outside the grid.
    pub fn at(&self, x: i64, y: i64, z: i64) -> i64 {
        let [dx, dy, dz] = self.dims;
        if x < 0 || y < 0 || z < 0 || x >= dx as i64 || y >= dy as i64 || z >= dz as i64 {
            return 0;
        }
        self.labels[x as usize + dx * (y as usize + dy * z as usize)]
    }
}

/// Reads a 3-D (or 4-D with one volume) NIfTI label map.
pub fn read_label_map(path: &Path) -> Result<LabelMap> {
    let nerr = |message: String| DeepError::Nifti {
        path: path.into(),
        message,
    };
    let obj = ReaderOptions::new()
        .read_file(path)
        .map_err(|e| nerr(e.to_string()))?;
    let pix = obj.header().pixdim;
    let voxel_mm3 = f64::from(pix[1] * pix[2] * pix[3]).abs();
    let arr = obj
        .into_volume()
        .into_ndarray::<f32>()
        .map_err(|e| nerr(e.to_string()))?;
    let shape = arr.shape().to_vec();
    if shape.len() < 3 || shape[3..].iter().any(|&d| d != 1) {
        return Err(nerr(format!(
            "expected a 3-D label map, found dimensions {shape:?}"
        )));
    }
    let dims = [shape[0], shape[1], shape[2]];
    let mut labels = vec![0i64; dims[0] * dims[1] * dims[2]];
    for (idx, &v) in arr.indexed_iter() {
        if v.fract() != 0.0 || !v.is_finite() {
            return Err(nerr(format!(
                "voxel ({}, {}, {}) has non-integer label {v}",
                idx[0], idx[1], idx[2]
            )));
        }
        let (x, y, z) = (idx[0], idx[1], idx[2]);
        labels[x + dims[0] * (y + dims[1] * z)] = v as i64;
    }
    Ok(LabelMap {
        dims,
        labels,
        voxel_mm3: if voxel_mm3 > 0.0 { voxel_mm3 } else { 1.0 },
    })
}

/// How a structure's box is placed, fixed for the whole cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoxSpec {
    /// First voxel of the box (x, y, z).
    pub origin: [i64; 3],
    /// Side of the box in source voxels (= size when cropping, larger when resampling).
    pub side: usize,
}

/// Per-label statistics of pass 1.
#[derive(Debug, Clone, Default)]
struct LabelStats {
    subjects: usize,
    centroid_sum: [f64; 3],
    lo: [i64; 3],
    hi: [i64; 3],
}

/// Boxes of every structure (pass 1).
pub fn plan_boxes(
    images: &[ImageEntry],
    labels: &[LabelEntry],
    size: usize,
    mut progress: impl FnMut(),
) -> Result<Vec<BoxSpec>> {
    let mut stats: Vec<LabelStats> = labels
        .iter()
        .map(|_| LabelStats {
            lo: [i64::MAX; 3],
            hi: [i64::MIN; 3],
            ..Default::default()
        })
        .collect();
    let index: std::collections::HashMap<i64, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.label, i))
        .collect();
    for img in images {
        let map = read_label_map(&img.path)?;
        let k = labels.len();
        let (mut cnt, mut sum) = (vec![0usize; k], vec![[0f64; 3]; k]);
        let [dx, dy, _] = map.dims;
        for (i, &l) in map.labels.iter().enumerate() {
            if let Some(&s) = index.get(&l) {
                let p = [
                    (i % dx) as i64,
                    ((i / dx) % dy) as i64,
                    (i / (dx * dy)) as i64,
                ];
                cnt[s] += 1;
                for a in 0..3 {
                    sum[s][a] += p[a] as f64;
                    stats[s].lo[a] = stats[s].lo[a].min(p[a]);
                    stats[s].hi[a] = stats[s].hi[a].max(p[a]);
                }
            }
        }
        for s in 0..k {
            if cnt[s] > 0 {
                stats[s].subjects += 1;
                for (acc, total) in stats[s].centroid_sum.iter_mut().zip(&sum[s]) {
                    *acc += total / cnt[s] as f64;
                }
            }
        }
        progress();
    }
    let mut boxes = Vec::new();
    for (s, st) in stats.iter().enumerate() {
        ensure_config!(
            st.subjects > 0,
            "structure {} (label {}) occurs in no image",
            labels[s].name,
            labels[s].label
        );
        let extent = (0..3)
            .map(|a| (st.hi[a] - st.lo[a] + 1) as usize)
            .max()
            .unwrap_or(1);
        if extent <= size {
            // Centred on the population centroid, then shifted (if needed) so that every
            // subject's structure lies wholly inside: a cut-off mask would hide part of the
            // volume the target counts.
            let origin = std::array::from_fn(|a| {
                let centred =
                    (st.centroid_sum[a] / st.subjects as f64).round() as i64 - (size / 2) as i64;
                centred.clamp(st.hi[a] + 1 - size as i64, st.lo[a])
            });
            boxes.push(BoxSpec { origin, side: size });
        } else {
            let origin =
                std::array::from_fn(|a| (st.lo[a] + st.hi[a] + 1 - extent as i64).div_euclid(2));
            boxes.push(BoxSpec {
                origin,
                side: extent,
            });
        }
    }
    Ok(boxes)
}

/// The `size³` mask of `label` in `map` inside `bx`, z slowest and x fastest (the tensor
/// layout `[D=z, H=y, W=x]`), and the label's voxel count in the whole map.
pub fn extract(map: &LabelMap, label: i64, bx: &BoxSpec, size: usize, out: &mut Vec<u8>) -> usize {
    let src = |i: usize, a: usize| -> i64 {
        if bx.side == size {
            bx.origin[a] + i as i64
        } else {
            // Centre of output voxel i mapped into the source cube, nearest neighbour.
            bx.origin[a] + (((i as f64 + 0.5) * bx.side as f64 / size as f64).floor() as i64)
        }
    };
    for z in 0..size {
        for y in 0..size {
            for x in 0..size {
                out.push(u8::from(map.at(src(x, 0), src(y, 1), src(z, 2)) == label));
            }
        }
    }
    map.labels.iter().filter(|&&l| l == label).count()
}

/// Builds the dataset: pass 1 plans the boxes (unless `fixed` gives them, e.g. a trained
/// model's, so a new cohort is cut exactly like the training cohort), pass 2 extracts masks
/// and volumes.
pub fn build_dataset(
    images: &[ImageEntry],
    labels: &[LabelEntry],
    size: usize,
    fixed: Option<&[BoxSpec]>,
    mut progress: impl FnMut(),
) -> Result<Dataset> {
    ensure_config!(size >= 4, "mask size {size} is too small");
    let boxes = match fixed {
        Some(b) => {
            ensure_config!(
                b.len() == labels.len(),
                "{} boxes given for {} structures",
                b.len(),
                labels.len()
            );
            b.to_vec()
        }
        None => plan_boxes(images, labels, size, &mut progress)?,
    };
    let mut ds = Dataset {
        size,
        structures: labels.iter().map(|l| l.name.clone()).collect(),
        subjects: images.iter().map(|i| i.iid.clone()).collect(),
        item_subject: Vec::new(),
        item_structure: Vec::new(),
        item_volume: Vec::new(),
        masks: Vec::with_capacity(images.len() * labels.len() * size.pow(3)),
        boxes: Vec::new(),
    };
    for (si, img) in images.iter().enumerate() {
        let map = read_label_map(&img.path)?;
        for (s, l) in labels.iter().enumerate() {
            let count = extract(&map, l.label, &boxes[s], size, &mut ds.masks);
            ds.item_subject.push(si);
            ds.item_structure.push(s as u32);
            ds.item_volume.push(count as f64 * map.voxel_mm3);
        }
        progress();
    }
    ds.boxes = boxes;
    Ok(ds)
}
