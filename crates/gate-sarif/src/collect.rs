//! All of gate-sarif's I/O: what `evaluate` judges.

use gate_core::Context;
use gate_core::error::{GateError, Result};

use crate::config::SarifConfig;

/// One input file as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// As written in the configuration.
    pub path: String,
    /// Its size in bytes; `None` when it does not exist.
    pub bytes: Option<u64>,
}

/// What `collect` gathers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifInput {
    pub files: Vec<InputFile>,
}

/// Looks at every configured input.
pub fn collect(ctx: &Context, config: &SarifConfig) -> Result<SarifInput> {
    let mut files = Vec::with_capacity(config.inputs.len());
    for path in &config.inputs {
        let full = ctx.resolve(path);
        let bytes = match std::fs::metadata(&full) {
            Ok(m) => Some(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(GateError::Read { path: full, source }),
        };
        files.push(InputFile {
            path: path.clone(),
            bytes,
        });
    }
    Ok(SarifInput { files })
}
