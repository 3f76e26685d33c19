//! The one error type of the report crate: every variant names the file (and line) or the
//! plot at fault.

use std::path::PathBuf;

/// Everything that can go wrong building a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A typed table could not be read or written.
    #[error(transparent)]
    Table(#[from] biomarker_tables::TableError),
    /// The operating system refused to read or write a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An input file is malformed at a line.
    #[error("{}: line {line}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// The inputs are well formed but cannot make the requested output.
    #[error("{0}")]
    Invalid(String),
    /// Drawing a plot failed.
    #[error("plot {what}: {message}")]
    Plot {
        /// Which plot.
        what: String,
        /// The backend's message.
        message: String,
    },
    /// Rendering the HTML template failed.
    #[error("HTML template: {0}")]
    Template(#[from] askama::Error),
}

impl ReportError {
    /// Wraps an IO error with the file it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            source,
        }
    }

    /// A malformed line of an input file.
    pub fn input(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        ReportError::Input {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

/// Result alias of the report crate.
pub type Result<T, E = ReportError> = std::result::Result<T, E>;
