//! All of gate-score's I/O: the evidence of one commit, as recorded.
//!
//! - on GitHub, the commit's check runs `gates/<gate>[/<instance>]` with
//!   their embedded report (every page, the newest run of each name);
//! - off GitHub, the local ledger's `.gates/results/<commit>/`;
//! - then the `--report` files, in the order given.
//!
//! Nothing is judged here: which reports count (this commit's, the newest
//! of each gate) is `evaluate`'s, so the same evidence always gives the
//! same decision.

use std::path::Path;

use gate_core::Context;
use gate_core::error::{GateError, Result};
use gate_core::ledger::{GateRecord, Ledger};
use gate_core::report::Report;

use crate::config::{ScoreArgs, ScoreConfig};

/// Largest report file read (a report is capped text; this is far above).
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// One report as found, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// `gate` or `gate/instance`.
    pub key: String,
    /// Where it came from: a check run's URL or name, a ledger file, a path.
    pub source: String,
    /// The report, or why it cannot be used (still running, no report
    /// embedded, unreadable).
    pub report: std::result::Result<Report, String>,
}

/// What `collect` gathers: the commit, and every piece of evidence found,
/// oldest first (a later one of the same key replaces an earlier one).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreInput {
    pub commit: String,
    pub evidence: Vec<Evidence>,
    /// `--explain` was given.
    pub explain: bool,
}

/// Reads the ledger and the report files.
pub async fn collect(ctx: &Context, config: &ScoreConfig, args: &ScoreArgs) -> Result<ScoreInput> {
    crate::validate::check(config)?;
    // The commit the runner records the decision on: the pull request's
    // head, GITHUB_SHA, or HEAD.
    let commit = ctx
        .commit
        .clone()
        .map(|c| c.to_ascii_lowercase())
        .ok_or_else(|| {
            GateError::Usage(
                "no commit to decide about: run inside a git repository, or set GITHUB_SHA".into(),
            )
        })?;
    if commit.len() < 7 || commit.len() > 64 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(GateError::Usage(format!(
            "GITHUB_SHA `{commit}`: expected a commit SHA (7 to 64 hexadecimal digits, e.g. the output of `git rev-parse HEAD`)"
        )));
    }
    let (commit, mut evidence) = match &ctx.ledger {
        Ledger::GitHub(g) => (commit.clone(), from_check_runs(g.client(), &commit).await?),
        Ledger::Local(l) => from_local(l.root(), &commit)?,
    };
    for path in &config.reports {
        evidence.push(from_file(&ctx.resolve(path), path)?);
    }
    Ok(ScoreInput {
        commit,
        evidence,
        explain: args.explain,
    })
}

/// The commit's `gates/*` check runs, oldest first (GitHub's run ids grow).
pub async fn from_check_runs(
    client: &gates_github::api::GitHubClient,
    commit: &str,
) -> Result<Vec<Evidence>> {
    let runs = gates_github::read::check_runs(client, commit).await?;
    // The newest run of each name, as GitHub's checks and rulesets read
    // them: a re-run replaces the run before it, even while it runs.
    let mut newest = gates_github::read::newest_per_name(&runs);
    newest.sort_by_key(|r| r.id);
    let mut out = Vec::new();
    for run in newest.into_iter().cloned() {
        let Some(key) = run.gate.clone() else {
            continue;
        };
        let source = run.html_url.clone().unwrap_or_else(|| run.name.clone());
        let report = if run.status != "completed" {
            Err(format!(
                "check run {} is {}, not completed",
                run.name, run.status
            ))
        } else {
            match run.report {
                Some(Ok(r)) => Ok(r),
                Some(Err(e)) => Err(format!("its embedded report cannot be read: {e}")),
                None => Err(format!("check run {} carries no gates report", run.name)),
            }
        };
        out.push(Evidence {
            key,
            source,
            report,
        });
    }
    Ok(out)
}

/// The local ledger's records for `commit` (a unique prefix is enough),
/// oldest first; the commit as the ledger spells it.
pub fn from_local(root: &Path, commit: &str) -> Result<(String, Vec<Evidence>)> {
    let results = root.join("results");
    let base = root.parent().unwrap_or(root);
    gate_core::fs::refuse_symlinks(base, &results)?;
    let dir = match std::fs::read_dir(&results) {
        Ok(entries) => {
            let matches: Vec<String> = entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(commit))
                .collect();
            match matches.as_slice() {
                [only] => only.clone(),
                _ => return Ok((commit.to_string(), Vec::new())),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((commit.to_string(), Vec::new()));
        }
        Err(e) => return Err(GateError::read(&results, e)),
    };
    let path = results.join(&dir);
    gate_core::fs::refuse_symlinks(base, &path)?;
    let mut files: Vec<_> = std::fs::read_dir(&path)
        .map_err(|e| GateError::read(&path, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    files.sort();
    let mut records = Vec::new();
    for file in files {
        gate_core::fs::refuse_symlinks(base, &file)?;
        let source = file.display().to_string();
        let text = read_capped(&file)?;
        match serde_json::from_str::<GateRecord>(&text) {
            Ok(rec) => records.push((
                rec.recorded_at,
                rec.report.record_key(),
                source,
                Ok(rec.report),
            )),
            Err(e) => {
                let key = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("?")
                    .replace('.', "/");
                records.push((
                    chrono::DateTime::<chrono::Utc>::MIN_UTC,
                    key,
                    source,
                    Err(format!("the ledger file is damaged ({e})")),
                ));
            }
        }
    }
    records.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
    let evidence = records
        .into_iter()
        .map(|(_, key, source, report)| Evidence {
            key,
            source,
            report,
        })
        .collect();
    Ok((dir, evidence))
}

/// A `--report` file: a JSON report v1 (or a ledger record holding one).
pub fn from_file(path: &Path, given: &str) -> Result<Evidence> {
    let text = read_capped(path)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        GateError::malformed(
            path,
            Some(e.line() as u64),
            format!("not JSON ({e}); pass a gate's JSON report (`--output json=PATH`)"),
        )
    })?;
    let inner = match value.get("report") {
        Some(r) if value.get("recorded_at").is_some() => r.clone(),
        _ => value,
    };
    let report: Report = serde_json::from_value(inner).map_err(|e| {
        GateError::malformed(
            path,
            None,
            format!(
                "not a gates JSON report v1 ({e}); pass a gate's JSON report (`--output json=PATH`)"
            ),
        )
    })?;
    if report.schema_version != gate_core::report::SCHEMA_VERSION {
        return Err(GateError::malformed(
            path,
            None,
            format!(
                "report schema_version {} is not {}; use a gate of the same major version",
                report.schema_version,
                gate_core::report::SCHEMA_VERSION
            ),
        ));
    }
    Ok(Evidence {
        key: report.record_key(),
        source: given.to_string(),
        report: Ok(report),
    })
}

fn read_capped(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| GateError::read(path, e))?;
    if meta.len() > MAX_REPORT_BYTES {
        return Err(GateError::malformed(
            path,
            None,
            format!(
                "{} bytes is more than a report holds ({MAX_REPORT_BYTES} at most)",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| GateError::read(path, e))?;
    String::from_utf8(bytes)
        .map_err(|_| GateError::malformed(path, None, "not UTF-8 text: pass a gate's JSON report"))
}
