//! `biomarker-gwas simulate`: a synthetic cohort whose truth is known.

use std::path::PathBuf;

use clap::Args;

/// Options of `simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Output folder (created if absent).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of subjects.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(20..))]
    pub samples: u32,
    /// Number of genotyped variants.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(100..))]
    pub variants: u32,
    /// Random seed: the same seed gives byte-identical output.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Edge length of the label-map grid in voxels.
    #[arg(long, default_value_t = 32)]
    pub size: u32,
}

/// Runs `simulate`.
pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    anyhow::bail!("simulate is being written: {args:?}")
}
