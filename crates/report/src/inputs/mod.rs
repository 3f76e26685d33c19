//! Inputs that are not typed tables of biomarker-tables: the deep model's training log
//! (JSONL) and experiment grid (TSV), and the PCA explained-variance table (TSV). Each has a
//! small documented reader that names the file and line of anything malformed.

pub mod grid;
pub mod training_log;
pub mod variance;

pub use grid::GridTable;
pub use training_log::{EpochRecord, TrainingLog};
pub use variance::{VarianceRow, VarianceTable};

use std::path::Path;

use crate::error::{ReportError, Result};

/// Reads a text file whole, naming it on failure.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| ReportError::io(path, e))
}

/// A data line's 1-based number and its fields.
pub(crate) type NumberedRow = (usize, Vec<String>);

/// The header and data lines of a tab-separated file: blank lines and `#`/`##` comment lines
/// before the header are skipped; a header line may itself start with `#`. Each line comes
/// with its 1-based number.
pub(crate) fn tsv_lines(path: &Path, text: &str) -> Result<(Vec<String>, Vec<NumberedRow>)> {
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match &header {
            None => {
                if line.starts_with("##") {
                    continue;
                }
                let names: Vec<String> = line
                    .trim_start_matches('#')
                    .split('\t')
                    .map(|s| s.trim().to_owned())
                    .collect();
                header = Some(names);
            }
            Some(h) => {
                let fields: Vec<String> = line.split('\t').map(|s| s.trim().to_owned()).collect();
                if fields.len() != h.len() {
                    return Err(ReportError::input(
                        path,
                        i + 1,
                        format!(
                            "{} tab-separated fields, but the header has {}",
                            fields.len(),
                            h.len()
                        ),
                    ));
                }
                rows.push((i + 1, fields));
            }
        }
    }
    let header =
        header.ok_or_else(|| ReportError::input(path, 1, "empty file: expected a header line"))?;
    Ok((header, rows))
}
