//! Running user commands (`start`, `stop`, `switch-command`, checks).
//!
//! Output goes to temporary files, not pipes: a start hook that leaves a
//! server running in the background keeps inherited pipes open forever, and
//! reading them would hang. Only the shell's own exit is awaited.

use std::io::{Read, Seek};
use std::process::Stdio;
use std::time::Duration;

/// What a hook did.
#[derive(Debug, Clone, PartialEq)]
pub struct HookOutput {
    /// Exit code; `None` when killed by a signal or by the timeout.
    pub code: Option<i32>,
    pub timed_out: bool,
    /// The last lines of stdout and stderr together (at most 2 KiB).
    pub tail: String,
}

impl HookOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    pub fn describe(&self) -> String {
        let what = if self.timed_out {
            "timed out".to_string()
        } else {
            match self.code {
                Some(c) => format!("exit {c}"),
                None => "killed by a signal".into(),
            }
        };
        if self.tail.trim().is_empty() {
            what
        } else {
            format!("{what}: {}", self.tail.trim())
        }
    }
}

const TAIL: usize = 2048;

fn tail_of(file: &mut std::fs::File) -> String {
    let mut bytes = Vec::new();
    if file.rewind().is_err() || file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    let start = bytes.len().saturating_sub(TAIL);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// Runs `sh -c command` with `env` added, waiting at most `timeout`.
pub async fn run_hook(
    command: &str,
    env: &[(String, String)],
    timeout: Duration,
) -> Result<HookOutput, String> {
    let out = tempfile::tempfile().map_err(|e| format!("temporary file for hook output: {e}"))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("temporary file for hook output: {e}"))?;
    let mut reader = out
        .try_clone()
        .map_err(|e| format!("temporary file for hook output: {e}"))?;
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `sh -c {command}`: {e}"))?;
    let (code, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => (status.code(), false),
        Ok(Err(e)) => return Err(format!("waiting for `{command}`: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            (None, true)
        }
    };
    Ok(HookOutput {
        code,
        timed_out,
        tail: tail_of(&mut reader),
    })
}
