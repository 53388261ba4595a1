//! The one place that writes to the process's stdout and stderr.
//!
//! Everything else in the workspace is denied `print!`, `eprint!` and
//! `std::io::{stdout, stderr}` by lints; gates hand text to these functions.
//! Write errors (a closed pipe) are ignored: a gate's verdict is its exit code.
//!
//! Two guarantees hold for every byte written here, whatever produced it (a
//! renderer, an error, clap, a progress line, a deploy event):
//!
//! - **no secret**: the text is redacted with every secret learned in this
//!   process, in every form ([`crate::secret::redact_printed`]);
//! - **no workflow command**: [`crate::github::escape::guard`] breaks every
//!   line the Actions runner would read as a command (`::` at the start,
//!   `##[` anywhere; a bare CR starts a line too). The runner reads stdout
//!   and stderr alike.
//!
//! The gate's own workflow commands (annotations, `::add-mask::`) are built
//! escaped by [`crate::github::escape::command`] and go through
//! [`workflow_command`], the only path that may start a command.
#![allow(clippy::disallowed_methods)]

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use crate::escape;

/// What a test captured: stdout, stderr, and the workflow commands the gate
/// meant to print (each line given to [`workflow_command`] or [`announce_masks`]).
#[derive(Debug, Default, Clone)]
pub struct Captured {
    pub stdout: String,
    pub stderr: String,
    pub commands: Vec<String>,
}

/// Captured output, when a test asked for it.
static CAPTURE: Mutex<Option<Captured>> = Mutex::new(None);
/// Serializes captures (tests in one process run on several threads).
static CAPTURE_LOCK: Mutex<()> = Mutex::new(());

fn captured(text: &str, to_stdout: bool, command: bool) -> bool {
    let Ok(mut guard) = CAPTURE.lock() else {
        return false;
    };
    match guard.as_mut() {
        Some(c) => {
            if command {
                c.commands.push(text.trim_end_matches('\n').to_string());
            }
            if to_stdout {
                c.stdout.push_str(text);
            } else {
                c.stderr.push_str(text);
            }
            true
        }
        None => false,
    }
}

/// Runs `f` with stdout and stderr captured, for tests: returns what `f`
/// returned and everything printed. Captures never overlap.
pub fn capture_all<T>(f: impl FnOnce() -> T) -> (T, Captured) {
    let _serial = CAPTURE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Ok(mut g) = CAPTURE.lock() {
        *g = Some(Captured::default());
    }
    let value = f();
    let c = CAPTURE
        .lock()
        .ok()
        .and_then(|mut g| g.take())
        .unwrap_or_default();
    (value, c)
}

/// Runs `f` with stdout and stderr captured, for tests: returns what `f`
/// returned and the (stdout, stderr) text. Captures never overlap.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, String, String) {
    let (value, c) = capture_all(f);
    (value, c.stdout, c.stderr)
}

fn write(text: &str, to_stdout: bool, command: bool) {
    announce_masks();
    write_raw(text, to_stdout, command);
}

/// Prints `::add-mask::` for every secret learned since the last print
/// (see `secret::take_announcements`), before anything else is printed.
/// `run` also calls it as the run ends, so a secret learned last is masked
/// in the steps that follow.
pub fn announce_masks() {
    for value in crate::secret::take_announcements() {
        write_raw(&format!("{}\n", escape::add_mask(&value)), true, true);
    }
}

fn write_raw(text: &str, to_stdout: bool, command: bool) {
    if captured(text, to_stdout, command) {
        return;
    }
    if to_stdout {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    } else {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }
}

/// The text as it may be printed: secrets masked, command lines broken.
pub fn safe(text: &str) -> String {
    let redacted = crate::secret::redact_printed(text);
    escape::guard(&redacted).into_owned()
}

/// Writes `text` to stdout, masked and guarded.
pub fn stdout(text: &str) {
    write(&safe(text), true, false);
}

/// Writes `text` to stderr, masked and guarded.
pub fn stderr(text: &str) {
    write(&safe(text), false, false);
}

/// Prints one workflow command line to stdout. `line` must come from
/// [`escape::command`] (properties and data escaped); secrets are still
/// masked in it.
pub fn workflow_command(line: &str) {
    let line = crate::secret::redact_printed(line);
    // One line only, whatever the caller built.
    let line = line.replace(['\r', '\n'], " ");
    write(&format!("{line}\n"), true, true);
}

/// A diagnostic for people on stderr: `gate-x: warning: ...`. Untrusted text
/// inside is masked and sanitized here, and guarded by [`stderr`].
pub fn diag(gate: &str, level: &str, message: &str) {
    let redacted = crate::secret::redact_printed(message);
    let text = escape::sanitize(&redacted);
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

#[cfg(test)]
mod mask_tests {
    use super::*;
    use crate::secret::{Masker, Secret};

    #[test]
    fn a_learned_secret_is_announced_before_the_next_line_and_only_once() {
        let ((), c) = capture_all(|| {
            let m = Masker::new(true);
            m.add(&Secret::new("s3cr3t-value-for-the-test"));
            stdout("after: s3cr3t-value-for-the-test\n");
            announce_masks();
        });
        let masks: Vec<&String> = c
            .commands
            .iter()
            .filter(|l| l.starts_with("::add-mask::"))
            .collect();
        assert!(
            masks
                .iter()
                .any(|l| l.trim_end() == "::add-mask::s3cr3t-value-for-the-test"),
            "{:?}",
            c.commands
        );
        let raw = c
            .commands
            .iter()
            .filter(|l| l.contains("s3cr3t-value-for-the-test"))
            .count();
        assert_eq!(raw, 1, "announced once: {:?}", c.commands);
        // The runner learns the secret before the line that could hold it,
        // and no other line carries it.
        let mask = c.stdout.find("::add-mask::s3cr3t-value-for-the-test");
        let after = c.stdout.find("after: ***");
        assert!(
            mask.is_some() && after.is_some() && mask < after,
            "{}",
            c.stdout
        );
        assert!(
            c.stdout
                .lines()
                .filter(|l| !l.starts_with("::add-mask::"))
                .all(|l| !l.contains("s3cr3t")),
            "{}",
            c.stdout
        );
    }

    #[test]
    fn a_secret_learned_last_is_announced_by_the_final_flush() {
        let ((), c) = capture_all(|| {
            let m = Masker::new(true);
            m.add(&Secret::new("learned-last-0123456789"));
            announce_masks();
        });
        assert!(
            c.commands
                .iter()
                .any(|l| l.trim_end() == "::add-mask::learned-last-0123456789"),
            "{:?}",
            c.commands
        );
    }
}
