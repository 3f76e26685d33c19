//! `biomarker-gwas scan`: a genome-wide association scan over PLINK files, PLINK 2 `--glm`
//! compatible (see the assoc crate's `scan` module for the semantics).

use std::path::PathBuf;

use anyhow::Context;
use biomarker_assoc::scan::{
    self, config::parse_chunk, A1Choice, OutputFormat, Region, ScanConfig,
};
use clap::Args;
use serde_json::json;

/// Options of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// PLINK 1 binary file set prefix (reads PREFIX.bed, PREFIX.bim, PREFIX.fam).
    #[arg(long, value_name = "PREFIX")]
    pub bfile: PathBuf,
    /// Phenotype file (`#FID IID col…` or `IID col…`, NA/-9 missing; or Parquet). Columns
    /// with only 1/2 (or 0/1) values are case/control and get logistic regression.
    #[arg(long)]
    pub pheno: PathBuf,
    /// Phenotype columns to test, comma separated (default: every column).
    #[arg(long, value_delimiter = ',')]
    pub pheno_name: Vec<String>,
    /// Covariate file, same layout as the phenotype file; categorical columns are one-hot
    /// encoded with the most frequent level as reference.
    #[arg(long)]
    pub covar: Option<PathBuf>,
    /// Covariate columns to use, comma separated (default: every column).
    #[arg(long, value_delimiter = ',')]
    pub covar_name: Vec<String>,
    /// Keep only the samples listed (one per line: `FID IID` or `IID`).
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Remove the samples listed (one per line: `FID IID` or `IID`).
    #[arg(long)]
    pub remove: Option<PathBuf>,
    /// Skip variants whose minor-allele frequency among the kept samples is below this.
    #[arg(long)]
    pub maf: Option<f64>,
    /// Skip variants whose missing-call rate among the kept samples is above this.
    #[arg(long)]
    pub geno: Option<f64>,
    /// Scan only these chromosomes (comma separated, codes as in the .bim).
    #[arg(long, value_delimiter = ',')]
    pub chr: Vec<String>,
    /// Scan only this region, `chr:from-to` (inclusive, base pairs).
    #[arg(long)]
    pub region: Option<Region>,
    /// Scan only chunk K of N (1-based) of the selected variants, contiguous in .bim order;
    /// the N chunks together are the whole scan.
    #[arg(long, value_name = "K/N", value_parser = parse_chunk)]
    pub chunk: Option<(usize, usize)>,
    /// Chunk plan written by `biomarker-gwas chunks`: with it, `--chunk K/N` scans the K-th
    /// range of the plan (N must be the plan's number of chunks) instead of the K-th of N
    /// equal pieces. The plan's digests of PREFIX.bed/.bim/.fam are trusted for files whose
    /// size and modification time are those it recorded; a changed file is hashed again and
    /// refused unless its content is the plan's. Cannot be combined with --chr or --region.
    #[arg(long, value_name = "PLAN", requires = "chunk", conflicts_with_all = ["chr", "region"])]
    pub chunks: Option<PathBuf>,
    /// Tested allele: `minor` (PLINK 2's default: the major allele is omitted), `alt`
    /// (.bim column 5, PLINK 2's `omit-ref`) or `ref` (.bim column 6).
    #[arg(long, default_value = "minor")]
    pub a1: A1Choice,
    /// Use Firth regression for every case/control test instead of only as the fallback.
    #[arg(long)]
    pub firth: bool,
    /// Layout of the per-phenotype text files: `plink2` (.glm.linear/.glm.logistic.hybrid),
    /// `regenie` or `ssf` (GWAS-SSF). The Parquet GwasTable is always written.
    #[arg(long, default_value = "plink2")]
    pub format: OutputFormat,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Variants per block read from the .bed (memory grows with samples × block).
    #[arg(long, default_value_t = 1024)]
    pub block: usize,
    /// Largest allowed |correlation| between two predictors (PLINK 2's --max-corr).
    #[arg(long, default_value_t = 0.999)]
    pub max_corr: f64,
    /// Largest allowed variance inflation factor (PLINK 2's --vif).
    #[arg(long, default_value_t = 50.0)]
    pub vif: f64,
    /// Output folder (created if absent): gwas.parquet, one text file per phenotype and
    /// manifest.json.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `scan`.
