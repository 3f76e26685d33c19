//! The experiment-grid table of the deep model: tab separated, one header line (a leading
//! `#` is allowed), then one row per run of the grid (its parameters and its metrics, any
//! columns). The report shows it as it is, and highlights the best row when a metric column
//! to rank by is named.

use std::path::Path;

use crate::error::{ReportError, Result};

/// A table of strings with a header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridTable {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, one string per column.
    pub rows: Vec<Vec<String>>,
}

impl GridTable {
    /// Reads a grid TSV; every row must have as many fields as the header.
    pub fn read(path: &Path) -> Result<Self> {
        Self::parse(path, &super::read_text(path)?)
    }

    /// Parses the text of a grid TSV; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let (columns, rows) = super::tsv_lines(path, text)?;
        if columns.iter().any(String::is_empty) {
            return Err(ReportError::input(
                path,
                1,
                "the header has an empty column name",
            ));
        }
        Ok(Self {
            columns,
            rows: rows.into_iter().map(|(_, r)| r).collect(),
        })
    }

    /// The row with the smallest (or largest, `maximise`) numeric value of `column`;
    /// None when the column is absent or has no numbers.
    pub fn best_row(&self, column: &str, maximise: bool) -> Option<usize> {
        let c = self.columns.iter().position(|n| n == column)?;
        let values = self.rows.iter().enumerate().filter_map(|(i, r)| {
            r[c].parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(|v| (i, v))
        });
        if maximise {
            values.max_by(|a, b| a.1.total_cmp(&b.1)).map(|(i, _)| i)
        } else {
            values.min_by(|a, b| a.1.total_cmp(&b.1)).map(|(i, _)| i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_finds_the_best() {
        let g = GridTable::parse(
            Path::new("g.tsv"),
            "## grid\n#alpha\tlr\tval_loss\n1.5\t0.01\t0.30\n0.5\t0.01\t0.25\n\n1.0\t0.1\tNA\n",
        )
        .unwrap();
        assert_eq!(g.columns, ["alpha", "lr", "val_loss"]);
        assert_eq!(g.rows.len(), 3);
        assert_eq!(g.best_row("val_loss", false), Some(1));
        assert_eq!(g.best_row("val_loss", true), Some(0));
        assert_eq!(g.best_row("nope", false), None);
    }

    #[test]
    fn ragged_rows_are_errors_with_their_line() {
        let e = GridTable::parse(Path::new("g.tsv"), "a\tb\n1\t2\n3\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "g.tsv: line 3: 1 tab-separated fields, but the header has 2"
        );
        let e = GridTable::parse(Path::new("g.tsv"), "").unwrap_err();
        assert_eq!(
            e.to_string(),
            "g.tsv: line 1: empty file: expected a header line"
        );
    }
}
