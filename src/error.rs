//! Errors that stop a whole run. A problem in one row is not an error: it is data
//! (`problem.rs`) and the run goes on.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A wrong option or argument.
    #[error("{0}")]
    Usage(String),
    /// A file that cannot be opened, read or written.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file that was read but cannot be used as a sheet or config.
    #[error("{}: {reason}", path.display())]
    Unusable { path: PathBuf, reason: String },
    /// The sheet lacks columns the run needs.
    #[error("{}: {message}", path.display())]
    Columns { path: PathBuf, message: String },
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }
    pub fn file(path: &Path, source: std::io::Error) -> Self {
        Error::File {
            path: path.to_path_buf(),
            source,
        }
    }
    pub fn unusable(path: &Path, reason: impl Into<String>) -> Self {
        Error::Unusable {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
