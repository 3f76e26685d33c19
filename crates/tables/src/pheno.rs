//! PLINK-style phenotype and covariate tables: a header `#FID IID col…` or `IID col…`,
//! whitespace or tab separated, `NA`, `-9` and empty fields missing; or the same columns in
//! Parquet. A column whose non-missing values are all numbers is numeric, anything else is
//! categorical, and categorical covariates are one-hot encoded with the most frequent level
//! as the reference, as PLINK 2 does.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{Place, Result, TableError};
use crate::frame::{ColumnData, Frame, TakeColumn};
use crate::io::{read_frame, write_frame, TableFormat};
use crate::sample::{ensure_unique, SampleId};
use crate::schema::TableSchema;
use crate::text::{parse_f64, split_fields};

/// The phenotype table schema, compiled once.
pub fn pheno_schema() -> &'static TableSchema {
    static SCHEMA: OnceLock<TableSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        TableSchema::from_json(include_str!("../../../data-schemas/phenotype.schema.json"))
            .expect("phenotype schema compiles")
    })
}

/// The values of one phenotype or covariate.
#[derive(Debug, Clone, PartialEq)]
pub enum PhenoValues {
    /// Numbers (binary traits too: 0/1 or 1/2 coding is read by the analysis).
    Numeric(Vec<Option<f64>>),
    /// Category labels.
    Categorical(Vec<Option<String>>),
}

impl PhenoValues {
    /// Whether row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            PhenoValues::Numeric(v) => v[i].is_none(),
            PhenoValues::Categorical(v) => v[i].is_none(),
        }
    }
}

/// A named phenotype or covariate column.
#[derive(Debug, Clone, PartialEq)]
pub struct PhenoColumn {
    /// Column name from the header.
    pub name: String,
    /// The values, one per sample.
    pub values: PhenoValues,
}

/// A numeric column of a design matrix (after one-hot encoding).
#[derive(Debug, Clone, PartialEq)]
pub struct DesignColumn {
    /// `name` for numeric columns, `name=level` for a categorical level.
    pub name: String,
    /// Values; missing where the source was missing.
    pub values: Vec<Option<f64>>,
}

/// Samples × named phenotype/covariate columns.
#[derive(Debug, Clone, PartialEq)]
pub struct PhenoTable {
    /// Where it was read from (for error messages and alignment reports).
    pub path: PathBuf,
    /// One entry per row.
    pub samples: Vec<SampleId>,
    /// The columns, in file order.
    pub columns: Vec<PhenoColumn>,
}

fn is_missing_token(field: &str) -> bool {
    matches!(field, "" | "NA" | "-9" | "nan" | "NaN")
}

impl PhenoTable {
    /// Reads a text or Parquet phenotype/covariate table.
    pub fn read(path: &Path) -> Result<Self> {
        let table = match TableFormat::of(path) {
            TableFormat::Parquet => Self::from_frame(path, read_frame(path, pheno_schema())?),
            TableFormat::Text => Self::read_text(path)?,
        };
        ensure_unique(table.samples.iter().map(|s| s.iid.as_str()), path)?;
        Ok(table)
    }

