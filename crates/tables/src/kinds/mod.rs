//! The typed tables every stage hands the next: each kind converts to and from a [`Frame`],
//! is validated against its schema in `data-schemas/`, and is read or written as text or
//! Parquet by file extension.

use std::path::Path;

use crate::error::Result;
use crate::frame::Frame;
use crate::io::{read_frame, write_frame};
use crate::schema::TableSchema;

pub mod assoc;
pub mod comparison;
pub mod feature;
pub mod gwas;
pub mod manifest;
pub mod mmd;

/// Compiles a table schema from `data-schemas/` once and hands out a static reference.
macro_rules! table_schema {
    ($file:literal) => {{
        static SCHEMA: std::sync::OnceLock<$crate::schema::TableSchema> =
            std::sync::OnceLock::new();
        SCHEMA.get_or_init(|| {
            $crate::schema::TableSchema::from_json(include_str!(concat!(
                "../../../../data-schemas/",
                $file
            )))
            .expect(concat!($file, " compiles"))
        })
    }};
}
pub(crate) use table_schema;

/// A table kind with a schema and a frame form.
pub trait TableKind: Sized {
    /// The compiled schema of this kind.
    fn schema() -> &'static TableSchema;
    /// The table as a frame, columns in output order.
    fn to_frame(&self) -> Frame;
    /// The table from a frame that has passed schema validation.
    fn from_frame(path: &Path, frame: Frame) -> Result<Self>;

    /// Reads and validates a text or Parquet file.
    fn read(path: &Path) -> Result<Self> {
        Self::from_frame(path, read_frame(path, Self::schema())?)
    }

    /// Validates and writes a text or Parquet file atomically.
    fn write(&self, path: &Path) -> Result<()> {
        write_frame(path, &self.to_frame(), Self::schema())
    }
}

/// Builds a column from a slice of records.
pub(crate) fn col<T, U>(records: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    records.iter().map(f).collect()
}

/// A Rust value type that maps to one table column kind.
pub trait CellType: Sized + Clone {
    /// Builds the column.
    fn to_column(values: Vec<Self>) -> crate::frame::ColumnData;
    /// Takes the column out of a validated frame.
    fn take(frame: &mut Frame, name: &str) -> Vec<Self>;
}

macro_rules! cell_type {
    ($t:ty, $variant:ident, $take:ident, |$v:ident| $to:expr, |$w:ident| $from:expr) => {
        impl CellType for $t {
            fn to_column(values: Vec<Self>) -> crate::frame::ColumnData {
                crate::frame::ColumnData::$variant(values.into_iter().map(|$v| $to).collect())
            }
            fn take(frame: &mut Frame, name: &str) -> Vec<Self> {
                use crate::frame::TakeColumn;
                frame.$take(name).into_iter().map(|$w| $from).collect()
            }
        }
    };
}
cell_type!(String, Str, take_str, |v| Some(v), |w| w
    .unwrap_or_default());
cell_type!(Option<String>, Str, take_str, |v| v, |w| w);
cell_type!(i64, I64, take_i64, |v| Some(v), |w| w.unwrap_or_default());
cell_type!(Option<i64>, I64, take_i64, |v| v, |w| w);
cell_type!(f64, F64, take_f64, |v| Some(v), |w| w.unwrap_or(f64::NAN));
cell_type!(Option<f64>, F64, take_f64, |v| v, |w| w);
cell_type!(Option<bool>, Bool, take_bool, |v| v, |w| w);

/// Declares a record struct, its table (records + metadata) and the frame conversions,
/// from one list of `field: Type => "COLUMN"` entries.
macro_rules! record_table {
    (
        $(#[$rmeta:meta])* record $record:ident;
        $(#[$tmeta:meta])* table $table:ident, schema $file:literal;
        { $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $column:literal, )+ }
    ) => {
        $(#[$rmeta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $record {
            $( $(#[$fmeta])* pub $field: $ty, )+
        }

        $(#[$tmeta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $table {
            /// The rows.
            pub records: Vec<$record>,
            /// File-level metadata (parameters, provenance).
            pub metadata: std::collections::BTreeMap<String, String>,
        }

        impl $table {
            /// The column names in output order.
            pub const COLUMNS: &'static [&'static str] = &[$($column),+];

            /// A frame of `records` alone (streaming writers use it per block).
            pub fn frame_of(records: &[$record]) -> $crate::frame::Frame {
                let mut frame = $crate::frame::Frame::default();
                $( frame.push($column, <$ty as $crate::kinds::CellType>::to_column(
                    $crate::kinds::col(records, |r| r.$field.clone()))); )+
                frame
            }
        }

        impl $crate::kinds::TableKind for $table {
            fn schema() -> &'static $crate::schema::TableSchema {
                $crate::kinds::table_schema!($file)
            }

            fn to_frame(&self) -> $crate::frame::Frame {
                let mut frame = Self::frame_of(&self.records);
                frame.metadata = self.metadata.clone();
                frame
            }

            fn from_frame(_path: &std::path::Path, mut frame: $crate::frame::Frame) -> $crate::error::Result<Self> {
                let n = frame.n_rows();
                let mut records = vec![$record::default(); n];
                $(
                    for (r, v) in records.iter_mut().zip(<$ty as $crate::kinds::CellType>::take(&mut frame, $column)) {
                        r.$field = v;
                    }
                )+
                Ok(Self { records, metadata: frame.metadata })
            }
        }
    };
}
pub(crate) use record_table;
