//! Local backend of the ledger: plain, pretty JSON files under `.gates/`.
//!
//! ```text
//! .gates/
//!   lock                                   advisory lock, held while writing
//!   results/<commit>/<gate>.json           GateRecord
//!   deployments/<environment>/<id>.json    Deployment with its statuses
//! ```
//!
//! Every write goes to a temporary file in the same directory, is flushed to
//! disk, then renamed over the target: a crash at any point leaves either the
//! old or the new file, never a torn one. Writers take `.gates/lock`, so two
//! runs never interleave read-modify-write cycles (deployment ids, statuses).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::error::{GateError, Result};
use crate::ledger::{
    Deployment, DeploymentState, DeploymentStatus, GateRecord, NewDeployment, NewStatus,
    RecordOutcome,
};
use crate::report::Report;

/// How long a writer waits for another run's lock before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct LocalLedger {
    root: PathBuf,
    masker: crate::secret::Masker,
}

/// Held while a writer works; released on drop.
#[derive(Debug)]
pub struct LedgerLock {
    _file: File,
}

pub use crate::fs::{atomic_write, atomic_write_mode, atomic_write_with};

/// A file-name-safe form of an environment name or gate id.
fn safe_name(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => out.push(b as char),
            b'.' if !out.is_empty() => out.push('.'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    if out.is_empty() { "%00".into() } else { out }
}

fn check_commit(commit: &str) -> Result<()> {
    if commit.len() >= 4 && commit.len() <= 64 && commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(GateError::Input(format!(
            "`{commit}` is not a commit SHA (expected hexadecimal, e.g. the output of `git rev-parse HEAD`)"
        )))
    }
}

impl LocalLedger {
    /// A ledger rooted at `<repo>/.gates`. Nothing is created until a write.
    pub fn new(repo_root: &Path) -> Self {
        LocalLedger {
            root: repo_root.join(".gates"),
            masker: Default::default(),
        }
    }

