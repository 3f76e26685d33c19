//! The model-variant options of `train` (and of every `experiment` grid row): sparsity,
//! transfer learning with auxiliary clinical heads, and the other switches of the founding studies' comparisons, kept apart
//! from the base options.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use biomarker_deep::aux_tasks::{select_aux, AuxColumn, AuxHead, AuxSelection};
use biomarker_deep::context::{ContextMode, ContextSpec};
use biomarker_deep::cross_stitch::Sharing;
use biomarker_deep::data::Split;
use biomarker_deep::device::parse_device;
use biomarker_deep::model::{Model, ModelConfig};
use biomarker_deep::optim::AdamWConfig;
use biomarker_deep::residual::Architecture;
use biomarker_deep::train::ModelCard;
use biomarker_deep::transfer::{
    class_labels, fit_transfer, init_encoder, TransferConfig, TransferTrainer,
};
use biomarker_deep::variants::Variants;
use clap::Args;

use super::train::{load_and_split, write_split, ModelArgs, TrainArgs};
use crate::progress::bar;
use crate::run_manifest;

/// Variant options of the model.
#[derive(Debug, Clone, Args)]
pub struct VariantArgs {
    /// Sparsity: λ of an L1 penalty λ·mean over the batch of Σ|z| on the bottleneck
    /// activations z (0: none). The log's validation entries carry the activation histogram.
    #[arg(long, default_value_t = 0.0)]
    pub l1: f64,
    /// Encoder/decoder design: plain (Conv3d–ReLU–MaxPool3d levels) or strided-residual
    /// (strided convolutions, concatenated skips, dropout).
    #[arg(long, value_enum, default_value_t = ArchitectureArg::Plain)]
    pub architecture: ArchitectureArg,
    /// Dropout probability after each level of the strided residual architecture.
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f64,
    /// Parameter sharing between the main task (reconstruction) and the auxiliary heads
    /// (class, volume): hard (one encoder, one shared bottleneck) or cross-stitch (two
    /// encoders of the same design whose activations are mixed per channel by learnable 2×2
    /// cross-stitch units after each level; the decoder reads the first encoder's bottleneck,
    /// the heads the second's, and `encode` writes the first's). With --head-target and
    /// --init-encoder, cross-stitch turns a hard pretrained encoder into both encoders.
    #[arg(long, value_enum, default_value_t = SharingArg::Hard)]
    pub sharing: SharingArg,
    /// Initial off-diagonal weight s of the cross-stitch units, [[1−s, s], [s, 1−s]] per
    /// channel (with --sharing cross-stitch; 0 starts with independent encoders).
    #[arg(long, default_value_t = 0.1)]
    pub stitch_init: f64,
    /// Auxiliary information: other structures whose masks (resampled into each item's box)
    /// are given to the model, comma separated (e.g. `white_matter`); see --context-mode.
    #[arg(long, value_delimiter = ',')]
    pub context_structures: Vec<String>,
    /// Where the --context-structures go: extra input channels of the encoder, or extra output
    /// channels the decoder reconstructs.
    #[arg(long, value_enum, default_value_t = ContextModeArg::Input)]
    pub context_mode: ContextModeArg,
    /// Transfer learning: train a classifier head for this subject column (binary or
    /// multiclass, e.g. `diagnosis` or `ad_vs_cn`) on the encoder instead of the autoencoder
    /// tasks. Writes transfer_log.jsonl, head.safetensors, model.safetensors (the encoder,
    /// fine-tuned) and test_metrics.json (AUC, accuracy, sensitivity, specificity over test
    /// subjects).
    #[arg(long)]
    pub head_target: Option<String>,
    /// Phenotype table holding the --head-target column, and for `experiment` the AD vs CN
    /// column of its cross-validated AUC (default: phenotypes.tsv of --sim-dir).
    #[arg(long)]
    pub pheno: Option<PathBuf>,
    /// Pretrained encoder: a `train` output folder, its model.safetensors or an epoch
    /// checkpoint; the architecture comes from the folder's model.json (--feature-maps,
    /// --bottleneck and --size must not contradict it).
    #[arg(long, requires = "head_target")]
    pub init_encoder: Option<PathBuf>,
    /// Epochs with the encoder frozen before it is fine-tuned together with the head.
    #[arg(long, default_value_t = 5)]
    pub freeze_epochs: usize,
    /// Encoder learning rate after unfreezing, as a multiple of --lr (0 keeps it frozen).
    #[arg(long, default_value_t = 0.1)]
    pub encoder_lr_factor: f64,
    /// Auxiliary clinical tasks beside --head-target, comma separated columns (e.g.
    /// `sex,apoe4_dose`): each gets a head weighted by |Spearman ρ| with the main target over
    /// the training subjects and is kept only where p < 0.05 (the verdicts go to
    /// transfer.json). Columns with ≤ 5 distinct values are classified, others regressed.
    #[arg(long, value_delimiter = ',', requires = "head_target")]
    pub aux_columns: Vec<String>,
    /// Tables searched for the --aux-columns (default: --pheno, and with --sim-dir also its
    /// covariates.tsv and truth_subjects.tsv).
    #[arg(long)]
    pub aux_pheno: Vec<PathBuf>,
    /// Feed the auxiliary heads' predictions into the main head (beside the bottleneck).
    #[arg(long, requires = "head_target")]
    pub feed_aux: bool,
}

