//! Transfer learning: a classifier head (any binary or multiclass subject column, e.g. AD vs
//! CN) on the encoder of a trained autoencoder. The head is trained with the encoder frozen
//! for the first epochs, then both together, the encoder at a lower learning rate if asked.
//!
//! Each item (subject × structure mask) carries its subject's class; a subject's prediction
//! is the mean of its items' class probabilities, and the metrics ([`crate::class_metrics`])
//! are taken over subjects, so every structure of a subject votes once. Auxiliary clinical
//! heads ([`crate::aux_tasks`]) can join the loss, and their predictions can be fed into the
//! main head beside the bottleneck vector.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use biomarker_tables::PhenoValues;
use candle_core::{DType, Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::aux_tasks::AuxHead;
use crate::class_metrics::{class_metrics, ClassMetrics};
use crate::data::{Dataset, Split};
use crate::error::{ensure_config, DeepError, Result};
use crate::layers::Linear;
use crate::loss::cross_entropy;
use crate::model::Model;
use crate::optim::{AdamW, AdamWConfig};
use crate::params::ParamStore;

/// The most classes a head target may have (more means a continuous column by mistake).
pub const MAX_CLASSES: usize = 20;

/// Options of a transfer run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferConfig {
    /// Hidden width of the head's MLP.
    pub hidden: usize,
    /// Epochs with the encoder frozen (only the head learns).
    pub freeze_epochs: usize,
    /// Total epochs.
    pub epochs: usize,
    /// Encoder learning rate after unfreezing, as a multiple of the head's.
    pub encoder_lr_factor: f64,
    /// Optimizer of the head (the encoder's has `lr × encoder_lr_factor`).
    pub optimizer: AdamWConfig,
    /// Items per batch.
    pub batch_size: usize,
    /// Seed of the head's weights and the epoch shuffles.
    pub seed: u64,
}

impl TransferConfig {
    /// Checks the options.
    pub fn validate(&self) -> Result<()> {
        ensure_config!(self.hidden > 0, "the head's hidden width must be positive");
        ensure_config!(self.epochs >= 1, "at least one epoch is needed");
        ensure_config!(self.batch_size >= 1, "batch size must be at least 1");
        ensure_config!(
            self.encoder_lr_factor.is_finite() && self.encoder_lr_factor >= 0.0,
            "the encoder learning-rate factor must be ≥ 0, got {}",
            self.encoder_lr_factor
        );
        ensure_config!(self.optimizer.lr > 0.0, "learning rate must be positive");
        Ok(())
    }
}

/// Subject classes from a phenotype column: the distinct values, sorted (numerically for
/// numbers), become classes 0, 1, …; missing values stay `None`.
pub fn class_labels(values: &PhenoValues, column: &str) -> Result<(Vec<Option<u32>>, Vec<String>)> {
    let (keys, names): (Vec<Option<String>>, Vec<String>) = match values {
        PhenoValues::Numeric(v) => {
            let mut distinct: Vec<f64> = v.iter().flatten().copied().collect();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            (
                v.iter().map(|x| x.map(|x| format!("{x}"))).collect(),
                distinct.iter().map(|x| format!("{x}")).collect(),
            )
        }
        PhenoValues::Categorical(v) => {
            let mut distinct: Vec<String> = v.iter().flatten().cloned().collect();
            distinct.sort();
            distinct.dedup();
            (v.clone(), distinct)
        }
    };
    ensure_config!(
        names.len() >= 2,
        "column {column:?} has {} distinct value(s); a classifier needs at least 2",
        names.len()
    );
    ensure_config!(
        names.len() <= MAX_CLASSES,
        "column {column:?} has {} distinct values; a classifier target may have at most {MAX_CLASSES}",
        names.len()
    );
    let index: HashMap<&str, u32> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    Ok((
        keys.iter()
            .map(|k| k.as_deref().map(|k| index[k]))
            .collect(),
        names,
    ))
}

/// Whether a parameter belongs to the encoder (everything up to and including the bottleneck;
/// with cross-stitch sharing also encoder B (`enc.b.*`) and the units (`enc.stitch.*`), which
/// the main bottleneck depends on).
pub fn is_encoder_param(name: &str) -> bool {
    name.starts_with("enc.") || name.starts_with("bottleneck.")
}

/// The hard model's name of a cross-stitch model's encoder-B tensor (`enc.b.X` → `enc.X`,
/// `enc.b.bottleneck.X` → `bottleneck.X`), so a hard encoder can start both encoders.
fn hard_counterpart(name: &str) -> Option<String> {
    let rest = name.strip_prefix("enc.b.")?;
    Some(match rest.strip_prefix("bottleneck.") {
        Some(r) => format!("bottleneck.{r}"),
        None => format!("enc.{rest}"),
    })
}

