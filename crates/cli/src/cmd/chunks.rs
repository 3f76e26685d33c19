//! `biomarker-gwas chunks`: plans how a genome scan is split into independent chunks for a
//! cluster (see the assoc crate's `scan::plan`). Each chunk is then scanned with
//! `scan --chunks PLAN --chunk K/N` and the results joined by `merge`.

use std::path::PathBuf;

use anyhow::Context;
use biomarker_assoc::scan::ChunkPlan;
use clap::Args;
use serde_json::json;

/// Options of `chunks`.
#[derive(Debug, Args)]
pub struct ChunksArgs {
    /// PLINK 1 binary file set prefix. PREFIX.bim is read; PREFIX.bed, .bim and .fam are
    /// hashed once and their digests, sizes and modification times recorded in the plan, so
    /// that the chunks' scans need not hash the .bed again.
    #[arg(long, value_name = "PREFIX")]
    pub bfile: PathBuf,
    /// Number of chunks wanted. Without --split-chromosomes a chunk holds whole chromosomes,
    /// so there are at most as many chunks as chromosomes; the largest chunk is made as small
    /// as possible.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub n: u64,
    /// Allow chunks to cut through chromosomes: N runs of equal numbers of variants in .bim
    /// order (use when there are more nodes than chromosomes).
    #[arg(long)]
    pub split_chromosomes: bool,
    /// Where the plan is written (JSON, see data-schemas/chunks.schema.json); its run
    /// manifest goes beside it as PLAN.manifest.json.
    #[arg(long, value_name = "PLAN")]
    pub out: PathBuf,
}

/// Runs `chunks`.
pub fn run(args: ChunksArgs) -> anyhow::Result<()> {
    let mut manifest = crate::run_manifest::start(
        "chunks",
        json!({"bfile": args.bfile, "n": args.n, "split_chromosomes": args.split_chromosomes, "out": args.out}),
    );
    // Hashing the .bed (~100 GB at biobank scale) happens here once: every chunk's scan
    // takes the plan's digests for unchanged files.
    let plan = manifest
        .time("plan", || {
            ChunkPlan::build(&args.bfile, args.n as usize, args.split_chromosomes)
        })
        .context("planning chunks failed")?;
    manifest
        .inputs
        .extend(plan.inputs.iter().map(|i| biomarker_tables::FileDigest {
            path: i.path.clone(),
            bytes: i.bytes,
            sha256: i.sha256.clone(),
        }));
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    plan.write(&args.out)?;
    manifest.add_output(&args.out)?;
    let sizes: Vec<usize> = plan.chunks.iter().map(|c| c.variants).collect();
    let (min, max) = (
        sizes.iter().copied().min().unwrap_or(0),
        sizes.iter().copied().max().unwrap_or(0),
    );
    manifest.summary = json!({
        "chunks": plan.chunks.len(), "variants": plan.variants, "smallest": min, "largest": max,
    });
    let mut path = args.out.as_os_str().to_owned();
    path.push(".manifest.json");
    manifest.write(&PathBuf::from(path))?;
    println!(
        "{} chunks of {} variants (smallest {min}, largest {max}) in {}",
        plan.chunks.len(),
        plan.variants,
        args.out.display()
    );
    if plan.chunks.len() < args.n as usize {
        println!(
            "note: {} chunks asked for, {} made: chromosomes are kept whole (--split-chromosomes cuts them)",
            args.n,
            plan.chunks.len()
        );
    }
    Ok(())
}