/// Role of the context structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ContextModeArg {
    /// Extra input channels.
    Input,
    /// Extra output channels.
    Output,
}

/// Parameter sharing between the tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SharingArg {
    /// One encoder and bottleneck shared by every task.
    Hard,
    /// Two task-specific encoders joined by cross-stitch units.
    CrossStitch,
}

/// Encoder/decoder design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ArchitectureArg {
    /// Conv3d–ReLU–MaxPool3d levels and an upsampling decoder.
    Plain,
    /// Strided convolutions with concatenated skips and dropout.
    StridedResidual,
}

impl VariantArgs {
    /// The library's variant options of the autoencoder.
    pub fn variants(&self) -> Variants {
        Variants { l1: self.l1 }
    }

    /// Sets the architecture options of `model` (design, dropout, context channels).
    pub fn apply_architecture(&self, model: &mut ModelConfig) {
        model.context = (!self.context_structures.is_empty()).then(|| ContextSpec {
            structures: self.context_structures.clone(),
            mode: match self.context_mode {
                ContextModeArg::Input => ContextMode::Input,
                ContextModeArg::Output => ContextMode::Output,
            },
        });
        model.architecture = match self.architecture {
            ArchitectureArg::Plain => Architecture::Plain,
            ArchitectureArg::StridedResidual => Architecture::StridedResidual,
        };
        model.dropout = self.dropout;
        model.sharing = self.sharing();
    }

    /// The library's sharing option.
    pub fn sharing(&self) -> Sharing {
        match self.sharing {
            SharingArg::Hard => Sharing::Hard,
            SharingArg::CrossStitch => Sharing::CrossStitch {
                off_diagonal: self.stitch_init,
            },
        }
    }
}

/// The model.json and weights file of a pretrained encoder given as a folder or a file.
fn pretrained(path: &Path) -> anyhow::Result<(ModelCard, PathBuf)> {
    anyhow::ensure!(
        path.exists(),
        "--init-encoder {}: no such file or folder",
        path.display()
    );
    let (dir, weights) = if path.is_dir() {
        (path.to_path_buf(), path.join("model.safetensors"))
    } else {
        let parent = path.parent().unwrap_or(Path::new("."));
        // An epoch checkpoint lives in <run>/checkpoints/.
        let dir = if parent.join("model.json").exists() {
            parent.to_path_buf()
        } else {
            parent.parent().unwrap_or(Path::new(".")).to_path_buf()
        };
        (dir, path.to_path_buf())
    };
    let card_path = dir.join("model.json");
    let text = std::fs::read_to_string(&card_path)
        .with_context(|| format!("reading the pretrained model's {}", card_path.display()))?;
    let card: ModelCard = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a model description", card_path.display()))?;
    Ok((card, weights))
}

/// Subject classes of `data` from the head's target column.
fn subject_classes(
    args: &TrainArgs,
    subjects: &[String],
    manifest: &mut biomarker_tables::RunManifest,
) -> anyhow::Result<(Vec<Option<u32>>, Vec<String>)> {
    let v = &args.model.variants;
    let target = v.head_target.as_deref().unwrap_or_default();
    let path = match (&v.pheno, &args.data.sim_dir) {
        (Some(p), _) => p.clone(),
        (None, Some(d)) => d.join("phenotypes.tsv"),
        _ => anyhow::bail!("--head-target needs --pheno (the table holding {target:?})"),
    };
    manifest.add_input(&path)?;
    let table = biomarker_tables::PhenoTable::read(&path)?;
    let column = table
        .column(target)
        .with_context(|| format!("{}: no column {target:?}", path.display()))?;
    let (classes, names) =
        class_labels(&column.values, target).with_context(|| path.display().to_string())?;
    let by_iid: HashMap<&str, Option<u32>> = table
        .iids()
        .into_iter()
        .zip(classes.iter().copied())
        .collect();
    let per_subject: Vec<Option<u32>> = subjects
        .iter()
        .map(|iid| by_iid.get(iid.as_str()).copied().flatten())
        .collect();
    Ok((per_subject, names))
}

