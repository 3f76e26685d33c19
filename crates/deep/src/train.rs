//! The training loop.
//!
//! One step: the encoder runs to the bottleneck output `z`; `z` is detached as a leaf and each
//! active task's loss is backpropagated through its own head to `z` alone, giving `∂Lᵢ/∂z`, the
//! head's gradients, and the per-task gradient of the bottleneck weight `(∂Lᵢ/∂z)ᵀh` whose norm
//! GradNorm needs. One backward of `(z · Σ wᵢ ∂Lᵢ/∂z).sum()` then carries the weighted gradient
//! through the encoder. The result equals the gradient of `Σ wᵢLᵢ` (tested), at the cost of
//! the heads' backward passes only. With cross-stitch sharing the same is done at each of the
//! two bottlenecks (reconstruction at the main one, the heads at the auxiliary one) and one
//! backward of the sum of both products carries the gradients through both encoders and the
//! cross-stitch units; GradNorm's norms are then taken at the weight of the bottleneck each
//! task reads, there being no shared layer.
//!
//! Each epoch writes a checkpoint (parameters, AdamW moments, balancer state, history) into
//! `checkpoints/`, appends a JSON line to `train_log.jsonl` and, when validation improves,
//! `model.safetensors` + `model.json`. `resume` restarts from the newest checkpoint and takes
//! exactly the steps an uninterrupted run would (epoch shuffles derive from the seed).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::balance::{BalanceConfig, Balancer, Task};
use crate::data::{Batch, Dataset, Split, VolumeScaler};
use crate::error::{ensure_config, DeepError, Result};
use crate::loss::{cross_entropy, mse, recon_loss, ReconLoss};
use crate::metrics::{dice, mean_r2_within};
use crate::model::{Model, ModelConfig};
use crate::optim::{AdamW, AdamWConfig};
use crate::variants::{l1_gradient, ActivationHistogram, Variants};

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The architecture.
    pub model: ModelConfig,
    /// Active tasks, in [`Task::ALL`] order.
    pub tasks: Vec<Task>,
    /// Task weighting.
    pub balance: BalanceConfig,
    /// Reconstruction loss.
    pub recon_loss: ReconLoss,
    /// Optimizer.
    pub optimizer: AdamWConfig,
    /// Items per batch.
    pub batch_size: usize,
    /// Maximum number of epochs.
    pub epochs: usize,
    /// Stop after this many epochs without validation improvement (0: never stop early).
    pub patience: usize,
    /// Seed of initial weights and epoch shuffles.
    pub seed: u64,
    /// Variant options (sparsity, …); the default is the base model.
    #[serde(default)]
    pub variants: Variants,
}

impl TrainConfig {
    /// Checks the options fit together.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        ensure_config!(!self.tasks.is_empty(), "at least one task must be active");
        let mut sorted = self.tasks.clone();
        sorted.sort();
        sorted.dedup();
        ensure_config!(
            sorted == self.tasks,
            "tasks must be distinct and in the order recon, class, volume"
        );
        ensure_config!(self.batch_size >= 1, "batch size must be at least 1");
        ensure_config!(self.epochs >= 1, "at least one epoch is needed");
        ensure_config!(self.optimizer.lr > 0.0, "learning rate must be positive");
        Balancer::new(self.balance.clone(), self.tasks.len())?;
        self.variants.validate()?;
        Ok(())
    }
}

/// Losses, weights and gradient norms of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Unweighted loss per active task.
    pub losses: Vec<f64>,
    /// Weights used in this step.
    pub weights: Vec<f64>,
    /// ‖∇_W Lᵢ‖ at the bottleneck weight, unweighted.
    pub grad_norms: Vec<f64>,
}

/// What [`Trainer::gradients`] computes.
#[derive(Debug)]
pub struct Gradients {
    /// Gradient of Σ wᵢLᵢ by parameter name.
    pub grads: HashMap<String, Tensor>,
    /// Unweighted loss per active task.
    pub losses: Vec<f64>,
    /// ‖∇_W Lᵢ‖ at the bottleneck weight, unweighted.
    pub norms: Vec<f64>,
}