    fn read_text(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| TableError::io(path, e))?;
        let mut header: Option<(bool, Vec<String>, bool)> = None;
        let mut raw: Vec<Vec<String>> = Vec::new();
        let mut samples = Vec::new();
        let mut row_lines = Vec::new();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line_no = i + 1;
            let line = line.map_err(|e| TableError::io(path, e))?;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let Some((has_fid, names, tabs)) = &header else {
                let tabs = line.contains('\t');
                let fields: Vec<String> = split_fields(line.trim_start_matches('#'), tabs)
                    .iter()
                    .map(|s| s.trim().to_owned())
                    .collect();
                let has_fid = match (
                    fields.first().map(String::as_str),
                    fields.get(1).map(String::as_str),
                ) {
                    (Some("FID"), Some("IID")) => true,
                    (Some("IID"), _) => false,
                    _ => {
                        return Err(TableError::Record {
                            path: path.into(),
                            place: Place::Line(line_no),
                            message: format!(
                                "expected a header starting with '#FID IID' or 'IID', found {:?}",
                                line.chars().take(40).collect::<String>()
                            ),
                        })
                    }
                };
                let names = fields[if has_fid { 2 } else { 1 }..].to_vec();
                pheno_schema().check_columns(
                    &[
                        if has_fid {
                            vec!["FID".to_owned()]
                        } else {
                            vec![]
                        },
                        vec!["IID".into()],
                        names.clone(),
                    ]
                    .concat(),
                    path,
                )?;
                header = Some((has_fid, names, tabs));
                continue;
            };
            let fields = split_fields(line, *tabs);
            let id_cols = if *has_fid { 2 } else { 1 };
            if fields.len() != id_cols + names.len() {
                return Err(TableError::Record {
                    path: path.into(),
                    place: Place::Line(line_no),
                    message: format!(
                        "expected {} fields as in the header, found {}",
                        id_cols + names.len(),
                        fields.len()
                    ),
                });
            }
            let sample = if *has_fid {
                SampleId::with_fid(fields[0], fields[1])
            } else {
                SampleId::new(fields[0])
            };
            if sample.iid.is_empty() {
                return Err(TableError::Cell {
                    path: path.into(),
                    place: Place::Line(line_no),
                    column: "IID".into(),
                    value: String::new(),
                    message: "expected a non-empty IID".into(),
                });
            }
            samples.push(sample);
            raw.push(fields[id_cols..].iter().map(|s| (*s).to_owned()).collect());
            row_lines.push(line_no);
        }
        let Some((_, names, _)) = header else {
            return Err(TableError::format(
                path,
                "the file is empty: no header line",
            ));
        };
        let columns = names
            .into_iter()
            .enumerate()
            .map(|(j, name)| {
                let cells: Vec<&str> = raw.iter().map(|r| r[j].as_str()).collect();
                let numeric = cells
                    .iter()
                    .all(|c| is_missing_token(c) || parse_f64(c).is_ok());
                let values = if numeric {
                    PhenoValues::Numeric(
                        cells
                            .iter()
                            .map(|c| {
                                if is_missing_token(c) {
                                    None
                                } else {
                                    parse_f64(c).ok()
                                }
                            })
                            .collect(),
                    )
                } else {
                    PhenoValues::Categorical(
                        cells
                            .iter()
                            .map(|c| (!is_missing_token(c)).then(|| (*c).to_owned()))
                            .collect(),
                    )
                };
                PhenoColumn { name, values }
            })
            .collect();
        let table = PhenoTable {
            path: path.into(),
            samples,
            columns,
        };
        pheno_schema().validate(&table.to_frame(), path, &|row| Place::Line(row_lines[row]))?;
        Ok(table)
    }

    fn from_frame(path: &Path, mut frame: Frame) -> Self {
        let iids = frame.take_str("IID");
        let fids = frame.column("FID").is_some().then(|| frame.take_str("FID"));
        let samples = iids
            .into_iter()
            .enumerate()
            .map(|(i, iid)| SampleId {
                fid: fids.as_ref().and_then(|f| f[i].clone()),
                iid: iid.unwrap_or_default(),
            })
            .collect();
        let columns = frame
            .columns
            .into_iter()
            .map(|c| PhenoColumn {
                name: c.name,
                values: match c.data {
                    ColumnData::Str(v) => PhenoValues::Categorical(v),
                    ColumnData::F64(v) => PhenoValues::Numeric(v),
                    ColumnData::I64(v) => {
                        PhenoValues::Numeric(v.into_iter().map(|x| x.map(|x| x as f64)).collect())
                    }
                    ColumnData::Bool(v) => PhenoValues::Numeric(
                        v.into_iter()
                            .map(|x| x.map(|b| f64::from(u8::from(b))))
                            .collect(),
                    ),
                },
            })
            .collect();
        PhenoTable {
            path: path.into(),
            samples,
            columns,
        }
    }

    /// The table as a frame (FID only when some sample has one).
    pub fn to_frame(&self) -> Frame {
        let mut frame = Frame::default();
        if self.samples.iter().any(|s| s.fid.is_some()) {
            frame.push(
                "FID",
                ColumnData::Str(self.samples.iter().map(|s| s.fid.clone()).collect()),
            );
        }
        frame.push(
            "IID",
            ColumnData::Str(self.samples.iter().map(|s| Some(s.iid.clone())).collect()),
        );
        for c in &self.columns {
            let data = match &c.values {
                PhenoValues::Numeric(v) => ColumnData::F64(v.clone()),
                PhenoValues::Categorical(v) => ColumnData::Str(v.clone()),
            };
            frame.push(c.name.clone(), data);
        }
        frame
    }

    /// Writes the table as text (`#FID IID …`, `NA` for missing) or Parquet, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_frame(path, &self.to_frame(), pheno_schema())
    }

    /// The IIDs in row order.
    pub fn iids(&self) -> Vec<&str> {
        self.samples.iter().map(|s| s.iid.as_str()).collect()
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&PhenoColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// A table with only the named columns, in the order given; unknown names are an error
    /// that lists the columns the file has.
    pub fn select(&self, names: &[String]) -> Result<Self> {
        let mut columns = Vec::with_capacity(names.len());
        for name in names {
            match self.column(name) {
                Some(c) => columns.push(c.clone()),
                None => {
                    let have: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
                    return Err(TableError::Columns {
                        path: self.path.clone(),
                        message: format!("no column {name:?}; the file has {}", have.join(", ")),
                    });
                }
            }
        }
        Ok(Self {
            path: self.path.clone(),
            samples: self.samples.clone(),
            columns,
        })
    }

    /// The rows at `rows`, in that order (e.g. an [`crate::Alignment`]'s side).
    pub fn take_rows(&self, rows: &[usize]) -> Self {
        let pick = |v: &PhenoValues| match v {
            PhenoValues::Numeric(x) => PhenoValues::Numeric(rows.iter().map(|&i| x[i]).collect()),
            PhenoValues::Categorical(x) => {
                PhenoValues::Categorical(rows.iter().map(|&i| x[i].clone()).collect())
            }
        };
        Self {
            path: self.path.clone(),
            samples: rows.iter().map(|&i| self.samples[i].clone()).collect(),
            columns: self
                .columns
                .iter()
                .map(|c| PhenoColumn {
                    name: c.name.clone(),
                    values: pick(&c.values),
                })
                .collect(),
        }
    }

    /// Numeric design columns: numeric columns as they are; each categorical column becomes
    /// one 0/1 column `name=level` per level except the most frequent (the reference; ties go
    /// to the level that sorts first). A column with a single level contributes nothing.
    pub fn design(&self) -> Vec<DesignColumn> {
        let mut out = Vec::new();
        for c in &self.columns {
            match &c.values {
                PhenoValues::Numeric(v) => out.push(DesignColumn {
                    name: c.name.clone(),
                    values: v.clone(),
                }),
                PhenoValues::Categorical(v) => {
                    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                    for s in v.iter().flatten() {
                        *counts.entry(s.as_str()).or_default() += 1;
                    }
                    let reference = counts
                        .iter()
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                        .map(|(k, _)| *k);
                    for level in counts.keys().filter(|l| Some(**l) != reference) {
                        out.push(DesignColumn {
                            name: format!("{}={level}", c.name),
                            values: v
                                .iter()
                                .map(|s| s.as_ref().map(|s| f64::from(u8::from(s == level))))
                                .collect(),
                        });
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Result<PhenoTable> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.txt");
        std::fs::write(&path, text).unwrap();
        PhenoTable::read(&path)
    }

    #[test]
    fn plink_header_missing_tokens_and_types() {
        let t = read_str("#FID IID age site\nf1 a 61.5 x\nf2 b -9 y\nf3 c NA y\n").unwrap();
        assert_eq!(t.samples[0], SampleId::with_fid("f1", "a"));
        assert_eq!(
            t.columns[0].values,
            PhenoValues::Numeric(vec![Some(61.5), None, None])
        );
        assert!(matches!(t.columns[1].values, PhenoValues::Categorical(_)));
    }

    #[test]
    fn tab_separated_empty_fields_are_missing() {
        let t = read_str("IID\tx\ty\na\t\t1\nb\t2\t\n").unwrap();
        assert_eq!(
            t.columns[0].values,
            PhenoValues::Numeric(vec![None, Some(2.0)])
        );
        assert_eq!(
            t.columns[1].values,
            PhenoValues::Numeric(vec![Some(1.0), None])
        );
    }

    #[test]
    fn one_hot_uses_the_most_frequent_level_as_reference() {
        let t = read_str("IID site\na x\nb y\nc y\nd z\ne NA\n").unwrap();
        let d = t.design();
        let names: Vec<&str> = d.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["site=x", "site=z"]);
        assert_eq!(
            d[0].values,
            vec![Some(1.0), Some(0.0), Some(0.0), Some(0.0), None]
        );
    }

    #[test]
    fn errors_name_file_line_and_value() {
        let err = read_str("IID x\na 1\nb 2 3\n").unwrap_err().to_string();
        assert!(
            err.ends_with("p.txt: line 3: expected 2 fields as in the header, found 3"),
            "{err}"
        );
        let err = read_str("IID x\na 1\na 2\n").unwrap_err().to_string();
        assert!(err.ends_with("p.txt: duplicated IID(s): a"), "{err}");
        let err = read_str("sample x\na 1\n").unwrap_err().to_string();
        assert!(
            err.contains("line 1: expected a header starting with '#FID IID' or 'IID'"),
            "{err}"
        );
        let err = read_str("").unwrap_err().to_string();
        assert!(err.contains("no header line"), "{err}");
    }
}
