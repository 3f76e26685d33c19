//! Parquet form of frames, through arrow-rs. Frame metadata goes into the file's key-value
//! metadata; text columns are UTF-8, numbers Float64/Int64, flags Boolean, all nullable.
//! Writers stream row groups, so a genome-wide table never has to be held whole.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::atomic::AtomicFile;
use crate::error::{Place, Result, TableError};
use crate::frame::{ColumnData, Frame};
use crate::kinds::manifest::{DigestWriter, FileDigest};
use crate::schema::{CellKind, TableSchema};

/// Key under which arrow stores its own schema; not part of a frame's metadata.
const ARROW_SCHEMA_KEY: &str = "ARROW:schema";

fn parquet_err(path: &Path, e: impl std::fmt::Display) -> TableError {
    TableError::format(path, format!("Parquet: {e}"))
}

fn arrow_schema_of(frame: &Frame) -> SchemaRef {
    let fields: Vec<Field> = frame
        .columns
        .iter()
        .map(|c| {
            let t = match c.data {
                ColumnData::Str(_) => DataType::Utf8,
                ColumnData::F64(_) => DataType::Float64,
                ColumnData::I64(_) => DataType::Int64,
                ColumnData::Bool(_) => DataType::Boolean,
            };
            Field::new(&c.name, t, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

fn to_batch(
    frame: &Frame,
    schema: &SchemaRef,
) -> std::result::Result<RecordBatch, arrow_schema::ArrowError> {
    let arrays: Vec<ArrayRef> = frame
        .columns
        .iter()
        .map(|c| -> ArrayRef {
            match &c.data {
                ColumnData::Str(v) => {
                    Arc::new(v.iter().map(|s| s.as_deref()).collect::<StringArray>())
                }
                ColumnData::F64(v) => Arc::new(v.iter().copied().collect::<Float64Array>()),
                ColumnData::I64(v) => Arc::new(v.iter().copied().collect::<Int64Array>()),
                ColumnData::Bool(v) => Arc::new(v.iter().copied().collect::<BooleanArray>()),
            }
        })
        .collect();
    RecordBatch::try_new(schema.clone(), arrays)
}

/// Most rows in one row group (64 Ki rows): a streaming writer (a genome scan's GwasTable)
/// then holds at most one such group in memory instead of the default 1 Mi rows.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// Streams frames with one fixed set of columns into a Parquet file, one row group a batch.
pub struct ParquetSink {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<DigestWriter<File>>,
    file: AtomicFile,
}

impl ParquetSink {
    /// Starts a file whose columns and metadata are those of `template` (its rows are written too).
    pub fn create(path: &Path, template: &Frame) -> Result<Self> {
        let mut file = AtomicFile::create(path)?;
        let handle = file
            .file()
            .try_clone()
            .map_err(|e| TableError::io(path, e))?;
        let schema = arrow_schema_of(template);
        let kv: Vec<KeyValue> = template
            .metadata
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
            .collect();
        // Statistics per column chunk, not per page: page-level indexes stay in memory until
        // the footer is written, and grow with the rows of a genome scan.
        // No dictionary encoding: finding repeats means hashing and comparing every value,
        // which cost a 40-phenotype genome scan's writer (4 million rows) about 0.3 s of its
        // 3 s; plain pages through snappy came out only 7% larger.
        let mut props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_key_value_metadata(Some(kv));
        // Minimum and maximum of text columns (IDs, alleles, names) let a reader skip almost
        // no row group, and comparing every string to find them cost a 40-phenotype genome
        // scan's writer about 0.3 s of its 4 s: numbers keep their statistics, text does not.
        for field in schema.fields() {
            if field.data_type() == &DataType::Utf8 {
                props = props.set_column_statistics_enabled(
                    ColumnPath::from(field.name().as_str()),
                    EnabledStatistics::None,
                );
            }
        }
        let props = props.build();
        let writer = ArrowWriter::try_new(DigestWriter::new(handle), schema.clone(), Some(props))
            .map_err(|e| parquet_err(path, e))?;
        let mut sink = Self {
            path: path.to_path_buf(),
            schema,
            writer,
            file,
        };
        if template.n_rows() > 0 {
            sink.write(template)?;
        }
        Ok(sink)
    }

    /// Appends the rows of `frame` (same columns as the template).
    pub fn write(&mut self, frame: &Frame) -> Result<()> {
        let batch = to_batch(frame, &self.schema).map_err(|e| parquet_err(&self.path, e))?;
        self.write_batch(&batch)
    }

    /// Appends an Arrow batch with the template's columns. Row groups close every
    /// [`ROW_GROUP_ROWS`] rows, not at every batch: the writer keeps each row group's metadata
    /// until the footer, so small groups made a long scan's memory grow with its rows.
    pub fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(batch)
            .map_err(|e| parquet_err(&self.path, e))
    }

    /// Starts writing the row groups written so far to disk (see [`AtomicFile::start_writeback`]).
    pub fn start_writeback(&mut self) {
        self.file.start_writeback();
    }

    /// The Arrow schema of the file.
    pub fn arrow_schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Writes the footer and moves the file into place; returns the file's digest.
    pub fn finish(self) -> Result<FileDigest> {
        let hashed = self
            .writer
            .into_inner()
            .map_err(|e| parquet_err(&self.path, e))?;
        let (digest, _) = hashed.finish(&self.path);
        self.file.commit()?;
        Ok(digest)
    }
}

/// Reads a whole Parquet file into a frame, typed and validated against `schema`.
pub fn read_parquet(path: &Path, schema: &TableSchema) -> Result<Frame> {
    let mut frames = ParquetFrames::open(path, schema, DEFAULT_BATCH_ROWS)?;
    let mut columns = frames.empty_columns();
    while frames.append_batch(&mut columns)?.is_some() {}
    let frame = frames.frame_of(columns);
    schema.validate(&frame, path, &|row| Place::Row(row + 1))?;
    Ok(frame)
}

/// Rows per batch of a whole-file read (arrow's default).
const DEFAULT_BATCH_ROWS: usize = 1024;

/// Reads a Parquet file a batch of rows at a time: each item is a frame with the file's
/// columns and metadata holding the next `batch_rows` rows (fewer at the end), typed and
/// validated against the schema with rows numbered from the start of the file. Memory stays
/// at one batch however long the table is.
pub struct ParquetFrames {
    path: PathBuf,
    schema: TableSchema,
    names: Vec<String>,
    kinds: Vec<ColumnData>,
    metadata: std::collections::BTreeMap<String, String>,
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    rows: usize,
}

impl ParquetFrames {
    /// Opens `path`, checking its columns against `schema`.
    pub fn open(path: &Path, schema: &TableSchema, batch_rows: usize) -> Result<Self> {
        let file = File::open(path).map_err(|e| TableError::io(path, e))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_err(path, e))?;
        let mut metadata = std::collections::BTreeMap::new();
        if let Some(kv) = builder.metadata().file_metadata().key_value_metadata() {
            for entry in kv.iter().filter(|e| e.key != ARROW_SCHEMA_KEY) {
                metadata.insert(entry.key.clone(), entry.value.clone().unwrap_or_default());
            }
        }
        let fields: Vec<(String, DataType)> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect();
        let names: Vec<String> = fields.iter().map(|(n, _)| n.clone()).collect();
        schema.check_columns(&names, path)?;
        let mut kinds: Vec<ColumnData> = Vec::with_capacity(fields.len());
        for (name, t) in &fields {
            // A column that may hold several kinds (phenotypes: numbers or categories) keeps the
            // kind it is stored as; otherwise the schema's declared kind decides.
            let natural = match t {
                DataType::Utf8 | DataType::LargeUtf8 => Some(CellKind::Str),
                DataType::Float64 | DataType::Float32 => Some(CellKind::F64),
                DataType::Int64 | DataType::Int32 => Some(CellKind::I64),
                DataType::Boolean => Some(CellKind::Bool),
                _ => None,
            };
            let kind = match natural {
                Some(k) if schema.accepts(name, k) => k,
                _ => schema.kind_of(name).unwrap_or(CellKind::Str),
            };
            kinds.push(match kind {
                CellKind::Str => ColumnData::Str(Vec::new()),
                CellKind::F64 => ColumnData::F64(Vec::new()),
                CellKind::I64 => ColumnData::I64(Vec::new()),
                CellKind::Bool => ColumnData::Bool(Vec::new()),
            });
            let compatible = matches!(
                (kind, t),
                (CellKind::Str, DataType::Utf8 | DataType::LargeUtf8)
                    | (
                        CellKind::F64,
                        DataType::Float64 | DataType::Float32 | DataType::Int64 | DataType::Int32
                    )
                    | (CellKind::I64, DataType::Int64 | DataType::Int32)
                    | (CellKind::Bool, DataType::Boolean)
            );
            if !compatible {
                return Err(TableError::Columns {
                    path: path.into(),
                    message: format!("column {name:?} is stored as {t}, expected {kind:?}"),
                });
            }
        }
        let reader = builder
            .with_batch_size(batch_rows.max(1))
            .build()
            .map_err(|e| parquet_err(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            schema: schema.clone(),
            names,
            kinds,
            metadata,
            reader,
            rows: 0,
        })
    }

    /// Rows read so far.
    pub fn rows_read(&self) -> usize {
        self.rows
    }

    /// A frame with the file's columns and metadata and no rows (a template for a sink).
    pub fn empty_frame(&self) -> Frame {
        self.frame_of(self.empty_columns())
    }

    fn empty_columns(&self) -> Vec<ColumnData> {
        self.kinds.clone()
    }

    /// Appends the next batch to `columns`; returns its row count, None at the end.
    fn append_batch(&mut self, columns: &mut [ColumnData]) -> Result<Option<usize>> {
        let Some(batch) = self.reader.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| parquet_err(&self.path, e))?;
        for (j, column) in columns.iter_mut().enumerate() {
            append_array(column, batch.column(j).as_ref());
        }
        self.rows += batch.num_rows();
        Ok(Some(batch.num_rows()))
    }

    fn frame_of(&self, columns: Vec<ColumnData>) -> Frame {
        let mut frame = Frame {
            metadata: self.metadata.clone(),
            ..Frame::default()
        };
        for (name, data) in self.names.iter().zip(columns) {
            frame.push(name.clone(), data);
        }
        frame
    }
}

impl Iterator for ParquetFrames {
    type Item = Result<Frame>;

    fn next(&mut self) -> Option<Result<Frame>> {
        let offset = self.rows;
        let mut columns = self.empty_columns();
        match self.append_batch(&mut columns) {
            Ok(None) => None,
            Err(e) => Some(Err(e)),
            Ok(Some(_)) => {
                let frame = self.frame_of(columns);
                Some(
                    self.schema
                        .validate(&frame, &self.path, &|row| Place::Row(offset + row + 1))
                        .map(|()| frame),
                )
            }
        }
    }
}

/// Appends an Arrow array's values to a column of a frame.
pub(crate) fn append_array(column: &mut ColumnData, array: &dyn Array) {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float32Type, Float64Type, Int32Type, Int64Type};
    let valid = |i: usize| array.is_valid(i);
    let n = array.len();
    match column {
        ColumnData::Str(v) => match array.data_type() {
            DataType::LargeUtf8 => {
                let a = array.as_string::<i64>();
                v.extend((0..n).map(|i| valid(i).then(|| a.value(i).to_owned())))
            }
            _ => {
                let a = array.as_string::<i32>();
                v.extend((0..n).map(|i| valid(i).then(|| a.value(i).to_owned())))
            }
        },
        ColumnData::F64(v) => match array.data_type() {
            DataType::Float32 => {
                let a = array.as_primitive::<Float32Type>();
                v.extend((0..n).map(|i| valid(i).then(|| a.value(i) as f64)))
            }
            DataType::Int64 => {
                let a = array.as_primitive::<Int64Type>();
                v.extend((0..n).map(|i| valid(i).then(|| a.value(i) as f64)))
            }
            DataType::Int32 => {
                let a = array.as_primitive::<Int32Type>();
                v.extend((0..n).map(|i| valid(i).then(|| a.value(i) as f64)))
            }
            _ => {
                let a = array.as_primitive::<Float64Type>();
                v.extend((0..n).map(|i| valid(i).then(|| a.value(i))))
            }
        },
        ColumnData::I64(v) => match array.data_type() {
            DataType::Int32 => {
                let a = array.as_primitive::<Int32Type>();
                v.extend((0..n).map(|i| valid(i).then(|| a.value(i) as i64)))
            }
            _ => {
                let a = array.as_primitive::<Int64Type>();
                v.extend((0..n).map(|i| valid(i).then(|| a.value(i))))
            }
        },
        ColumnData::Bool(v) => {
            let a = array.as_boolean();
            v.extend((0..n).map(|i| valid(i).then(|| a.value(i))))
        }
    }
}