/// Metrics of the model on a set of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Evaluation {
    /// Mean loss per active task (task name → loss).
    pub losses: BTreeMap<String, f64>,
    /// Sum of the active tasks' unweighted losses (the early-stopping criterion).
    pub total: f64,
    /// Mean Dice of the thresholded reconstruction.
    pub dice: f64,
    /// Mean squared error of the reconstruction probabilities.
    pub recon_mse: f64,
    /// Structure classification accuracy.
    pub accuracy: f64,
    /// Volume R²: per structure, the R² of the predicted against the true log volume (both
    /// z-scores within the structure), averaged over structures. This is the subject-level
    /// signal a genetic study needs; differences between structures do not count.
    #[serde(deserialize_with = "f64_or_nan")]
    pub volume_r2: f64,
    /// Mean Dice of the thresholded reconstruction per structure.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dice_by_structure: BTreeMap<String, f64>,
    /// Distribution of the bottleneck activations over the items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottleneck: Option<ActivationHistogram>,
}

/// Reads a number written by serde_json, where NaN was written as `null`.
fn f64_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// One line of the training log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss per task over the epoch.
    pub train_losses: BTreeMap<String, f64>,
    /// Task weights at the end of the epoch.
    pub weights: BTreeMap<String, f64>,
    /// Mean ‖∇_W Lᵢ‖ over the epoch's steps.
    pub grad_norms: BTreeMap<String, f64>,
    /// Validation metrics.
    pub val: Evaluation,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// Mutable run state that goes into every checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunState {
    /// Epochs completed.
    pub epoch: usize,
    /// Best validation total so far, as f64 bits (exact through JSON).
    pub best_val_bits: Option<u64>,
    /// Epoch of the best validation total.
    pub best_epoch: usize,
    /// Epochs since the last improvement.
    pub bad_epochs: usize,
    /// True once early stopping triggered.
    pub stopped_early: bool,
    /// Every epoch's record.
    pub history: Vec<EpochRecord>,
}

/// Receives progress while training (the command line draws bars from it).
pub trait Progress {
    /// An epoch of `steps` steps starts.
    fn epoch_start(&self, _epoch: usize, _steps: usize) {}
    /// A step finished with these per-task losses.
    fn step(&self, _losses: &[(Task, f64)]) {}
    /// An epoch finished.
    fn epoch_end(&self, _record: &EpochRecord) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// A model with its optimizer and task balancer.
#[derive(Debug)]
pub struct Trainer {
    /// The run's configuration.
    pub config: TrainConfig,
    /// The network.
    pub model: Model,
    /// The optimizer.
    pub optimizer: AdamW,
    /// The task weighting.
    pub balancer: Balancer,
}

impl Trainer {
    /// A fresh trainer on `device`.
    pub fn new(config: TrainConfig, device: &Device) -> Result<Self> {
        config.validate()?;
        let model = Model::new(config.model.clone(), device, config.seed)?;
        let balancer = Balancer::new(config.balance.clone(), config.tasks.len())?;
        let optimizer = AdamW::new(config.optimizer);
        Ok(Self {
            config,
            model,
            optimizer,
            balancer,
        })
    }

    /// Loss of `task` given bottleneck vectors `z`.
    pub fn task_loss(&self, task: Task, z: &Tensor, batch: &Batch) -> Result<Tensor> {
        match task {
            Task::Recon => recon_loss(
                self.config.recon_loss,
                &self.model.decode(z)?,
                &self.model.recon_target(&batch.x)?,
            ),
            Task::Class => cross_entropy(&self.model.classify(z)?, &batch.labels),
            Task::Volume => mse(&self.model.regress(z)?, &batch.volumes),
        }
    }

