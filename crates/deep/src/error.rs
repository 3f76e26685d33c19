//! The crate's error type: every failure names the file, line or value at fault.

use std::path::PathBuf;

/// Errors of the deep-learning stage.
#[derive(Debug, thiserror::Error)]
pub enum DeepError {
    /// A tensor operation failed (shape mismatch, unsupported device, …).
    #[error("tensor operation: {0}")]
    Candle(#[from] candle_core::Error),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A NIfTI file could not be read or written.
    #[error("{path}: NIfTI: {message}")]
    Nifti {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A text input (manifest, label table, phenotypes) has a bad record.
    #[error("{path}:{line}: {message}")]
    Record {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// A configuration or argument value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A checkpoint is missing a tensor or does not fit the model.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What is missing or mismatched.
        message: String,
    },
    /// A table could not be read or written.
    #[error(transparent)]
    Table(#[from] biomarker_tables::TableError),
}

impl DeepError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with [`DeepError`].
pub type Result<T> = std::result::Result<T, DeepError>;

/// Returns a configuration error unless `cond` holds.
macro_rules! ensure_config {
    ($cond:expr, $($arg:tt)*) => {
        let holds: bool = $cond;
        if !holds {
            return Err($crate::error::DeepError::Config(format!($($arg)*)));
        }
    };
}
pub(crate) use ensure_config;
