//! `biomarker-gwas experiment`: the study's design grid in one command. Runs each task alone,
//! reconstruction + class, reconstruction + volume and all three, every multi-task set with
//! equal weights and with GradNorm; each run lives in `runs/<name>/`, resumes from its
//! checkpoints and is skipped once finished. Writes `results.tsv` with test-split metrics and
//! the downstream value of the features (per structure, |correlation| of the features' first
//! principal component with volume and with age, averaged over structures).

use std::path::PathBuf;

use anyhow::Context;
use biomarker_deep::balance::{BalanceConfig, Task};
use biomarker_deep::data::{Dataset, Split};
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
    /// each row starts from this command's model options.
    #[arg(long)]
    pub grid: Option<std::path::PathBuf>,
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

/// Mean over structures of |corr(PC1 of the features, target)| on the `items` whose target
/// is known.
fn pc1_correlation(
    table: &biomarker_tables::FeatureTable,
    data: &Dataset,
    items: &[usize],
    target: impl Fn(usize) -> Option<f64>,
) -> f64 {
    let mut total = 0.0;
    let mut count = 0;
    for s in 0..data.structures.len() {
        let rows: Vec<usize> = items
            .iter()
            .copied()
            .filter(|&i| data.item_structure[i] as usize == s && target(i).is_some())
            .collect();
        if rows.len() < 3 {
            continue;
        }
        let x: Vec<&[f64]> = rows.iter().map(|&i| table.row(i)).collect();
        let y: Vec<f64> = rows.iter().filter_map(|&i| target(i)).collect();
        let score = first_pc_scores(&x);
        let r = pearson(&score, &y);
        if r.is_finite() {
            total += r.abs();
            count += 1;
        }
    }
    if count == 0 {
        f64::NAN
    } else {
        total / count as f64
    }
}

/// A number for the results table (`NA` when undefined).
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
    } else {
        "NA".into()
    }
}

/// Scores on the first principal component (power iteration on the centred covariance).
fn first_pc_scores(x: &[&[f64]]) -> Vec<f64> {
    let (n, d) = (x.len(), x[0].len());
    let mean: Vec<f64> = (0..d)
        .map(|j| x.iter().map(|r| r[j]).sum::<f64>() / n as f64)
        .collect();
    let c: Vec<Vec<f64>> = x
        .iter()
        .map(|r| r.iter().zip(&mean).map(|(a, m)| a - m).collect())
        .collect();
    let mut v = vec![1.0 / (d as f64).sqrt(); d];
    for _ in 0..200 {
        let s: Vec<f64> = c
            .iter()
            .map(|r| r.iter().zip(&v).map(|(a, b)| a * b).sum())
            .collect();
        let mut w = vec![0.0; d];
        for (r, si) in c.iter().zip(&s) {
            for j in 0..d {
                w[j] += r[j] * si;
            }
        }
        let norm = w.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm == 0.0 {
            break;
        }
        v = w.iter().map(|a| a / norm).collect();
    }
    c.iter()
        .map(|r| r.iter().zip(&v).map(|(a, b)| a * b).sum())
        .collect()
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Runs `experiment`.
pub fn run(args: ExperimentArgs) -> anyhow::Result<()> {
    let device = parse_device(&args.data.device)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let params = serde_json::json!({ "size": args.data.size, "device": args.data.device, "epochs": args.model.epochs, "alpha": args.model.alpha });
    let mut manifest = run_manifest::start("experiment", params);
    let (data, split) = load_and_split(&args.data, &args.model, &args.out, &mut manifest)?;
    let test = data.items_in(&split, Split::Test);
    let ages = read_ages(&args, &data)?;
    let mut lines = vec![
        "run\ttasks\tbalance\tdice\trecon_mse\taccuracy\tvolume_r2\tvolume_r2_within\tpc1_volume_abs_r\tpc1_age_abs_r".to_string(),
    ];
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
        let eval: Evaluation = if done.exists() {
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
        let pc1 = pc1_correlation(&table, &data, &test, |i| Some(data.item_volume[i]));
        let pc1_age = match &ages {
            Some(a) => format!(
                "{:.6}",
                pc1_correlation(&table, &data, &test, |i| a[data.item_subject[i]])
            ),
            None => "NA".into(),
        };
        let has = |t: Task| g.tasks.contains(&t);
        let fmt = |ok: bool, v: f64| if ok { format!("{v:.6}") } else { "NA".into() };
        let tasks: Vec<&str> = g.tasks.iter().map(|t| t.name()).collect();
        let balance = super::experiment_grid::balance_name(&g.balance);
        lines.push(format!(
            "{}\t{}\t{balance}\t{}\t{}\t{}\t{}\t{}\t{}\t{pc1_age}",
            g.name,
            tasks.join(","),
            fmt(has(Task::Recon), eval.dice),
            fmt(has(Task::Recon), eval.recon_mse),
            fmt(has(Task::Class), eval.accuracy),
            fmt(has(Task::Volume), eval.volume_r2),
            fmt(has(Task::Volume), eval.volume_r2_within),
            num(pc1),
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

    #[test]
    fn first_pc_of_a_line_is_the_line() {
        let rows: Vec<Vec<f64>> = (0..10)
            .map(|i| vec![i as f64, 2.0 * i as f64 + 1.0])
            .collect();
        let x: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let s = first_pc_scores(&x);
        let t: Vec<f64> = (0..10).map(f64::from).collect();
        assert!((pearson(&s, &t).abs() - 1.0).abs() < 1e-12);
    }
}
