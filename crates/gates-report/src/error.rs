//! The error type every gate returns, each variant mapped to an exit code.

use std::path::PathBuf;

use crate::exit::ExitCode;

/// An error that stops a gate before it reaches a verdict.
///
/// Messages name the file, line or key at fault and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("{0}")]
    Usage(String),

    /// One or more configuration problems, already formatted one per line.
    #[error("invalid configuration:\n{}", .0.join("\n"))]
    Config(Vec<String>),

    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// An input exists but is not what it should be.
    #[error("{path}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Malformed {
        path: PathBuf,
        line: Option<u64>,
        message: String,
    },

    /// Any other missing or unusable input (git revision, database, ...).
    #[error("{0}")]
    Input(String),

    /// GitHub API, network, proxy.
    #[error("{0}")]
    Upstream(String),

    #[error("internal error (a bug in gates, please report it): {0}")]
    Internal(String),
}

impl GateError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            GateError::Usage(_) => ExitCode::Usage,
            GateError::Config(_) => ExitCode::Config,
            GateError::Read { .. } | GateError::Malformed { .. } | GateError::Input(_) => {
                ExitCode::Input
            }
            GateError::Write { .. } => ExitCode::Input,
            GateError::Internal(_) => ExitCode::Internal,
            GateError::Upstream(_) => ExitCode::Upstream,
        }
    }

    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        GateError::Read {
            path: path.into(),
            source,
        }
    }

    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        GateError::Write {
            path: path.into(),
            source,
        }
    }

    pub fn malformed(
        path: impl Into<PathBuf>,
        line: Option<u64>,
        message: impl Into<String>,
    ) -> Self {
        GateError::Malformed {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

pub type Result<T, E = GateError> = std::result::Result<T, E>;
