//! Feature extraction: the bottleneck vector of every subject × structure, batched, into a
//! FeatureTable whose metadata names the checkpoint (SHA-256 of the weights file) and layer.
//! A cross-stitch model has two bottlenecks: the main task's (encoder A, which the decoder
//! reads; layer `bottleneck`) is what [`encode`] writes, the auxiliary heads' (encoder B; layer
//! `bottleneck.aux`) is available through [`encode_layer`].

use std::path::Path;

use biomarker_tables::kinds::feature::{META_CHECKPOINT, META_LAYER};
use biomarker_tables::{FeatureTable, FileDigest, SampleId};
use candle_core::{DType, Device};

use crate::data::Dataset;
use crate::error::{DeepError, Result};
use crate::model::Model;
use crate::train::ModelCard;

/// A trained model loaded for inference.
#[derive(Debug)]
pub struct LoadedModel {
    /// The network with the trained weights.
    pub model: Model,
    /// Its description.
    pub card: ModelCard,
    /// SHA-256 of the weights file.
    pub sha256: String,
}

/// Loads `model.safetensors` and `model.json` from a training output folder.
pub fn load_model(dir: &Path, device: &Device) -> Result<LoadedModel> {
    let weights = dir.join("model.safetensors");
    let card_path = dir.join("model.json");
    let text = std::fs::read_to_string(&card_path).map_err(|e| DeepError::io(&card_path, e))?;
    let card: ModelCard = serde_json::from_str(&text).map_err(|e| DeepError::Checkpoint {
        path: card_path.clone(),
        message: e.to_string(),
    })?;
    let model = Model::new(card.model.clone(), device, 0)?;
    model.params.load(&weights)?;
    let sha256 = FileDigest::of(&weights)?.sha256;
    Ok(LoadedModel {
        model,
        card,
        sha256,
    })
}

/// Which bottleneck [`encode_layer`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// The bottleneck the decoder reads (the only one with hard sharing).
    Main,
    /// A cross-stitch model's auxiliary heads' bottleneck (encoder B).
    Aux,
}

/// Bottleneck features of `items` (all items when `None`), in batches of `batch_size`;
/// `progress` is called with the number of items done after each batch. With cross-stitch
/// sharing these are the main task's (encoder A's).
pub fn encode(
    loaded: &LoadedModel,
    data: &Dataset,
    items: Option<&[usize]>,
    batch_size: usize,
    progress: impl FnMut(usize),
) -> Result<FeatureTable> {
    encode_layer(loaded, data, items, batch_size, Layer::Main, progress)
}

/// [`encode`] for the chosen bottleneck; [`Layer::Aux`] needs a cross-stitch model.
pub fn encode_layer(
    loaded: &LoadedModel,
    data: &Dataset,
    items: Option<&[usize]>,
    batch_size: usize,
    layer: Layer,
    mut progress: impl FnMut(usize),
) -> Result<FeatureTable> {
    if layer == Layer::Aux && loaded.model.stitch.is_none() {
        return Err(DeepError::Config(
            "the model has one shared bottleneck (hard sharing): there is no auxiliary bottleneck to encode".into(),
        ));
    }
    if data.size != loaded.card.model.size {
        return Err(DeepError::Config(format!(
            "masks are {}³ but the model was trained on {}³",
            data.size, loaded.card.model.size
        )));
    }
    if data.structures != loaded.card.structures {
        return Err(DeepError::Config(format!(
            "structures {:?} differ from the model's {:?}",
            data.structures, loaded.card.structures
        )));
    }
    let all: Vec<usize> = (0..data.len()).collect();
    let items = items.unwrap_or(&all);
    let d = loaded.card.model.bottleneck;
    let mut table = FeatureTable::new((0..d).map(|k| format!("z_{k}")).collect());
    table
        .metadata
        .insert(META_CHECKPOINT.into(), loaded.sha256.clone());
    table.metadata.insert(
        META_LAYER.into(),
        match layer {
            Layer::Main => "bottleneck",
            Layer::Aux => "bottleneck.aux",
        }
        .into(),
    );
    let device = loaded.model.device().clone();
    let mut done = 0;
    for chunk in items.chunks(batch_size.max(1)) {
        let context = loaded.card.model.context.as_ref();
        let batch = crate::context::batch(data, chunk, &loaded.card.scaler, context, &device)?;
        let z = match layer {
            Layer::Main => loaded.model.encode(&batch.x)?,
            Layer::Aux => {
                let (_, aux) = loaded.model.encode_both(&batch.x)?;
                aux.ok_or_else(|| DeepError::Config("no auxiliary bottleneck".into()))?
            }
        }
        .to_dtype(DType::F64)?
        .to_vec2::<f64>()?;
        for (&i, row) in chunk.iter().zip(&z) {
            let sample = SampleId {
                fid: None,
                iid: data.subjects[data.item_subject[i]].clone(),
            };
            table.push(
                sample,
                data.structures[data.item_structure[i] as usize].clone(),
                row,
            );
        }
        done += chunk.len();
        progress(done);
    }
    Ok(table)
}
