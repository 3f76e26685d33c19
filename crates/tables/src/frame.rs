//! A frame: named, typed columns of equal length plus string metadata. It is the common form
//! every typed table converts to and from, so TSV and Parquet IO and schema validation are
//! written once for all table kinds.

use std::collections::BTreeMap;

/// The values of one column; `None` is a missing value.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Text.
    Str(Vec<Option<String>>),
    /// Floating point numbers.
    F64(Vec<Option<f64>>),
    /// Integers.
    I64(Vec<Option<i64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
}

impl ColumnData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Str(v) => v.len(),
            ColumnData::F64(v) => v.len(),
            ColumnData::I64(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
        }
    }

    /// True when the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `row` as a borrowed scalar.
    pub fn cell(&self, row: usize) -> Cell<'_> {
        match self {
            ColumnData::Str(v) => v[row].as_deref().map_or(Cell::Null, Cell::Str),
            ColumnData::F64(v) => v[row].map_or(Cell::Null, Cell::F64),
            ColumnData::I64(v) => v[row].map_or(Cell::Null, Cell::I64),
            ColumnData::Bool(v) => v[row].map_or(Cell::Null, Cell::Bool),
        }
    }
}

/// One value, borrowed from a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Missing.
    Null,
    /// Text.
    Str(&'a str),
    /// A float.
    F64(f64),
    /// An integer.
    I64(i64),
    /// A boolean.
    Bool(bool),
}

impl std::fmt::Display for Cell<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Null => f.write_str("NA"),
            Cell::Str(s) => f.write_str(s),
            Cell::F64(x) => write!(f, "{}", format_f64(*x)),
            Cell::I64(x) => write!(f, "{x}"),
            Cell::Bool(b) => f.write_str(if *b { "Y" } else { "N" }),
        }
    }
}

/// Formats a float so that it reads back to the same bits (shortest round-trip form).
pub fn format_f64(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        let plain = format!("{x}");
        let sci = format!("{x:e}");
        if sci.len() < plain.len() {
            sci
        } else {
            plain
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name as written in headers.
    pub name: String,
    /// The values.
    pub data: ColumnData,
}

/// Named columns of equal length and file-level metadata (provenance, parameters).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// The columns in output order.
    pub columns: Vec<Column>,
    /// Key/value metadata, written to Parquet key-value metadata or `## key=value` text lines.
    pub metadata: BTreeMap<String, String>,
}

impl Frame {
    /// Number of rows (0 for a frame without columns).
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.data.len())
    }

    /// Appends a column; panics if its length differs from the others (a programming error).
    pub fn push(&mut self, name: impl Into<String>, data: ColumnData) {
        let name = name.into();
        if let Some(first) = self.columns.first() {
            assert_eq!(
                first.data.len(),
                data.len(),
                "column {name} has a different length"
            );
        }
        self.columns.push(Column { name, data });
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnData> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.data)
    }

    /// Removes and returns the column called `name`.
    pub fn take(&mut self, name: &str) -> Option<ColumnData> {
        let i = self.columns.iter().position(|c| c.name == name)?;
        Some(self.columns.remove(i).data)
    }
}

/// Typed extraction of columns from a frame that has passed schema validation; the
/// validation guarantees presence and type, so a mismatch here is a programming error.
pub trait TakeColumn {
    /// Removes a text column.
    fn take_str(&mut self, name: &str) -> Vec<Option<String>>;
    /// Removes a float column (integers are widened).
    fn take_f64(&mut self, name: &str) -> Vec<Option<f64>>;
    /// Removes an integer column.
    fn take_i64(&mut self, name: &str) -> Vec<Option<i64>>;
    /// Removes a boolean column.
    fn take_bool(&mut self, name: &str) -> Vec<Option<bool>>;
}

impl TakeColumn for Frame {
    fn take_str(&mut self, name: &str) -> Vec<Option<String>> {
        match self.take(name) {
            Some(ColumnData::Str(v)) => v,
            other => panic!("column {name}: expected text, have {other:?}"),
        }
    }
    fn take_f64(&mut self, name: &str) -> Vec<Option<f64>> {
        match self.take(name) {
            Some(ColumnData::F64(v)) => v,
            Some(ColumnData::I64(v)) => v.into_iter().map(|x| x.map(|x| x as f64)).collect(),
            other => panic!("column {name}: expected numbers, have {other:?}"),
        }
    }
    fn take_i64(&mut self, name: &str) -> Vec<Option<i64>> {
        match self.take(name) {
            Some(ColumnData::I64(v)) => v,
            other => panic!("column {name}: expected integers, have {other:?}"),
        }
    }
    fn take_bool(&mut self, name: &str) -> Vec<Option<bool>> {
        match self.take(name) {
            Some(ColumnData::Bool(v)) => v,
            other => panic!("column {name}: expected booleans, have {other:?}"),
        }
    }
}
