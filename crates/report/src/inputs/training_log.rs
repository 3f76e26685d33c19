//! The training log of the deep model: JSON Lines, one object per epoch.
//!
//! ```text
//! {"epoch": 1, "losses": {"reconstruction": 0.71, "structure": 2.1, "volume": 0.9},
//!  "weights": {"reconstruction": 1.0, "structure": 1.0, "volume": 1.0}, "seconds": 12.5}
//! ```
//!
//! - `epoch` (integer, required);
//! - `losses` (or `train_losses`, as `train` writes it): task name → training loss
//!   (required, at least one task);
//! - `weights`: task name → GradNorm task weight (optional);
//! - `val_losses` (or `val.losses`, as `train` writes it): task name → validation loss
//!   (optional);
//! - `seconds`: wall time of the epoch (optional).
//!
//! Any other key is ignored, so the log can grow without breaking reports. Blank lines are
//! skipped. Numbers may be `null` (a task without a loss that epoch).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::{ReportError, Result};

/// One epoch of training.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EpochRecord {
    /// Epoch number.
    pub epoch: u64,
    /// Training loss per task.
    pub losses: BTreeMap<String, f64>,
    /// Validation loss per task.
    pub val_losses: BTreeMap<String, f64>,
    /// GradNorm weight per task.
    pub weights: BTreeMap<String, f64>,
    /// Wall-clock seconds of the epoch.
    pub seconds: Option<f64>,
}

/// A whole training log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainingLog {
    /// Epochs in file order.
    pub epochs: Vec<EpochRecord>,
}

fn task_map(
    path: &Path,
    line: usize,
    obj: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    match obj.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (task, v) in m {
                match v {
                    Value::Null => {}
                    Value::Number(n) => {
                        out.insert(task.clone(), n.as_f64().unwrap_or(f64::NAN));
                    }
                    other => {
                        return Err(ReportError::input(
                            path,
                            line,
                            format!("{key}.{task}: expected a number, found {other}"),
                        ));
                    }
                }
            }
        }
        Some(other) => {
            return Err(ReportError::input(
                path,
                line,
                format!("{key}: expected an object of task → number, found {other}"),
            ));
        }
    }
    Ok(out)
}

impl TrainingLog {
    /// Reads a JSONL training log.
    pub fn read(path: &Path) -> Result<Self> {
        Self::parse(path, &super::read_text(path)?)
    }

