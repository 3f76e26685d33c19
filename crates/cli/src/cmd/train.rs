//! `biomarker-gwas train`: fits the multi-task 3D autoencoder on NIfTI label maps.

use std::path::{Path, PathBuf};

use anyhow::Context;
use biomarker_deep::balance::{BalanceConfig, Task};
use biomarker_deep::data::cache::load_or_build;
use biomarker_deep::data::inputs::{read_labels, read_manifest};
use biomarker_deep::data::{Dataset, Split};
use biomarker_deep::device::parse_device;
use biomarker_deep::loss::ReconLoss;
use biomarker_deep::model::{ModelConfig, Upsampling};
use biomarker_deep::optim::AdamWConfig;
use biomarker_deep::train::{
    fit, EpochRecord, Evaluation, FitOptions, Progress, RunPaths, TrainConfig,
};
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;

use crate::progress::bar;
use crate::run_manifest;

/// Where the label maps come from (shared by `train`, `encode` and `experiment`).
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// A simulator output folder (uses its images.tsv and labels.tsv).
    #[arg(long, conflicts_with_all = ["images", "labels"])]
    pub sim_dir: Option<PathBuf>,
    /// Image manifest: `IID path` per line, the path of a NIfTI label map (relative to the
    /// manifest's folder).
    #[arg(long, requires = "labels")]
    pub images: Option<PathBuf>,
    /// Label table: `label name` per line.
    #[arg(long, requires = "images")]
    pub labels: Option<PathBuf>,
    /// Side of the cubic mask around each structure, in voxels (a multiple of 2^levels).
    #[arg(long, default_value_t = 32)]
    pub size: usize,
    /// Folder of the preprocessed-mask cache (default: `cache` inside the output folder).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Compute device: `cpu` or `cuda:N` (CUDA needs a build with the `cuda` feature).
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

impl DataArgs {
    /// The manifest and label table paths.
    pub fn inputs(&self) -> anyhow::Result<(PathBuf, PathBuf)> {
        match (&self.sim_dir, &self.images, &self.labels) {
            (Some(d), _, _) => Ok((d.join("images.tsv"), d.join("labels.tsv"))),
            (None, Some(i), Some(l)) => Ok((i.clone(), l.clone())),
            _ => anyhow::bail!("give --sim-dir, or --images together with --labels"),
        }
    }

    /// Reads (or loads from the cache) the masks, with a progress bar over both passes;
    /// `fixed` are a trained model's boxes (for `encode`).
    pub fn load(
        &self,
        out: &Path,
        fixed: Option<&[biomarker_deep::data::prep::BoxSpec]>,
        manifest: &mut biomarker_tables::RunManifest,
    ) -> anyhow::Result<Dataset> {
        let (images_path, labels_path) = self.inputs()?;
        manifest.add_input(&images_path)?;
        manifest.add_input(&labels_path)?;
        let images = read_manifest(&images_path)?;
        let labels = read_labels(&labels_path)?;
        let cache = self.cache.clone().unwrap_or_else(|| out.join("cache"));
        let pb = bar(2 * images.len() as u64, "label maps");
        let (data, hit) = manifest.time("load masks", || {
            load_or_build(&images, &labels, self.size, fixed, &cache, || pb.inc(1))
        })?;
        pb.finish_and_clear();
        tracing::info!(
            items = data.len(),
            subjects = data.subjects.len(),
            cache_hit = hit,
            "masks ready"
        );
        Ok(data)
    }
}

/// Task weighting choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BalanceKind {
    /// All task weights 1.
    Equal,
    /// The weights given by --weights.
    Fixed,
    /// GradNorm (Chen et al. 2018).
    Gradnorm,
    /// Homoscedastic uncertainty weighting (Kendall et al. 2018).
    Uncertainty,
    /// Fixed convex weights: α·L_main + (1−α)·mean of the other tasks' losses, α from
    /// --alpha (in [0, 1]); the main task is the first active one (recon when active).
    Convex,
}

