//! Training throughput of the default model on random masks, for scripts/bench-train.sh.
//!
//! Usage: bench_train SIZE BATCH STEPS   (threads from RAYON_NUM_THREADS). Prints one line per
//! timed step: `step seconds volumes_per_second`, after one untimed warm-up step. GradNorm
//! task weights, CPU (the CUDA measurement is the CLI's `bench-train --device cuda:0`).

use biomarker_deep::bench::train_step_seconds;
use candle_core::Device;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let (size, batch, steps) = match args.as_slice() {
        [s, b, n] => (*s, *b, *n),
        _ => return Err("usage: bench_train SIZE BATCH STEPS".into()),
    };
    for (step, s) in train_step_seconds(size, batch, steps, true, &Device::Cpu)?
        .into_iter()
        .enumerate()
    {
        println!("{} {s:.4} {:.3}", step + 1, batch as f64 / s);
    }
    Ok(())
}