    /// Parses the text of a log; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let mut epochs = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line)
                .map_err(|e| ReportError::input(path, n, format!("not JSON: {e}")))?;
            let Value::Object(obj) = value else {
                return Err(ReportError::input(
                    path,
                    n,
                    "expected one JSON object per line",
                ));
            };
            let epoch = obj.get("epoch").and_then(Value::as_u64).ok_or_else(|| {
                ReportError::input(
                    path,
                    n,
                    format!(
                        "\"epoch\": expected a non-negative integer, found {}",
                        obj.get("epoch").map_or("nothing".into(), Value::to_string)
                    ),
                )
            })?;
            // `train` writes `train_losses` and `val: {losses}`; both spellings are read.
            let loss_key = if obj.contains_key("losses") {
                "losses"
            } else {
                "train_losses"
            };
            let losses = task_map(path, n, &obj, loss_key)?;
            if losses.is_empty() {
                return Err(ReportError::input(
                    path,
                    n,
                    "\"losses\": expected at least one task's loss",
                ));
            }
            let seconds = match obj.get("seconds") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_f64().ok_or_else(|| {
                    ReportError::input(
                        path,
                        n,
                        format!("\"seconds\": expected a number, found {v}"),
                    )
                })?),
            };
            epochs.push(EpochRecord {
                epoch,
                losses,
                val_losses: match obj.get("val") {
                    Some(Value::Object(val)) if !obj.contains_key("val_losses") => {
                        task_map(path, n, val, "losses")?
                    }
                    _ => task_map(path, n, &obj, "val_losses")?,
                },
                weights: task_map(path, n, &obj, "weights")?,
                seconds,
            });
        }
        if epochs.is_empty() {
            return Err(ReportError::input(path, 1, "no epochs in the training log"));
        }
        Ok(Self { epochs })
    }

    /// Every task named in the losses, sorted.
    pub fn tasks(&self) -> Vec<String> {
        let mut t: Vec<String> = self
            .epochs
            .iter()
            .flat_map(|e| e.losses.keys().cloned())
            .collect();
        t.sort();
        t.dedup();
        t
    }

    /// Whether any epoch has task weights.
    pub fn has_weights(&self) -> bool {
        self.epochs.iter().any(|e| !e.weights.is_empty())
    }

    /// Total wall time of the logged epochs.
    pub fn total_seconds(&self) -> f64 {
        self.epochs.iter().filter_map(|e| e.seconds).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_epochs_and_ignores_extra_keys() {
        let text = r#"{"epoch": 1, "losses": {"recon": 0.5, "cls": 2.0}, "weights": {"recon": 1.0, "cls": 1.0}, "seconds": 3.5, "lr": 0.001}

{"epoch": 2, "losses": {"recon": 0.25, "cls": null}, "val_losses": {"recon": 0.3}, "weights": {"recon": 1.2, "cls": 0.8}, "gpu": {"mem": 3}}
"#;
        let log = TrainingLog::parse(Path::new("t.jsonl"), text).unwrap();
        assert_eq!(log.epochs.len(), 2);
        assert_eq!(log.tasks(), ["cls", "recon"]);
        assert_eq!(log.epochs[1].losses.get("cls"), None);
        assert_eq!(log.epochs[1].weights["cls"], 0.8);
        assert_eq!(log.epochs[1].val_losses["recon"], 0.3);
        assert_eq!(log.epochs[1].seconds, None);
        assert!(log.has_weights());
        assert_eq!(log.total_seconds(), 3.5);
    }

    #[test]
    fn reads_the_log_train_writes() {
        let text = r#"{"epoch":1,"train_losses":{"class":2.6,"recon":0.6},"weights":{"class":0.9,"recon":1.1},"val":{"losses":{"class":2.5,"recon":0.5},"total":3.0},"seconds":25.8}"#;
        let log = TrainingLog::parse(Path::new("train_log.jsonl"), text).unwrap();
        assert_eq!(log.tasks(), ["class", "recon"]);
        assert_eq!(log.epochs[0].losses["class"], 2.6);
        assert_eq!(log.epochs[0].val_losses["recon"], 0.5);
        assert_eq!(log.epochs[0].weights["recon"], 1.1);
        assert_eq!(log.total_seconds(), 25.8);
    }

    #[test]
    fn errors_name_the_file_line_and_value() {
        let p = Path::new("log.jsonl");
        let err = |text: &str| TrainingLog::parse(p, text).unwrap_err().to_string();
        assert_eq!(
            err("{\"epoch\": 1, \"losses\": {\"a\": 1}}\n{\"epoch\": \"two\", \"losses\": {\"a\": 1}}"),
            "log.jsonl: line 2: \"epoch\": expected a non-negative integer, found \"two\""
        );
        assert!(err("{\"epoch\": 1, \"losses\": {\"a\": 1}\n")
            .starts_with("log.jsonl: line 1: not JSON"));
        assert_eq!(
            err("[1, 2]"),
            "log.jsonl: line 1: expected one JSON object per line"
        );
        assert_eq!(
            err("{\"epoch\": 1, \"losses\": {}}"),
            "log.jsonl: line 1: \"losses\": expected at least one task's loss"
        );
        assert_eq!(
            err("{\"epoch\": 1, \"losses\": {\"a\": \"x\"}}"),
            "log.jsonl: line 1: losses.a: expected a number, found \"x\""
        );
        assert_eq!(
            err("\n\n"),
            "log.jsonl: line 1: no epochs in the training log"
        );
    }
}
