//! Transfer-learning rows of `experiment --grid`: a row naming `--head-target` trains a
//! classifier head (with its auxiliary clinical heads, if any) the way `train --head-target`
//! does, in the row's own folder and on the experiment's split, and contributes its held-out
//! metrics (AUC, accuracy, sensitivity, specificity over test subjects) and the auxiliary
//! columns kept by the Spearman selection to `results.tsv`. `--init-encoder @NAME` starts
//! from the model trained by the earlier row NAME (checked when the grid is read).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::ExperimentArgs;
use crate::cmd::train::{BalanceKind, ModelArgs, TaskArgs, TrainArgs};

/// The results columns of the transfer-learning rows, appended after the autoencoder rows'
/// columns; `NA` in rows without a head.
pub const HEAD_COLUMNS: [&str; 6] = [
    "head_target",
    "head_auc",
    "head_accuracy",
    "head_sensitivity",
    "head_specificity",
    "aux_kept",
];

/// The head cells of a row without a classifier head.
pub fn na_cells() -> String {
    vec!["NA"; HEAD_COLUMNS.len()].join("\t")
}

/// The earlier row an `--init-encoder @NAME` refers to, if it does.
pub fn row_reference(init: Option<&Path>) -> Option<String> {
    let s = init?.to_str()?;
    s.strip_prefix('@').map(str::to_string)
}

/// The folder of the run `name` of an experiment writing into `out`.
pub fn run_dir(out: &Path, name: &str) -> PathBuf {
    out.join("runs").join(name)
}

/// Trains (or, when finished before, reads) the transfer row `name` into `dir` and returns
/// its head cells for `results.tsv`.
pub fn run(
    args: &ExperimentArgs,
    name: &str,
    model: &ModelArgs,
    dir: &Path,
) -> anyhow::Result<String> {
    let metrics_path = dir.join("test_metrics.json");
    let transfer_path = dir.join("transfer.json");
    if metrics_path.exists() && transfer_path.exists() {
        tracing::info!(run = name, "finished before; skipped");
    } else {
        let mut model = model.clone();
        if let Some(source) = row_reference(model.variants.init_encoder.as_deref()) {
            let source_dir = run_dir(&args.out, &source);
            anyhow::ensure!(
                source_dir.join("model.safetensors").exists(),
                "run {name}: --init-encoder @{source}: {} has no trained model",
                source_dir.display()
            );
            model.variants.init_encoder = Some(source_dir);
        }
        let mut data = args.data.clone();
        // The experiment's mask cache, not one per row.
        data.cache = Some(data.cache.unwrap_or_else(|| args.out.join("cache")));
        let train = TrainArgs {
            out: dir.to_path_buf(),
            data,
            model,
            // Unused by the transfer path (the head is the task).
            task: TaskArgs {
                tasks: Vec::new(),
                balance: BalanceKind::Equal,
                weights: Vec::new(),
            },
            resume: false,
        };
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::cmd::train_variants::run_transfer(&train)
            .with_context(|| format!("transfer-learning run {name}"))?;
    }
    head_cells(&metrics_path, &transfer_path)
}

/// The head cells from a finished transfer run's `test_metrics.json` and `transfer.json`.
fn head_cells(metrics_path: &Path, transfer_path: &Path) -> anyhow::Result<String> {
    let read = |p: &Path| -> anyhow::Result<serde_json::Value> {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", p.display()))
    };
    let metrics = read(metrics_path)?;
    let transfer = read(transfer_path)?;
    // Undefined metrics (e.g. an AUC with one class among the test subjects) are JSON null.
    let num = |key: &str| match metrics[key].as_f64() {
        Some(v) if v.is_finite() => format!("{v:.6}"),
        _ => "NA".to_string(),
    };
    let target = transfer["head_target"].as_str().unwrap_or("NA").to_string();
    let aux = transfer["aux"].as_array().cloned().unwrap_or_default();
    let kept: Vec<&str> = aux
        .iter()
        .filter(|a| a["kept"].as_bool() == Some(true))
        .filter_map(|a| a["name"].as_str())
        .collect();
    let aux_cell = match (aux.is_empty(), kept.is_empty()) {
        (true, _) => "NA".to_string(),
        (false, true) => "none".to_string(),
        (false, false) => kept.join(","),
    };
    Ok([
        target,
        num("auc"),
        num("accuracy"),
        num("sensitivity"),
        num("specificity"),
        aux_cell,
    ]
    .join("\t"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_cells_read_metrics_and_kept_columns() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("test_metrics.json");
        let t = dir.path().join("transfer.json");
        std::fs::write(
            &m,
            r#"{"n": 4, "auc": 0.75, "accuracy": 0.5, "sensitivity": 1.0, "specificity": null}"#,
        )
        .unwrap();
        std::fs::write(
            &t,
            r#"{"head_target": "big", "aux": [{"name": "r", "kept": true}, {"name": "p", "kept": false}]}"#,
        )
        .unwrap();
        assert_eq!(
            head_cells(&m, &t).unwrap(),
            "big\t0.750000\t0.500000\t1.000000\tNA\tr"
        );
        std::fs::write(&t, r#"{"head_target": "big", "aux": []}"#).unwrap();
        assert!(head_cells(&m, &t).unwrap().ends_with("\tNA"));
        assert_eq!(na_cells().split('\t').count(), HEAD_COLUMNS.len());
        assert_eq!(row_reference(Some(Path::new("@ae"))).as_deref(), Some("ae"));
        assert_eq!(row_reference(Some(Path::new("runs/ae"))), None);
    }
}
