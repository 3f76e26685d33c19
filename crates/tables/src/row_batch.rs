//! Rows appended straight into Arrow column builders, for writers that produce millions of
//! rows (a genome scan's GwasTable): no `String` per text cell and no copy from a [`Frame`]
//! into Arrow arrays before encoding. Rows go in cell by cell ([`RowBatch::push_row`]) or
//! column by column through the typed builders, which costs no match per cell.
//! [`crate::io::FrameSink::write_rows`] validates the finished arrays against the table's
//! schema exactly as it validates a frame.

use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};

use crate::frame::{Cell, ColumnData, Frame};
use crate::schema::{CellColumn, CellKind};

/// One column's builder.
enum Builder {
    Str(StringBuilder),
    F64(Float64Builder),
    I64(Int64Builder),
    Bool(BooleanBuilder),
}

/// Rows with the columns of a template frame, held in Arrow builders until written.
pub struct RowBatch {
    names: Vec<String>,
    builders: Vec<Builder>,
    rows: usize,
}

impl RowBatch {
    /// An empty batch with the columns (names and kinds) of `template`; its rows are ignored.
    pub fn new(template: &Frame) -> Self {
        let builders = template
            .columns
            .iter()
            .map(|c| match c.data {
                ColumnData::Str(_) => Builder::Str(StringBuilder::new()),
                ColumnData::F64(_) => Builder::F64(Float64Builder::new()),
                ColumnData::I64(_) => Builder::I64(Int64Builder::new()),
                ColumnData::Bool(_) => Builder::Bool(BooleanBuilder::new()),
            })
            .collect();
        Self {
            names: template.columns.iter().map(|c| c.name.clone()).collect(),
            builders,
            rows: 0,
        }
    }

    /// Rows held.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Appends one row: a cell per column in column order, each null or of its column's kind.
    ///
    /// # Panics
    /// If the row has the wrong number of cells or a cell the wrong kind: a writer's bug,
    /// not a property of its input.
    pub fn push_row(&mut self, cells: &[Cell<'_>]) {
        assert_eq!(cells.len(), self.builders.len(), "one cell per column");
        for ((builder, cell), name) in self.builders.iter_mut().zip(cells).zip(&self.names) {
            match (builder, *cell) {
                (Builder::Str(b), Cell::Str(s)) => b.append_value(s),
                (Builder::Str(b), Cell::Null) => b.append_null(),
                (Builder::F64(b), Cell::F64(x)) => b.append_value(x),
                (Builder::F64(b), Cell::Null) => b.append_null(),
                (Builder::I64(b), Cell::I64(x)) => b.append_value(x),
                (Builder::I64(b), Cell::Null) => b.append_null(),
                (Builder::Bool(b), Cell::Bool(x)) => b.append_value(x),
                (Builder::Bool(b), Cell::Null) => b.append_null(),
                (_, cell) => panic!("column {name:?} cannot hold {cell:?}"),
            }
        }
        self.rows += 1;
    }

    /// The position of column `name`.
    ///
    /// # Panics
    /// If the batch has no such column: a writer's bug.
    pub fn column(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no column {name:?}"))
    }

    /// The builder of text column `col`, for appending a column's values in bulk; the rows
    /// are counted by [`RowBatch::add_rows`] once every column has them.
    ///
    /// # Panics
    /// If the column holds something else: a writer's bug.
    pub fn text(&mut self, col: usize) -> &mut StringBuilder {
        match &mut self.builders[col] {
            Builder::Str(b) => b,
            _ => panic!("column {:?} is not text", self.names[col]),
        }
    }

    /// As [`RowBatch::text`] for a float column.
    pub fn float(&mut self, col: usize) -> &mut Float64Builder {
        match &mut self.builders[col] {
            Builder::F64(b) => b,
            _ => panic!("column {:?} is not a float column", self.names[col]),
        }
    }

    /// As [`RowBatch::text`] for an integer column.
    pub fn int(&mut self, col: usize) -> &mut Int64Builder {
        match &mut self.builders[col] {
            Builder::I64(b) => b,
            _ => panic!("column {:?} is not an integer column", self.names[col]),
        }
    }

    /// As [`RowBatch::text`] for a boolean column.
    pub fn boolean(&mut self, col: usize) -> &mut BooleanBuilder {
        match &mut self.builders[col] {
            Builder::Bool(b) => b,
            _ => panic!("column {:?} is not a boolean column", self.names[col]),
        }
    }

    /// Counts `n` rows appended column by column through the builders.
    ///
    /// # Panics
    /// If a column does not hold exactly the rows counted so far: a writer's bug.
    pub fn add_rows(&mut self, n: usize) {
        self.rows += n;
        for (b, name) in self.builders.iter().zip(&self.names) {
            let len = match b {
                Builder::Str(b) => b.len(),
                Builder::F64(b) => b.len(),
                Builder::I64(b) => b.len(),
                Builder::Bool(b) => b.len(),
            };
            assert_eq!(
                len, self.rows,
                "column {name:?} holds {len} of {} rows",
                self.rows
            );
        }
    }

    /// The rows as Arrow arrays, one per column; the batch is left empty, its builders sized
    /// for a batch like this one (finishing hands the buffers over, and growing new ones by
    /// doubling would copy every batch several times).
    pub fn take_arrays(&mut self) -> Vec<ArrayRef> {
        let rows = std::mem::take(&mut self.rows);
        self.builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Str(b) => {
                        let bytes = b.values_slice().len();
                        let array = b.finish();
                        *b = StringBuilder::with_capacity(rows, bytes);
                        Arc::new(array)
                    }
                    Builder::F64(b) => {
                        let array = b.finish();
                        *b = Float64Builder::with_capacity(rows);
                        Arc::new(array)
                    }
                    Builder::I64(b) => {
                        let array = b.finish();
                        *b = Int64Builder::with_capacity(rows);
                        Arc::new(array)
                    }
                    Builder::Bool(b) => {
                        let array = b.finish();
                        *b = BooleanBuilder::with_capacity(rows);
                        Arc::new(array)
                    }
                }
            })
            .collect()
    }
}