/// Copies the encoder's parameters from a safetensors file of a trained model (its
/// `model.safetensors` or an epoch checkpoint) into `model`;
/// returns how many tensors were copied. A missing or mis-shaped tensor is an error naming the
/// file. What matches is copied: a cross-stitch model initialised from a hard one gets the
/// hard encoder in both of its encoders and keeps its initial cross-stitch weights; a hard
/// model initialised from a cross-stitch one gets encoder A (the main task's).
pub fn init_encoder(model: &Model, path: &Path) -> Result<usize> {
    let map = candle_core::safetensors::load(path, model.device())?;
    // A model file names tensors plainly, an epoch checkpoint with a `model.` prefix.
    let find = |name: &str| map.get(name).or_else(|| map.get(&format!("model.{name}")));
    let mut copied = 0;
    for (name, var) in model.params.iter() {
        if !is_encoder_param(name) {
            continue;
        }
        let found = find(name).or_else(|| hard_counterpart(name).and_then(|h| find(&h)));
        let t = match found {
            Some(t) => t,
            // A hard source has no cross-stitch units: they keep their initialisation.
            None if name.starts_with("enc.stitch.") => continue,
            None => {
                return Err(DeepError::Checkpoint {
                    path: path.into(),
                    message: format!("encoder tensor {name:?} is missing"),
                })
            }
        };
        if t.dims() != var.dims() {
            return Err(DeepError::Checkpoint {
                path: path.into(),
                message: format!(
                    "encoder tensor {name:?} has shape {:?}, the model expects {:?}",
                    t.dims(),
                    var.dims()
                ),
            });
        }
        var.set(&t.to_dtype(DType::F32)?)?;
        copied += 1;
    }
    Ok(copied)
}

/// The classifier head: Linear–ReLU–Linear on the bottleneck vector.
#[derive(Debug)]
pub struct ClassifierHead {
    /// The head's parameters (`head.0.*`, `head.1.*`).
    pub params: ParamStore,
    l1: Linear,
    l2: Linear,
}

impl ClassifierHead {
    /// A seeded head from `d_in` to `classes` logits.
    pub fn new(
        d_in: usize,
        hidden: usize,
        classes: usize,
        device: &Device,
        seed: u64,
    ) -> Result<Self> {
        let mut params = ParamStore::new(device, seed ^ 0x4845_4144);
        let l1 = Linear::new(&mut params, "head.0", d_in, hidden)?;
        let l2 = Linear::new(&mut params, "head.1", hidden, classes)?;
        Ok(Self { params, l1, l2 })
    }

    /// Class logits `[N, classes]`.
    pub fn forward(&self, z: &Tensor) -> Result<Tensor> {
        self.l2.forward(&self.l1.forward(z)?.relu()?)
    }
}

/// One line of `transfer_log.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Whether the encoder was frozen in this epoch.
    pub frozen: bool,
    /// Mean training cross-entropy.
    pub train_loss: f64,
    /// Validation metrics (over subjects).
    pub val: ClassMetrics,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// The encoder with its head and their optimizers.
#[derive(Debug)]
pub struct TransferTrainer {
    /// Options.
    pub config: TransferConfig,
    /// The network whose encoder is used (decoder and other heads unused).
    pub model: Model,
    /// The classifier head.
    pub head: ClassifierHead,
    /// Auxiliary heads, each with its loss weight.
    pub aux: Vec<AuxHead>,
    /// Whether the auxiliary heads' predictions are inputs of the main head.
    pub feed_aux: bool,
    head_opt: AdamW,
    encoder_opt: AdamW,
}

impl TransferTrainer {
    /// A trainer for `classes` classes on `model`'s encoder.
    pub fn new(config: TransferConfig, model: Model, classes: usize) -> Result<Self> {
        Self::with_aux(config, model, classes, Vec::new(), false)
    }

    /// A trainer with auxiliary heads; with `feed_aux` the main head sees the bottleneck
    /// vector followed by every auxiliary head's prediction.
    pub fn with_aux(
        config: TransferConfig,
        model: Model,
        classes: usize,
        aux: Vec<AuxHead>,
        feed_aux: bool,
    ) -> Result<Self> {
        config.validate()?;
        let fed: usize = if feed_aux {
            aux.iter().map(|a| a.column.width()).sum()
        } else {
            0
        };
        let head = ClassifierHead::new(
            model.config.bottleneck + fed,
            config.hidden,
            classes,
            model.device(),
            config.seed,
        )?;
        let encoder_opt = AdamW::new(AdamWConfig {
            lr: config.optimizer.lr * config.encoder_lr_factor,
            ..config.optimizer
        });
        Ok(Self {
            head_opt: AdamW::new(config.optimizer),
            encoder_opt,
            config,
            model,
            head,
            aux,
            feed_aux,
        })
    }