/// The auxiliary columns from the first table that has each, with their Spearman verdicts.
fn aux_heads(
    args: &TrainArgs,
    subjects: &[String],
    train: &[usize],
    main: &[Option<u32>],
    model: &Model,
    manifest: &mut biomarker_tables::RunManifest,
) -> anyhow::Result<(Vec<AuxHead>, Vec<AuxSelection>)> {
    let v = &args.model.variants;
    if v.aux_columns.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut paths: Vec<PathBuf> = v.aux_pheno.clone();
    if paths.is_empty() {
        paths.extend(v.pheno.clone());
        if let Some(d) = &args.data.sim_dir {
            for f in ["phenotypes.tsv", "covariates.tsv", "truth_subjects.tsv"] {
                if d.join(f).exists() {
                    paths.push(d.join(f));
                }
            }
        }
    }
    let mut tables = Vec::new();
    for p in &paths {
        manifest.add_input(p)?;
        tables.push(biomarker_tables::PhenoTable::read(p)?);
    }
    let mut columns = Vec::new();
    for name in &v.aux_columns {
        let (table, column) = tables
            .iter()
            .find_map(|t| t.column(name).map(|c| (t, c)))
            .with_context(|| {
                let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                format!(
                    "auxiliary column {name:?} is in none of {}",
                    list.join(", ")
                )
            })?;
        let row_of: HashMap<&str, usize> = table
            .iids()
            .into_iter()
            .enumerate()
            .map(|(i, iid)| (iid, i))
            .collect();
        let rows: Vec<Option<usize>> = subjects
            .iter()
            .map(|s| row_of.get(s.as_str()).copied())
            .collect();
        columns.push(AuxColumn::from_pheno(name, &column.values, &rows, train)?);
    }
    let selection = select_aux(main, &columns, train);
    let mut heads = Vec::new();
    for (i, (column, verdict)) in columns.into_iter().zip(&selection).enumerate() {
        tracing::info!(
            column = verdict.name,
            rho = verdict.spearman.rho,
            p = verdict.spearman.p,
            kept = verdict.kept,
            "auxiliary task"
        );
        if verdict.kept {
            heads.push(AuxHead::new(
                column,
                verdict.weight,
                model.config.bottleneck,
                args.model.head_hidden,
                model.device(),
                args.model.seed.wrapping_add(1 + i as u64),
            )?);
        }
    }
    Ok((heads, selection))
}

/// The transfer-learning options of `model` (checked by `TransferConfig::validate`).
pub fn transfer_config(model: &ModelArgs) -> TransferConfig {
    let v = &model.variants;
    TransferConfig {
        hidden: model.head_hidden,
        freeze_epochs: v.freeze_epochs,
        epochs: model.epochs,
        encoder_lr_factor: v.encoder_lr_factor,
        optimizer: AdamWConfig {
            lr: model.lr,
            weight_decay: model.weight_decay,
            ..AdamWConfig::default()
        },
        batch_size: model.batch_size,
        seed: model.seed,
    }
}

