//! `biomarker-gwas pca`: PCA of deep features per structure (fit, or apply saved loadings)
//! and/or genotype principal components of a PLINK fileset as scan covariates.

use std::path::{Path, PathBuf};

use anyhow::Context;
use biomarker_reduce::{
    apply_features, fit_features, genotype_pcs, FeaturePcaOptions, GenotypePcaOptions,
    LdPruneOptions, Loadings, PcaOptions,
};
use biomarker_tables::atomic::write_atomic;
use biomarker_tables::plink::Fileset;
use biomarker_tables::{FeatureTable, PhenoTable, RunManifest, TableKind};
use clap::Args;

use crate::{progress, run_manifest};

/// Options of `pca`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).multiple(true).args(["features", "bfile"])))]
pub struct PcaArgs {
    /// Output folder (created if absent). Deep-feature PCs go to `feature-pcs.tsv` (and
    /// `pca-loadings.json` when fitting), genotype PCs to `genotype-pcs.tsv` (a covariate table
    /// for `scan --covar`) and `genotype-pcs.eigenval`; the run manifest to `pca.manifest.json`.
    #[arg(long)]
    pub out: PathBuf,

    /// Deep features (FeatureTable, long form: IID, structure, z_0…): one PCA per structure.
    #[arg(long, value_name = "FILE")]
    pub features: Option<PathBuf>,
    /// Apply these saved loadings (from an earlier fit) to `--features` instead of fitting.
    #[arg(long, value_name = "FILE", requires = "features")]
    pub loadings: Option<PathBuf>,
    /// Components kept per structure when fitting (the study uses 1: one variable per structure).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub components: u32,
    /// Scale each feature to unit variance before fitting (default: centre only).
    #[arg(long)]
    pub scale: bool,
    /// Volumes per structure (phenotype table with one numeric column named after each
    /// structure): PC signs are chosen so that scores correlate positively with volume;
    /// structures without a column get their largest loading positive.
    #[arg(
        long,
        value_name = "FILE",
        requires = "features",
        conflicts_with = "loadings"
    )]
    pub volumes: Option<PathBuf>,

    /// PLINK fileset prefix (PREFIX.bed/.bim/.fam) for genotype principal components.
    #[arg(long, value_name = "PREFIX", requires = "genotype_pcs")]
    pub bfile: Option<PathBuf>,
    /// Number of genotype principal components.
    #[arg(long, value_name = "K", requires = "bfile", value_parser = clap::value_parser!(u32).range(1..))]
    pub genotype_pcs: Option<u32>,
    /// Extra dimensions of the randomized subspace (l = K + oversampling).
    #[arg(long, default_value_t = 10)]
    pub oversampling: u32,
    /// Most passes over the genotypes of the randomized subspace iteration.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_passes: u32,
    /// Stop iterating when every top-K eigenvalue estimate changes by less than this
    /// (relative) between passes.
    #[arg(long, default_value_t = 1e-7)]
    pub tol: f64,
    /// Variants per streamed block (memory: samples × block × 8 bytes); 0 = automatic, about
    /// 256 MiB per block, between 16 and 1024 variants.
    #[arg(long, default_value_t = 0)]
    pub block: u32,
    /// Seed of the random start (same seed, same PCs).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// LD pruning window in variants; pruning runs when `--ld-r2` is given.
    #[arg(long, default_value_t = 50, requires = "ld_r2")]
    pub ld_window: u32,
    /// LD pruning: drop a variant whose r² with a kept variant in the window exceeds this.
    #[arg(long, requires = "bfile")]
    pub ld_r2: Option<f64>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

