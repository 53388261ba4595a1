//! Pipeline records: what a gate stores in the ledger and reads back (gate
//! results per commit, deployments and their statuses per environment).
//! The same shapes whichever backend holds them: GitHub (check runs,
//! deployments) or the local ledger under `.gates/`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::report::Report;

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
