//! The reading API: pipeline state as the gates that read it need it.
//!
//! - gate-score reads one commit's evidence: [`check_runs`], every check run
//!   of the commit (every app), gates' own runs with their embedded report;
//! - gate-dora reads deployments back in time: [`deployments`], across
//!   environments, each with its statuses;
//! - gate-monitor polls both.
//!
//! Every GET here is conditional (the client's ETag cache, see
//! [`crate::api`]): reading again what did not change costs a `304` and no
//! rate limit.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::api::{
    CheckRun, GitHubClient, Listing, Permission, RawDeployment, decode, encode_component,
};
use crate::ledger::{parse_embedded_report, statuses_of, to_deployment};
use gates_report::error::Result;
use gates_report::records::Deployment;
use gates_report::report::Report;

/// One check run of a commit.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitCheckRun {
    pub id: u64,
    pub name: String,
    /// `queued`, `in_progress`, `completed`, ... (as GitHub says).
    pub status: String,
    /// `success`, `failure`, `neutral`, ...; `None` until completed.
    pub conclusion: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub html_url: Option<String>,
    /// The slug of the GitHub App that made the run (`github-actions`, ...).
    pub app_slug: Option<String>,
    /// For gates' own runs (`gates/<gate>[/<instance>]`): `<gate>` or
    /// `<gate>/<instance>`.
    pub gate: Option<String>,
    /// The report embedded in a gates run: `None` when there is none (another
    /// app's run, or a run without a report), `Err` says why an embedded
    /// report cannot be read.
    pub report: Option<std::result::Result<Report, String>>,
}

impl CommitCheckRun {
    fn from_raw(run: CheckRun) -> Self {
        let gate = run
            .name
            .strip_prefix("gates/")
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        let report = gate
            .as_ref()
            .and(run.output.text.as_deref())
            .and_then(parse_embedded_report);
        CommitCheckRun {
            id: run.id,
            name: run.name,
            status: run.status.unwrap_or_default(),
            conclusion: run.conclusion,
            started_at: run.started_at,
            completed_at: run.completed_at,
            html_url: run.html_url,
            app_slug: run.app.and_then(|a| a.slug),
            gate,
            report,
        }
    }
}

/// Every check run of `commit` (a SHA, branch or tag), every app and every
/// re-run, over every page, newest first as GitHub lists them.
pub async fn check_runs(client: &GitHubClient, commit: &str) -> Result<Vec<CommitCheckRun>> {
    let path = client.repo_path(&format!("/commits/{}/check-runs", encode_component(commit)));
    let listing = Listing {
        path: &path,
        query: &[("filter", "all")],
        items_key: Some("check_runs"),
        limit: usize::MAX,
        permission: Permission::ChecksRead,
        cached: true,
    };
    let items = client.list(&listing, |_| false).await?;
    let mut runs = Vec::with_capacity(items.len());
    for item in items {
        let run: CheckRun = decode(item, "list check runs")?;
        runs.push(CommitCheckRun::from_raw(run));
    }
    Ok(runs)
}

/// The newest run of each name (GitHub's UI and required checks read the
/// newest), in the order of `runs`.
pub fn newest_per_name(runs: &[CommitCheckRun]) -> Vec<&CommitCheckRun> {
    runs.iter()
        .filter(|run| {
            !runs
                .iter()
                .any(|other| other.name == run.name && other.id > run.id)
        })
        .collect()
}

/// Which deployments to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentQuery {
    /// `None`: every environment.
    pub environment: Option<String>,
    /// Only deployments created at or after this instant: GitHub lists
    /// newest first, so reading stops at the first older one.
    pub since: Option<DateTime<Utc>>,
    /// At most this many, newest first.
    pub limit: usize,
}

impl DeploymentQuery {
    /// Every environment, the newest `limit`.
    pub fn all(limit: usize) -> Self {
        DeploymentQuery {
            environment: None,
            since: None,
            limit,
        }
    }
}

/// Deployments matching `query`, newest first, each with its statuses
/// (oldest first), its commit (`commit`), ref and creation time.
pub async fn deployments(
    client: &GitHubClient,
    query: &DeploymentQuery,
) -> Result<Vec<Deployment>> {
    if query.limit == 0 {
        return Ok(Vec::new());
    }
    let path = client.repo_path("/deployments");
    let filter: Vec<(&str, &str)> = query
        .environment
        .as_deref()
        .map(|e| ("environment", e))
        .into_iter()
        .collect();
    let listing = Listing {
        path: &path,
        query: &filter,
        items_key: None,
        limit: query.limit,
        permission: Permission::DeploymentsRead,
        cached: true,
    };
    let older = |item: &Value| {
        let created = item
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        matches!((query.since, created), (Some(since), Some(c)) if c < since)
    };
    let items = client.list(&listing, older).await?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let raw: RawDeployment = decode(item, "list deployments")?;
        let statuses = statuses_of(client, raw.id, true).await?;
        out.push(to_deployment(raw, statuses));
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(out)
}
