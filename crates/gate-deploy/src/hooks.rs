//! Running user commands (`start`, `stop`, `switch-command`, checks).
//!
//! Output goes to temporary files, not pipes: a start hook that leaves a
//! server running in the background keeps inherited pipes open forever, and
//! reading them would hang. Only the shell's own exit is awaited.
//!
//! The `start` hook runs in a process group of its own
//! ([`run_start_hook`]): what it leaves running there (`server &`,
//! `nohup ... &`) is the slot's process, and [`Leftover::alive`] tells when
//! it is gone (it exited at once: a busy port, a crash on start). A hook that
//! hands the slot to something else (`docker compose up -d`, `systemctl
//! start`) leaves nothing in its group, and then only the probes judge.

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
    run(command, env, timeout, false).await
}

/// The processes a start hook left running in its process group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// The group (the hook's shell's pid).
    pub pgid: u32,
    /// Its members when the hook returned.
    pub pids: Vec<u32>,
}

impl Leftover {
    /// Whether any process of the group still runs; `None` where this
    /// system cannot tell (no `/proc`).
    pub fn alive(&self) -> Option<bool> {
        group_members(self.pgid).map(|m| !m.is_empty())
    }

    /// `pid 123` or `pids 123, 124`, for messages.
    pub fn describe(&self) -> String {
        let pids: Vec<String> = self.pids.iter().map(u32::to_string).collect();
        match pids.as_slice() {
            [one] => format!("pid {one}"),
            _ => format!("pids {}", pids.join(", ")),
        }
    }
}

/// Runs the `start` hook as [`run_hook`] does, in a process group of its
/// own, and returns what it left running there (`None`: nothing, or this
/// system cannot tell).
pub async fn run_start_hook(
    command: &str,
    env: &[(String, String)],
    timeout: Duration,
) -> Result<(HookOutput, Option<Leftover>), String> {
    let (out, pgid) = run_in_group(command, env, timeout).await?;
    let left = pgid.and_then(|pgid| {
        let pids = group_members(pgid)?;
        (!pids.is_empty()).then_some(Leftover { pgid, pids })
    });
    Ok((out, left))
}

/// Live (not zombie) processes of process group `pgid`, from `/proc`;
/// `None` without `/proc`.
pub fn group_members(pgid: u32) -> Option<Vec<u32>> {
    gate_core::procfs::group(pgid)
}

async fn run_in_group(
    command: &str,
    env: &[(String, String)],
    timeout: Duration,
) -> Result<(HookOutput, Option<u32>), String> {
    let mut pgid = None;
    let out = run_with(command, env, timeout, true, &mut pgid).await?;
    Ok((out, pgid))
}

async fn run(
    command: &str,
    env: &[(String, String)],
    timeout: Duration,
    own_group: bool,
) -> Result<HookOutput, String> {
    run_with(command, env, timeout, own_group, &mut None).await
}

async fn run_with(
    command: &str,
    env: &[(String, String)],
    timeout: Duration,
    own_group: bool,
    pgid: &mut Option<u32>,
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
    if own_group {
        cmd.process_group(0);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `sh -c {command}`: {e}"))?;
    if own_group {
        *pgid = child.id();
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn a_start_hook_leaves_its_server_in_its_group_and_its_exit_is_seen() {
        if std::fs::read_dir("/proc").is_err() {
            return;
        }
        let (out, left) = run_start_hook("sleep 30 & echo started", &[], Duration::from_secs(10))
            .await
            .unwrap();
        assert!(out.success(), "{out:?}");
        let left = left.expect("the background sleep is left running");
        assert_eq!(left.alive(), Some(true));
        for pid in &left.pids {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        let mut gone = false;
        for _ in 0..200 {
            if left.alive() == Some(false) {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(gone, "the group empties once its server exits");

        // A hook that leaves nothing behind (a daemon manager would): nothing to track.
        let (out, left) = run_start_hook("true", &[], Duration::from_secs(10))
            .await
            .unwrap();
        assert!(out.success());
        assert_eq!(left, None);
    }
}
