//! All of gate-tests's I/O: what `evaluate` judges.

use gate_core::Context;
use gate_core::error::{GateError, Result};

use crate::config::TestsConfig;
use crate::junit::{self, TestCase};

/// One input file as found.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    /// As written in the configuration.
    pub path: String,
    /// Its size in bytes; `None` when it does not exist.
    pub bytes: Option<u64>,
    /// Its testcases (empty when missing or over `max-bytes`).
    pub cases: Vec<TestCase>,
}

/// What `collect` gathers.
#[derive(Debug, Clone, PartialEq)]
pub struct TestsInput {
    pub files: Vec<InputFile>,
}

/// Looks at every configured input.
pub fn collect(ctx: &Context, config: &TestsConfig) -> Result<TestsInput> {
    let mut files = Vec::with_capacity(config.inputs.len());
    for path in &config.inputs {
        let full = ctx.resolve(path);
        let bytes = match std::fs::metadata(&full) {
            Ok(m) => Some(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(GateError::Read { path: full, source }),
        };
        let within = config
            .max_bytes
            .is_none_or(|max| bytes.is_some_and(|b| b <= max));
        let cases = match bytes {
            Some(_) if within => {
                let text = std::fs::read(&full).map_err(|source| GateError::Read {
                    path: full.clone(),
                    source,
                })?;
                let text = String::from_utf8(text).map_err(|e| {
                    GateError::malformed(&full, None, format!("not valid UTF-8: {e}"))
                })?;
                junit::parse(&text)
                    .map_err(|e| GateError::malformed(&full, Some(e.line), e.message))?
            }
            _ => Vec::new(),
        };
        files.push(InputFile {
            path: path.clone(),
            bytes,
            cases,
        });
    }
    Ok(TestsInput { files })
}
