//! JSON Schema validation for tables and documents. Each table kind has a schema in
//! `data-schemas/` describing one row as a JSON object; this module compiles the subset of
//! JSON Schema (draft 2020-12) those files use and checks every cell of a frame, or a whole
//! JSON document such as the run manifest, against it. Keywords outside the subset are
//! refused when the schema is compiled, so no rule is ever silently ignored.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::{Place, Result, TableError};
use crate::frame::{Cell, ColumnData, Frame};

/// A JSON type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// `"null"`.
    Null,
    /// `"boolean"`.
    Boolean,
    /// `"integer"`.
    Integer,
    /// `"number"`.
    Number,
    /// `"string"`.
    String,
    /// `"array"`.
    Array,
    /// `"object"`.
    Object,
}

impl JsonType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }
}

/// What an object allows beyond its named properties.
#[derive(Debug, Clone)]
pub enum Additional {
    /// Anything.
    Any,
    /// Nothing.
    Forbidden,
    /// Values matching this schema.
    Schema(Box<Node>),
}

/// One compiled schema node.
#[derive(Debug, Clone)]
pub struct Node {
    types: Vec<JsonType>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    enum_values: Option<Vec<Value>>,
    min_length: Option<usize>,
    min_items: Option<usize>,
    properties: BTreeMap<String, Node>,
    required: Vec<String>,
    additional: Additional,
    items: Option<Box<Node>>,
}

/// The annotation keywords that carry no rule.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "examples",
    "default",
];