/// Model and optimisation options (shared by `train` and `experiment`).
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Feature maps of the encoder levels, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "8,16,32")]
    pub feature_maps: Vec<usize>,
    /// Bottleneck width (the feature vector length).
    #[arg(long, default_value_t = 64)]
    pub bottleneck: usize,
    /// Hidden width of the classification and volume heads.
    #[arg(long, default_value_t = 32)]
    pub head_hidden: usize,
    /// Decoder upsampling: transposed convolution or nearest ×2 + convolution.
    #[arg(long, value_enum, default_value_t = UpsamplingArg::Transpose)]
    pub upsampling: UpsamplingArg,
    /// Reconstruction loss.
    #[arg(long, value_enum, default_value_t = ReconArg::Bce)]
    pub recon_loss: ReconArg,
    /// GradNorm's asymmetry α; with --balance convex, the main task's weight α in [0, 1].
    #[arg(long, default_value_t = 1.5)]
    pub alpha: f64,
    /// Learning rate of the GradNorm weights or uncertainty log-variances.
    #[arg(long, default_value_t = 0.025)]
    pub balance_lr: f64,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// AdamW decoupled weight decay.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// Items (subject × structure masks) per batch.
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    /// Maximum number of epochs.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Early stopping: epochs without validation improvement before stopping (0: never).
    #[arg(long, default_value_t = 5)]
    pub patience: usize,
    /// Seed of the initial weights and the epoch shuffles.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fraction of subjects for validation (early stopping).
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// Fraction of subjects held out for testing.
    #[arg(long, default_value_t = 0.1)]
    pub test_fraction: f64,
    /// Seed of the subject-level split.
    #[arg(long, default_value_t = 1)]
    pub split_seed: u64,
    /// Model variants.
    #[command(flatten)]
    pub variants: super::train_variants::VariantArgs,
}

/// Decoder upsampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UpsamplingArg {
    /// Transposed convolution, kernel 2, stride 2.
    Transpose,
    /// Nearest-neighbour ×2 followed by a 3³ convolution.
    Nearest,
}

/// Reconstruction loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReconArg {
    /// Binary cross-entropy.
    Bce,
    /// Soft Dice.
    Dice,
    /// Generalised Dice: foreground and background weighted by 1/(voxel count)².
    GeneralizedDice,
    /// (1 − soft Dice) + (1 − soft true-positive rate).
    DiceTpr,
}

impl ModelArgs {
    /// The training configuration for `tasks` with `balance` on `data`.
    pub fn config(
        &self,
        data: &Dataset,
        size: usize,
        tasks: Vec<Task>,
        balance: BalanceConfig,
    ) -> TrainConfig {
        let mut model = ModelConfig::new(size, data.structures.len());
        model.feature_maps = self.feature_maps.clone();
        model.bottleneck = self.bottleneck;
        model.head_hidden = self.head_hidden;
        model.upsampling = match self.upsampling {
            UpsamplingArg::Transpose => Upsampling::Transpose,
            UpsamplingArg::Nearest => Upsampling::Nearest,
        };
        self.variants.apply_architecture(&mut model);
        TrainConfig {
            model,
            tasks,
            balance,
            recon_loss: match self.recon_loss {
                ReconArg::Bce => ReconLoss::Bce,
                ReconArg::Dice => ReconLoss::Dice,
                ReconArg::GeneralizedDice => ReconLoss::GeneralizedDice,
                ReconArg::DiceTpr => ReconLoss::DiceTpr,
            },
            optimizer: AdamWConfig {
                lr: self.lr,
                weight_decay: self.weight_decay,
                ..AdamWConfig::default()
            },
            batch_size: self.batch_size,
            epochs: self.epochs,
            patience: self.patience,
            seed: self.seed,
            variants: self.variants.variants(),
        }
    }
}