    /// Gradients of Σ wᵢLᵢ for every parameter (by name), the unweighted losses and the
    /// gradient norms at the bottleneck weight, without changing anything.
    pub fn gradients(&self, batch: &Batch, weights: &[f64]) -> Result<Gradients> {
        let (h_a, h_b) = self.model.trunks(&batch.x)?;
        // One branch per bottleneck: the shared one (hard sharing), or the main task's and the
        // auxiliary heads' (cross-stitch sharing).
        let mut branches = vec![Branch::new(self.model.bottleneck.forward(&h_a)?, &h_a)?];
        if let (Some(stitch), Some(h_b)) = (&self.model.stitch, &h_b) {
            branches.push(Branch::new(stitch.bottleneck.forward(h_b)?, h_b)?);
        }
        let mut grads: HashMap<String, Tensor> = HashMap::new();
        let mut losses = Vec::new();
        let mut norms = Vec::new();
        for (i, &task) in self.config.tasks.iter().enumerate() {
            let branch = &mut branches[self.branch_of(task)];
            let zt = branch.leaf.as_tensor();
            let loss = self.task_loss(task, zt, batch)?;
            losses.push(loss.to_dtype(DType::F64)?.to_scalar::<f64>()?);
            let store = loss.backward()?;
            let gz = store.get(zt).ok_or_else(|| {
                DeepError::Config(format!(
                    "task {} does not depend on the bottleneck",
                    task.name()
                ))
            })?;
            // ‖∇_W Lᵢ‖ at the weight of the bottleneck the task reads.
            let gw = gz.t()?.matmul(&branch.h)?;
            norms.push(
                gw.sqr()?
                    .sum_all()?
                    .to_dtype(DType::F64)?
                    .to_scalar::<f64>()?
                    .sqrt(),
            );
            let w = weights[i];
            let gz_w = gz.affine(w, 0.0)?;
            branch.gz = Some(match branch.gz.take() {
                Some(acc) => (acc + gz_w)?,
                None => gz_w,
            });
            for (name, var) in self.model.params.iter() {
                if let Some(g) = store.get(var.as_tensor()) {
                    accumulate(&mut grads, name, g.affine(w, 0.0)?)?;
                }
            }
        }
        if self.config.variants.l1 > 0.0 {
            // The sparsity penalty depends on the (main) bottleneck alone: its gradient joins
            // the tasks' there.
            let main = &mut branches[0];
            let g1 = l1_gradient(&main.z, self.config.variants.l1)?.0;
            main.gz = Some(match main.gz.take() {
                Some(acc) => (acc + g1)?,
                None => g1,
            });
        }
        let mut objective: Option<Tensor> = None;
        for b in &branches {
            if let Some(gz) = &b.gz {
                let term = b.z.mul(&gz.detach())?.sum_all()?;
                objective = Some(match objective {
                    Some(acc) => (acc + term)?,
                    None => term,
                });
            }
        }
        let store = objective.expect("at least one task").backward()?;
        for (name, var) in self.model.params.iter() {
            if let Some(g) = store.get(var.as_tensor()) {
                accumulate(&mut grads, name, g.clone())?;
            }
        }
        Ok(Gradients {
            grads,
            losses,
            norms,
        })
    }

    /// Which bottleneck `task` reads: 0 (the shared one, or the main task's with cross-stitch
    /// sharing) or 1 (the auxiliary heads' with cross-stitch sharing).
    fn branch_of(&self, task: Task) -> usize {
        usize::from(self.model.stitch.is_some() && task != Task::Recon)
    }

