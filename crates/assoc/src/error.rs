//! The error type of the assoc crate: input problems name the file and, where there is one,
//! the line, column, sample or value at fault.

use std::path::PathBuf;

use biomarker_tables::TableError;

/// Everything that can go wrong in a regression or a scan.
#[derive(Debug, thiserror::Error)]
pub enum AssocError {
    /// Reading or writing a table failed (the message names the file and place).
    #[error(transparent)]
    Table(#[from] TableError),
    /// An input file is readable but unusable (no overlap, non-numeric phenotype, …).
    #[error("{}: {message}", path.display())]
    Input {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, naming line, column and value where there are some.
        message: String,
    },
    /// A parameter is out of range or options contradict each other.
    #[error("invalid option: {0}")]
    Option(String),
    /// A regression could not be computed (singular design, shape mismatch).
    #[error("regression: {0}")]
    Regression(String),
    /// Writing an output failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl AssocError {
    /// An input error for `path`.
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        AssocError::Input {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Result alias of the assoc crate.
pub type Result<T, E = AssocError> = std::result::Result<T, E>;
