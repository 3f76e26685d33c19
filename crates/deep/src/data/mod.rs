//! Training data: per-subject, per-structure binary masks on a fixed `size³` grid with the
//! structure's label and standardized volume, a subject-level split, and batches as tensors.
//!
//! - [`inputs`]: the manifest (`IID path`) and label table (`label name`) readers;
//! - [`prep`]: NIfTI label maps → cropped or resampled masks and voxel-count volumes;
//! - [`cache`]: the preprocessed dataset saved as safetensors, keyed by a hash of the inputs.

pub mod cache;
pub mod inputs;
pub mod prep;

use candle_core::{Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{ensure_config, Result};

/// Which part of the data a subject belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Used for gradient steps.
    Train,
    /// Used for early stopping.
    Val,
    /// Held out for the final metrics.
    Test,
}

/// Volume scaling fitted on the training split, on `ln(1 + volume mm³)`, per structure.
///
/// The regression target is each item's log volume as a z-score within its own structure, so
/// the head must learn how large this subject's structure is, not which structure it is (a
/// pooled target is explained almost entirely by the differences between structures, which
/// the classifier already captures, and left the subject-level signal unlearned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeScaler {
    /// Mean log volume per structure.
    pub mean: Vec<f64>,
    /// SD of the log volume per structure (1 where it would be 0).
    pub sd: Vec<f64>,
}

impl VolumeScaler {
    /// Training target for a volume in mm³ of structure `s` (z-score of the log volume).
    pub fn standardize(&self, s: usize, volume: f64) -> f64 {
        (volume.ln_1p() - self.mean[s]) / self.sd[s]
    }

    /// Back from a target of structure `s` to mm³.
    pub fn unstandardize(&self, s: usize, z: f64) -> f64 {
        (z * self.sd[s] + self.mean[s]).exp_m1()
    }
}

/// All items of a cohort in memory.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Side of the cubic masks.
    pub size: usize,
    /// Structure names, indexed by class label.
    pub structures: Vec<String>,
    /// Subject IIDs.
    pub subjects: Vec<String>,
    /// Subject index of each item.
    pub item_subject: Vec<usize>,
    /// Structure index (class label) of each item.
    pub item_structure: Vec<u32>,
    /// Volume in mm³ of each item (from the original image).
    pub item_volume: Vec<f64>,
    /// Masks, `items × size³`, values 0/1.
    pub masks: Vec<u8>,
    /// The box of each structure in the source images (empty for data not read from images).
    pub boxes: Vec<prep::BoxSpec>,
}

/// One batch on a device.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Masks `[N, 1, S, S, S]` (f32 0/1).
    pub x: Tensor,
    /// Class labels `[N]` (u32).
    pub labels: Tensor,
    /// Log volumes as z-scores within each item's structure `[N]` (f32).
    pub volumes: Tensor,
}

impl Dataset {
    /// Number of items (subject × structure).
    pub fn len(&self) -> usize {
        self.item_subject.len()
    }

    /// True when there are no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Voxels per mask.
    pub fn voxels(&self) -> usize {
        self.size.pow(3)
    }

    /// The mask of item `i`.
    pub fn mask(&self, i: usize) -> &[u8] {
        &self.masks[i * self.voxels()..(i + 1) * self.voxels()]
    }

    /// Seeded subject-level split with fractions `val` and `test` (the rest trains): subjects
    /// are shuffled once, so no subject is in two parts.
    pub fn split(&self, val: f64, test: f64, seed: u64) -> Result<Vec<Split>> {
        ensure_config!(
            (0.0..1.0).contains(&val) && (0.0..1.0).contains(&test) && val + test < 1.0,
            "validation and test fractions must be in [0, 1) and sum below 1 (got {val}, {test})"
        );
        let n = self.subjects.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let n_test = ((n as f64) * test).round() as usize;
        let n_val = ((n as f64) * val).round() as usize;
        ensure_config!(
            n_test + n_val < n,
            "{n} subjects are too few for the requested split"
        );
        let mut split = vec![Split::Train; n];
        for (rank, &s) in order.iter().enumerate() {
            split[s] = if rank < n_test {
                Split::Test
            } else if rank < n_test + n_val {
                Split::Val
            } else {
                Split::Train
            };
        }
        Ok(split)
    }

    /// Items whose subject is in `part`.
    pub fn items_in(&self, split: &[Split], part: Split) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| split[self.item_subject[i]] == part)
            .collect()
    }

    /// Per-structure log-volume scaling fitted on `items` (the training items).
    pub fn volume_scaler(&self, items: &[usize]) -> VolumeScaler {
        let k = self.structures.len();
        let mut per: Vec<Vec<f64>> = vec![Vec::new(); k];
        for &i in items {
            per[self.item_structure[i] as usize].push(self.item_volume[i].ln_1p());
        }
        let (mean, sd) = per.iter().map(|v| mean_sd(v)).unzip();
        VolumeScaler { mean, sd }
    }

    /// The batch of `items` on `device`.
    pub fn batch(&self, items: &[usize], scaler: &VolumeScaler, device: &Device) -> Result<Batch> {
        let v = self.voxels();
        let mut x = Vec::with_capacity(items.len() * v);
        for &i in items {
            x.extend(self.mask(i).iter().map(|&b| f32::from(b)));
        }
        let s = self.size;
        let labels: Vec<u32> = items.iter().map(|&i| self.item_structure[i]).collect();
        let volumes: Vec<f32> = items
            .iter()
            .map(|&i| {
                scaler.standardize(self.item_structure[i] as usize, self.item_volume[i]) as f32
            })
            .collect();
        let n = items.len();
        Ok(Batch {
            x: Tensor::from_vec(x, vec![n, 1, s, s, s], device)?,
            labels: Tensor::from_vec(labels, n, device)?,
            volumes: Tensor::from_vec(volumes, n, device)?,
        })
    }
}

/// Mean and sample SD (SD 1 where there is no spread, so scaling stays finite).
fn mean_sd(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 1.0);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, if var > 1e-12 { var.sqrt() } else { 1.0 })
}