    /// One optimization step on `batch`, then the balancer's update.
    pub fn step(&mut self, batch: &Batch) -> Result<StepReport> {
        let weights = self.balancer.weights();
        // Dropout (strided residual variant) draws its masks from the seed and step number, so
        // a resumed run repeats them; it is off outside training steps.
        let step_seed = (self.optimizer.step + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
        self.model.dropout.set(Some(self.config.seed ^ step_seed));
        let result = self.gradients(batch, &weights);
        self.model.dropout.set(None);
        let Gradients {
            grads,
            losses,
            norms,
        } = result?;
        if losses.iter().any(|l| !l.is_finite()) {
            return Err(DeepError::Config(format!(
                "a task loss is not finite ({losses:?}); lower the learning rate"
            )));
        }
        self.optimizer.apply(&self.model.params, &grads)?;
        self.balancer.update(&losses, &norms);
        Ok(StepReport {
            losses,
            weights,
            grad_norms: norms,
        })
    }

    /// Metrics on `items`, in batches of the configured size.
    pub fn evaluate(
        &self,
        data: &Dataset,
        items: &[usize],
        scaler: &VolumeScaler,
    ) -> Result<Evaluation> {
        let mut ev = Evaluation::default();
        if items.is_empty() {
            return Ok(ev);
        }
        let mut loss_sums = vec![0.0; self.config.tasks.len()];
        let (mut dice_sum, mut mse_sum, mut correct) = (0.0, 0.0, 0usize);
        let (mut vol_pred, mut vol_true, mut vol_group) = (Vec::new(), Vec::new(), Vec::new());
        let n_structures = data.structures.len();
        let (mut dice_s, mut count_s) = (vec![0.0; n_structures], vec![0usize; n_structures]);
        let mut z_values: Vec<f32> = Vec::new();
        for chunk in items.chunks(self.config.batch_size) {
            let context = self.config.model.context.as_ref();
            let batch = crate::context::batch(data, chunk, scaler, context, self.model.device())?;
            let out = self.model.forward(&batch.x)?;
            let target = self.model.recon_target(&batch.x)?;
            for (i, &task) in self.config.tasks.iter().enumerate() {
                let l = match task {
                    Task::Recon => recon_loss(self.config.recon_loss, &out.recon_logits, &target)?,
                    Task::Class => cross_entropy(&out.class_logits, &batch.labels)?,
                    Task::Volume => mse(&out.volume, &batch.volumes)?,
                };
                loss_sums[i] += l.to_dtype(DType::F64)?.to_scalar::<f64>()? * chunk.len() as f64;
            }
            // Dice and MSE of the structure itself (channel 0).
            let probs = candle_nn::ops::sigmoid(&out.recon_logits.narrow(1, 0, 1)?)?
                .flatten_from(1)?
                .to_vec2::<f32>()?;
            let truth = batch.x.narrow(1, 0, 1)?.flatten_from(1)?.to_vec2::<f32>()?;
            z_values.extend(
                out.z
                    .to_dtype(DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            );
            for ((p, t), &item) in probs.iter().zip(&truth).zip(chunk) {
                let d = dice(p, t);
                let s = data.item_structure[item] as usize;
                dice_s[s] += d;
                count_s[s] += 1;
                dice_sum += d;
                mse_sum += p
                    .iter()
                    .zip(t)
                    .map(|(a, b)| f64::from(a - b).powi(2))
                    .sum::<f64>()
                    / p.len() as f64;
            }
            let pred = out.class_logits.argmax(1)?.to_vec1::<u32>()?;
            let labels = batch.labels.to_vec1::<u32>()?;
            correct += pred.iter().zip(&labels).filter(|(a, b)| a == b).count();
            let pred = out.volume.to_dtype(DType::F64)?.to_vec1::<f64>()?;
            let truth = batch.volumes.to_dtype(DType::F64)?.to_vec1::<f64>()?;
            vol_pred.extend(pred);
            vol_true.extend(truth);
            vol_group.extend(chunk.iter().map(|&i| data.item_structure[i] as usize));
        }
        let n = items.len() as f64;
        for (i, &task) in self.config.tasks.iter().enumerate() {
            ev.losses.insert(task.name().into(), loss_sums[i] / n);
        }
        ev.total = loss_sums.iter().sum::<f64>() / n;
        ev.dice = dice_sum / n;
        ev.recon_mse = mse_sum / n;
        ev.accuracy = correct as f64 / n;
        ev.volume_r2 = mean_r2_within(&vol_pred, &vol_true, &vol_group, n_structures);
        for (s, name) in data.structures.iter().enumerate() {
            if count_s[s] > 0 {
                ev.dice_by_structure
                    .insert(name.clone(), dice_s[s] / count_s[s] as f64);
            }
        }
        ev.bottleneck = Some(ActivationHistogram::of(&z_values));
        Ok(ev)
    }

    /// Runs one epoch over `train` (shuffled by the seed and epoch number).
    pub fn epoch(
        &mut self,
        epoch: usize,
        data: &Dataset,
        train: &[usize],
        scaler: &VolumeScaler,
        progress: &dyn Progress,
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        let mut order = train.to_vec();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(
            self.config.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ));
        let steps = order.len().div_ceil(self.config.batch_size);
        progress.epoch_start(epoch, steps);
        let t = self.config.tasks.len();
        let (mut loss_sum, mut norm_sum) = (vec![0.0; t], vec![0.0; t]);
        for chunk in order.chunks(self.config.batch_size) {
            let context = self.config.model.context.as_ref();
            let batch = crate::context::batch(data, chunk, scaler, context, self.model.device())?;
            let report = self.step(&batch)?;
            for i in 0..t {
                loss_sum[i] += report.losses[i];
                norm_sum[i] += report.grad_norms[i];
            }
            let named: Vec<(Task, f64)> = self
                .config
                .tasks
                .iter()
                .copied()
                .zip(report.losses.iter().copied())
                .collect();
            progress.step(&named);
        }
        let s = steps.max(1) as f64;
        Ok((
            loss_sum.iter().map(|l| l / s).collect(),
            norm_sum.iter().map(|g| g / s).collect(),
        ))
    }

    /// Checkpoint tensors: parameters, optimizer moments and balancer state.
    fn checkpoint_tensors(&self) -> Result<HashMap<String, Tensor>> {
        let mut map = self.model.params.tensors("model.");
        map.extend(self.optimizer.tensors("opt."));
        let dev = Device::Cpu;
        let b = &self.balancer;
        map.insert(
            "balance.params".into(),
            Tensor::new(b.params.as_slice(), &dev)?,
        );
        if let Some(l0) = &b.initial_losses {
            map.insert("balance.initial".into(), Tensor::new(l0.as_slice(), &dev)?);
        }
        if let Some(adam) = &b.adam {
            map.insert(
                "balance.adam.m".into(),
                Tensor::new(adam.m.as_slice(), &dev)?,
            );
            map.insert(
                "balance.adam.v".into(),
                Tensor::new(adam.v.as_slice(), &dev)?,
            );
        }
        Ok(map)
    }

    /// Restores from checkpoint tensors.
    fn restore(
        &mut self,
        map: &HashMap<String, Tensor>,
        meta: &CheckpointMeta,
        path: &Path,
    ) -> Result<()> {
        self.model.params.assign_from(map, "model.", path)?;
        let dev = self.model.device().clone();
        self.optimizer
            .restore(map, "opt.", meta.optimizer_step, &dev, path)?;
        let vec = |k: &str| -> Result<Option<Vec<f64>>> {
            map.get(k)
                .map(|t| t.to_vec1::<f64>())
                .transpose()
                .map_err(Into::into)
        };
        self.balancer.params = vec("balance.params")?.ok_or_else(|| DeepError::Checkpoint {
            path: path.into(),
            message: "balancer weights missing".into(),
        })?;
        self.balancer.initial_losses = vec("balance.initial")?;
        if let Some(adam) = &mut self.balancer.adam {
            adam.t = meta.balancer_step;
            adam.m = vec("balance.adam.m")?.unwrap_or_else(|| vec![0.0; adam.m.len()]);
            adam.v = vec("balance.adam.v")?.unwrap_or_else(|| vec![0.0; adam.v.len()]);
        }
        Ok(())
    }
}

/// One bottleneck in the split gradient path: its output, a detached leaf copy the task losses
/// are differentiated at, its (detached) input and the weighted sum of the tasks' gradients.
struct Branch {
    z: Tensor,
    leaf: Var,
    h: Tensor,
    gz: Option<Tensor>,
}

impl Branch {
    fn new(z: Tensor, h: &Tensor) -> Result<Self> {
        Ok(Self {
            leaf: Var::from_tensor(&z.detach())?,
            z,
            h: h.detach(),
            gz: None,
        })
    }
}

fn accumulate(grads: &mut HashMap<String, Tensor>, name: &str, g: Tensor) -> Result<()> {
    let g = match grads.remove(name) {
        Some(acc) => (acc + g)?,
        None => g,
    };
    grads.insert(name.to_string(), g);
    Ok(())
}

/// The JSON beside each checkpoint's tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// The run's configuration (a resume with another configuration is refused).
    pub config: TrainConfig,
    /// Volume standardization from the training split.
    pub scaler: VolumeScaler,
    /// Structure names by class label.
    pub structures: Vec<String>,
    /// AdamW steps taken.
    pub optimizer_step: u64,
    /// Balancer Adam steps taken.
    pub balancer_step: u64,
    /// Loop state and history.
    pub state: RunState,
}

/// What a finished model needs for encoding: `model.json` beside `model.safetensors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// The architecture.
    pub model: ModelConfig,
    /// Structure names by class label.
    pub structures: Vec<String>,
    /// Volume standardization.
    pub scaler: VolumeScaler,
    /// The epoch these weights come from.
    pub epoch: usize,
    /// Each structure's box in the source images, reused when encoding another cohort.
    #[serde(default)]
    pub boxes: Vec<crate::data::prep::BoxSpec>,
}