/// Options of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Output folder: model.safetensors, model.json, checkpoints/, train_log.jsonl, split.tsv,
    /// test_metrics.json, manifest.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Input data.
    #[command(flatten)]
    pub data: DataArgs,
    /// Model and optimisation.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Active tasks and their weighting.
    #[command(flatten)]
    pub task: TaskArgs,
    /// Continue from the newest checkpoint in the output folder.
    #[arg(long)]
    pub resume: bool,
}

/// Which tasks train and how their losses are weighted: options of `train` and of each
/// `experiment --grid` row.
#[derive(Debug, Clone, Args)]
pub struct TaskArgs {
    /// Active tasks, comma separated (recon, class, volume).
    #[arg(long, value_delimiter = ',', default_value = "recon,class,volume")]
    pub tasks: Vec<String>,
    /// Task weighting.
    #[arg(long, value_enum, default_value_t = BalanceKind::Gradnorm)]
    pub balance: BalanceKind,
    /// Fixed task weights (with --balance fixed), one per active task, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub weights: Vec<f64>,
}

/// Parses task names into the fixed task order.
pub fn parse_tasks(names: &[String]) -> anyhow::Result<Vec<Task>> {
    let mut tasks = names
        .iter()
        .map(|n| Task::parse(n.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    tasks.sort();
    tasks.dedup();
    Ok(tasks)
}

/// The balance configuration from the options.
pub fn balance_config(kind: BalanceKind, model: &ModelArgs, weights: &[f64]) -> BalanceConfig {
    match kind {
        BalanceKind::Equal => BalanceConfig::Equal,
        BalanceKind::Fixed => BalanceConfig::Fixed {
            weights: weights.to_vec(),
        },
        BalanceKind::Gradnorm => BalanceConfig::GradNorm {
            alpha: model.alpha,
            lr: model.balance_lr,
        },
        BalanceKind::Uncertainty => BalanceConfig::Uncertainty {
            lr: model.balance_lr,
        },
        BalanceKind::Convex => BalanceConfig::Convex { alpha: model.alpha },
    }
}

/// Progress bar per epoch with the per-task losses as its message.
pub struct BarProgress {
    bar: std::cell::RefCell<Option<ProgressBar>>,
    label: String,
}

impl BarProgress {
    /// Bars labelled `label` (e.g. the experiment run's name).
    pub fn new(label: &str) -> Self {
        Self {
            bar: std::cell::RefCell::new(None),
            label: label.into(),
        }
    }
}

impl Progress for BarProgress {
    fn epoch_start(&self, epoch: usize, steps: usize) {
        let b = bar(steps as u64, &format!("steps {} epoch {epoch}", self.label));
        *self.bar.borrow_mut() = Some(b);
    }
    fn step(&self, losses: &[(Task, f64)]) {
        if let Some(b) = self.bar.borrow().as_ref() {
            b.set_message(
                losses
                    .iter()
                    .map(|(t, l)| format!("{} {l:.4}", t.name()))
                    .collect::<Vec<_>>()
                    .join("  "),
            );
            b.inc(1);
        }
    }
    fn epoch_end(&self, r: &EpochRecord) {
        if let Some(b) = self.bar.borrow_mut().take() {
            b.finish_and_clear();
        }
        tracing::info!(
            epoch = r.epoch,
            val_total = r.val.total,
            dice = r.val.dice,
            accuracy = r.val.accuracy,
            volume_r2 = r.val.volume_r2,
            seconds = r.seconds,
            "{} epoch done",
            self.label
        );
    }
}

/// The start every training command shares: seeds recorded, masks loaded (or taken from the
/// cache), the subject-level split made and written to `out/split.tsv`.
pub fn load_and_split(
    data_args: &DataArgs,
    model: &ModelArgs,
    out: &Path,
    manifest: &mut biomarker_tables::RunManifest,
) -> anyhow::Result<(Dataset, Vec<Split>)> {
    manifest.seeds.insert("seed".into(), model.seed);
    manifest.seeds.insert("split_seed".into(), model.split_seed);
    let data = data_args.load(out, None, manifest)?;
    let split = data.split(model.val_fraction, model.test_fraction, model.split_seed)?;
    write_split(&out.join("split.tsv"), &data, &split)?;
    Ok((data, split))
}

/// Writes `IID split` for every subject.
pub fn write_split(path: &Path, data: &Dataset, split: &[Split]) -> anyhow::Result<()> {
    biomarker_tables::atomic::write_atomic(path, |w| {
        writeln!(w, "IID\tsplit")?;
        for (iid, s) in data.subjects.iter().zip(split) {
            let name = match s {
                Split::Train => "train",
                Split::Val => "val",
                Split::Test => "test",
            };
            writeln!(w, "{iid}\t{name}")?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Trains one configuration into `out` and evaluates the best weights on the test split.
pub fn train_one(
    config: TrainConfig,
    data: &Dataset,
    split: &[Split],
    out: &Path,
    device_spec: &str,
    resume: bool,
    label: &str,
) -> anyhow::Result<Evaluation> {
    let device = parse_device(device_spec)?;
    let paths = RunPaths {
        dir: out.to_path_buf(),
    };
    let result = fit(
        config,
        data,
        split,
        &paths,
        &device,
        &FitOptions {
            resume,
            max_epochs_this_call: None,
        },
        &BarProgress::new(label),
    )?;
    // Test metrics of the best epoch's weights.
    let trainer = result.trainer;
    trainer
        .model
        .params
        .load(&paths.model())
        .context("reloading the best weights")?;
    let test = data.items_in(split, Split::Test);
    let eval = trainer.evaluate(data, &test, &result.scaler)?;
    biomarker_tables::atomic::write_atomic(out.join("test_metrics.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &eval)?;
        writeln!(w)
    })?;
    Ok(eval)
}

/// Runs `train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    // Checked before any input is read, so a typo fails at once.
    parse_device(&args.data.device)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    if args.model.variants.head_target.is_some() {
        return super::train_variants::run_transfer(&args);
    }
    let tasks = parse_tasks(&args.task.tasks)?;
    let balance = balance_config(args.task.balance, &args.model, &args.task.weights);
    // Checked before any input is read (e.g. a convex α outside [0, 1]).
    biomarker_deep::balance::Balancer::new(balance.clone(), tasks.len())?;
    args.model.variants.variants().validate()?;
    args.model.variants.sharing().validate()?;
    let params = serde_json::json!({
        "tasks": tasks, "balance": balance, "size": args.data.size, "device": args.data.device,
        "feature_maps": args.model.feature_maps, "bottleneck": args.model.bottleneck,
        "lr": args.model.lr, "weight_decay": args.model.weight_decay, "batch_size": args.model.batch_size,
        "epochs": args.model.epochs, "patience": args.model.patience, "resume": args.resume,
        "val_fraction": args.model.val_fraction, "test_fraction": args.model.test_fraction,
        "recon_loss": format!("{:?}", args.model.recon_loss), "variants": args.model.variants.variants(),
        "sharing": args.model.variants.sharing(),
    });
    let mut manifest = run_manifest::start("train", params);
    let (data, split) = load_and_split(&args.data, &args.model, &args.out, &mut manifest)?;
    let config = args.model.config(&data, args.data.size, tasks, balance);
    let eval = manifest.time("train", || {
        train_one(
            config,
            &data,
            &split,
            &args.out,
            &args.data.device,
            args.resume,
            "train",
        )
    })?;
    println!(
        "test: dice {:.4}  recon MSE {:.5}  accuracy {:.4}  volume R² (within structure) {:.4}",
        eval.dice, eval.recon_mse, eval.accuracy, eval.volume_r2
    );
    for f in [
        "model.safetensors",
        "model.json",
        "train_log.jsonl",
        "split.tsv",
        "test_metrics.json",
    ] {
        manifest.add_output(&args.out.join(f))?;
    }
    manifest.summary = serde_json::to_value(&eval)?;
    manifest.write(&args.out.join("manifest.json"))?;
    Ok(())
}
