//! The GitHub Actions runner's environment: the run, its event, its files.

use std::path::{Path, PathBuf};

use gates_report::error::{GateError, Result};

/// Facts about the GitHub Actions run, read from the environment.
#[derive(Clone, Debug, Default)]
pub struct GithubEnv {
    /// `owner/name` (`GITHUB_REPOSITORY`).
    pub repository: String,
    /// `GITHUB_SHA`; for pull requests the head SHA from the event is preferred.
    pub sha: Option<String>,
    /// `GITHUB_REF`, e.g. `refs/pull/7/merge`.
    pub git_ref: Option<String>,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// Pull request number, from the event payload.
    pub pr_number: Option<u64>,
    /// Pull request base SHA, from the event payload.
    pub base_sha: Option<String>,
    /// Pull request base branch name (`GITHUB_BASE_REF`).
    pub base_ref: Option<String>,
    /// Pull request head SHA, from the event payload.
    pub head_sha: Option<String>,
    /// Whether the pull request comes from a fork (read-only token).
    pub from_fork: bool,
    /// `GITHUB_API_URL` (GitHub Enterprise aware), default `https://api.github.com`.
    pub api_url: String,
    /// `GITHUB_SERVER_URL`, default `https://github.com`.
    pub server_url: String,
    pub run_id: Option<String>,
    pub run_attempt: Option<String>,
    pub workflow: Option<String>,
    pub job: Option<String>,
    /// `GITHUB_OUTPUT` file.
    pub output_file: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY` file.
    pub summary_file: Option<PathBuf>,
    /// Whether this is really GitHub Actions (`GITHUB_ACTIONS=true`).
    pub in_actions: bool,
}

impl GithubEnv {
    /// Reads the `GITHUB_*` variables through `get` (the process environment
    /// in production, a map in tests) and the event payload file.
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let mut env = GithubEnv {
            repository: non_empty("GITHUB_REPOSITORY").unwrap_or_default(),
            sha: non_empty("GITHUB_SHA"),
            git_ref: non_empty("GITHUB_REF"),
            event_name: non_empty("GITHUB_EVENT_NAME"),
            base_ref: non_empty("GITHUB_BASE_REF"),
            api_url: non_empty("GITHUB_API_URL")
                .unwrap_or_else(|| "https://api.github.com".into())
                .trim_end_matches('/')
                .to_string(),
            server_url: non_empty("GITHUB_SERVER_URL")
                .unwrap_or_else(|| "https://github.com".into())
                .trim_end_matches('/')
                .to_string(),
            run_id: non_empty("GITHUB_RUN_ID"),
            run_attempt: non_empty("GITHUB_RUN_ATTEMPT"),
            workflow: non_empty("GITHUB_WORKFLOW"),
            job: non_empty("GITHUB_JOB"),
            output_file: non_empty("GITHUB_OUTPUT").map(PathBuf::from),
            summary_file: non_empty("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            in_actions: get("GITHUB_ACTIONS").as_deref() == Some("true"),
            ..GithubEnv::default()
        };
        if let Some(path) = non_empty("GITHUB_EVENT_PATH") {
            env.read_event(Path::new(&path))?;
        }
        Ok(env)
    }

    fn read_event(&mut self, path: &Path) -> Result<()> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            // Some runners (act, local shells) point at a file that is absent.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(GateError::read(path, e)),
        };
        let event: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            GateError::malformed(
                path,
                Some(e.line() as u64),
                format!("GITHUB_EVENT_PATH is not valid JSON: {e}"),
            )
        })?;
        if let Some(pr) = event.get("pull_request") {
            self.pr_number = pr.get("number").and_then(|n| n.as_u64());
            self.base_sha = pr
                .pointer("/base/sha")
                .and_then(|s| s.as_str())
                .map(String::from);
            self.head_sha = pr
                .pointer("/head/sha")
                .and_then(|s| s.as_str())
                .map(String::from);
            let head_repo = pr.pointer("/head/repo/full_name").and_then(|s| s.as_str());
            let base_repo = pr.pointer("/base/repo/full_name").and_then(|s| s.as_str());
            self.from_fork = matches!((head_repo, base_repo), (Some(h), Some(b)) if h != b);
        }
        Ok(())
    }

    /// The commit a gate reports on: the pull request head, else `GITHUB_SHA`.
    pub fn head_commit(&self) -> Option<&str> {
        self.head_sha.as_deref().or(self.sha.as_deref())
    }

    /// Link to the current run, for `log_url` and messages.
    pub fn run_url(&self) -> Option<String> {
        let run = self.run_id.as_deref()?;
        if self.repository.is_empty() {
            return None;
        }
        let mut url = format!("{}/{}/actions/runs/{run}", self.server_url, self.repository);
        if let Some(attempt) = self.run_attempt.as_deref() {
            url.push_str(&format!("/attempts/{attempt}"));
        }
        Some(url)
    }

    /// `(owner, name)` of the repository.
    pub fn owner_repo(&self) -> Result<(&str, &str)> {
        self.repository
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| {
                GateError::Usage(format!(
                    "GITHUB_REPOSITORY must be `owner/name`, got `{}`",
                    self.repository
                ))
            })
    }
}
