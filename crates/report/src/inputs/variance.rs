//! The PCA explained-variance table: tab separated with a header holding at least
//! `structure`, `component` (1-based integer) and `explained_variance_ratio` (0–1); other
//! columns (e.g. `explained_variance`) are ignored. One row per structure × component.

use std::path::Path;

use crate::error::{ReportError, Result};

/// One component of one structure's PCA.
#[derive(Debug, Clone, PartialEq)]
pub struct VarianceRow {
    /// Structure.
    pub structure: String,
    /// Component number, 1-based.
    pub component: u32,
    /// Fraction of the variance it explains.
    pub ratio: f64,
}

/// Explained variance of every structure's PCA.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VarianceTable {
    /// Rows in file order.
    pub rows: Vec<VarianceRow>,
}

impl VarianceTable {
    /// Reads the table.
    pub fn read(path: &Path) -> Result<Self> {
        Self::parse(path, &super::read_text(path)?)
    }

    /// Parses its text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let (header, lines) = super::tsv_lines(path, text)?;
        let col = |name: &str| {
            header.iter().position(|h| h == name).ok_or_else(|| {
                ReportError::input(
                    path,
                    1,
                    format!("no column {name:?} (have {})", header.join(", ")),
                )
            })
        };
        let (s, c, r) = (
            col("structure")?,
            col("component")?,
            col("explained_variance_ratio")?,
        );
        let mut rows = Vec::with_capacity(lines.len());
        for (line, f) in lines {
            let component = f[c]
                .parse::<u32>()
                .ok()
                .filter(|k| *k >= 1)
                .ok_or_else(|| {
                    ReportError::input(
                        path,
                        line,
                        format!("component: expected an integer ≥ 1, found {:?}", f[c]),
                    )
                })?;
            let ratio = f[r]
                .parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or_else(|| {
                    ReportError::input(
                        path,
                        line,
                        format!(
                            "explained_variance_ratio: expected a number in [0, 1], found {:?}",
                            f[r]
                        ),
                    )
                })?;
            rows.push(VarianceRow {
                structure: f[s].clone(),
                component,
                ratio,
            });
        }
        Ok(Self { rows })
    }

    /// Structures in order of first appearance.
    pub fn structures(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.rows
            .iter()
            .filter(|r| seen.insert(r.structure.as_str()))
            .map(|r| r.structure.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_checks_values() {
        let t = VarianceTable::parse(
            Path::new("v.tsv"),
            "structure\tcomponent\texplained_variance\texplained_variance_ratio\nhippo\t1\t3.2\t0.41\nhippo\t2\t1.1\t0.2\nthal\t1\t2.0\t0.5\n",
        )
        .unwrap();
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.structures(), ["hippo", "thal"]);
        assert_eq!(
            t.rows[1],
            VarianceRow {
                structure: "hippo".into(),
                component: 2,
                ratio: 0.2
            }
        );
        let e = VarianceTable::parse(
            Path::new("v.tsv"),
            "structure\tcomponent\texplained_variance_ratio\nh\t0\t0.1\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "v.tsv: line 2: component: expected an integer ≥ 1, found \"0\""
        );
        let e =
            VarianceTable::parse(Path::new("v.tsv"), "structure\tcomponent\tratio\n").unwrap_err();
        assert_eq!(e.to_string(), "v.tsv: line 1: no column \"explained_variance_ratio\" (have structure, component, ratio)");
        let e = VarianceTable::parse(
            Path::new("v.tsv"),
            "structure\tcomponent\texplained_variance_ratio\nh\t1\t1.5\n",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("line 2: explained_variance_ratio"),
            "{e}"
        );
    }
}
