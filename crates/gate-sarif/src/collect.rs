//! All of gate-sarif's I/O: what `evaluate` judges.

use gate_core::Context;
use gate_core::error::{GateError, Result};

use crate::config::SarifConfig;
use crate::sarif::{self, SarifResult};

/// One input file as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// As written in the configuration.
    pub path: String,
    /// Its size in bytes; `None` when it does not exist.
    pub bytes: Option<u64>,
    /// Whether it was read as SARIF (it exists and is within `max-bytes`).
    pub parsed: bool,
}

/// What `collect` gathers.
#[derive(Debug, Clone, PartialEq)]
pub struct SarifInput {
    pub files: Vec<InputFile>,
    /// Every result of every run of every file that exists and is within
    /// `max-bytes`, in file order.
    pub results: Vec<SarifResult>,
    /// The base's results (new-only mode); `None` when `base` is not set.
    pub base: Option<Vec<SarifResult>>,
}

/// Looks at every configured input.
pub fn collect(ctx: &Context, config: &SarifConfig) -> Result<SarifInput> {
    let mut files = Vec::with_capacity(config.inputs.len());
    let mut results = Vec::new();
    for path in &config.inputs {
        let full = ctx.resolve(path);
        let bytes = match std::fs::metadata(&full) {
            Ok(m) => Some(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(GateError::Read { path: full, source }),
        };
        let within = bytes.is_some_and(|n| config.max_bytes.is_none_or(|max| n <= max));
        if within {
            results.extend(read(&full)?);
        }
        files.push(InputFile {
            path: path.clone(),
            bytes,
            parsed: within,
        });
    }
    let base = if config.base.is_empty() {
        None
    } else {
        let mut base = Vec::new();
        for path in &config.base {
            let full = ctx.resolve(path);
            base.extend(read(&full)?);
        }
        Some(base)
    };
    Ok(SarifInput {
        files,
        results,
        base,
    })
}

/// Reads one SARIF file as it streams from disk.
fn read(full: &std::path::Path) -> Result<Vec<SarifResult>> {
    let file = std::fs::File::open(full).map_err(|source| GateError::Read {
        path: full.to_owned(),
        source,
    })?;
    sarif::parse_reader(full, std::io::BufReader::with_capacity(1 << 16, file))
}
