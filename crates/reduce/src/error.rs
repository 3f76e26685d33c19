//! The error type of the reduce crate: every variant says which input (file, structure,
//! sample, variant) is at fault and what was expected.

use std::path::PathBuf;

use biomarker_tables::TableError;

/// Everything that can go wrong fitting or applying a PCA.
#[derive(Debug, thiserror::Error)]
pub enum ReduceError {
    /// Reading or writing a table failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The input cannot be analysed as asked (too few samples, a missing value, …).
    #[error("{context}: {message}")]
    Input {
        /// Which input: a file, a structure, a fileset.
        context: String,
        /// What is wrong, with the offending value.
        message: String,
    },
    /// A loadings file is malformed or does not fit the data it is applied to.
    #[error("{}: {message}", path.display())]
    Loadings {
        /// The loadings file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A decomposition did not converge.
    #[error("{context}: {message}")]
    Numeric {
        /// What was being decomposed.
        context: String,
        /// The solver's complaint.
        message: String,
    },
}

impl ReduceError {
    /// An input error.
    pub fn input(context: impl Into<String>, message: impl Into<String>) -> Self {
        ReduceError::Input {
            context: context.into(),
            message: message.into(),
        }
    }

    /// A numeric failure.
    pub fn numeric(context: impl Into<String>, message: impl Into<String>) -> Self {
        ReduceError::Numeric {
            context: context.into(),
            message: message.into(),
        }
    }
}

/// Result alias of the reduce crate.
pub type Result<T, E = ReduceError> = std::result::Result<T, E>;
