//! `biomarker-gwas encode`: bottleneck features of every subject × structure.

mod sample;

use std::path::PathBuf;

use anyhow::Context;
use biomarker_deep::device::parse_device;
use biomarker_deep::encode::{encode, encode_layer, load_model, Layer};
use biomarker_tables::TableKind;
use clap::Args;

use super::train::DataArgs;
use crate::progress::bar;
use crate::run_manifest;

/// Options of `encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// A `train` output folder (model.safetensors + model.json).
    #[arg(long)]
    pub model: PathBuf,
    /// Output FeatureTable (.tsv or .parquet); a manifest.json is written beside it. With a
    /// cross-stitch model these are the main task's bottleneck (the encoder the decoder reads).
    #[arg(long)]
    pub out: PathBuf,
    /// Cross-stitch models only: also write the auxiliary heads' bottleneck (the second
    /// encoder's, layer `bottleneck.aux`) to this FeatureTable.
    #[arg(long)]
    pub aux_out: Option<PathBuf>,
    /// Input data (the mask size must match the model's).
    #[command(flatten)]
    pub data: DataArgs,
    /// Items per batch.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Also write a t-SNE view of the features (per structure, columns tsne_1 tsne_2) to this
    /// FeatureTable, for `report --latent` (coloured by any column via --diagnosis-column).
    #[arg(long)]
    pub tsne: Option<PathBuf>,
    /// Perplexity of the t-SNE view (lowered to (n − 1)/3 for small structures).
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f64,
    /// Most subjects per structure in the t-SNE view (exact t-SNE costs O(n²) per iteration):
    /// larger structures keep this many rows, evenly spaced in the manifest's order.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(4..))]
    pub tsne_max_subjects: u64,
}

/// Runs `encode`.
pub fn run(args: EncodeArgs) -> anyhow::Result<()> {
    let dir = args
        .out
        .parent()
        .map(PathBuf::from)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let params = serde_json::json!({ "model": args.model, "size": args.data.size, "device": args.data.device, "batch_size": args.batch_size, "tsne": args.tsne, "perplexity": args.perplexity, "tsne_max_subjects": args.tsne_max_subjects });
    let mut manifest = run_manifest::start("encode", params);
    manifest.add_input(&args.model.join("model.safetensors"))?;
    let device = parse_device(&args.data.device)?;
    let loaded = load_model(&args.model, &device)?;
    anyhow::ensure!(
        args.aux_out.is_none() || loaded.model.stitch.is_some(),
        "--aux-out: {} has one shared bottleneck (hard sharing); only a cross-stitch model has an auxiliary one",
        args.model.display()
    );
    let fixed = (!loaded.card.boxes.is_empty()).then_some(loaded.card.boxes.as_slice());
    let data = args.data.load(&dir, fixed, &mut manifest)?;
    let pb = bar(data.len() as u64, "masks");
    let table = manifest.time("encode", || {
        encode(&loaded, &data, None, args.batch_size, |done| {
            pb.set_position(done as u64)
        })
    })?;
    pb.finish_and_clear();
    table.write(&args.out)?;
    manifest.add_output(&args.out)?;
    if let Some(path) = &args.aux_out {
        let aux = manifest.time("encode auxiliary bottleneck", || {
            encode_layer(&loaded, &data, None, args.batch_size, Layer::Aux, |_| {})
        })?;
        aux.write(path)?;
        manifest.add_output(path)?;
    }
    if let Some(path) = &args.tsne {
        let options = biomarker_deep::latent::TsneOptions {
            perplexity: args.perplexity,
            ..Default::default()
        };
        let (subset, cut) = sample::subsample(&table, args.tsne_max_subjects as usize);
        if cut {
            tracing::info!(
                max = args.tsne_max_subjects,
                "t-SNE of at most {} subjects per structure",
                args.tsne_max_subjects
            );
        }
        let view = manifest.time("t-SNE", || sample::tsne_view(&subset, options))?;
        view.write(path)?;
        manifest.add_output(path)?;
    }
    manifest.summary = serde_json::json!({ "rows": table.n_rows(), "features": table.feature_names.len(), "checkpoint_sha256": loaded.sha256 });
    let mname = format!(
        "{}.manifest.json",
        args.out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    );
    manifest.write(&dir.join(mname))?;
    println!(
        "wrote {} rows × {} features to {}",
        table.n_rows(),
        table.feature_names.len(),
        args.out.display()
    );
    Ok(())
}