impl Node {
    /// Compiles a schema value; `at` is its JSON pointer, for error messages.
    pub fn compile(schema: &Value, at: &str) -> std::result::Result<Node, String> {
        let obj = schema
            .as_object()
            .ok_or_else(|| format!("{at}: a schema must be an object"))?;
        let mut node = Node {
            types: Vec::new(),
            minimum: None,
            maximum: None,
            exclusive_minimum: None,
            exclusive_maximum: None,
            enum_values: None,
            min_length: None,
            min_items: None,
            properties: BTreeMap::new(),
            required: Vec::new(),
            additional: Additional::Any,
            items: None,
        };
        let number = |v: &Value, key: &str| {
            v.as_f64()
                .ok_or_else(|| format!("{at}/{key}: expected a number"))
        };
        let count = |v: &Value, key: &str| {
            v.as_u64()
                .map(|n| n as usize)
                .ok_or_else(|| format!("{at}/{key}: expected a count"))
        };
        for (key, value) in obj {
            match key.as_str() {
                "type" => {
                    let names: Vec<&str> = match value {
                        Value::String(s) => vec![s.as_str()],
                        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                        _ => return Err(format!("{at}/type: expected a name or a list of names")),
                    };
                    for name in names {
                        node.types.push(
                            JsonType::parse(name)
                                .ok_or_else(|| format!("{at}/type: unknown type {name:?}"))?,
                        );
                    }
                }
                "minimum" => node.minimum = Some(number(value, key)?),
                "maximum" => node.maximum = Some(number(value, key)?),
                "exclusiveMinimum" => node.exclusive_minimum = Some(number(value, key)?),
                "exclusiveMaximum" => node.exclusive_maximum = Some(number(value, key)?),
                "minLength" => node.min_length = Some(count(value, key)?),
                "minItems" => node.min_items = Some(count(value, key)?),
                "enum" => {
                    node.enum_values = Some(
                        value
                            .as_array()
                            .ok_or_else(|| format!("{at}/enum: expected a list"))?
                            .clone(),
                    )
                }
                "required" => {
                    node.required = value
                        .as_array()
                        .ok_or_else(|| format!("{at}/required: expected a list"))?
                        .iter()
                        .map(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .ok_or_else(|| format!("{at}/required: expected names"))
                        })
                        .collect::<std::result::Result<_, _>>()?
                }
                "properties" => {
                    let props = value
                        .as_object()
                        .ok_or_else(|| format!("{at}/properties: expected an object"))?;
                    for (name, sub) in props {
                        node.properties.insert(
                            name.clone(),
                            Node::compile(sub, &format!("{at}/properties/{name}"))?,
                        );
                    }
                }
                "additionalProperties" => {
                    node.additional = match value {
                        Value::Bool(true) => Additional::Any,
                        Value::Bool(false) => Additional::Forbidden,
                        other => Additional::Schema(Box::new(Node::compile(
                            other,
                            &format!("{at}/additionalProperties"),
                        )?)),
                    }
                }
                "items" => {
                    node.items = Some(Box::new(Node::compile(value, &format!("{at}/items"))?))
                }
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => {}
                other => {
                    return Err(format!(
                        "{at}: keyword {other:?} is not supported by this validator"
                    ))
                }
            }
        }
        Ok(node)
    }

    /// The schema of property `name`: `Ok(None)` when anything goes, `Err(())` when forbidden.
    fn property(&self, name: &str) -> std::result::Result<Option<&Node>, ()> {
        match (self.properties.get(name), &self.additional) {
            (Some(n), _) => Ok(Some(n)),
            (None, Additional::Schema(n)) => Ok(Some(n.as_ref())),
            (None, Additional::Any) => Ok(None),
            (None, Additional::Forbidden) => Err(()),
        }
    }

    fn allows(&self, t: JsonType) -> bool {
        self.types.is_empty()
            || self.types.contains(&t)
            || (t == JsonType::Integer && self.types.contains(&JsonType::Number))
    }

    /// True when this node accepts null.
    pub fn nullable(&self) -> bool {
        self.allows(JsonType::Null)
    }

    /// Checks one scalar cell; the error says what was expected.
    pub fn check_cell(&self, cell: Cell<'_>) -> std::result::Result<(), String> {
        let (t, number) = match cell {
            Cell::Null => (JsonType::Null, None),
            Cell::Bool(_) => (JsonType::Boolean, None),
            Cell::Str(_) => (JsonType::String, None),
            Cell::I64(i) => (JsonType::Integer, Some(i as f64)),
            Cell::F64(x) => {
                if !x.is_finite() {
                    return Err("expected a finite number".into());
                }
                let t = if x.fract() == 0.0 && self.types.contains(&JsonType::Integer) {
                    JsonType::Integer
                } else {
                    JsonType::Number
                };
                (t, Some(x))
            }
        };
        if !self.allows(t) {
            return Err(format!("expected {}", self.type_names()));
        }
        if let Some(x) = number {
            self.check_range(x)?;
        }
        if let Cell::Str(s) = cell {
            if let Some(n) = self.min_length {
                if s.chars().count() < n {
                    return Err(format!("expected at least {n} character(s)"));
                }
            }
        }
        if let Some(allowed) = &self.enum_values {
            let as_value = match cell {
                Cell::Null => Value::Null,
                Cell::Bool(b) => Value::Bool(b),
                Cell::Str(s) => Value::String(s.to_owned()),
                Cell::I64(i) => Value::from(i),
                Cell::F64(x) => Value::from(x),
            };
            if !allowed.iter().any(|a| {
                a == &as_value || (a.as_f64().is_some() && a.as_f64() == as_value.as_f64())
            }) {
                return Err(format!("expected one of {}", Value::Array(allowed.clone())));
            }
        }
        Ok(())
    }

    /// Whether every cell of a column passes [`Node::check_cell`], decided without the
    /// per-cell work check_cell does to report an error (no allocation, one type test per
    /// column). `false` means "not shown valid": the caller checks cell by cell to find and
    /// name the culprit, so errors read the same.
    fn column_ok<C: CellColumn + ?Sized>(&self, column: &C) -> bool {
        let null = self.nullable();
        let in_range = |x: f64| self.in_range(x);
        match column.kind() {
            CellKind::Str => {
                // Without an enumeration, a minimum length is met by every string of at least
                // 4n bytes (or n bytes when n ≤ 1): a storage that knows its shortest string
                // answers without visiting each one.
                if self.enum_values.is_none() && self.allows(JsonType::String) {
                    let n = self.min_length.unwrap_or(0);
                    let enough = if n <= 1 { n } else { 4 * n };
                    if let Some((shortest, nulls)) = column.text_extent() {
                        if shortest >= enough && (null || !nulls) {
                            return true;
                        }
                    }
                }
                let ok = |s: &str| {
                    // Counting stops at `n` characters: IDs and names are far longer than
                    // a minimum length of 1, and a genome scan checks millions of them.
                    self.min_length
                        .is_none_or(|n| s.chars().take(n).count() >= n)
                        && self
                            .enum_values
                            .as_ref()
                            .is_none_or(|allowed| allowed.iter().any(|a| a.as_str() == Some(s)))
                };
                self.allows(JsonType::String) && column.all_str(|c| c.map_or(null, ok))
            }
            // Numeric and boolean enumerations are rare: left to the cell-by-cell check.
            _ if self.enum_values.is_some() => false,
            CellKind::I64 => {
                self.allows(JsonType::Integer)
                    && column.all_i64(|c| c.map_or(null, |i| in_range(i as f64)))
            }
            CellKind::Bool => {
                self.allows(JsonType::Boolean) && column.all_bool(|c| c.is_some() || null)
            }
            // A whole number is an integer to check_cell, which an "integer"-only node
            // accepts: leave that case to the cell-by-cell check.
            CellKind::F64 => {
                (self.types.is_empty() || self.types.contains(&JsonType::Number))
                    && column.all_f64(|c| c.map_or(null, |x| x.is_finite() && in_range(x)))
            }
        }
    }

    /// Whether `x` meets every bound: [`Node::check_range`] without building its message,
    /// for the column checks that run over millions of cells.
    #[inline]
    fn in_range(&self, x: f64) -> bool {
        self.minimum.is_none_or(|m| x >= m)
            && self.maximum.is_none_or(|m| x <= m)
            && self.exclusive_minimum.is_none_or(|m| x > m)
            && self.exclusive_maximum.is_none_or(|m| x < m)
    }

    fn check_range(&self, x: f64) -> std::result::Result<(), String> {
        if let Some(m) = self.minimum {
            if x < m {
                return Err(format!("expected ≥ {m}"));
            }
        }
        if let Some(m) = self.maximum {
            if x > m {
                return Err(format!("expected ≤ {m}"));
            }
        }
        if let Some(m) = self.exclusive_minimum {
            if x <= m {
                return Err(format!("expected > {m}"));
            }
        }
        if let Some(m) = self.exclusive_maximum {
            if x >= m {
                return Err(format!("expected < {m}"));
            }
        }
        Ok(())
    }

    fn type_names(&self) -> String {
        let names: Vec<String> = self
            .types
            .iter()
            .map(|t| format!("{t:?}").to_lowercase())
            .collect();
        names.join(" or ")
    }

    /// Validates a JSON document; the error carries the JSON pointer of the first offence.
    pub fn check_value(
        &self,
        value: &Value,
        pointer: &str,
    ) -> std::result::Result<(), (String, String)> {
        let at = |m: String| (pointer.to_owned(), m);
        match value {
            Value::Null => self.check_cell(Cell::Null).map_err(at),
            Value::Bool(b) => self.check_cell(Cell::Bool(*b)).map_err(at),
            Value::String(s) => self.check_cell(Cell::Str(s)).map_err(at),
            Value::Number(n) => match n.as_i64() {
                Some(i) => self.check_cell(Cell::I64(i)),
                None => self.check_cell(Cell::F64(n.as_f64().unwrap_or(f64::NAN))),
            }
            .map_err(at),
            Value::Array(_) | Value::Object(_)
                if self
                    .enum_values
                    .as_ref()
                    .is_some_and(|allowed| !allowed.contains(value)) =>
            {
                Err(at(format!(
                    "expected one of {}",
                    Value::Array(self.enum_values.clone().unwrap_or_default())
                )))
            }
            Value::Array(items) => {
                if !self.allows(JsonType::Array) {
                    return Err(at(format!("expected {}, found a list", self.type_names())));
                }
                if let Some(n) = self.min_items {
                    if items.len() < n {
                        return Err(at(format!("expected at least {n} item(s)")));
                    }
                }
                if let Some(item) = &self.items {
                    for (i, v) in items.iter().enumerate() {
                        item.check_value(v, &format!("{pointer}/{i}"))?;
                    }
                }
                Ok(())
            }
            Value::Object(map) => {
                if !self.allows(JsonType::Object) {
                    return Err(at(format!(
                        "expected {}, found an object",
                        self.type_names()
                    )));
                }
                for name in &self.required {
                    if !map.contains_key(name) {
                        return Err(at(format!("missing required property {name:?}")));
                    }
                }
                for (name, v) in map {
                    let child = format!("{pointer}/{name}");
                    match self.property(name) {
                        Ok(Some(node)) => node.check_value(v, &child)?,
                        Ok(None) => {}
                        Err(()) => return Err((child, "property not allowed".into())),
                    }
                }
                Ok(())
            }
        }
    }
}