pub fn run(args: ScanArgs) -> anyhow::Result<()> {
    let mut cfg = ScanConfig::new(args.bfile.clone(), args.pheno.clone(), args.out.clone());
    cfg.pheno_names = args.pheno_name.clone();
    cfg.covar = args.covar.clone();
    cfg.covar_names = args.covar_name.clone();
    cfg.keep = args.keep.clone();
    cfg.remove = args.remove.clone();
    cfg.maf = args.maf;
    cfg.geno = args.geno;
    cfg.chr = args.chr.clone();
    cfg.region = args.region.clone();
    cfg.chunk = args.chunk;
    cfg.a1 = args.a1;
    cfg.firth_always = args.firth;
    cfg.block = args.block;
    cfg.max_corr = args.max_corr;
    cfg.max_vif = args.vif;
    cfg.format = args.format;

    let mut manifest = crate::run_manifest::start(
        "scan",
        json!({
            "bfile": args.bfile, "pheno": args.pheno, "pheno_name": args.pheno_name, "covar": args.covar,
            "covar_name": args.covar_name, "keep": args.keep, "remove": args.remove, "maf": args.maf,
            "geno": args.geno, "chr": args.chr, "region": args.region.as_ref().map(|r| format!("{}:{}-{}", r.chrom, r.from, r.to)),
            "chunk": args.chunk.map(|(k, n)| format!("{k}/{n}")), "chunks": args.chunks, "a1": format!("{:?}", args.a1).to_lowercase(),
            "firth": if args.firth { "always" } else { "fallback" }, "format": format!("{:?}", args.format).to_lowercase(),
            "threads": args.threads, "block": args.block, "max_corr": args.max_corr, "vif": args.vif, "out": args.out,
        }),
    );
    let [bed, bim, fam] = biomarker_tables::plink::fileset_paths(&args.bfile);
    // With a plan, the file set's digests come from it while size and modification time
    // are unchanged (a chunk must not re-read a biobank .bed only to hash it); a changed
    // file is hashed again and refused if its content differs.
    let plan = match &args.chunks {
        Some(p) => Some((p, scan::ChunkPlan::read(p)?)),
        None => None,
    };
    let mut digest_sources = serde_json::Map::new();
    for (role, p) in scan::plan::FILESET_ROLES.iter().zip([&bed, &bim, &fam]) {
        match &plan {
            Some((plan_path, plan)) => {
                let (digest, source) = plan.input_digest(plan_path, role, p)?;
                manifest.inputs.push(digest);
                digest_sources.insert((*role).into(), source.as_str().into());
            }
            None => manifest
                .add_input(p)
                .with_context(|| format!("hashing {}", p.display()))?,
        }
    }
    for p in [
        Some(&args.pheno),
        args.covar.as_ref(),
        args.keep.as_ref(),
        args.remove.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        manifest
            .add_input(p)
            .with_context(|| format!("hashing {}", p.display()))?;
    }
    if let (Some((plan_path, plan)), Some((k, n))) = (&plan, args.chunk) {
        let bim_sha = &manifest.inputs[1].sha256;
        cfg.variant_range = Some(plan.range(plan_path, k, n, bim_sha)?);
        manifest
            .add_input(plan_path)
            .with_context(|| format!("hashing {}", plan_path.display()))?;
    }
    cfg.validate()?;
    // The identity of the result: chunks of one scan share it, and `merge` checks it.
    let roles = [
        ("bed", Some(&bed)),
        ("bim", Some(&bim)),
        ("fam", Some(&fam)),
        ("pheno", Some(&args.pheno)),
        ("covar", args.covar.as_ref()),
        ("keep", args.keep.as_ref()),
        ("remove", args.remove.as_ref()),
    ];
    let role_sha: Vec<(&str, &str)> = roles
        .iter()
        .filter(|(_, p)| p.is_some())
        .map(|(role, _)| *role)
        .zip(manifest.inputs.iter().map(|d| d.sha256.as_str()))
        .collect();
    let scan_hash =
        scan::record::scan_hash(env!("CARGO_PKG_VERSION"), &manifest.parameters, &role_sha);
    let n_variants = std::fs::metadata(&bim).map(|m| m.len()).unwrap_or(0);
    let bar = crate::progress::bar(0, "variants");
    let report = manifest.time("scan", || {
        scan::scan(&cfg, args.threads, &|done| {
            if bar.length() == Some(0) {
                bar.set_length(n_variants.max(done));
            }
            bar.set_position(done);
        })
    });
    bar.finish_and_clear();
    let report = report.context("scan failed")?;
    // Hashed as they were written.
    manifest.outputs.extend(report.outputs.iter().cloned());
    manifest.summary = serde_json::to_value(scan::record::ScanSummary::of(
        &report, scan_hash, args.chunk,
    ))?;
    if let (Some(o), false) = (manifest.summary.as_object_mut(), digest_sources.is_empty()) {
        // Which file-set digests were taken from the plan and which were hashed again.
        o.insert("input_digests".into(), digest_sources.into());
    }
    let manifest_path = args.out.join("manifest.json");
    manifest.write(&manifest_path)?;
    for s in &report.phenos {
        let lambda = s.lambda_gc().map_or("NA".into(), |l| format!("{l:.4}"));
        println!(
            "{}\t{}\t{} tested\tlambda_gc {lambda}\ttop {}",
            s.name,
            s.model,
            s.tested,
            s.top.first().map_or("-".into(), |t| format!(
                "{} (-log10 p {:.2})",
                t.id, t.log10p
            ))
        );
    }
    Ok(())
}
