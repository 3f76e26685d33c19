//! `biomarker-gwas bench-train`: training throughput of the default model on random masks, on
//! the CPU or a CUDA device. It lives in the binary (rather than only in a cargo example) so
//! that the one release binary carried to a GPU machine can measure itself there
//! (scripts/bench-train-gpu.sh).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use biomarker_deep::bench::train_step_seconds;
use biomarker_deep::device::parse_device;
use clap::Args;
use serde_json::json;

/// Options of `bench-train`.
#[derive(Debug, Args)]
pub struct BenchTrainArgs {
    /// Side of the cubic input volumes (divisible by 8, the default model's three levels).
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    /// Volumes per training step.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Timed steps, after one untimed warm-up step.
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// Compute device: `cpu` or `cuda:N` (CUDA needs a build with the `cuda` feature).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Task weighting: `gradnorm` (the study's default, one extra gradient pass per step) or
    /// `equal` (what the PyTorch reference script models).
    #[arg(long, default_value = "gradnorm", value_parser = ["gradnorm", "equal"])]
    pub balance: String,
    /// Also write the timings as TSV (step, seconds, volumes_per_second) to this file, with
    /// its run manifest beside it as FILE.manifest.json.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `bench-train`: prints `step seconds volumes_per_second` per timed step.
pub fn run(args: BenchTrainArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.size >= 8 && args.size.is_multiple_of(8),
        "--size {}: must be a positive multiple of 8",
        args.size
    );
    anyhow::ensure!(
        args.batch >= 1 && args.steps >= 1,
        "--batch and --steps must be at least 1"
    );
    let mut manifest = crate::run_manifest::start(
        "bench-train",
        json!({"size": args.size, "batch": args.batch, "steps": args.steps, "device": args.device, "balance": args.balance}),
    );
    let device = parse_device(&args.device)?;
    let seconds = manifest
        .time("train", || {
            train_step_seconds(
                args.size,
                args.batch,
                args.steps,
                args.balance == "gradnorm",
                &device,
            )
        })
        .context("benchmark training failed")?;
    let mut tsv = String::from("step\tseconds\tvolumes_per_second\n");
    for (i, s) in seconds.iter().enumerate() {
        let vps = args.batch as f64 / s;
        println!("{} {s:.4} {vps:.3}", i + 1);
        tsv.push_str(&format!("{}\t{s:.6}\t{vps:.4}\n", i + 1));
    }
    std::io::stdout().flush().ok();
    if let Some(out) = &args.out {
        biomarker_tables::atomic::write_atomic(out, |w| w.write_all(tsv.as_bytes()))
            .with_context(|| format!("writing {}", out.display()))?;
        manifest.add_output(out)?;
        let mut sorted = seconds.clone();
        sorted.sort_by(f64::total_cmp);
        manifest.summary = json!({"median_seconds": sorted[sorted.len() / 2]});
        let mut path = out.as_os_str().to_owned();
        path.push(".manifest.json");
        manifest.write(&PathBuf::from(path))?;
    }
    Ok(())
}