/// The declared storage kind of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Text.
    Str,
    /// Float.
    F64,
    /// Integer.
    I64,
    /// Boolean.
    Bool,
}

/// A compiled table schema: one row is an object whose properties are the columns.
#[derive(Debug, Clone)]
pub struct TableSchema {
    /// The schema's title (the table kind).
    pub title: String,
    row: Node,
}

impl TableSchema {
    /// Compiles a table schema from its JSON text.
    pub fn from_json(text: &str) -> std::result::Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let title = value
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("table")
            .to_owned();
        Ok(Self {
            title,
            row: Node::compile(&value, "")?,
        })
    }

    /// The declared kind of `column`, from its own property or the additional-properties rule.
    pub fn kind_of(&self, column: &str) -> Option<CellKind> {
        let node = match self.row.property(column) {
            Ok(Some(n)) => n,
            Ok(None) => return Some(CellKind::Str),
            Err(()) => return None,
        };
        let has = |t| node.types.contains(&t);
        Some(if has(JsonType::String) || node.types.is_empty() {
            CellKind::Str
        } else if has(JsonType::Number) {
            CellKind::F64
        } else if has(JsonType::Integer) {
            CellKind::I64
        } else if has(JsonType::Boolean) {
            CellKind::Bool
        } else {
            CellKind::Str
        })
    }

    /// True when `column` may be missing (null); unknown columns may.
    pub fn nullable(&self, column: &str) -> bool {
        match self.row.property(column) {
            Ok(Some(n)) => n.nullable(),
            Ok(None) | Err(()) => true,
        }
    }

    /// True when `column` may hold values of `kind` (a column may allow several kinds).
    pub fn accepts(&self, column: &str, kind: CellKind) -> bool {
        let node = match self.row.property(column) {
            Ok(Some(n)) => n,
            Ok(None) => return true,
            Err(()) => return false,
        };
        node.allows(match kind {
            CellKind::Str => JsonType::String,
            CellKind::F64 => JsonType::Number,
            CellKind::I64 => JsonType::Integer,
            CellKind::Bool => JsonType::Boolean,
        })
    }

    /// Checks that a header has every required column and no unknown one.
    pub fn check_columns(&self, names: &[String], path: &Path) -> Result<()> {
        let missing: Vec<&str> = self
            .row
            .required
            .iter()
            .filter(|r| !names.contains(r))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(TableError::Columns {
                path: path.into(),
                message: format!(
                    "{} table lacks required column(s) {}",
                    self.title,
                    missing.join(", ")
                ),
            });
        }
        let unknown: Vec<&str> = names
            .iter()
            .filter(|n| self.kind_of(n).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(TableError::Columns {
                path: path.into(),
                message: format!(
                    "{} table has unknown column(s) {}",
                    self.title,
                    unknown.join(", ")
                ),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for n in names {
            if !seen.insert(n) {
                return Err(TableError::Columns {
                    path: path.into(),
                    message: format!("column {n:?} appears twice"),
                });
            }
        }
        Ok(())
    }

    /// Validates every cell of a frame; `place` maps a 0-based data row to its place in the file.
    pub fn validate(
        &self,
        frame: &Frame,
        path: &Path,
        place: &dyn Fn(usize) -> Place,
    ) -> Result<()> {
        let names: Vec<String> = frame.columns.iter().map(|c| c.name.clone()).collect();
        self.check_columns(&names, path)?;
        for column in &frame.columns {
            self.validate_column(&column.name, &column.data, path, place)?;
        }
        Ok(())
    }

    /// Validates every cell of one column, however it is stored (a frame's [`ColumnData`],
    /// an Arrow array on its way to a file); `place` as for [`TableSchema::validate`].
    pub fn validate_column<C: CellColumn + ?Sized>(
        &self,
        name: &str,
        column: &C,
        path: &Path,
        place: &dyn Fn(usize) -> Place,
    ) -> Result<()> {
        let Ok(Some(node)) = self.row.property(name) else {
            return Ok(());
        };
        if node.column_ok(column) {
            return Ok(());
        }
        for row in 0..column.len() {
            let cell = column.cell(row);
            if let Err(message) = node.check_cell(cell) {
                return Err(TableError::Cell {
                    path: path.into(),
                    place: place(row),
                    column: name.to_owned(),
                    value: cell.to_string(),
                    message,
                });
            }
        }
        Ok(())
    }
}

/// A column of cells as the schema checks see it, whatever holds the values. The `all_*`
/// walks have a cell-by-cell default; a storage overrides them with a loop over its own
/// typed values, which is what keeps validating millions of rows cheap.
pub trait CellColumn {
    /// Number of cells.
    fn len(&self) -> usize;
    /// True when there are no cells.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The kind of every non-null cell.
    fn kind(&self) -> CellKind;
    /// The cell at `row`.
    fn cell(&self, row: usize) -> Cell<'_>;
    /// For a text column, the fewest bytes of any non-null cell (`usize::MAX` if none) and
    /// whether any cell is null; None where the storage cannot tell without visiting every
    /// string (then the checks call [`CellColumn::all_str`]).
    fn text_extent(&self) -> Option<(usize, bool)> {
        None
    }
    /// Whether `ok` holds for every cell of a text column (None: null); false for others.
    fn all_str(&self, mut ok: impl FnMut(Option<&str>) -> bool) -> bool {
        (0..self.len()).all(|r| match self.cell(r) {
            Cell::Str(s) => ok(Some(s)),
            Cell::Null => ok(None),
            _ => false,
        })
    }
    /// As [`CellColumn::all_str`] for a float column.
    fn all_f64(&self, mut ok: impl FnMut(Option<f64>) -> bool) -> bool {
        (0..self.len()).all(|r| match self.cell(r) {
            Cell::F64(x) => ok(Some(x)),
            Cell::Null => ok(None),
            _ => false,
        })
    }
    /// As [`CellColumn::all_str`] for an integer column.
    fn all_i64(&self, mut ok: impl FnMut(Option<i64>) -> bool) -> bool {
        (0..self.len()).all(|r| match self.cell(r) {
            Cell::I64(x) => ok(Some(x)),
            Cell::Null => ok(None),
            _ => false,
        })
    }
    /// As [`CellColumn::all_str`] for a boolean column.
    fn all_bool(&self, mut ok: impl FnMut(Option<bool>) -> bool) -> bool {
        (0..self.len()).all(|r| match self.cell(r) {
            Cell::Bool(x) => ok(Some(x)),
            Cell::Null => ok(None),
            _ => false,
        })
    }
}

impl CellColumn for ColumnData {
    fn len(&self) -> usize {
        ColumnData::len(self)
    }

    fn kind(&self) -> CellKind {
        match self {
            ColumnData::Str(_) => CellKind::Str,
            ColumnData::F64(_) => CellKind::F64,
            ColumnData::I64(_) => CellKind::I64,
            ColumnData::Bool(_) => CellKind::Bool,
        }
    }

    fn cell(&self, row: usize) -> Cell<'_> {
        ColumnData::cell(self, row)
    }

    fn all_str(&self, mut ok: impl FnMut(Option<&str>) -> bool) -> bool {
        matches!(self, ColumnData::Str(v) if v.iter().all(|x| ok(x.as_deref())))
    }

    fn all_f64(&self, mut ok: impl FnMut(Option<f64>) -> bool) -> bool {
        matches!(self, ColumnData::F64(v) if v.iter().all(|x| ok(*x)))
    }

    fn all_i64(&self, mut ok: impl FnMut(Option<i64>) -> bool) -> bool {
        matches!(self, ColumnData::I64(v) if v.iter().all(|x| ok(*x)))
    }

    fn all_bool(&self, mut ok: impl FnMut(Option<bool>) -> bool) -> bool {
        matches!(self, ColumnData::Bool(v) if v.iter().all(|x| ok(*x)))
    }
}

/// A compiled schema for a whole JSON document.
#[derive(Debug, Clone)]
pub struct DocumentSchema {
    root: Node,
}

impl DocumentSchema {
    /// Compiles a document schema from its JSON text.
    pub fn from_json(text: &str) -> std::result::Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(Self {
            root: Node::compile(&value, "")?,
        })
    }

    /// Validates a document read from `path`.
    pub fn validate(&self, value: &Value, path: &Path) -> Result<()> {
        self.root
            .check_value(value, "")
            .map_err(|(pointer, message)| TableError::Json {
                path: path.into(),
                pointer,
                message,
            })
    }
}
