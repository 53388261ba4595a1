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
use std::path::{Path, PathBuf};
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
    dir: &Path,
) -> Result<HookOutput, String> {
    run_with(command, env, timeout, dir, None).await
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
    dir: &Path,
    record: &GroupRecord,
) -> Result<(HookOutput, Option<Leftover>), String> {
    let mut pgid = None;
    let out = run_with(command, env, timeout, dir, Some((&mut pgid, record))).await?;
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

/// Runs the hook in `dir`; with `group`, in a process group of its own,
/// whose id is stored and recorded (so that a run killed while the hook
/// runs leaves a record the next run finds).
async fn run_with(
    command: &str,
    env: &[(String, String)],
    timeout: Duration,
    dir: &Path,
    group: Option<(&mut Option<u32>, &GroupRecord)>,
) -> Result<HookOutput, String> {
    let own_group = group.is_some();
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
        .current_dir(dir)
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
    if let Some((pgid, record)) = group {
        *pgid = child.id();
        if let Some(id) = *pgid {
            record.save(id);
        }
        crate::flow::failpoint::inside();
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

/// Where a run keeps the process groups of its start hooks: a file per
/// environment and slot (`.gates/hooks/deploy-<env>-<slot>.pgid` beside the
/// local ledger; under the repository's `.gates/` with the GitHub ledger).
/// A run that ends, however it ends, removes its records; a run killed with
/// SIGKILL cannot, and the next run of the environment finds them
/// ([`reap_groups`]).
#[derive(Debug)]
pub struct GroupRecord {
    path: Option<PathBuf>,
    line: String,
}

fn hooks_dir(ctx: &gate_core::Context) -> PathBuf {
    match &ctx.ledger {
        gate_core::ledger::Ledger::Local(l) => l.root().join("hooks"),
        gate_core::ledger::Ledger::GitHub(_) => ctx.repo_root.join(".gates").join("hooks"),
    }
}

fn safe(environment: &str) -> String {
    environment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl GroupRecord {
    /// The record of `slot`'s start hook in this run.
    pub fn new(
        ctx: &gate_core::Context,
        cfg: &crate::config::DeployConfig,
        slot: crate::config::Slot,
        release: &str,
    ) -> GroupRecord {
        let path = hooks_dir(ctx).join(format!("deploy-{}-{slot}.pgid", safe(&cfg.environment)));
        GroupRecord {
            path: Some(path),
            line: format!("{slot} {release} {}", boot_id()),
        }
    }

    /// No record (tests).
    pub fn none() -> GroupRecord {
        GroupRecord {
            path: None,
            line: String::new(),
        }
    }

    /// Records the hook's process group (best effort: a record that cannot
    /// be written only loses the clean-up after a kill).
    pub fn save(&self, pgid: u32) {
        let Some(path) = &self.path else { return };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = gate_core::ledger::local::atomic_write(
            path,
            format!("{pgid} {}\n", self.line).as_bytes(),
        );
    }
}

impl Drop for GroupRecord {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// This boot of the machine (`/proc/sys/kernel/random/boot_id`; `-` where
/// there is none). A process group id is not reused while any member of
/// the group lives, but it may be after a reboot: a record from another
/// boot is dropped, never acted on.
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty() && !s.contains(char::is_whitespace))
        .unwrap_or_else(|| "-".into())
}

/// Start hooks left behind by a killed run of this environment: a group
/// whose slot takes traffic (`live`) is adopted (left running: it serves
/// users); any other is stopped (SIGTERM to the group, SIGKILL after five
/// seconds), so that it cannot start a service after its run died. Returns
/// what was done, for the timeline.
pub async fn reap_groups(
    ctx: &gate_core::Context,
    cfg: &crate::config::DeployConfig,
    live: Option<crate::config::Slot>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let dir = hooks_dir(ctx);
    let prefix = format!("deploy-{}-", safe(&cfg.environment));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return notes;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) || !name.ends_with(".pgid") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let mut words = text.split_whitespace();
        let pgid = words.next().and_then(|w| w.parse::<u32>().ok());
        let slot = words.next().and_then(crate::config::Slot::parse);
        let release = words.next().unwrap_or("?").to_string();
        let boot = words.next().unwrap_or("");
        let _ = std::fs::remove_file(e.path());
        let (Some(pgid), Some(slot)) = (pgid, slot) else {
            continue;
        };
        if boot != boot_id() || boot == "-" {
            continue;
        }
        let members = group_members(pgid).unwrap_or_default();
        if members.is_empty() || pgid <= 1 {
            continue;
        }
        if Some(slot) == live {
            notes.push(format!(
                "adopted process group {pgid} (the start hook of {release} in {slot}, left by an interrupted run): {slot} takes traffic, so it keeps running"
            ));
            continue;
        }
        signal_group(pgid, "TERM");
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while group_members(pgid).is_some_and(|m| !m.is_empty())
            && std::time::Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if group_members(pgid).is_some_and(|m| !m.is_empty()) {
            signal_group(pgid, "KILL");
        }
        notes.push(format!(
            "stopped process group {pgid} (the start hook of {release} in {slot}, left running by an interrupted run; {slot} takes no traffic)"
        ));
    }
    notes
}

fn signal_group(pgid: u32, signal: &str) {
    let _ = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
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
        let (out, left) = run_start_hook(
            "sleep 30 & echo started",
            &[],
            Duration::from_secs(10),
            Path::new("."),
            &GroupRecord::none(),
        )
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
        let (out, left) = run_start_hook(
            "true",
            &[],
            Duration::from_secs(10),
            Path::new("."),
            &GroupRecord::none(),
        )
        .await
        .unwrap();
        assert!(out.success());
        assert_eq!(left, None);
    }
}