/// Runs `train --head-target`: the transfer-learning path.
pub fn run_transfer(args: &TrainArgs) -> anyhow::Result<()> {
    let v = &args.model.variants;
    let device = parse_device(&args.data.device)?;
    let config = transfer_config(&args.model);
    config.validate()?;
    let pre = v.init_encoder.as_deref().map(pretrained).transpose()?;
    let params = serde_json::json!({
        "head_target": v.head_target, "init_encoder": v.init_encoder, "transfer": config,
        "size": args.data.size, "device": args.data.device,
    });
    let mut manifest = run_manifest::start("train", params);
    let (data, split) = match &pre {
        // The pretrained encoder saw masks cropped by its own boxes: crop these the same way.
        Some((card, _)) => {
            manifest.seeds.insert("seed".into(), args.model.seed);
            manifest
                .seeds
                .insert("split_seed".into(), args.model.split_seed);
            let boxes = (!card.boxes.is_empty()).then_some(card.boxes.as_slice());
            let data = args.data.load(&args.out, boxes, &mut manifest)?;
            let m = &args.model;
            let split = data.split(m.val_fraction, m.test_fraction, m.split_seed)?;
            write_split(&args.out.join("split.tsv"), &data, &split)?;
            (data, split)
        }
        None => load_and_split(&args.data, &args.model, &args.out, &mut manifest)?,
    };
    let (subject_class, class_names) = subject_classes(args, &data.subjects, &mut manifest)?;
    let model_config = match &pre {
        Some((card, weights)) => {
            anyhow::ensure!(
                card.model.size == data.size,
                "{}: the encoder was trained on {}³ masks, these are {}³ (--size)",
                weights.display(),
                card.model.size,
                data.size
            );
            manifest.add_input(weights)?;
            let mut m = card.model.clone();
            // A hard encoder can start both encoders of a cross-stitch model.
            if m.sharing.is_hard() && !v.sharing().is_hard() {
                m.sharing = v.sharing();
            }
            m
        }
        None => {
            let mut m = ModelConfig::new(data.size, data.structures.len());
            m.feature_maps = args.model.feature_maps.clone();
            m.bottleneck = args.model.bottleneck;
            m.head_hidden = args.model.head_hidden;
            v.apply_architecture(&mut m);
            m
        }
    };
    let model = Model::new(model_config.clone(), &device, args.model.seed)?;
    if let Some((_, weights)) = &pre {
        let n = init_encoder(&model, weights)?;
        tracing::info!(tensors = n, from = %weights.display(), "encoder initialised");
    }
    let train_subjects: Vec<usize> = (0..data.subjects.len())
        .filter(|&s| split[s] == Split::Train)
        .collect();
    let (heads, selection) = aux_heads(
        args,
        &data.subjects,
        &train_subjects,
        &subject_class,
        &model,
        &mut manifest,
    )?;
    let trainer =
        TransferTrainer::with_aux(config.clone(), model, class_names.len(), heads, v.feed_aux)?;
    let pb = bar(config.epochs as u64, "transfer epochs");
    let result = manifest.time("train head", || {
        fit_transfer(trainer, &data, &split, &subject_class, &args.out, |e| {
            pb.set_message(format!(
                "loss {:.4} val AUC {:.3}{}",
                e.train_loss,
                e.val.auc,
                if e.frozen { " (encoder frozen)" } else { "" }
            ));
            pb.inc(1);
        })
    })?;
    pb.finish_and_clear();
    // The fine-tuned encoder can be used by `encode` like any trained model.
    let train_items = data.items_in(&split, Split::Train);
    let card = ModelCard {
        model: model_config,
        structures: data.structures.clone(),
        scaler: data.volume_scaler(&train_items),
        epoch: config.epochs,
        boxes: data.boxes.clone(),
    };
    let write_json = |name: &str, value: &serde_json::Value| -> anyhow::Result<()> {
        biomarker_tables::atomic::write_atomic(args.out.join(name), |w| {
            serde_json::to_writer_pretty(&mut *w, value)?;
            writeln!(w)
        })?;
        Ok(())
    };
    write_json("model.json", &serde_json::to_value(&card)?)?;
    write_json(
        "transfer.json",
        &serde_json::json!({
            "head_target": v.head_target, "classes": class_names, "config": config,
            "init_encoder": v.init_encoder, "aux": selection, "feed_aux": v.feed_aux,
        }),
    )?;
    write_json("test_metrics.json", &serde_json::to_value(&result.test)?)?;
    let t = &result.test;
    println!(
        "test ({} subjects): AUC {:.4}  accuracy {:.4}  sensitivity {:.4}  specificity {:.4}",
        t.n, t.auc, t.accuracy, t.sensitivity, t.specificity
    );
    for f in [
        "model.safetensors",
        "model.json",
        "head.safetensors",
        "transfer.json",
        "transfer_log.jsonl",
        "split.tsv",
        "test_metrics.json",
    ] {
        manifest.add_output(&args.out.join(f))?;
    }
    manifest.summary = serde_json::to_value(&result.test)?;
    manifest.write(&args.out.join("manifest.json"))?;
    Ok(())
}