/// An Arrow array written by a [`RowBatch`], as the schema checks see it.
pub(crate) enum ArrowCells<'a> {
    Str(&'a StringArray),
    F64(&'a Float64Array),
    I64(&'a Int64Array),
    Bool(&'a BooleanArray),
}

impl<'a> ArrowCells<'a> {
    /// The array of a [`RowBatch`] column.
    pub(crate) fn of(array: &'a ArrayRef) -> Self {
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Float64Type, Int64Type};
        use arrow_schema::DataType;
        match array.data_type() {
            DataType::Utf8 => Self::Str(array.as_string::<i32>()),
            DataType::Float64 => Self::F64(array.as_primitive::<Float64Type>()),
            DataType::Int64 => Self::I64(array.as_primitive::<Int64Type>()),
            DataType::Boolean => Self::Bool(array.as_boolean()),
            other => unreachable!("a RowBatch builds no {other} arrays"),
        }
    }

    fn array(&self) -> &dyn Array {
        match self {
            Self::Str(a) => *a,
            Self::F64(a) => *a,
            Self::I64(a) => *a,
            Self::Bool(a) => *a,
        }
    }
}

impl CellColumn for ArrowCells<'_> {
    fn len(&self) -> usize {
        self.array().len()
    }

    fn kind(&self) -> CellKind {
        match self {
            Self::Str(_) => CellKind::Str,
            Self::F64(_) => CellKind::F64,
            Self::I64(_) => CellKind::I64,
            Self::Bool(_) => CellKind::Bool,
        }
    }

    fn cell(&self, row: usize) -> Cell<'_> {
        // Each arm on the concrete array: no virtual call per cell.
        match self {
            Self::Str(a) if a.is_valid(row) => Cell::Str(a.value(row)),
            Self::F64(a) if a.is_valid(row) => Cell::F64(a.value(row)),
            Self::I64(a) if a.is_valid(row) => Cell::I64(a.value(row)),
            Self::Bool(a) if a.is_valid(row) => Cell::Bool(a.value(row)),
            _ => Cell::Null,
        }
    }

    fn text_extent(&self) -> Option<(usize, bool)> {
        let Self::Str(a) = self else { return None };
        // Byte lengths from the offsets; a null's length does not count.
        let offsets = a.value_offsets();
        let lengths = offsets.windows(2).map(|w| (w[1] - w[0]) as usize);
        let shortest = match a.nulls() {
            None => lengths.min(),
            Some(nulls) => lengths
                .zip(nulls.iter())
                .filter_map(|(len, valid)| valid.then_some(len))
                .min(),
        };
        Some((shortest.unwrap_or(usize::MAX), a.null_count() > 0))
    }

    fn all_str(&self, mut ok: impl FnMut(Option<&str>) -> bool) -> bool {
        matches!(self, Self::Str(a) if a.iter().all(&mut ok))
    }

    fn all_f64(&self, mut ok: impl FnMut(Option<f64>) -> bool) -> bool {
        match self {
            // No nulls (the usual case): straight over the values.
            Self::F64(a) if a.null_count() == 0 => a.values().iter().all(|&x| ok(Some(x))),
            Self::F64(a) => a.iter().all(ok),
            _ => false,
        }
    }

    fn all_i64(&self, mut ok: impl FnMut(Option<i64>) -> bool) -> bool {
        match self {
            Self::I64(a) if a.null_count() == 0 => a.values().iter().all(|&x| ok(Some(x))),
            Self::I64(a) => a.iter().all(ok),
            _ => false,
        }
    }

    fn all_bool(&self, ok: impl FnMut(Option<bool>) -> bool) -> bool {
        matches!(self, Self::Bool(a) if a.iter().all(ok))
    }
}