/// Where a run writes.
#[derive(Debug, Clone)]
pub struct RunPaths {
    /// The output folder.
    pub dir: PathBuf,
}

impl RunPaths {
    /// Checkpoint folder.
    pub fn checkpoints(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }
    /// Tensors of epoch `e`.
    pub fn checkpoint(&self, e: usize) -> PathBuf {
        self.checkpoints().join(format!("epoch-{e:04}.safetensors"))
    }
    /// Metadata of epoch `e` (written last: its presence marks a complete checkpoint).
    pub fn checkpoint_meta(&self, e: usize) -> PathBuf {
        self.checkpoints().join(format!("epoch-{e:04}.json"))
    }
    /// The training log.
    pub fn log(&self) -> PathBuf {
        self.dir.join("train_log.jsonl")
    }
    /// Best weights.
    pub fn model(&self) -> PathBuf {
        self.dir.join("model.safetensors")
    }
    /// Best weights' description.
    pub fn model_card(&self) -> PathBuf {
        self.dir.join("model.json")
    }
    /// Newest complete checkpoint epoch, if any.
    pub fn latest(&self) -> Result<Option<usize>> {
        let dir = self.checkpoints();
        if !dir.exists() {
            return Ok(None);
        }
        let mut best = None;
        for entry in std::fs::read_dir(&dir).map_err(|e| DeepError::io(&dir, e))? {
            let name = entry
                .map_err(|e| DeepError::io(&dir, e))?
                .file_name()
                .to_string_lossy()
                .into_owned();
            if let Some(e) = name
                .strip_prefix("epoch-")
                .and_then(|r| r.strip_suffix(".json"))
                .and_then(|n| n.parse::<usize>().ok())
            {
                if self.checkpoint(e).exists() {
                    best = best.max(Some(e));
                }
            }
        }
        Ok(best)
    }
}

