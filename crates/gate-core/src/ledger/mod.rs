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

pub use gates_github::ledger as github;
pub mod local;

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

pub use gates_report::records::{
    Deployment, DeploymentState, DeploymentStatus, GateRecord, NewDeployment, NewStatus,
    RecordOutcome,
};

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
