//! The preprocessed dataset on disk, so epochs, reruns and the experiment grid do not re-read
//! the NIfTI files. The file name carries a SHA-256 of everything the masks depend on (size,
//! label table, each image's IID, path, length and modification time), so a changed input
//! misses the cache instead of reusing stale tensors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::inputs::{ImageEntry, LabelEntry};
use super::prep::{build_dataset, BoxSpec};
use super::Dataset;
use crate::error::{DeepError, Result};
use crate::train::save_tensors_atomic;

/// Bumped whenever preprocessing changes meaning.
const FORMAT: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
struct CacheMeta {
    format: u32,
    size: usize,
    subjects: Vec<String>,
    structures: Vec<String>,
    boxes: Vec<BoxSpec>,
}

/// Hex SHA-256 of the inputs that determine the masks.
pub fn cache_key(
    images: &[ImageEntry],
    labels: &[LabelEntry],
    size: usize,
    fixed: Option<&[BoxSpec]>,
) -> Result<String> {
    let mut h = Sha256::new();
    h.update(format!("format {FORMAT} size {size}\n"));
    for l in labels {
        h.update(format!("label {} {}\n", l.label, l.name));
    }
    for b in fixed.unwrap_or_default() {
        h.update(format!("box {:?} {}\n", b.origin, b.side));
    }
    for img in images {
        let md = std::fs::metadata(&img.path).map_err(|e| DeepError::io(&img.path, e))?;
        let mtime = md
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        h.update(format!(
            "image {} {} {} {mtime}\n",
            img.iid,
            img.path.display(),
            md.len()
        ));
    }
    Ok(biomarker_tables::kinds::manifest::hex(&h.finalize()))
}

/// Paths of the cached tensors and their description for a key.
fn paths(dir: &Path, key: &str) -> (PathBuf, PathBuf) {
    let stem = format!("masks-{}", &key[..16]);
    (
        dir.join(format!("{stem}.safetensors")),
        dir.join(format!("{stem}.json")),
    )
}

/// Loads the dataset from `dir` if cached, else builds it (with the `fixed` boxes if given;
/// `progress` is called per image and pass) and caches it. Returns whether the cache was hit.
pub fn load_or_build(
    images: &[ImageEntry],
    labels: &[LabelEntry],
    size: usize,
    fixed: Option<&[BoxSpec]>,
    dir: &Path,
    progress: impl FnMut(),
) -> Result<(Dataset, bool)> {
    let key = cache_key(images, labels, size, fixed)?;
    let (tensors, meta_path) = paths(dir, &key);
    if tensors.exists() && meta_path.exists() {
        return Ok((read(&tensors, &meta_path)?, true));
    }
    let ds = build_dataset(images, labels, size, fixed, progress)?;
    std::fs::create_dir_all(dir).map_err(|e| DeepError::io(dir, e))?;
    write(&ds, &ds.boxes, &tensors, &meta_path)?;
    Ok((ds, false))
}

fn write(ds: &Dataset, boxes: &[BoxSpec], tensors: &Path, meta_path: &Path) -> Result<()> {
    let dev = Device::Cpu;
    let m = ds.len();
    let mut map = HashMap::new();
    map.insert(
        "masks".to_string(),
        Tensor::from_vec(ds.masks.clone(), vec![m, ds.voxels()], &dev)?,
    );
    map.insert(
        "subject".to_string(),
        Tensor::from_vec(
            ds.item_subject
                .iter()
                .map(|&s| s as u32)
                .collect::<Vec<_>>(),
            m,
            &dev,
        )?,
    );
    map.insert(
        "structure".to_string(),
        Tensor::from_vec(ds.item_structure.clone(), m, &dev)?,
    );
    map.insert(
        "volume".to_string(),
        Tensor::from_vec(ds.item_volume.clone(), m, &dev)?,
    );
    save_tensors_atomic(&map, tensors)?;
    let meta = CacheMeta {
        format: FORMAT,
        size: ds.size,
        subjects: ds.subjects.clone(),
        structures: ds.structures.clone(),
        boxes: boxes.to_vec(),
    };
    biomarker_tables::atomic::write_atomic(meta_path, |w| {
        serde_json::to_writer(&mut *w, &meta)?;
        w.write_all(b"\n")
    })?;
    Ok(())
}

fn read(tensors: &Path, meta_path: &Path) -> Result<Dataset> {
    let bad = |message: String| DeepError::Checkpoint {
        path: tensors.into(),
        message,
    };
    let text = std::fs::read_to_string(meta_path).map_err(|e| DeepError::io(meta_path, e))?;
    let meta: CacheMeta = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let map = candle_core::safetensors::load(tensors, &Device::Cpu)?;
    let get = |k: &str| {
        map.get(k)
            .ok_or_else(|| bad(format!("tensor {k:?} is missing")))
    };
    let ds = Dataset {
        size: meta.size,
        structures: meta.structures,
        subjects: meta.subjects,
        item_subject: get("subject")?
            .to_vec1::<u32>()?
            .into_iter()
            .map(|s| s as usize)
            .collect(),
        item_structure: get("structure")?.to_vec1::<u32>()?,
        item_volume: get("volume")?.to_vec1::<f64>()?,
        masks: get("masks")?.flatten_all()?.to_vec1::<u8>()?,
        boxes: meta.boxes,
    };
    if ds.masks.len() != ds.len() * ds.voxels() {
        return Err(bad("mask tensor does not match the item count".into()));
    }
    Ok(ds)
}
