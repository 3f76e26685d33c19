//! Training throughput of the default model on random masks, for scripts/bench-train.sh.
//!
//! Usage: bench_train SIZE BATCH STEPS   (threads from RAYON_NUM_THREADS). Prints one line per
//! timed step: `step seconds volumes_per_second`, after one untimed warm-up step.

use std::time::Instant;

use biomarker_deep::balance::{BalanceConfig, Task};
use biomarker_deep::data::Batch;
use biomarker_deep::loss::ReconLoss;
use biomarker_deep::model::ModelConfig;
use biomarker_deep::optim::AdamWConfig;
use biomarker_deep::train::{TrainConfig, Trainer};
use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let (size, batch, steps) = match args.as_slice() {
        [s, b, n] => (*s, *b, *n),
        _ => return Err("usage: bench_train SIZE BATCH STEPS".into()),
    };
    let classes = 13;
    let config = TrainConfig {
        model: ModelConfig::new(size, classes),
        tasks: Task::ALL.to_vec(),
        balance: BalanceConfig::GradNorm {
            alpha: 1.5,
            lr: 0.025,
        },
        recon_loss: ReconLoss::Bce,
        optimizer: AdamWConfig::default(),
        batch_size: batch,
        epochs: 1,
        patience: 0,
        seed: 1,
        variants: Default::default(),
    };
    let dev = Device::Cpu;
    let mut trainer = Trainer::new(config, &dev)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let n = batch * size.pow(3);
    let x: Vec<f32> = (0..n)
        .map(|_| f32::from(u8::from(rng.random::<f64>() < 0.1)))
        .collect();
    let labels: Vec<u32> = (0..batch).map(|i| (i % classes) as u32).collect();
    let volumes: Vec<f32> = (0..batch).map(|_| rng.random_range(-1.0..1.0)).collect();
    let b = Batch {
        x: Tensor::from_vec(x, vec![batch, 1, size, size, size], &dev)?,
        labels: Tensor::from_vec(labels, batch, &dev)?,
        volumes: Tensor::from_vec(volumes, batch, &dev)?,
    };
    trainer.step(&b)?;
    for step in 1..=steps {
        let t0 = Instant::now();
        trainer.step(&b)?;
        let s = t0.elapsed().as_secs_f64();
        println!("{step} {s:.4} {:.3}", batch as f64 / s);
    }
    Ok(())
}
