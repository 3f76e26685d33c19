//! `biomarker-gwas experiment`: the study's design grid in one command. Runs each task alone,
//! reconstruction + class, reconstruction + volume and all three, every multi-task set with
//! equal weights and with GradNorm; each run lives in `runs/<name>/`, resumes from its
//! checkpoints and is skipped once finished. Writes `results.tsv` with test-split metrics
//! (reconstruction Dice and MSE, class accuracy, volume R² within structure) and the downstream
//! value of the features, computed by the `pca` and `assoc` code (see [`downstream`]): PC1's
//! |correlation| with volume and with age, and the cross-validated AD vs CN AUC, each averaged
//! over structures. Transfer-learning rows of a grid file add their head's test metrics (see
//! [`transfer_row`]).

mod downstream;
pub mod transfer_row;

use std::path::PathBuf;

use anyhow::Context;
use biomarker_deep::balance::{BalanceConfig, Task};
use biomarker_deep::data::Dataset;
use biomarker_deep::device::parse_device;
use biomarker_deep::encode::{encode, load_model};
use biomarker_deep::train::Evaluation;
use clap::Args;

use super::train::{load_and_split, train_one, DataArgs, ModelArgs};
use crate::run_manifest;

/// Options of `experiment`.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// Output folder: runs/<name>/ per configuration, results.tsv, manifest.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Input data.
    #[command(flatten)]
    pub data: DataArgs,
    /// Model and optimisation (shared by every run).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Covariate table with the subjects' age (default: covariates.tsv of --sim-dir, if any).
    #[arg(long)]
    pub covariates: Option<PathBuf>,
    /// Name of the age column in the covariate table.
    #[arg(long, default_value = "age")]
    pub age_column: String,
    /// A grid spec replacing the default design: one run per line, `NAME` followed by
    /// `train` options (e.g. `convex07 --tasks recon,class --balance convex --alpha 0.7`);
    /// each row starts from this command's model options. A row with `--head-target` trains a
    /// classifier head (transfer learning, auxiliary tasks), `--init-encoder @NAME` starting
    /// from the model of the earlier row NAME; its test AUC, accuracy, sensitivity and
    /// specificity go to results.tsv's head_* columns.
    #[arg(long)]
    pub grid: Option<std::path::PathBuf>,
    /// Case/control column of AD vs CN (1/2 or 0/1 coded, other diagnoses missing).
    #[arg(long, default_value = "ad_vs_cn")]
    pub ad_column: String,
    /// Folds of the cross-validated AD AUC (stratified; as `assoc --cv-folds`).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(2..))]
    pub cv_folds: u32,
    /// Seed of the cross-validation folds.
    #[arg(long, default_value_t = 1)]
    pub cv_seed: u64,
}

/// Age per subject of `data` from the covariate table, if one is given or found.
fn read_ages(args: &ExperimentArgs, data: &Dataset) -> anyhow::Result<Option<Vec<Option<f64>>>> {
    let path = match (&args.covariates, &args.data.sim_dir) {
        (Some(p), _) => p.clone(),
        (None, Some(d)) if d.join("covariates.tsv").exists() => d.join("covariates.tsv"),
        _ => return Ok(None),
    };
    let table = biomarker_tables::PhenoTable::read(&path)?;
    let col = table
        .column(&args.age_column)
        .with_context(|| format!("{}: no column {:?}", path.display(), args.age_column))?;
    let biomarker_tables::PhenoValues::Numeric(values) = &col.values else {
        anyhow::bail!(
            "{}: column {:?} is not numeric",
            path.display(),
            args.age_column
        );
    };
    let by_iid: std::collections::HashMap<&str, Option<f64>> = table
        .iids()
        .into_iter()
        .zip(values.iter().copied())
        .collect();
    Ok(Some(
        data.subjects
            .iter()
            .map(|iid| by_iid.get(iid.as_str()).copied().flatten())
            .collect(),
    ))
}

/// One cell of the grid.
#[derive(Debug, Clone)]
pub struct GridRun {
    /// Folder name, e.g. `recon+class.gradnorm`.
    pub name: String,
    /// Active tasks.
    pub tasks: Vec<Task>,
    /// Task weighting.
    pub balance: BalanceConfig,
}

/// The design grid.
pub fn grid(alpha: f64, balance_lr: f64) -> Vec<GridRun> {
    use Task::*;
    let mut runs = Vec::new();
    for t in Task::ALL {
        runs.push(GridRun {
            name: t.name().into(),
            tasks: vec![t],
            balance: BalanceConfig::Equal,
        });
    }
    for set in [
        vec![Recon, Class],
        vec![Recon, Volume],
        vec![Recon, Class, Volume],
    ] {
        let base: Vec<&str> = set.iter().map(|t| t.name()).collect();
        let base = base.join("+");
        runs.push(GridRun {
            name: format!("{base}.equal"),
            tasks: set.clone(),
            balance: BalanceConfig::Equal,
        });
        runs.push(GridRun {
            name: format!("{base}.gradnorm"),
            tasks: set,
            balance: BalanceConfig::GradNorm {
                alpha,
                lr: balance_lr,
            },
        });
    }
    runs
}

/// A number for the results table (`NA` when undefined).
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
    } else {
        "NA".into()
    }
}

