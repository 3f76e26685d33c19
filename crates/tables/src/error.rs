//! The one error type of the tables crate: every variant names the file and, where there is
//! one, the line or row, the column and the offending value, so a user can go straight to it.

use std::fmt;
use std::path::PathBuf;

/// Where in a file a problem sits: a text line (1-based, counting the header) or a data row
/// of a binary table (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A line of a text file, 1-based, the header included.
    Line(usize),
    /// A data row of a Parquet file, 1-based.
    Row(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(n) => write!(f, "line {n}"),
            Place::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// Everything that can go wrong reading, validating or writing a table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The operating system refused to read or write the file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// One cell breaks its column's rule (type, range, allowed values).
    #[error("{}: {place}, column {column:?}: {message} (found {value:?})", path.display())]
    Cell {
        /// The file.
        path: PathBuf,
        /// The line or row.
        place: Place,
        /// The column name.
        column: String,
        /// The value as found.
        value: String,
        /// What was expected.
        message: String,
    },
    /// A whole line or row is malformed (wrong number of fields, say).
    #[error("{}: {place}: {message}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// The line or row.
        place: Place,
        /// What is wrong.
        message: String,
    },
    /// A column the table kind needs is absent, or one it does not know is present.
    #[error("{}: {message}", path.display())]
    Columns {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the columns.
        message: String,
    },
    /// The same IID appears more than once where IIDs must be unique.
    #[error("{}: duplicated IID(s): {}", path.display(), ids.join(", "))]
    DuplicateIid {
        /// The file.
        path: PathBuf,
        /// Every duplicated IID (each once).
        ids: Vec<String>,
    },
    /// A binary file's structure is wrong (magic bytes, size, Parquet layout).
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        message: String,
    },
    /// A JSON document breaks its schema.
    #[error("{}: at {pointer}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// JSON pointer of the offending value ("" for the root).
        pointer: String,
        /// What was expected and what was found.
        message: String,
    },
}

impl TableError {
    /// Wraps an IO error with the file it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TableError::Io {
            path: path.into(),
            source,
        }
    }

    /// A format error with a message.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        TableError::Format {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result alias of the tables crate.
pub type Result<T, E = TableError> = std::result::Result<T, E>;