    /// Main-head logits and each auxiliary head's raw outputs for bottleneck vectors `z`.
    pub fn heads(&self, z: &Tensor) -> Result<(Tensor, Vec<Tensor>)> {
        let outs = self
            .aux
            .iter()
            .map(|a| a.forward(z))
            .collect::<Result<Vec<_>>>()?;
        let input = if self.feed_aux && !outs.is_empty() {
            let mut parts = vec![z.clone()];
            for (a, o) in self.aux.iter().zip(&outs) {
                parts.push(a.features(o)?);
            }
            Tensor::cat(&parts, 1)?
        } else {
            z.clone()
        };
        Ok((self.head.forward(&input)?, outs))
    }

    /// Whether the encoder is frozen in (1-based) `epoch`.
    pub fn frozen(&self, epoch: usize) -> bool {
        epoch <= self.config.freeze_epochs
    }

    /// One step on masks `x` of items of `subjects` with classes `labels` (u32); with
    /// `frozen` only the heads move (the bottleneck is detached, so no encoder gradient is even
    /// computed). The objective is the main cross-entropy plus each auxiliary head's weighted
    /// loss. Returns the main loss.
    pub fn step(
        &mut self,
        x: &Tensor,
        labels: &Tensor,
        subjects: &[usize],
        frozen: bool,
    ) -> Result<f64> {
        let z = self.model.encode(x)?;
        let z = if frozen { z.detach() } else { z };
        let (logits, outs) = self.heads(&z)?;
        let main = cross_entropy(&logits, labels)?;
        let value = main.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        let mut loss = main;
        for (a, o) in self.aux.iter().zip(&outs) {
            if let Some(l) = a.loss(o, subjects)? {
                loss = (loss + l.affine(a.weight, 0.0)?)?;
            }
        }
        ensure_config!(
            value.is_finite(),
            "the head's loss is not finite; lower the learning rate"
        );
        let store = loss.backward()?;
        let collect = |params: &ParamStore, keep: &dyn Fn(&str) -> bool| {
            params
                .iter()
                .filter(|(n, _)| keep(n))
                .filter_map(|(n, v)| store.get(v.as_tensor()).map(|g| (n.to_string(), g.clone())))
                .collect::<HashMap<String, Tensor>>()
        };
        let head_grads = collect(&self.head.params, &|_| true);
        self.head_opt.apply(&self.head.params, &head_grads)?;
        for a in &self.aux {
            // Names are distinct (`aux.<column>.*`), so one optimizer serves every head.
            let g = collect(&a.params, &|_| true);
            self.head_opt.apply(&a.params, &g)?;
        }
        if !frozen && self.config.encoder_lr_factor > 0.0 {
            let enc_grads = collect(&self.model.params, &is_encoder_param);
            self.encoder_opt.apply(&self.model.params, &enc_grads)?;
        }
        Ok(value)
    }

    /// Class probabilities per subject (mean over the subject's items) for `items`, and the
    /// subjects' classes.
    pub fn predict(
        &self,
        data: &Dataset,
        items: &[usize],
        subject_class: &[Option<u32>],
    ) -> Result<(Vec<Vec<f64>>, Vec<u32>)> {
        let scaler = data.volume_scaler(items);
        let mut sums: BTreeMap<usize, (Vec<f64>, usize)> = BTreeMap::new();
        for chunk in items.chunks(self.config.batch_size) {
            let context = self.model.config.context.as_ref();
            let batch = crate::context::batch(data, chunk, &scaler, context, self.model.device())?;
            let (logits, _) = self.heads(&self.model.encode(&batch.x)?)?;
            let probs = candle_nn::ops::softmax(&logits, 1)?
                .to_dtype(DType::F64)?
                .to_vec2::<f64>()?;
            for (&item, p) in chunk.iter().zip(probs) {
                let e = sums
                    .entry(data.item_subject[item])
                    .or_insert_with(|| (vec![0.0; p.len()], 0));
                e.0.iter_mut().zip(&p).for_each(|(a, b)| *a += b);
                e.1 += 1;
            }
        }
        let mut probs = Vec::new();
        let mut labels = Vec::new();
        for (subject, (sum, count)) in sums {
            if let Some(c) = subject_class[subject] {
                probs.push(sum.iter().map(|s| s / count as f64).collect());
                labels.push(c);
            }
        }
        Ok((probs, labels))
    }

