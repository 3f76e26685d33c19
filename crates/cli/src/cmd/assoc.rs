//! `biomarker-gwas assoc`: regression of features on predictors (OLS) or of a case/control
//! outcome on features (logistic), and the comparison of deep features against volumes per
//! structure (see the assoc crate's `features` module for the statistics).

use std::path::PathBuf;

use anyhow::Context;
use biomarker_assoc::features::{self, AssocConfig, Model};
use biomarker_tables::TableKind;
use clap::{Args, ValueEnum};
use serde_json::json;

/// The regression model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// Ordinary least squares of a quantitative outcome.
    Ols,
    /// Logistic regression of a case/control outcome (1/2 or 0/1 coded).
    Logistic,
}

/// Options of `assoc`.
#[derive(Debug, Args)]
pub struct AssocArgs {
    /// Phenotype file (`#FID IID col…` or `IID col…`, NA/-9 missing; or Parquet): outcomes,
    /// volumes and any other column usable as outcome or predictor.
    #[arg(long)]
    pub pheno: PathBuf,
    /// FeatureTable (text or Parquet, long form); its columns are named
    /// `<structure>_<feature>`, e.g. `left_hippocampus_PC1`.
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Covariate file, same layout as the phenotype file; categorical columns are one-hot
    /// encoded with the most frequent level as reference.
    #[arg(long)]
    pub covar: Option<PathBuf>,
    /// Covariate columns to use, comma separated (default: every column of --covar). A
    /// covariate that is a model's outcome or predictor is left out of that model.
    #[arg(long, value_delimiter = ',')]
    pub covar_name: Vec<String>,
    /// Outcome column(s), comma separated; `*` matches any text (e.g. `*_PC1`). For `ols`
    /// the regressed feature (or, with --compare, what the features should explain, e.g.
    /// `age`); for `logistic` a case/control column such as `ad_vs_cn`.
    #[arg(long, value_delimiter = ',', required = true)]
    pub outcome: Vec<String>,
    /// Predictor column(s) tested, comma separated, `*` allowed (e.g. `age` or `vol_*`).
    #[arg(long, value_delimiter = ',')]
    pub predictor: Vec<String>,
    /// `ols` (β, SE, t, p, CI, R², adjusted R², F) or `logistic` (β, OR, SE, z, p, CI,
    /// deviance, AIC, ROC AUC).
    #[arg(long, value_enum, default_value = "ols")]
    pub model: ModelArg,
    /// Folds of the cross-validated ROC AUC of logistic models (stratified; 0 turns it off).
    #[arg(long, default_value_t = 5)]
    pub cv_folds: usize,
    /// Seed of the cross-validation folds.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also compare, per structure, the deep feature with the volume: outcome ~ volume,
    /// ~ deep, ~ both, with likelihood-ratio tests (writes comparison.tsv/.parquet).
    #[arg(long)]
    pub compare: bool,
    /// FeatureTable column used as the deep feature in --compare.
    #[arg(long, default_value = "PC1")]
    pub deep_feature: String,
    /// Volume columns are named `<prefix><structure>`.
    #[arg(long, default_value = "vol_")]
    pub volume_prefix: String,
    /// Output folder (created if absent): assoc.tsv, assoc.parquet, comparison.* and
    /// assoc.manifest.json.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `assoc` and prints every model's result.
pub fn run(args: AssocArgs) -> anyhow::Result<()> {
    let report = execute(&args)?;
    for r in &report.assoc.records {
        println!(
            "{}\t{} ~ {}\tn {}\tbeta {:.4}\tp {:.3e}",
            r.analysis, r.outcome, r.predictor, r.n, r.beta, r.p
        );
    }
    if let Some(t) = &report.comparison {
        for r in &t.records {
            println!(
                "compare\t{} {}\tbetter {}\tLR(deep | volume) p {:.3e}",
                r.outcome, r.structure, r.better, r.lr_deep_p
            );
        }
    }
    Ok(())
}

/// Runs the models and writes the tables and the manifest (without printing).
pub fn execute(args: &AssocArgs) -> anyhow::Result<features::AssocReport> {
    let cfg = AssocConfig {
        pheno: args.pheno.clone(),
        covar: args.covar.clone(),
        features: args.features.clone(),
        covar_names: args.covar_name.clone(),
        outcomes: args.outcome.clone(),
        predictors: args.predictor.clone(),
        model: match args.model {
            ModelArg::Ols => Model::Ols,
            ModelArg::Logistic => Model::Logistic,
        },
        cv_folds: args.cv_folds,
        seed: args.seed,
        compare: args.compare,
        deep_feature: args.deep_feature.clone(),
        volume_prefix: args.volume_prefix.clone(),
    };
    cfg.validate()?;
    let mut manifest = crate::run_manifest::start(
        "assoc",
        json!({
            "pheno": args.pheno, "features": args.features, "covar": args.covar,
            "covar_name": args.covar_name, "outcome": args.outcome, "predictor": args.predictor,
            "model": cfg.model.name(), "cv_folds": args.cv_folds, "seed": args.seed,
            "compare": args.compare, "deep_feature": args.deep_feature,
            "volume_prefix": args.volume_prefix, "out": args.out,
        }),
    );
    manifest.seeds.insert("cv_folds".into(), args.seed);
    for p in [
        Some(&args.pheno),
        args.features.as_ref(),
        args.covar.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        manifest
            .add_input(p)
            .with_context(|| format!("hashing {}", p.display()))?;
    }
    let bar = crate::progress::bar(0, "models");
    let report = manifest.time("regress", || {
        features::run(&cfg, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
    });
    bar.finish_and_clear();
    let report = report.context("association failed")?;
    for line in &report.alignments {
        tracing::info!("{line}");
    }
    for line in &report.skipped {
        tracing::warn!("skipped {line}");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for name in ["assoc.tsv", "assoc.parquet"] {
        let path = args.out.join(name);
        report.assoc.write(&path)?;
        manifest.add_output(&path)?;
    }
    if let Some(table) = &report.comparison {
        for name in ["comparison.tsv", "comparison.parquet"] {
            let path = args.out.join(name);
            table.write(&path)?;
            manifest.add_output(&path)?;
        }
    }
    manifest.summary = json!({
        "samples": report.samples, "alignments": report.alignments,
        "models": report.assoc.records.len(),
        "comparisons": report.comparison.as_ref().map(|t| t.records.len()),
        "skipped": report.skipped,
    });
    manifest.write(&args.out.join("assoc.manifest.json"))?;
    Ok(report)
}
