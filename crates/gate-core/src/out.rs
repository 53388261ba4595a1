//! The one place that writes to the process's stdout and stderr.
//!
//! Everything else in the workspace is denied `print!`, `eprint!` and
//! `std::io::{stdout, stderr}` by lints; gates hand text to these functions.
//! Write errors (a closed pipe) are ignored: a gate's verdict is its exit code.
#![allow(clippy::disallowed_methods)]

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Captured output, when a test asked for it.
static CAPTURE: Mutex<Option<(String, String)>> = Mutex::new(None);
/// Serializes captures (tests in one process run on several threads).
static CAPTURE_LOCK: Mutex<()> = Mutex::new(());

fn captured(text: &str, to_stdout: bool) -> bool {
    let Ok(mut guard) = CAPTURE.lock() else {
        return false;
    };
    match guard.as_mut() {
        Some((out, err)) => {
            if to_stdout {
                out.push_str(text);
            } else {
                err.push_str(text);
            }
            true
        }
        None => false,
    }
}

/// Runs `f` with stdout and stderr captured, for tests: returns what `f`
/// returned and the (stdout, stderr) text. Captures never overlap.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, String, String) {
    let _serial = CAPTURE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(mut g) = CAPTURE.lock() {
        *g = Some((String::new(), String::new()));
    }
    let value = f();
    let (out, err) = CAPTURE
        .lock()
        .ok()
        .and_then(|mut g| g.take())
        .unwrap_or_default();
    (value, out, err)
}

/// Writes `text` to stdout as is.
pub fn stdout(text: &str) {
    if captured(text, true) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Writes `text` to stderr as is.
pub fn stderr(text: &str) {
    if captured(text, false) {
        return;
    }
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
