//! Format-neutral reading and writing of frames: the file extension picks Parquet
//! (`.parquet`, `.pq`) or tab-separated text (anything else), every frame is validated
//! against its table schema on the way in and on the way out, and writers are atomic.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::atomic::AtomicFile;
use crate::error::{Place, Result, TableError};
use crate::frame::{ColumnData, Frame};
use crate::kinds::manifest::{DigestWriter, FileDigest};
use crate::parquet_io::{append_array, read_parquet, ParquetSink};
use crate::row_batch::{ArrowCells, RowBatch};
use crate::schema::{CellColumn, CellKind, TableSchema};
use crate::text::{read_text, write_header, write_rows};

/// The on-disk form of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Tab-separated text.
    Text,
    /// Apache Parquet.
    Parquet,
}

impl TableFormat {
    /// The format a path's extension implies.
    pub fn of(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet" | "pq") => TableFormat::Parquet,
            _ => TableFormat::Text,
        }
    }
}

/// Reads and validates a frame.
pub fn read_frame(path: &Path, schema: &TableSchema) -> Result<Frame> {
    match TableFormat::of(path) {
        TableFormat::Parquet => read_parquet(path, schema),
        TableFormat::Text => read_text(path, schema),
    }
}

/// Validates and writes a whole frame atomically.
pub fn write_frame(path: &Path, frame: &Frame, schema: &TableSchema) -> Result<()> {
    FrameSink::create(path, frame, schema)?.finish()
}

/// A streaming, validating, atomic writer of frames that share one set of columns.
pub struct FrameSink {
    path: PathBuf,
    schema: TableSchema,
    rows_written: usize,
    inner: SinkKind,
}

enum SinkKind {
    Text {
        out: Box<BufWriter<DigestWriter<File>>>,
        file: AtomicFile,
    },
    Parquet(Box<ParquetSink>),
}

impl FrameSink {
    /// Starts writing `path`; `template` gives the columns and metadata and its rows are written.
    pub fn create(path: &Path, template: &Frame, schema: &TableSchema) -> Result<Self> {
        schema.validate(template, path, &|row| Place::Row(row + 1))?;
        let inner = match TableFormat::of(path) {
            TableFormat::Parquet => {
                SinkKind::Parquet(Box::new(ParquetSink::create(path, template)?))
            }
            TableFormat::Text => {
                let mut file = AtomicFile::create(path)?;
                let handle = file
                    .file()
                    .try_clone()
                    .map_err(|e| TableError::io(path, e))?;
                let mut out = Box::new(BufWriter::new(DigestWriter::new(handle)));
                write_header(&mut *out, template)
                    .and_then(|_| write_rows(&mut *out, template))
                    .map_err(|e| TableError::io(path, e))?;
                SinkKind::Text { out, file }
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            schema: schema.clone(),
            rows_written: template.n_rows(),
            inner,
        })
    }

    /// Validates and appends the rows of `frame`.
    pub fn write(&mut self, frame: &Frame) -> Result<()> {
        let offset = self.rows_written;
        self.schema
            .validate(frame, &self.path, &|row| Place::Row(offset + row + 1))?;
        match &mut self.inner {
            SinkKind::Parquet(sink) => sink.write(frame)?,
            SinkKind::Text { out, .. } => {
                write_rows(&mut **out, frame).map_err(|e| TableError::io(&self.path, e))?
            }
        }
        self.rows_written += frame.n_rows();
        Ok(())
    }

    /// Validates and appends the rows of `batch` (the columns of this sink's template), which
    /// is left empty for the next rows.
    pub fn write_rows(&mut self, batch: &mut RowBatch) -> Result<()> {
        self.schema.check_columns(batch.names(), &self.path)?;
        let offset = self.rows_written;
        let rows = batch.rows();
        let arrays = batch.take_arrays();
        for (name, array) in batch.names().iter().zip(&arrays) {
            self.schema
                .validate_column(name, &ArrowCells::of(array), &self.path, &|row| {
                    Place::Row(offset + row + 1)
                })?;
        }
        match &mut self.inner {
            SinkKind::Parquet(sink) => {
                let record = arrow_array::RecordBatch::try_new(sink.arrow_schema().clone(), arrays)
                    .map_err(|e| TableError::format(&self.path, format!("Parquet: {e}")))?;
                sink.write_batch(&record)?;
            }
            SinkKind::Text { out, .. } => {
                let mut frame = Frame::default();
                for (name, array) in batch.names().iter().zip(&arrays) {
                    let mut data = match ArrowCells::of(array).kind() {
                        CellKind::Str => ColumnData::Str(Vec::new()),
                        CellKind::F64 => ColumnData::F64(Vec::new()),
                        CellKind::I64 => ColumnData::I64(Vec::new()),
                        CellKind::Bool => ColumnData::Bool(Vec::new()),
                    };
                    append_array(&mut data, array.as_ref());
                    frame.push(name.clone(), data);
                }
                write_rows(&mut **out, &frame).map_err(|e| TableError::io(&self.path, e))?;
            }
        }
        self.rows_written += rows;
        Ok(())
    }

    /// Starts writing what was written so far to disk without waiting, so that finishing a
    /// long file has little left to sync (see [`AtomicFile::start_writeback`]).
    pub fn start_writeback(&mut self) {
        match &mut self.inner {
            SinkKind::Parquet(sink) => sink.start_writeback(),
            SinkKind::Text { file, .. } => file.start_writeback(),
        }
    }

    /// Completes the file and moves it into place.
    pub fn finish(self) -> Result<()> {
        self.finish_with_digest().map(|_| ())
    }

    /// [`FrameSink::finish`], returning the file's size and SHA-256, hashed as it was written.
    pub fn finish_with_digest(self) -> Result<FileDigest> {
        match self.inner {
            SinkKind::Parquet(sink) => sink.finish(),
            SinkKind::Text { out, file } => {
                let hashed = (*out)
                    .into_inner()
                    .map_err(|e| TableError::io(&self.path, e.into_error()))?;
                let (digest, _) = hashed.finish(&self.path);
                file.commit()?;
                Ok(digest)
            }
        }
    }
}
