//! Errors of the coverage engine. Every error names the input (file and,
//! when known, line) and carries a hint saying how to fix it.

use std::fmt;
use std::path::PathBuf;

/// Where in an input the problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The input file (or a pseudo-name such as `git diff` for command output).
    pub file: PathBuf,
    /// 1-based line in that input, when known.
    pub line: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file.display()),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// An error of the coverage engine: input missing, unreadable or malformed,
/// or a git command that could not give what was asked.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    /// The file could not be opened or read.
    #[error("{location}: cannot read: {source}\n  hint: {hint}")]
    Io {
        location: Location,
        #[source]
        source: std::io::Error,
        hint: String,
    },
    /// The content is not a coverage report / diff we understand, or is malformed.
    #[error("{location}: {message}\n  hint: {hint}")]
    Parse {
        location: Location,
        message: String,
        hint: String,
    },
    /// A git command failed or its state prevents computing the change.
    #[error("git: {message}\n  hint: {hint}")]
    Git { message: String, hint: String },
}

impl CoverageError {
    pub(crate) fn parse(
        file: impl Into<PathBuf>,
        line: Option<u64>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        CoverageError::Parse {
            location: Location {
                file: file.into(),
                line,
            },
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub(crate) fn io(file: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let hint = match source.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path; report paths are relative to the working directory".to_string()
            }
            std::io::ErrorKind::PermissionDenied => {
                "make the file readable by the user running the gate".to_string()
            }
            _ => "make sure the report was written completely before the gate runs".to_string(),
        };
        CoverageError::Io {
            location: Location {
                file: file.into(),
                line: None,
            },
            source,
            hint,
        }
    }

    pub(crate) fn git(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CoverageError::Git {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The location of the problem, when it is in an input file.
    pub fn location(&self) -> Option<&Location> {
        match self {
            CoverageError::Io { location, .. } | CoverageError::Parse { location, .. } => {
                Some(location)
            }
            CoverageError::Git { .. } => None,
        }
    }

    /// The fix hint.
    pub fn hint(&self) -> &str {
        match self {
            CoverageError::Io { hint, .. }
            | CoverageError::Parse { hint, .. }
            | CoverageError::Git { hint, .. } => hint,
        }
    }
}

/// Result alias of the coverage engine.
pub type Result<T> = std::result::Result<T, CoverageError>;