/// Runs `experiment`.
pub fn run(args: ExperimentArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.model.variants.head_target.is_none(),
        "--head-target belongs on a row of `experiment --grid` (see docs/methods/model-variants.md), not on the whole experiment"
    );
    let device = parse_device(&args.data.device)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let params = serde_json::json!({ "size": args.data.size, "device": args.data.device, "epochs": args.model.epochs, "alpha": args.model.alpha });
    let mut manifest = run_manifest::start("experiment", params);
    let (data, split) = load_and_split(&args.data, &args.model, &args.out, &mut manifest)?;
    let ages = read_ages(&args, &data)?;
    // The AD vs CN column comes from the model options' --pheno (the table a transfer head
    // would read), else from the simulator's phenotypes.tsv; without either the AUC is NA.
    let ad = match (&args.model.variants.pheno, &args.data.sim_dir) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(d)) if d.join("phenotypes.tsv").exists() => Some(d.join("phenotypes.tsv")),
        _ => None,
    };
    if let Some(p) = &ad {
        manifest.add_input(p)?;
    }
    manifest.seeds.insert("cv_folds".into(), args.cv_seed);
    let targets = downstream::Targets::write(
        &args.out.join("test-targets.tsv"),
        &data,
        &split,
        ages.as_deref(),
        ad.map(|p| (p, args.ad_column.clone())),
        args.cv_folds as usize,
        args.cv_seed,
    )?;
    let mut lines = vec![[
        "run",
        "tasks",
        "balance",
        "dice",
        "recon_mse",
        "accuracy",
        "volume_r2",
        "pc1_volume_abs_r",
        "pc1_age_abs_r",
        "ad_auc_cv",
    ]
    .into_iter()
    .chain(transfer_row::HEAD_COLUMNS)
    .collect::<Vec<_>>()
    .join("\t")];
    let runs: Vec<(GridRun, ModelArgs)> = match &args.grid {
        Some(path) => super::experiment_grid::read_grid(path, &args.model)?,
        None => grid(args.model.alpha, args.model.balance_lr)
            .into_iter()
            .map(|g| (g, args.model.clone()))
            .collect(),
    };
    for (g, row_model) in runs {
        let dir = args.out.join("runs").join(&g.name);
        let done = dir.join("test_metrics.json");
        // A transfer-learning row trains a classifier head instead of the autoencoder tasks.
        let head = row_model.variants.head_target.is_some();
        let head_cells = if head {
            manifest.time(&g.name, || {
                transfer_row::run(&args, &g.name, &row_model, &dir)
            })?
        } else {
            transfer_row::na_cells()
        };
        let eval: Evaluation = if head {
            Evaluation::default()
        } else if done.exists() {
            tracing::info!(run = g.name, "finished before; skipped");
            serde_json::from_str(&std::fs::read_to_string(&done)?)
                .with_context(|| format!("reading {}", done.display()))?
        } else {
            let config =
                row_model.config(&data, args.data.size, g.tasks.clone(), g.balance.clone());
            manifest.time(&g.name, || {
                train_one(
                    config,
                    &data,
                    &split,
                    &dir,
                    &args.data.device,
                    true,
                    &g.name,
                )
            })?
        };
        let loaded = load_model(&dir, &device)?;
        let table = encode(&loaded, &data, None, row_model.batch_size, |_| {})?;
        let value = downstream::evaluate(&table, &dir, &targets)
            .with_context(|| format!("downstream value of run {}", g.name))?;
        let has = |t: Task| !head && g.tasks.contains(&t);
        let fmt = |ok: bool, v: f64| if ok { format!("{v:.6}") } else { "NA".into() };
        let tasks: Vec<&str> = g.tasks.iter().map(|t| t.name()).collect();
        let (tasks, balance) = if head {
            ("head".to_string(), "NA".to_string())
        } else {
            (
                tasks.join(","),
                super::experiment_grid::balance_name(&g.balance),
            )
        };
        lines.push(format!(
            "{}\t{tasks}\t{balance}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{head_cells}",
            g.name,
            fmt(has(Task::Recon), eval.dice),
            fmt(has(Task::Recon), eval.recon_mse),
            fmt(has(Task::Class), eval.accuracy),
            fmt(has(Task::Volume), eval.volume_r2),
            num(value.pc1_volume_abs_r),
            num(value.pc1_age_abs_r),
            num(value.ad_auc_cv),
        ));
    }
    let results = args.out.join("results.tsv");
    biomarker_tables::atomic::write_atomic(&results, |w| {
        for l in &lines {
            writeln!(w, "{l}")?;
        }
        Ok(())
    })?;
    manifest.add_output(&results)?;
    manifest.add_output(&targets.test_table)?;
    manifest.write(&args.out.join("manifest.json"))?;
    for l in &lines {
        println!("{l}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_has_every_design_cell() {
        let g = grid(1.5, 0.025);
        assert_eq!(g.len(), 9);
        assert_eq!(
            g.iter()
                .filter(|r| matches!(r.balance, BalanceConfig::GradNorm { .. }))
                .count(),
            3
        );
        assert!(g
            .iter()
            .any(|r| r.name == "recon+class+volume.gradnorm" && r.tasks.len() == 3));
    }
}
