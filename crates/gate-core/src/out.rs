//! The one place that writes to the process's stdout and stderr.
//!
//! Everything else in the workspace is denied `print!`, `eprint!` and
//! `std::io::{stdout, stderr}` by lints; gates hand text to these functions.
//! Write errors (a closed pipe) are ignored: a gate's verdict is its exit code.
#![allow(clippy::disallowed_methods)]

use std::io::{IsTerminal, Write};

/// Writes `text` to stdout as is.
pub fn stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes `text` to stderr as is.
pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Prints one workflow command line (already escaped) to stdout.
pub fn workflow_command(line: &str) {
    stdout(&format!("{line}\n"));
}

/// A diagnostic for people on stderr: `gate-x: warning: ...`. Untrusted text
/// inside must already be neutralized by the caller.
pub fn diag(gate: &str, level: &str, message: &str) {
    let text = crate::github::escape::neutralize(message);
    stderr(&format!("gate-{gate}: {level}: {text}\n"));
}

/// Whether stdout is a terminal.
pub fn stdout_is_tty() -> bool {
    std::io::stdout().is_terminal()
}

/// Whether stderr is a terminal (progress lines go there).
pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}
