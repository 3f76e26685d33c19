//! `biomarker-gwas merge`: joins the chunks of a scan into the outputs of the unsplit scan,
//! after checking they are all present, non-overlapping, complete and from the same inputs
//! and parameters (see the assoc crate's `scan::merge`).

use std::path::PathBuf;

use anyhow::Context;
use biomarker_assoc::scan::merge;
use clap::Args;
use serde_json::json;

/// Options of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The chunks' output folders (each written by `scan --chunk K/N`), in any order.
    #[arg(required = true, value_name = "CHUNK_DIR")]
    pub chunks: Vec<PathBuf>,
    /// Output folder (created if absent): gwas.parquet, one text file per phenotype and
    /// manifest.json, as an unsplit scan writes them, with λGC computed exactly.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `merge`.
pub fn run(args: MergeArgs) -> anyhow::Result<()> {
    let mut manifest =
        crate::run_manifest::start("merge", json!({"chunks": args.chunks, "out": args.out}));
    let report = manifest
        .time("merge", || merge::merge(&args.chunks, &args.out))
        .context("merge failed")?;
    for p in &report.inputs {
        manifest.add_input(p)?;
    }
    manifest.add_outputs(&report.outputs)?;
    if let Some(o) = manifest.parameters.as_object_mut() {
        o.insert("scan".into(), report.scan_parameters.clone());
    }
    manifest.summary = serde_json::to_value(&report.summary)?;
    if let Some(o) = manifest.summary.as_object_mut() {
        o.insert("chunks".into(), report.chunks.into());
    }
    manifest.write(&args.out.join(merge::MANIFEST_NAME))?;
    for s in &report.summary.phenotypes {
        let lambda = s.lambda_gc.map_or("NA".into(), |l| format!("{l:.4}"));
        println!(
            "{}\t{}\t{} tested\tlambda_gc {lambda}\ttop {}",
            s.phenotype,
            s.model,
            s.tested,
            s.top.first().map_or("-".into(), |t| format!(
                "{} (-log10 p {:.2})",
                t.id, t.log10p
            ))
        );
    }
    eprintln!(
        "merged {} chunks into {}",
        report.chunks,
        args.out.display()
    );
    Ok(())
}