    /// A ledger at exactly `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        LocalLedger {
            root: dir.into(),
            masker: Default::default(),
        }
    }

    /// Masks the run's secrets in everything this ledger stores.
    pub fn with_masker(mut self, masker: crate::secret::Masker) -> Self {
        self.masker = masker;
        self
    }

    pub(crate) fn masker(&self) -> &crate::secret::Masker {
        &self.masker
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the ledger's lock, waiting up to a minute for another run.
    pub fn lock(&self) -> Result<LedgerLock> {
        let path = self.root.join("lock");
        self.guard(&path)?;
        if !self.root.is_dir() {
            std::fs::create_dir_all(&self.root).map_err(|e| GateError::write(&self.root, e))?;
            // Like cargo's `target/`: the ledger is never committed by accident.
            let ignore = self.root.join(".gitignore");
            if !ignore.exists() {
                atomic_write_mode(
                    &ignore,
                    b"# Created by gates: the local ledger is not committed.\n*\n",
                    Some(0o644),
                )?;
            }
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| GateError::write(&path, e))?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(LedgerLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(GateError::Input(format!(
                        "{} is held by another gates run for over {}s; wait for it, or remove the file if no run is active",
                        path.display(),
                        LOCK_WAIT.as_secs()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(GateError::write(&path, e)),
            }
        }
    }

    fn result_path(&self, commit: &str, gate: &str) -> PathBuf {
        self.root
            .join("results")
            .join(commit.to_ascii_lowercase())
            .join(format!("{}.json", safe_name(&gate.replace('/', "."))))
    }

    fn env_dir(&self, environment: &str) -> PathBuf {
        self.root.join("deployments").join(safe_name(environment))
    }

    /// Refuses a path that goes through a symbolic link below the
    /// repository (`.gates`, `.gates/results`, `.gates/lock`, ...): the
    /// repository's content is not trusted, and a link there would make a
    /// gate read or write outside it.
    fn guard(&self, path: &Path) -> Result<()> {
        let base = self.root.parent().unwrap_or(&self.root);
        crate::fs::refuse_symlinks(base, path)
    }

    fn read_json<T: serde::de::DeserializeOwned>(&self, path: &Path) -> Result<Option<T>> {
        self.guard(path)?;
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(GateError::read(path, e)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            GateError::malformed(
                path,
                Some(e.line() as u64),
                format!(
                    "the local ledger file is damaged ({e}); restore it from a backup or delete it"
                ),
            )
        })
    }

    fn write_json<T: serde::Serialize>(&self, path: &Path, value: &T) -> Result<()> {
        self.guard(path)?;
        let mut text = serde_json::to_string_pretty(value)
            .map_err(|e| GateError::Internal(format!("serializing {}: {e}", path.display())))?;
        text.push('\n');
        atomic_write(path, text.as_bytes())
    }

    pub fn record_result(&self, commit: &str, report: &Report) -> Result<RecordOutcome> {
        check_commit(commit)?;
        let _lock = self.lock()?;
        let path = self.result_path(commit, &report.record_key());
        let record = GateRecord {
            commit: commit.to_ascii_lowercase(),
            gate: report.gate.clone(),
            recorded_at: Utc::now(),
            url: None,
            report: report.clone(),
        };
        self.write_json(&path, &record)?;
        Ok(RecordOutcome::Recorded {
            url: Some(path.display().to_string()),
        })
    }

    pub fn result_for(&self, commit: &str, gate: &str) -> Result<Option<GateRecord>> {
        check_commit(commit)?;
        let exact = self.result_path(commit, gate);
        if let Some(r) = self.read_json(&exact)? {
            return Ok(Some(r));
        }
        // An abbreviated SHA: accept a unique prefix match.
        if commit.len() < 40 {
            let dir = self.root.join("results");
            self.guard(&dir)?;
            let Ok(entries) = std::fs::read_dir(&dir) else {
                return Ok(None);
            };
            let prefix = commit.to_ascii_lowercase();
            let matches: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix))
                })
                .collect();
            if let [only] = matches.as_slice() {
                return self.read_json(&only.join(format!("{}.json", safe_name(gate))));
            }
        }
        Ok(None)
    }

    fn deployment_path(&self, environment: &str, id: u64) -> PathBuf {
        self.env_dir(environment).join(format!("{id:08}.json"))
    }

    /// Every deployment file, across environments.
    fn all_deployments(&self) -> Result<Vec<Deployment>> {
        let base = self.root.join("deployments");
        self.guard(&base)?;
        let mut out = Vec::new();
        let Ok(envs) = std::fs::read_dir(&base) else {
            return Ok(out);
        };
        for env in envs.filter_map(|e| e.ok()) {
            let Ok(files) = std::fs::read_dir(env.path()) else {
                continue;
            };
            for f in files.filter_map(|e| e.ok()) {
                let p = f.path();
                let is_json = p.extension().is_some_and(|e| e == "json");
                let hidden = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'));
                if is_json
                    && !hidden
                    && let Some(d) = self.read_json::<Deployment>(&p)?
                {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }

    pub fn create_deployment(&self, new: &NewDeployment) -> Result<Deployment> {
        if new.environment.trim().is_empty() {
            return Err(GateError::Usage(
                "a deployment needs an environment name".into(),
            ));
        }
        let _lock = self.lock()?;
        let next = self
            .all_deployments()?
            .iter()
            .map(|d| d.id)
            .max()
            .unwrap_or(0)
            + 1;
        let d = Deployment {
            id: next,
            environment: new.environment.clone(),
            commit: new.commit.clone(),
            git_ref: new.git_ref.clone(),
            description: new.description.clone(),
            payload: new.payload.clone(),
            created_at: Utc::now(),
            statuses: Vec::new(),
        };
        self.write_json(&self.deployment_path(&d.environment, d.id), &d)?;
        Ok(d)
    }

    pub fn add_status(&self, deployment_id: u64, status: &NewStatus) -> Result<DeploymentStatus> {
        let _lock = self.lock()?;
        let all = self.all_deployments()?;
        let Some(mut d) = all.iter().find(|d| d.id == deployment_id).cloned() else {
            return Err(GateError::Input(format!(
                "deployment {deployment_id} is not in the local ledger {}",
                self.root.display()
            )));
        };
        let next_status = all
            .iter()
            .flat_map(|d| d.statuses.iter().map(|s| s.id))
            .max()
            .unwrap_or(0)
            + 1;
        let s = DeploymentStatus {
            id: next_status,
            state: status.state,
            description: status.description.clone(),
            log_url: status.log_url.clone(),
            environment_url: status.environment_url.clone(),
            created_at: Utc::now(),
        };
        // As GitHub does: a new success makes earlier successful deployments
        // of the environment inactive.
        if status.auto_inactive && status.state == DeploymentState::Success {
            for mut other in all
                .iter()
                .filter(|o| o.environment == d.environment && o.id != d.id)
                .filter(|o| o.state() == Some(DeploymentState::Success))
                .cloned()
            {
                other.statuses.push(DeploymentStatus {
                    id: 0,
                    state: DeploymentState::Inactive,
                    description: Some(format!("superseded by deployment {}", d.id)),
                    log_url: None,
                    environment_url: None,
                    created_at: s.created_at,
                });
                self.write_json(&self.deployment_path(&other.environment, other.id), &other)?;
            }
        }
        d.statuses.push(s.clone());
        self.write_json(&self.deployment_path(&d.environment, d.id), &d)?;
        Ok(s)
    }

    pub fn deployments(&self, environment: &str, limit: usize) -> Result<Vec<Deployment>> {
        let mut all: Vec<Deployment> = self
            .all_deployments()?
            .into_iter()
            .filter(|d| d.environment == environment)
            .collect();
        all.sort_by_key(|d| std::cmp::Reverse(d.id));
        all.truncate(limit);
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Report, Verdict};

    fn report(gate: &str, summary: &str) -> Report {
        let mut r = Report::new(gate);
        r.summary = summary.into();
        r.checked = 1;
        r.finish()
    }

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn result_round_trip_and_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let l = LocalLedger::new(dir.path());
        assert!(l.result_for(SHA, "coverage").unwrap().is_none());
        l.record_result(SHA, &report("coverage", "first")).unwrap();
        l.record_result(SHA, &report("coverage", "second")).unwrap();
        let got = l.result_for(SHA, "coverage").unwrap().unwrap();
        assert_eq!(got.report.summary, "second");
        assert_eq!(got.report.verdict, Verdict::Pass);
        // Abbreviated SHA.
        assert_eq!(
            l.result_for(&SHA[..8], "coverage")
                .unwrap()
                .unwrap()
                .report
                .summary,
            "second"
        );
        // Human-readable on disk.
        let text = std::fs::read_to_string(
            dir.path()
                .join(".gates/results")
                .join(SHA)
                .join("coverage.json"),
        )
        .unwrap();
        assert!(text.contains("\n  \"commit\": "));
    }

    #[test]
    fn rejects_non_sha_commits() {
        let dir = tempfile::tempdir().unwrap();
        let l = LocalLedger::new(dir.path());
        assert!(
            l.record_result("../../etc", &report("coverage", "x"))
                .is_err()
        );
    }

    #[test]
    fn crash_between_write_and_rename_keeps_previous_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        atomic_write(&path, b"{\"v\":1}").unwrap();
        let crashed = atomic_write_with(&path, b"{\"v\":2, torn", || {
            Err(GateError::Internal("simulated crash".into()))
        });
        assert!(crashed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"v\":1}");
        atomic_write(&path, b"{\"v\":3}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"v\":3}");
    }

    #[test]
    fn crashed_process_leaves_readable_ledger() {
        // A real crash: a child process aborts between write and rename.
        if std::env::var_os("GATES_TEST_CRASH_CHILD").is_some() {
            let path = PathBuf::from(std::env::var_os("GATES_TEST_CRASH_CHILD").unwrap());
            let _ = atomic_write_with(&path, b"torn", || std::process::abort());
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let l = LocalLedger::new(dir.path());
        l.record_result(SHA, &report("coverage", "before crash"))
            .unwrap();
        let target = l.result_path(SHA, "coverage");
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "ledger::local::tests::crashed_process_leaves_readable_ledger",
                "--nocapture",
            ])
            .env("GATES_TEST_CRASH_CHILD", &target)
            .status()
            .unwrap();
        assert!(!status.success(), "the child must have crashed");
        let got = l.result_for(SHA, "coverage").unwrap().unwrap();
        assert_eq!(got.report.summary, "before crash");
        // The torn temp file is left behind but never read as state.
        l.record_result(SHA, &report("coverage", "after")).unwrap();
        assert_eq!(
            l.result_for(SHA, "coverage")
                .unwrap()
                .unwrap()
                .report
                .summary,
            "after"
        );
    }

    fn new_dep(env: &str) -> NewDeployment {
        NewDeployment {
            environment: env.into(),
            commit: SHA.into(),
            git_ref: "main".into(),
            description: None,
            payload: serde_json::json!({"slot": "green"}),
            transient: false,
            production: true,
        }
    }

    fn status(state: DeploymentState) -> NewStatus {
        NewStatus {
            state,
            description: None,
            log_url: None,
            environment_url: None,
            auto_inactive: true,
        }
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let root = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    let l = LocalLedger::new(&root);
                    let mut ids = Vec::new();
                    for _ in 0..5 {
                        let d = l
                            .create_deployment(&new_dep(&format!("env-{}", t % 2)))
                            .unwrap();
                        l.add_status(d.id, &status(DeploymentState::InProgress))
                            .unwrap();
                        ids.push(d.id);
                    }
                    ids
                })
            })
            .collect();
        let mut ids: Vec<u64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 40, "every deployment got its own id");
        let l = LocalLedger::new(dir.path());
        let mut total = 0;
        for env in ["env-0", "env-1"] {
            for d in l.deployments(env, 100).unwrap() {
                assert_eq!(d.statuses.len(), 1, "no status lost on {}", d.id);
                total += 1;
            }
        }
        assert_eq!(total, 40);
    }

    #[test]
    fn success_makes_earlier_success_inactive() {
        let dir = tempfile::tempdir().unwrap();
        let l = LocalLedger::new(dir.path());
        let a = l.create_deployment(&new_dep("prod")).unwrap();
        l.add_status(a.id, &status(DeploymentState::Success))
            .unwrap();
        let b = l.create_deployment(&new_dep("prod")).unwrap();
        l.add_status(b.id, &status(DeploymentState::Success))
            .unwrap();
        let list = l.deployments("prod", 10).unwrap();
        assert_eq!(list[0].id, b.id);
        assert_eq!(list[0].state(), Some(DeploymentState::Success));
        assert_eq!(list[1].state(), Some(DeploymentState::Inactive));
        assert!(l.add_status(99, &status(DeploymentState::Success)).is_err());
    }

    #[test]
    fn environment_names_are_path_safe() {
        assert_eq!(safe_name("production"), "production");
        assert_eq!(safe_name("../x"), "%2E.%2Fx");
        assert_eq!(safe_name("a/b c"), "a%2Fb%20c");
    }
}
