//! The ledger: where pipeline state lives.
//!
//! One interface, two backends:
//! - [`github`]: GitHub itself (check runs per commit, deployments and
//!   deployment statuses per environment), used in Actions with a token;
//! - [`local`]: an embedded store under `.gates/` in the repository, used
//!   everywhere else, so `cargo run -p gate-<x>` is a faithful dry-run.
//!
//! Backends are an enum, not a trait object: there are exactly two, both in
//! this crate, and the async methods stay simple.

pub mod github;
pub mod local;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::report::Report;

/// Which backend to use (`--ledger`, `GATES_LEDGER`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum LedgerChoice {
    /// GitHub when running in Actions with a token, local otherwise.
    #[default]
    Auto,
    Local,
    Github,
}

/// A gate result stored for a commit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateRecord {
    pub commit: String,
    pub gate: String,
    pub recorded_at: DateTime<Utc>,
    /// Where people can see it (check run URL), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub report: Report,
}

/// What happened when a gate result was recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Stored; `url` is the check run's page when on GitHub, the file locally.
    Recorded { url: Option<String> },
    /// Not stored, and why (e.g. a fork pull request's read-only token). The
    /// gate still reports through annotations, the summary and its exit code.
    Skipped { reason: String },
}

/// State of a deployment, as GitHub names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    Error,
    Failure,
    Inactive,
    InProgress,
    Queued,
    Pending,
    Success,
}

impl DeploymentState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Error => "error",
            DeploymentState::Failure => "failure",
            DeploymentState::Inactive => "inactive",
            DeploymentState::InProgress => "in_progress",
            DeploymentState::Queued => "queued",
            DeploymentState::Pending => "pending",
            DeploymentState::Success => "success",
        }
    }
}

/// A request to create a deployment of `commit` to `environment`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewDeployment {
    pub environment: String,
    /// Full commit SHA.
    pub commit: String,
    /// The ref the deployment is for (branch, tag or SHA).
    pub git_ref: String,
    pub description: Option<String>,
    /// Free-form data (slot, artifact digest, ...), stored as is.
    pub payload: serde_json::Value,
    pub transient: bool,
    pub production: bool,
}

/// A status update on a deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewStatus {
    pub state: DeploymentState,
    pub description: Option<String>,
    /// Link to the run that produced the status.
    pub log_url: Option<String>,
    /// Where the deployed thing answers.
    pub environment_url: Option<String>,
    /// Mark earlier successful deployments of the environment inactive.
    pub auto_inactive: bool,
}

/// A stored deployment status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentStatus {
    pub id: u64,
    pub state: DeploymentState,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub log_url: Option<String>,
    #[serde(default)]
    pub environment_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A stored deployment with its statuses, oldest status first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: u64,
    pub environment: String,
    pub commit: String,
    pub git_ref: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub statuses: Vec<DeploymentStatus>,
}

impl Deployment {
    /// The latest status, if any.
    pub fn state(&self) -> Option<DeploymentState> {
        self.statuses.last().map(|s| s.state)
    }
}

/// Pipeline state: gate results per commit, deployments per environment.
#[derive(Debug)]
pub enum Ledger {
    Local(local::LocalLedger),
    GitHub(Box<github::GitHubLedger>),
}

impl Ledger {
    /// `local` or `github`.
    pub fn kind(&self) -> &'static str {
        match self {
            Ledger::Local(_) => "local",
            Ledger::GitHub(_) => "github",
        }
    }

    /// Masks the run's secrets in everything stored or sent from now on.
    pub fn with_masker(self, masker: crate::secret::Masker) -> Self {
        match self {
            Ledger::Local(l) => Ledger::Local(l.with_masker(masker)),
            Ledger::GitHub(g) => Ledger::GitHub(Box::new(g.with_masker(masker))),
        }
    }

    fn masker(&self) -> &crate::secret::Masker {
        match self {
            Ledger::Local(l) => l.masker(),
            Ledger::GitHub(g) => g.masker(),
        }
    }

    /// Stores a gate's report for `commit` (a check run `gates/<gate>` on
    /// GitHub, created or updated in place; a file locally). The report is
    /// the one `run` already redacted and capped, once for every output.
    pub async fn record_result(&self, commit: &str, report: &Report) -> Result<RecordOutcome> {
        match self {
            Ledger::Local(l) => l.record_result(commit, report),
            Ledger::GitHub(g) => g.record_result(commit, report).await,
        }
    }

    /// The last report `gate` recorded for `commit`, if any.
    pub async fn result_for(&self, commit: &str, gate: &str) -> Result<Option<GateRecord>> {
        match self {
            Ledger::Local(l) => l.result_for(commit, gate),
            Ledger::GitHub(g) => g.result_for(commit, gate).await,
        }
    }

    /// Creates a deployment; secrets are masked in its description and
    /// payload first.
    pub async fn create_deployment(&self, new: &NewDeployment) -> Result<Deployment> {
        let mut new = new.clone();
        let m = self.masker();
        if !m.is_empty() {
            if let Some(d) = &mut new.description {
                *d = m.redact(d);
            }
            crate::report::redact_json(&mut new.payload, m);
        }
        match self {
            Ledger::Local(l) => l.create_deployment(&new),
            Ledger::GitHub(g) => g.create_deployment(&new).await,
        }
    }

    /// Adds a status; secrets are masked in its texts first.
    pub async fn add_status(
        &self,
        deployment_id: u64,
        status: &NewStatus,
    ) -> Result<DeploymentStatus> {
        let mut status = status.clone();
        let m = self.masker();
        if !m.is_empty() {
            for t in [
                &mut status.description,
                &mut status.log_url,
                &mut status.environment_url,
            ]
            .into_iter()
            .flatten()
            {
                *t = m.redact(t);
            }
        }
        match self {
            Ledger::Local(l) => l.add_status(deployment_id, &status),
            Ledger::GitHub(g) => g.add_status(deployment_id, &status).await,
        }
    }

    /// Deployments of `environment`, newest first, at most `limit`, each with
    /// its statuses.
    pub async fn deployments(&self, environment: &str, limit: usize) -> Result<Vec<Deployment>> {
        match self {
            Ledger::Local(l) => l.deployments(environment, limit),
            Ledger::GitHub(g) => g.deployments(environment, limit).await,
        }
    }
}