/// Writes safetensors atomically (temporary file + rename).
pub fn save_tensors_atomic(map: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let tmp = path.with_extension("safetensors.partial");
    candle_core::safetensors::save(map, &tmp)?;
    std::fs::rename(&tmp, path).map_err(|e| DeepError::io(path, e))
}

fn write_json_atomic<T: Serialize>(value: &T, path: &Path) -> Result<()> {
    biomarker_tables::atomic::write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        w.write_all(b"\n")
    })?;
    Ok(())
}

/// Options of [`fit`].
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Continue from the newest checkpoint in the output folder.
    pub resume: bool,
    /// Stop after this many epochs in this call (to simulate a killed run in tests).
    pub max_epochs_this_call: Option<usize>,
}

/// The outcome of [`fit`].
#[derive(Debug)]
pub struct FitResult {
    /// The trainer after the last epoch.
    pub trainer: Trainer,
    /// The final state (history, best epoch).
    pub state: RunState,
    /// Volume standardization used.
    pub scaler: VolumeScaler,
}

/// Trains on the `Train` items of `split`, early-stopping on `Val`, writing into `paths`.
pub fn fit(
    config: TrainConfig,
    data: &Dataset,
    split: &[Split],
    paths: &RunPaths,
    device: &Device,
    options: &FitOptions,
    progress: &dyn Progress,
) -> Result<FitResult> {
    std::fs::create_dir_all(paths.checkpoints())
        .map_err(|e| DeepError::io(paths.checkpoints(), e))?;
    let train = data.items_in(split, Split::Train);
    let val = data.items_in(split, Split::Val);
    ensure_config!(!train.is_empty(), "the training split is empty");
    let scaler = data.volume_scaler(&train);
    let mut trainer = Trainer::new(config.clone(), device)?;
    let mut state = RunState::default();
    if options.resume {
        if let Some(e) = paths.latest()? {
            let meta_path = paths.checkpoint_meta(e);
            let text = std::fs::read_to_string(&meta_path)
                .map_err(|err| DeepError::io(&meta_path, err))?;
            let meta: CheckpointMeta =
                serde_json::from_str(&text).map_err(|err| DeepError::Checkpoint {
                    path: meta_path.clone(),
                    message: err.to_string(),
                })?;
            // Only the stopping rule may change on resume (to extend a run).
            let mut comparable = meta.config.clone();
            comparable.epochs = config.epochs;
            comparable.patience = config.patience;
            if comparable != config {
                return Err(DeepError::Checkpoint {
                    path: meta_path,
                    message: "was written with a different configuration; use a new output folder or the same options".into(),
                });
            }
            let map = candle_core::safetensors::load(paths.checkpoint(e), device)?;
            trainer.restore(&map, &meta, &paths.checkpoint(e))?;
            state = meta.state;
        }
    }
    // The log is rewritten from the checkpoint's history, so a run killed between its
    // checkpoint and its log line (or after the log line) leaves no gap or duplicate.
    write_log(&paths.log(), &state.history)?;
    let mut done_now = 0;
    while state.epoch < config.epochs && !state.stopped_early {
        if options.max_epochs_this_call.is_some_and(|m| done_now >= m) {
            break;
        }
        let epoch = state.epoch + 1;
        let t0 = Instant::now();
        let (losses, norms) = trainer.epoch(epoch, data, &train, &scaler, progress)?;
        let val_eval =
            trainer.evaluate(data, if val.is_empty() { &train } else { &val }, &scaler)?;
        let names = |v: &[f64]| -> BTreeMap<String, f64> {
            config
                .tasks
                .iter()
                .map(|t| t.name().to_string())
                .zip(v.iter().copied())
                .collect()
        };
        let record = EpochRecord {
            epoch,
            train_losses: names(&losses),
            weights: names(&trainer.balancer.weights()),
            grad_norms: names(&norms),
            val: val_eval.clone(),
            seconds: t0.elapsed().as_secs_f64(),
        };
        let improved = state
            .best_val_bits
            .is_none_or(|b| val_eval.total < f64::from_bits(b));
        if improved {
            state.best_val_bits = Some(val_eval.total.to_bits());
            state.best_epoch = epoch;
            state.bad_epochs = 0;
            save_tensors_atomic(&trainer.model.params.tensors(""), &paths.model())?;
            let card = ModelCard {
                model: config.model.clone(),
                structures: data.structures.clone(),
                scaler: scaler.clone(),
                epoch,
                boxes: data.boxes.clone(),
            };
            write_json_atomic(&card, &paths.model_card())?;
        } else {
            state.bad_epochs += 1;
            if config.patience > 0 && state.bad_epochs >= config.patience {
                state.stopped_early = true;
            }
        }
        state.epoch = epoch;
        state.history.push(record.clone());
        save_tensors_atomic(&trainer.checkpoint_tensors()?, &paths.checkpoint(epoch))?;
        let meta = CheckpointMeta {
            config: config.clone(),
            scaler: scaler.clone(),
            structures: data.structures.clone(),
            optimizer_step: trainer.optimizer.step,
            balancer_step: trainer.balancer.adam.as_ref().map_or(0, |a| a.t),
            state: state.clone(),
        };
        write_json_atomic(&meta, &paths.checkpoint_meta(epoch))?;
        append_log(&paths.log(), &record)?;
        progress.epoch_end(&record);
        done_now += 1;
    }
    Ok(FitResult {
        trainer,
        state,
        scaler,
    })
}

fn write_log(path: &Path, history: &[EpochRecord]) -> Result<()> {
    biomarker_tables::atomic::write_atomic(path, |w| {
        for r in history {
            serde_json::to_writer(&mut *w, r)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    Ok(())
}

fn append_log(path: &Path, record: &EpochRecord) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| DeepError::io(path, e))?;
    let line = serde_json::to_string(record).map_err(|e| DeepError::Config(e.to_string()))?;
    writeln!(f, "{line}").map_err(|e| DeepError::io(path, e))
}
