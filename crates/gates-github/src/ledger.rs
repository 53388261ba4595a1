//! GitHub backend of the ledger: gate results as check runs, deployments as
//! deployments and deployment statuses, through [`crate::api`].
//!
//! A gate's result is the check run `gates/<gate>` on the commit. A re-run
//! patches the newest existing run in place when that run carries no
//! annotations; when it does, the re-run creates a new check run instead.
//! GitHub appends annotations on every update and has no way to delete them,
//! so patching would pile the re-run's annotations onto the stale ones (and
//! keep showing findings the re-run no longer has). GitHub's UI and required
//! status checks read the newest run of a name, as they do for re-run jobs.
//! Its `output.text` embeds the report's JSON after the
//! marker [`REPORT_MARKER`], which [`GitHubLedger::result_for`] parses back:
//! that is how a later job (scoring, a coverage baseline on the base commit)
//! reads an earlier gate's report.

use chrono::Utc;
use http::Method;
use serde_json::{Value, json};

use crate::api::{
    ApiError, CheckRun, GitHubClient, Listing, Permission, RawDeployment, RawDeploymentStatus,
    decode, encode_component,
};
use crate::env::GithubEnv;
use gates_report::error::{GateError, Result};
use gates_report::records::{
    Deployment, DeploymentState, DeploymentStatus, GateRecord, NewDeployment, NewStatus,
    RecordOutcome,
};
use gates_report::report::{Report, Severity, Verdict};
use gates_report::secret::Secret;

/// Largest `output.summary` and `output.text` GitHub accepts (characters;
/// gates counts bytes, which is never fewer).
pub const MAX_OUTPUT_CHARS: usize = 65_535;
/// Annotations GitHub accepts per create/update request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// Annotations sent at most per check run (the rest are in the summary).
pub const MAX_ANNOTATIONS: usize = 1_000;
/// Marks the embedded report in a check run's `output.text`.
pub const REPORT_MARKER: &str = "<!-- gates:report:v1 -->";
/// Deployment status descriptions are limited to 140 characters.
const MAX_STATUS_DESCRIPTION: usize = 140;

const SUMMARY_CUT_NOTE: &str = "\n\n---\n_The summary was cut at GitHub's 65,535-character limit; \
the job summary and the report JSON have everything._\n";

/// The ledger on GitHub.
#[derive(Debug)]
pub struct GitHubLedger {
    client: GitHubClient,
    /// Link to the run (check runs' `details_url`, statuses' `log_url`).
    run_url: Option<String>,
    masker: gates_report::secret::Masker,
}

impl GitHubLedger {
    /// A ledger for the repository and API of `env`, authenticated by `token`.
    pub fn new(env: &GithubEnv, token: Secret) -> Result<Self> {
        Ok(GitHubLedger {
            client: GitHubClient::from_env(env, token)?,
            run_url: env.run_url(),
            masker: Default::default(),
        })
    }

    /// A ledger over a ready client (tests inject retry policy and sleeper).
    pub fn with_client(client: GitHubClient, run_url: Option<String>) -> Self {
        GitHubLedger {
            client,
            run_url,
            masker: Default::default(),
        }
    }

    /// Masks the run's secrets in everything this ledger sends.
    pub fn with_masker(mut self, masker: gates_report::secret::Masker) -> Self {
        self.masker = masker;
        self
    }

    pub fn masker(&self) -> &gates_report::secret::Masker {
        &self.masker
    }

    pub fn client(&self) -> &GitHubClient {
        &self.client
    }

