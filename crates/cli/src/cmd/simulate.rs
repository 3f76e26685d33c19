//! `biomarker-gwas simulate`: a synthetic cohort whose truth is known.

use std::path::PathBuf;

use anyhow::Context;
use biomarker_sim::{simulate, SimConfig};
use clap::Args;

use crate::{progress, run_manifest};

/// Options of `simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Output folder (created if absent). It receives cohort.{bed,bim,fam}, covariates.tsv,
    /// phenotypes.tsv, images.tsv, labels.tsv, labelmaps/<IID>.nii.gz, truth.json,
    /// truth_subjects.tsv and the run manifest simulate.manifest.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of subjects.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(20..))]
    pub samples: u32,
    /// Number of genotyped variants, the two APOE variants and the planted causal variants
    /// included.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(100..))]
    pub variants: u32,
    /// Random seed: the same seed gives byte-identical files, whatever the thread count.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Edge of the label-map grid in voxels; the grid always covers 180 mm, so 32 gives
    /// 5.625 mm voxels and 64 gives 2.8125 mm voxels.
    #[arg(long, default_value = "32", value_parser = ["16", "32", "48", "64", "96", "128"])]
    pub size: String,
    /// Number of planted causal variants (half act on volume, half on shape only).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub causal: u32,
    /// Fraction of genotype calls set missing.
    #[arg(long, default_value_t = 0.01)]
    pub missing_rate: f64,
}

/// Runs `simulate`.
pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let config = SimConfig {
        samples: args.samples as usize,
        variants: args.variants as usize,
        seed: args.seed,
        size: args.size.parse().context("grid size")?,
        n_causal: args.causal as usize,
        missing_rate: args.missing_rate,
    };
    let mut manifest = run_manifest::start("simulate", serde_json::to_value(&config)?);
    manifest.seeds.insert("simulation".into(), config.seed);
    tracing::info!(
        "simulating {} subjects × {} variants at {}³ into {}",
        config.samples,
        config.variants,
        config.size,
        args.out.display()
    );
    let bar = progress::bar(config.samples as u64, "label maps");
    let summary = manifest
        .time("simulate", || {
            simulate(&config, &args.out, &|done| bar.set_position(done))
        })
        .with_context(|| format!("simulating into {}", args.out.display()))?;
    bar.finish_and_clear();
    manifest.summary = serde_json::to_value(&summary)?;
    for name in [
        "cohort.bed",
        "cohort.bim",
        "cohort.fam",
        "phenotypes.tsv",
        "covariates.tsv",
        "truth.json",
    ] {
        manifest.add_output(&args.out.join(name))?;
    }
    manifest.write(&args.out.join("simulate.manifest.json"))?;
    let [cn, mci, ad] = summary.diagnosis_counts;
    println!(
        "simulated {} subjects ({cn} CN, {mci} MCI, {ad} AD) × {} variants; causal variants: {}",
        summary.samples,
        summary.variants,
        summary.causal.join(", ")
    );
    println!("wrote {}", args.out.display());
    Ok(())
}