/// Runs `pca`.
pub fn run(args: PcaArgs) -> anyhow::Result<()> {
    if args.threads > 0 {
        // Fails only if a pool already exists, which is harmless.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(args.threads)
            .build_global();
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut manifest = run_manifest::start(
        "pca",
        serde_json::json!({
            "out": args.out, "features": args.features, "loadings": args.loadings,
            "components": args.components, "scale": args.scale, "volumes": args.volumes,
            "bfile": args.bfile, "genotype_pcs": args.genotype_pcs, "oversampling": args.oversampling,
            "max_passes": args.max_passes, "tol": args.tol, "block": args.block, "seed": args.seed,
            "ld_window": args.ld_window, "ld_r2": args.ld_r2, "threads": args.threads,
        }),
    );
    let mut summary = serde_json::Map::new();
    if let Some(features) = &args.features {
        summary.insert(
            "features".into(),
            run_features(&args, features, &mut manifest)?,
        );
    }
    if let Some(prefix) = &args.bfile {
        manifest.seeds.insert("genotype_pca".into(), args.seed);
        summary.insert(
            "genotype".into(),
            run_genotypes(&args, prefix, &mut manifest)?,
        );
    }
    manifest.summary = serde_json::Value::Object(summary);
    manifest.write(&args.out.join("pca.manifest.json"))?;
    Ok(())
}

fn run_features(
    args: &PcaArgs,
    features: &Path,
    manifest: &mut RunManifest,
) -> anyhow::Result<serde_json::Value> {
    manifest.add_input(features)?;
    let table = manifest.time("read features", || FeatureTable::read(features))?;
    let out_table = args.out.join("feature-pcs.tsv");
    let (scores, loadings, mode) = match &args.loadings {
        Some(path) => {
            manifest.add_input(path)?;
            let loadings = Loadings::read(path)?;
            let scores = manifest.time("apply loadings", || apply_features(&table, &loadings))?;
            (scores, loadings, "apply")
        }
        None => {
            let volumes = match &args.volumes {
                Some(path) => {
                    manifest.add_input(path)?;
                    Some(PhenoTable::read(path)?)
                }
                None => None,
            };
            let options = FeaturePcaOptions {
                pca: PcaOptions {
                    n_components: args.components as usize,
                    scale: args.scale,
                },
                volumes,
            };
            let (loadings, scores) = manifest.time("fit", || fit_features(&table, &options))?;
            let path = args.out.join("pca-loadings.json");
            loadings.write(&path)?;
            manifest.add_output(&path)?;
            (scores, loadings, "fit")
        }
    };
    scores.write(&out_table)?;
    manifest.add_output(&out_table)?;
    tracing::info!(
        "{} structures, {} rows → {}",
        loadings.structures.len(),
        scores.n_rows(),
        out_table.display()
    );
    Ok(serde_json::json!({
        "mode": mode,
        "rows": scores.n_rows(),
        "explained_variance_ratio": loadings.structures.iter()
            .map(|s| (s.structure.clone(), serde_json::json!(s.explained_variance_ratio)))
            .collect::<serde_json::Map<_, _>>(),
    }))
}

fn run_genotypes(
    args: &PcaArgs,
    prefix: &Path,
    manifest: &mut RunManifest,
) -> anyhow::Result<serde_json::Value> {
    let fileset = Fileset::open(prefix)?;
    for path in biomarker_tables::plink::fileset_paths(prefix) {
        manifest.add_input(&path)?;
    }
    let k = args.genotype_pcs.unwrap_or(10) as usize;
    let options = GenotypePcaOptions {
        k,
        oversampling: args.oversampling as usize,
        max_passes: args.max_passes as usize,
        tol: args.tol,
        block: args.block as usize,
        seed: args.seed,
        prune: args.ld_r2.map(|r2| LdPruneOptions {
            window: args.ld_window as usize,
            r2,
        }),
    };
    let n_variants = fileset.n_variants() as u64;
    let mut bar: Option<(String, indicatif::ProgressBar)> = None;
    let mut on_progress = |step: &str, count: usize| {
        if bar.as_ref().is_none_or(|(name, _)| name != step) {
            if let Some((_, b)) = bar.take() {
                b.finish_and_clear();
            }
            bar = Some((step.to_owned(), progress::bar(n_variants, step)));
        }
        if let Some((_, b)) = &bar {
            if b.position() >= n_variants {
                b.set_position(0);
            }
            b.inc(count as u64);
        }
    };
    let pcs = manifest.time("genotype PCA", || {
        genotype_pcs(&fileset, &options, &mut on_progress)
    })?;
    if let Some((_, b)) = bar {
        b.finish_and_clear();
    }
    if !pcs.converged {
        tracing::warn!(
            "the eigenvalue estimates did not settle to {} within {} passes; relative residuals {:?}",
            args.tol,
            pcs.passes,
            pcs.relative_residuals
        );
    }
    let table_path = args.out.join("genotype-pcs.tsv");
    pcs.to_covariates().write(&table_path)?;
    manifest.add_output(&table_path)?;
    let eigenval = args.out.join("genotype-pcs.eigenval");
    write_atomic(&eigenval, |w| {
        pcs.eigenvalues.iter().try_for_each(|v| writeln!(w, "{v}"))
    })?;
    manifest.add_output(&eigenval)?;
    if options.prune.is_some() {
        let kept = args.out.join("genotype-pcs.prune.in");
        let variants = fileset.read_variants()?;
        write_atomic(&kept, |w| {
            pcs.variants_used
                .iter()
                .try_for_each(|&j| writeln!(w, "{}", variants[j].id))
        })?;
        manifest.add_output(&kept)?;
    }
    tracing::info!(
        "{k} PCs of {} samples from {} variants in {} passes → {}",
        pcs.samples.len(),
        pcs.variants_used.len(),
        pcs.passes,
        table_path.display()
    );
    Ok(serde_json::json!({
        "samples": pcs.samples.len(),
        "variants_used": pcs.variants_used.len(),
        "eigenvalues": pcs.eigenvalues,
        "passes": pcs.passes,
        "converged": pcs.converged,
        "relative_residuals": pcs.relative_residuals,
    }))
}