    /// Records `report` as the check run `gates/<gate>` on `commit`.
    ///
    /// Without write access to checks (a pull request from a fork), returns
    /// [`RecordOutcome::Skipped`]: the gate still reports through
    /// annotations, the job summary and its exit code.
    pub async fn record_result(&self, commit: &str, report: &Report) -> Result<RecordOutcome> {
        match self.write_check_run(commit, report).await {
            Ok(url) => Ok(RecordOutcome::Recorded { url }),
            Err(ApiError::NotAccessible { .. }) => Ok(RecordOutcome::Skipped {
                reason: format!(
                    "the token may not write check runs (it needs `permissions: {}`; pull requests \
                     from forks only get a read-only token), so the result of gates/{} is reported \
                     through annotations, the job summary and the exit code only",
                    Permission::ChecksWrite.as_str(),
                    report.record_key()
                ),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// The report recorded for `commit` under `key` (`<gate>` or
    /// `<gate>/<instance>`), read back from its check run.
    pub async fn result_for(&self, commit: &str, gate: &str) -> Result<Option<GateRecord>> {
        let Some(run) = self.find_check_run(commit, gate).await? else {
            return Ok(None);
        };
        let Some(text) = run.output.text.as_deref() else {
            return Ok(None);
        };
        let report = match parse_embedded_report(text) {
            None => return Ok(None),
            Some(Ok(report)) => report,
            Some(Err(e)) => {
                return Err(GateError::Upstream(format!(
                    "the check run gates/{gate} on {commit} holds a report gates cannot read: {e}"
                )));
            }
        };
        Ok(Some(GateRecord {
            commit: commit.to_string(),
            gate: gate.to_string(),
            recorded_at: run.completed_at.or(run.started_at).unwrap_or_else(Utc::now),
            url: run.html_url,
            report,
        }))
    }

    pub async fn create_deployment(&self, new: &NewDeployment) -> Result<Deployment> {
        let body = json!({
            "ref": new.commit,
            "task": "deploy",
            "auto_merge": false,
            "required_contexts": [],
            "payload": wrap_payload(&new.git_ref, &new.payload),
            "environment": new.environment,
            "description": new.description,
            "transient_environment": new.transient,
            "production_environment": new.production,
        });
        let path = self.client.repo_path("/deployments");
        let resp = self
            .client
            .request(
                Method::POST,
                &path,
                Some(&body),
                Permission::DeploymentsWrite,
            )
            .await?;
        if resp.status == 202 {
            // GitHub answers 202 with a message when it merged instead of deploying.
            return Err(GateError::Upstream(format!(
                "GitHub did not create the deployment: {}",
                resp.body
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)")
            )));
        }
        let raw: RawDeployment = decode(resp.body, "create deployment")?;
        Ok(to_deployment(raw, Vec::new()))
    }

    pub async fn add_status(
        &self,
        deployment_id: u64,
        status: &NewStatus,
    ) -> Result<DeploymentStatus> {
        let mut body = json!({
            "state": status.state.as_str(),
            "auto_inactive": status.auto_inactive,
        });
        if let Some(d) = &status.description {
            body["description"] = json!(cut_chars(d, MAX_STATUS_DESCRIPTION));
        }
        if let Some(url) = status.log_url.as_ref().or(self.run_url.as_ref()) {
            body["log_url"] = json!(url);
        }
        if let Some(url) = &status.environment_url {
            body["environment_url"] = json!(url);
        }
        let path = self
            .client
            .repo_path(&format!("/deployments/{deployment_id}/statuses"));
        let resp = self
            .client
            .request(
                Method::POST,
                &path,
                Some(&body),
                Permission::DeploymentsWrite,
            )
            .await?;
        let raw: RawDeploymentStatus = decode(resp.body, "create deployment status")?;
        to_status(raw)
    }

    /// Deployments of `environment`, newest first, at most `limit`, each with
    /// its statuses (oldest first).
    pub async fn deployments(&self, environment: &str, limit: usize) -> Result<Vec<Deployment>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let path = self.client.repo_path("/deployments");
        let items = self
            .client
            .get_paginated(
                &path,
                &[("environment", environment)],
                None,
                limit,
                Permission::DeploymentsRead,
            )
            .await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let raw: RawDeployment = decode(item, "list deployments")?;
            let statuses = statuses_of(&self.client, raw.id, false).await?;
            out.push(to_deployment(raw, statuses));
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    /// The newest check run `gates/<gate>` on `commit`, over every page.
    async fn find_check_run(&self, commit: &str, gate: &str) -> Result<Option<CheckRun>, ApiError> {
        let name = check_run_name(gate);
        let path = self
            .client
            .repo_path(&format!("/commits/{}/check-runs", encode_component(commit)));
        let items = self
            .client
            .get_paginated(
                &path,
                &[("check_name", name.as_str()), ("filter", "all")],
                Some("check_runs"),
                usize::MAX,
                Permission::ChecksRead,
            )
            .await?;
        let mut newest: Option<CheckRun> = None;
        for item in items {
            let run: CheckRun = decode(item, "list check runs")?;
            if run.name == name && newest.as_ref().is_none_or(|n| run.id > n.id) {
                newest = Some(run);
            }
        }
        Ok(newest)
    }

    async fn write_check_run(
        &self,
        commit: &str,
        report: &Report,
    ) -> Result<Option<String>, ApiError> {
        let name = check_run_name(&report.record_key());
        // Patch only a run without annotations: they cannot be removed.
        let existing = self
            .find_check_run(commit, &report.record_key())
            .await?
            .filter(|run| run.output.annotations_count == 0);
        let output = CheckRunContent::new(report);
        let mut batches = output.annotations.chunks(ANNOTATIONS_PER_REQUEST);
        let first = batches.next().unwrap_or(&[]);
        let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

        let mut body = json!({
            "name": name,
            "status": "completed",
            "conclusion": conclusion(report.verdict),
            "completed_at": now,
            "output": output.output_json(first),
        });
        if let Some(url) = &self.run_url {
            body["details_url"] = json!(url);
        }
        let resp = match &existing {
            Some(run) => {
                let path = self.client.repo_path(&format!("/check-runs/{}", run.id));
                self.client
                    .request(Method::PATCH, &path, Some(&body), Permission::ChecksWrite)
                    .await?
            }
            None => {
                body["head_sha"] = json!(commit);
                body["started_at"] = json!(now);
                body["external_id"] = json!(name);
                let path = self.client.repo_path("/check-runs");
                self.client
                    .request(Method::POST, &path, Some(&body), Permission::ChecksWrite)
                    .await?
            }
        };
        let run: CheckRun = decode(resp.body, "create or update check run")?;
        let path = self.client.repo_path(&format!("/check-runs/{}", run.id));
        for batch in batches {
            let body = json!({ "output": output.output_json(batch) });
            self.client
                .request(Method::PATCH, &path, Some(&body), Permission::ChecksWrite)
                .await?;
        }
        Ok(run.html_url)
    }
}

/// Every status of deployment `id`, oldest first (`cached`: conditional
/// GETs through the client's ETag cache).
pub(crate) async fn statuses_of(
    client: &GitHubClient,
    id: u64,
    cached: bool,
) -> Result<Vec<DeploymentStatus>> {
    let path = client.repo_path(&format!("/deployments/{id}/statuses"));
    let listing = Listing {
        path: &path,
        query: &[],
        items_key: None,
        limit: usize::MAX,
        permission: Permission::DeploymentsRead,
        cached,
    };
    let raw_statuses = client.list(&listing, |_| false).await?;
    let mut statuses = Vec::with_capacity(raw_statuses.len());
    for s in raw_statuses {
        statuses.push(to_status(decode(s, "list deployment statuses")?)?);
    }
    statuses.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(statuses)
}

/// `gates/<key>`: `gates/<gate>` or `gates/<gate>/<instance>`.
pub fn check_run_name(gate: &str) -> String {
    format!("gates/{gate}")
}

/// A check run's conclusion for a verdict.
pub fn conclusion(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "success",
        Verdict::Warn => "neutral",
        Verdict::Fail => "failure",
    }
}

fn annotation_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "failure",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// What goes into a check run's `output`.
#[derive(Clone, Debug)]
pub struct CheckRunContent {
    pub title: String,
    pub summary: String,
    pub text: String,
    /// Annotation objects, worst first, at most [`MAX_ANNOTATIONS`].
    pub annotations: Vec<Value>,
}

impl CheckRunContent {
    pub fn new(report: &Report) -> Self {
        let title = if report.summary.trim().is_empty() {
            format!("gates/{}: {}", report.record_key(), report.verdict)
        } else {
            cut_chars(&report.summary, 255)
        };
        CheckRunContent {
            title,
            summary: cut_bytes(
                &markdown_summary(report),
                MAX_OUTPUT_CHARS,
                SUMMARY_CUT_NOTE,
            ),
            text: embed_report(report),
            annotations: annotations_for(report),
        }
    }

    fn output_json(&self, annotations: &[Value]) -> Value {
        let mut out = json!({
            "title": self.title,
            "summary": self.summary,
            "text": self.text,
        });
        if !annotations.is_empty() {
            out["annotations"] = Value::Array(annotations.to_vec());
        }
        out
    }
}

/// The check run summary: the report rendered as Markdown.
fn markdown_summary(report: &Report) -> String {
    gates_report::render::markdown::render(report)
}

/// Annotations for the findings that have a location, worst first.
pub fn annotations_for(report: &Report) -> Vec<Value> {
    let mut located: Vec<_> = report
        .findings
        .iter()
        .filter_map(|f| f.location.as_ref().map(|l| (f, l)))
        .collect();
    // Stable: keeps the report's canonical order within a severity.
    located.sort_by_key(|(f, _)| std::cmp::Reverse(f.severity));
    located
        .into_iter()
        .take(MAX_ANNOTATIONS)
        .map(|(f, l)| {
            let start = l.start_line.unwrap_or(1).max(1);
            let end = l.end_line.unwrap_or(start).max(start);
            json!({
                "path": l.path,
                "start_line": start,
                "end_line": end,
                "annotation_level": annotation_level(f.severity),
                "title": cut_chars(&f.rule, 255),
                "message": cut_bytes(&f.message, 64_000, "…"),
            })
        })
        .collect()
}

/// `text` cut to at most `max` bytes on a char boundary, `note` appended
/// when cut (the result, note included, stays within `max`).
pub fn cut_bytes(text: &str, max: usize, note: &str) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(note.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &text[..end])
}

fn cut_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The check run `output.text`: the report's JSON after [`REPORT_MARKER`],
/// folded in `<details>`. When too long for GitHub, the report's `details`
/// are dropped, then the least severe findings (metrics and counts are kept,
/// and `details.gates_truncated` says what was dropped).
pub fn embed_report(report: &Report) -> String {
    if let Some(text) = embed_block(report, None) {
        return text;
    }
    let (errors, warnings, notes) = report.counts();
    let total = report.findings.len();
    let mut keep = total;
    loop {
        let mut cut = report.clone();
        cut.findings.truncate(keep);
        cut.details = json!({
            "gates_truncated": {
                "details_dropped": !report.details.is_null(),
                "findings_total": total,
                "findings_dropped": total - keep,
                "errors": errors,
                "warnings": warnings,
                "notes": notes,
            }
        });
        let note = format!(
            "The report was too large for a check run: {}{} of {total} findings dropped; \
             metrics and counts are kept.",
            if report.details.is_null() {
                ""
            } else {
                "details and "
            },
            total - keep
        );
        if let Some(text) = embed_block(&cut, Some(&note)) {
            return text;
        }
        if keep == 0 {
            return format!(
                "The report was too large to embed in a check run, even without its findings \
                 ({errors} errors, {warnings} warnings, {notes} notes).\n"
            );
        }
        keep /= 2;
    }
}

fn embed_block(report: &Report, note: Option<&str>) -> Option<String> {
    let json = serde_json::to_string(report).ok()?;
    // Backticks only occur inside JSON strings, where `\u0060` means the same:
    // a message can then never close the code fence.
    let json = json.replace('`', "\\u0060");
    let note = note.map(|n| format!("> {n}\n\n")).unwrap_or_default();
    let text = format!(
        "{REPORT_MARKER}\n{note}<details><summary>Report (JSON, schema v{})</summary>\n\n```json\n{json}\n```\n\n</details>\n",
        report.schema_version
    );
    (text.len() <= MAX_OUTPUT_CHARS).then_some(text)
}

/// Parses the report embedded by [`embed_report`]. `None`: no report there.
pub fn parse_embedded_report(text: &str) -> Option<Result<Report, String>> {
    let after_marker = &text[text.find(REPORT_MARKER)? + REPORT_MARKER.len()..];
    let fence = "```json\n";
    let start = after_marker.find(fence)? + fence.len();
    let mut stream =
        serde_json::Deserializer::from_str(&after_marker[start..]).into_iter::<Report>();
    Some(match stream.next() {
        Some(Ok(report)) => Ok(report),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("the report block is empty".to_string()),
    })
}

/// The deployment payload: the caller's payload with the ref gates deployed
/// from (GitHub's `ref` is the exact commit).
fn wrap_payload(git_ref: &str, payload: &Value) -> Value {
    json!({ "gates": { "version": 1, "git_ref": git_ref }, "data": payload })
}

fn unwrap_payload(raw: &RawDeployment) -> (String, Value) {
    match raw
        .payload
        .get("gates")
        .and_then(|g| g.get("git_ref"))
        .and_then(Value::as_str)
    {
        Some(git_ref) => (
            git_ref.to_string(),
            raw.payload.get("data").cloned().unwrap_or(Value::Null),
        ),
        None => (raw.git_ref.clone(), raw.payload.clone()),
    }
}

pub(crate) fn to_deployment(raw: RawDeployment, statuses: Vec<DeploymentStatus>) -> Deployment {
    let (git_ref, payload) = unwrap_payload(&raw);
    Deployment {
        id: raw.id,
        environment: raw.environment,
        commit: raw.sha,
        git_ref,
        description: raw.description.filter(|d| !d.is_empty()),
        payload,
        created_at: raw.created_at,
        statuses,
    }
}

fn to_status(raw: RawDeploymentStatus) -> Result<DeploymentStatus> {
    let state: DeploymentState =
        serde_json::from_value(Value::String(raw.state.clone())).map_err(|_| {
            GateError::Upstream(format!(
                "GitHub returned an unknown deployment state `{}`",
                raw.state
            ))
        })?;
    let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
    Ok(DeploymentStatus {
        id: raw.id,
        state,
        description: non_empty(raw.description),
        log_url: non_empty(raw.log_url).or_else(|| non_empty(raw.target_url)),
        environment_url: non_empty(raw.environment_url),
        created_at: raw.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gates_report::report::{Finding, Location, RunnerRule};

    #[test]
    fn embedded_report_round_trips_with_backticks() {
        let mut r = Report::new("coverage");
        r.checked = 1;
        r.findings.push(Finding::new(
            RunnerRule::NothingChecked,
            Severity::Warning,
            "a ```json fence``` inside",
        ));
        let text = embed_report(&r);
        assert!(!text[text.find("```json\n").unwrap_or(0) + 8..].contains("``` inside"));
        let back = parse_embedded_report(&text).and_then(|r| r.ok());
        assert_eq!(back, Some(r));
    }

    #[test]
    fn huge_report_drops_details_then_findings() {
        let mut r = Report::new("audit");
        r.checked = 1;
        r.details = json!({ "blob": "x".repeat(70_000) });
        for i in 0..2_000 {
            r.findings.push(
                Finding::new(
                    RunnerRule::NothingChecked,
                    Severity::Note,
                    format!("note number {i} with some words"),
                )
                .at(Location::lines("a.rs", i + 1, i + 1)),
            );
        }
        let text = embed_report(&r);
        assert!(text.len() <= MAX_OUTPUT_CHARS);
        let back = parse_embedded_report(&text)
            .and_then(|r| r.ok())
            .unwrap_or_else(|| Report::new("none"));
        assert_eq!(back.gate, "audit");
        let t = &back.details["gates_truncated"];
        assert_eq!(t["details_dropped"], json!(true));
        assert_eq!(t["findings_total"], json!(2000));
        assert_eq!(t["notes"], json!(2000));
        assert!(back.findings.len() < 2000);
        assert_eq!(t["findings_dropped"], json!(2000 - back.findings.len()));
    }

    #[test]
    fn cut_respects_char_boundaries() {
        let s = "é".repeat(10);
        let c = cut_bytes(&s, 7, "!");
        assert_eq!(c, "ééé!");
        assert_eq!(cut_bytes("short", 10, "!"), "short");
    }
}
