//! Training-throughput measurement on random masks, shared by the `bench_train` example and
//! the CLI's `bench-train` subcommand (which is what runs on a GPU machine: the one binary
//! carried there).

use std::time::Instant;

use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};

use crate::balance::{BalanceConfig, Task};
use crate::data::Batch;
use crate::error::Result;
use crate::loss::ReconLoss;
use crate::model::ModelConfig;
use crate::optim::AdamWConfig;
use crate::train::{TrainConfig, Trainer};

/// Number of structures (classes) of the benchmark model, as in the study.
pub const BENCH_CLASSES: usize = 13;

/// Times `steps` training steps of the default model (`ModelConfig::new(size, 13)`) on one
/// fixed batch of `batch` random masks (10 % foreground) on `device`, after one untimed
/// warm-up step; returns the seconds of each timed step. `gradnorm` picks GradNorm (α 1.5)
/// task weights, otherwise equal weights. Every step ends by reading its losses back to the
/// host, so GPU work is finished when the clock stops.
pub fn train_step_seconds(
    size: usize,
    batch: usize,
    steps: usize,
    gradnorm: bool,
    device: &Device,
) -> Result<Vec<f64>> {
    let config = TrainConfig {
        model: ModelConfig::new(size, BENCH_CLASSES),
        tasks: Task::ALL.to_vec(),
        balance: if gradnorm {
            BalanceConfig::GradNorm {
                alpha: 1.5,
                lr: 0.025,
            }
        } else {
            BalanceConfig::Equal
        },
        recon_loss: ReconLoss::Bce,
        optimizer: AdamWConfig::default(),
        batch_size: batch,
        epochs: 1,
        patience: 0,
        seed: 1,
        variants: Default::default(),
    };
    let mut trainer = Trainer::new(config, device)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let n = batch * size.pow(3);
    let x: Vec<f32> = (0..n)
        .map(|_| f32::from(u8::from(rng.random::<f64>() < 0.1)))
        .collect();
    let labels: Vec<u32> = (0..batch).map(|i| (i % BENCH_CLASSES) as u32).collect();
    let volumes: Vec<f32> = (0..batch).map(|_| rng.random_range(-1.0..1.0)).collect();
    let b = Batch {
        x: Tensor::from_vec(x, vec![batch, 1, size, size, size], device)?,
        labels: Tensor::from_vec(labels, batch, device)?,
        volumes: Tensor::from_vec(volumes, batch, device)?,
    };
    trainer.step(&b)?;
    let mut out = Vec::with_capacity(steps);
    for _ in 0..steps {
        let t0 = Instant::now();
        trainer.step(&b)?;
        device.synchronize()?;
        out.push(t0.elapsed().as_secs_f64());
    }
    Ok(out)
}
