//! Tab-separated text form of frames: optional `## key=value` metadata lines, a header line
//! (a leading `#` is allowed, as in PLINK files), then one row per line. Columns are typed by
//! the table's schema; `NA` or an empty field is a missing value, except that an empty field in
//! a string column that may not be null is the empty string. Headers with a tab split on tabs
//! (so empty fields are seen); others split on any run of whitespace.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use crate::error::{Place, Result, TableError};
use crate::frame::{ColumnData, Frame};
use crate::schema::{CellKind, TableSchema};

/// Splits a line as the header decided: on tabs, or on runs of whitespace.
pub fn split_fields(line: &str, tabs: bool) -> Vec<&str> {
    if tabs {
        line.split('\t').collect()
    } else {
        line.split_whitespace().collect()
    }
}

/// Reads a frame from text, typing and validating it against `schema`.
pub fn read_text(path: &Path, schema: &TableSchema) -> Result<Frame> {
    let file = std::fs::File::open(path).map_err(|e| TableError::io(path, e))?;
    let mut frame = Frame::default();
    let mut header: Option<(Vec<String>, Vec<CellKind>, bool)> = None;
    // Per column: an empty field is an empty string rather than a missing value. True for
    // string columns whose schema forbids null, so that a list written empty (e.g. no
    // covariates) reads back as written; `NA` stays missing there and is refused.
    let mut empty_is_text: Vec<bool> = Vec::new();
    let mut builders: Vec<ColumnData> = Vec::new();
    let mut row_lines: Vec<usize> = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| TableError::io(path, e))?;
        let line = line.trim_end_matches('\r');
        if let Some(meta) = line.strip_prefix("##") {
            if let Some((k, v)) = meta.trim().split_once('=') {
                frame
                    .metadata
                    .insert(k.trim().to_owned(), v.trim().to_owned());
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        match &header {
            None => {
                let tabs = line.contains('\t');
                let text = line.strip_prefix('#').unwrap_or(line);
                let names: Vec<String> = split_fields(text, tabs)
                    .iter()
                    .map(|s| s.trim().to_owned())
                    .collect();
                schema.check_columns(&names, path)?;
                let kinds: Vec<CellKind> = names
                    .iter()
                    .map(|n| schema.kind_of(n).unwrap_or(CellKind::Str))
                    .collect();
                builders = kinds.iter().map(|k| empty_column(*k)).collect();
                empty_is_text = names
                    .iter()
                    .zip(&kinds)
                    .map(|(n, k)| *k == CellKind::Str && !schema.nullable(n))
                    .collect();
                header = Some((names, kinds, tabs));
            }
            Some((names, kinds, tabs)) => {
                let fields = split_fields(line, *tabs);
                if fields.len() != names.len() {
                    return Err(TableError::Record {
                        path: path.into(),
                        place: Place::Line(line_no),
                        message: format!(
                            "expected {} fields as in the header, found {}",
                            names.len(),
                            fields.len()
                        ),
                    });
                }
                row_lines.push(line_no);
                for (j, field) in fields.iter().enumerate() {
                    let missing = if empty_is_text[j] {
                        *field == "NA"
                    } else {
                        is_missing(field)
                    };
                    push_text(&mut builders[j], kinds[j], field, missing).map_err(|message| {
                        TableError::Cell {
                            path: path.into(),
                            place: Place::Line(line_no),
                            column: names[j].clone(),
                            value: (*field).to_owned(),
                            message,
                        }
                    })?;
                }
            }
        }
    }
    let Some((names, _, _)) = header else {
        return Err(TableError::format(
            path,
            "the file is empty: no header line",
        ));
    };
    for (name, data) in names.into_iter().zip(builders) {
        frame.push(name, data);
    }
    schema.validate(&frame, path, &|row| Place::Line(row_lines[row]))?;
    Ok(frame)
}

fn empty_column(kind: CellKind) -> ColumnData {
    match kind {
        CellKind::Str => ColumnData::Str(Vec::new()),
        CellKind::F64 => ColumnData::F64(Vec::new()),
        CellKind::I64 => ColumnData::I64(Vec::new()),
        CellKind::Bool => ColumnData::Bool(Vec::new()),
    }
}

fn is_missing(field: &str) -> bool {
    field.is_empty() || field == "NA"
}

fn push_text(
    column: &mut ColumnData,
    kind: CellKind,
    field: &str,
    missing: bool,
) -> std::result::Result<(), String> {
    match (column, kind) {
        (ColumnData::Str(v), _) => v.push((!missing).then(|| field.to_owned())),
        (ColumnData::F64(v), _) => v.push(if missing {
            None
        } else {
            Some(parse_f64(field)?)
        }),
        (ColumnData::I64(v), _) => v.push(if missing {
            None
        } else {
            Some(
                field
                    .parse::<i64>()
                    .map_err(|_| "expected an integer".to_owned())?,
            )
        }),
        (ColumnData::Bool(v), _) => v.push(if missing {
            None
        } else {
            Some(match field {
                "Y" | "y" | "true" | "TRUE" | "T" | "1" => true,
                "N" | "n" | "false" | "FALSE" | "F" | "0" => false,
                _ => return Err("expected Y or N".into()),
            })
        }),
    }
    Ok(())
}

/// Parses a number, refusing NaN and infinities (a missing value is written `NA`).
pub fn parse_f64(field: &str) -> std::result::Result<f64, String> {
    match field.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err("expected a finite number".into()),
        Err(_) => Err("expected a number".into()),
    }
}

/// Writes the header (and metadata lines) of a frame.
pub fn write_header(out: &mut dyn Write, frame: &Frame) -> std::io::Result<()> {
    for (k, v) in &frame.metadata {
        writeln!(out, "## {k}={}", v.replace('\n', " "))?;
    }
    let names: Vec<&str> = frame.columns.iter().map(|c| c.name.as_str()).collect();
    // PLINK reads a header whose first column is FID only when it starts with '#'.
    let hash = if names.first() == Some(&"FID") {
        "#"
    } else {
        ""
    };
    writeln!(out, "{hash}{}", names.join("\t"))
}

/// Writes the rows of a frame, tab separated, `NA` for missing values.
pub fn write_rows(out: &mut dyn Write, frame: &Frame) -> std::io::Result<()> {
    let mut line = String::new();
    for row in 0..frame.n_rows() {
        line.clear();
        for (j, c) in frame.columns.iter().enumerate() {
            if j > 0 {
                line.push('\t');
            }
            let text = c.data.cell(row).to_string();
            if text.contains(['\t', '\n', '\r']) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "column {}: value {text:?} holds a tab or line break",
                        c.name
                    ),
                ));
            }
            line.push_str(&text);
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_tab_splitting() {
        assert_eq!(split_fields("a  b\tc", false), vec!["a", "b", "c"]);
        assert_eq!(split_fields("a\t\tc", true), vec!["a", "", "c"]);
    }

    #[test]
    fn numbers_refuse_nan_and_text() {
        assert_eq!(parse_f64("1e-3"), Ok(1e-3));
        assert!(parse_f64("nan").is_err());
        assert!(parse_f64("abc").is_err());
    }
}