    /// Metrics over the subjects of `items`.
    pub fn evaluate(
        &self,
        data: &Dataset,
        items: &[usize],
        subject_class: &[Option<u32>],
    ) -> Result<ClassMetrics> {
        let (probs, labels) = self.predict(data, items, subject_class)?;
        Ok(class_metrics(&probs, &labels))
    }

    /// One epoch over `train` (shuffled by seed and epoch); returns the mean loss.
    pub fn epoch(
        &mut self,
        epoch: usize,
        data: &Dataset,
        train: &[usize],
        subject_class: &[Option<u32>],
        mut on_step: impl FnMut(f64),
    ) -> Result<f64> {
        let frozen = self.frozen(epoch);
        let mut order = train.to_vec();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(
            self.config.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ));
        let scaler = data.volume_scaler(train);
        let (mut sum, mut steps) = (0.0, 0usize);
        for chunk in order.chunks(self.config.batch_size) {
            let context = self.model.config.context.as_ref();
            let batch = crate::context::batch(data, chunk, &scaler, context, self.model.device())?;
            let classes: Vec<u32> = chunk
                .iter()
                .map(|&i| subject_class[data.item_subject[i]].expect("labelled items only"))
                .collect();
            let labels = Tensor::new(classes.as_slice(), self.model.device())?;
            let subjects: Vec<usize> = chunk.iter().map(|&i| data.item_subject[i]).collect();
            let loss = self.step(&batch.x, &labels, &subjects, frozen)?;
            on_step(loss);
            sum += loss;
            steps += 1;
        }
        Ok(sum / steps.max(1) as f64)
    }
}

/// What [`fit_transfer`] returns.
#[derive(Debug)]
pub struct TransferResult {
    /// The trainer after the last epoch.
    pub trainer: TransferTrainer,
    /// One entry per epoch.
    pub history: Vec<TransferEpoch>,
    /// Metrics on the test subjects.
    pub test: ClassMetrics,
}

/// Items of `part` whose subject has a class.
pub fn labelled_items(
    data: &Dataset,
    split: &[Split],
    part: Split,
    subject_class: &[Option<u32>],
) -> Vec<usize> {
    data.items_in(split, part)
        .into_iter()
        .filter(|&i| subject_class[data.item_subject[i]].is_some())
        .collect()
}

/// Trains the head (and later the encoder) on the labelled `Train` subjects, logging
/// validation metrics per epoch to `out/transfer_log.jsonl`, then writes the weights
/// (`model.safetensors` for the encoder, `head.safetensors`) and returns the test metrics.
pub fn fit_transfer(
    trainer: TransferTrainer,
    data: &Dataset,
    split: &[Split],
    subject_class: &[Option<u32>],
    out: &Path,
    mut on_epoch: impl FnMut(&TransferEpoch),
) -> Result<TransferResult> {
    let mut trainer = trainer;
    let train = labelled_items(data, split, Split::Train, subject_class);
    let val = labelled_items(data, split, Split::Val, subject_class);
    let test = labelled_items(data, split, Split::Test, subject_class);
    ensure_config!(
        !train.is_empty(),
        "no training subject has a value in the head's target column"
    );
    std::fs::create_dir_all(out).map_err(|e| DeepError::io(out, e))?;
    let log = out.join("transfer_log.jsonl");
    let mut lines = Vec::new();
    let mut history = Vec::new();
    for epoch in 1..=trainer.config.epochs {
        let t0 = Instant::now();
        let frozen = trainer.frozen(epoch);
        let train_loss = trainer.epoch(epoch, data, &train, subject_class, |_| {})?;
        let val_metrics = trainer.evaluate(
            data,
            if val.is_empty() { &train } else { &val },
            subject_class,
        )?;
        let record = TransferEpoch {
            epoch,
            frozen,
            train_loss,
            val: val_metrics,
            seconds: t0.elapsed().as_secs_f64(),
        };
        lines.push(serde_json::to_string(&record).map_err(|e| DeepError::Config(e.to_string()))?);
        biomarker_tables::atomic::write_atomic(&log, |w| {
            for l in &lines {
                writeln!(w, "{l}")?;
            }
            Ok(())
        })?;
        on_epoch(&record);
        history.push(record);
    }
    crate::train::save_tensors_atomic(
        &trainer.model.params.tensors(""),
        &out.join("model.safetensors"),
    )?;
    crate::train::save_tensors_atomic(
        &trainer.head.params.tensors(""),
        &out.join("head.safetensors"),
    )?;
    let test_metrics = trainer.evaluate(data, &test, subject_class)?;
    Ok(TransferResult {
        trainer,
        history,
        test: test_metrics,
    })
}
