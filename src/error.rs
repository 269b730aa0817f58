//! Errors that stop a whole run, each with its exit code ([`Error::exit_code`], the one place
//! that maps them). A problem in one row is not an error: it is data (`model/problem.rs`) and
//! the run goes on. What a run that did run ends with (some orders not created, a refused
//! token, an interruption) is its outcome, an exit code of its own, not an error.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A wrong option or argument.
    #[error("{0}")]
    Usage(String),
    /// A file that cannot be opened, read or written.
    #[error("{}: {source}{}", path.display(), what_to_do(source))]
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
    /// Something that cannot happen did: a bug, not the user's doing.
    #[error("this is a bug in fpgo-export: {0}. Please report it, with the command you ran (never the token) and this message")]
    Bug(String),
}

/// What to do about a file error whose cause is not in the file itself.
fn what_to_do(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::StorageFull => "; free some space on that disk and run again",
        _ => "",
    }
}

impl Error {
    /// The exit code this error ends the process with (`exit.rs`).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_)
            | Error::File { .. }
            | Error::Unusable { .. }
            | Error::Columns { .. } => crate::exit::CANNOT_RUN,
            Error::Bug(_) => crate::exit::BUG,
        }
    }
    pub fn bug(what: impl Into<String>) -> Self {
        Error::Bug(what.into())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_says_what_to_do() {
        let full = Error::file(
            Path::new("out/R.csv"),
            std::io::Error::from(std::io::ErrorKind::StorageFull),
        );
        assert!(
            full.to_string().starts_with("out/R.csv: ")
                && full
                    .to_string()
                    .ends_with("; free some space on that disk and run again"),
            "{full}"
        );
        let missing = Error::file(
            Path::new("S.csv"),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert_eq!(missing.to_string(), "S.csv: entity not found");
    }
}
