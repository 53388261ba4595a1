//! The metrics, the chart, the one-line summary and the details of the
//! report, from the checks' [`Tally`].

use std::collections::BTreeMap;

use gate_core::report::{Metric, Report};

use super::describe::security_score;
use super::tally::Tally;
use crate::collect::AuditInput;

/// The metrics (`db-age` only with dated data, `new-vulnerabilities` only
/// with `new-only`).
pub(super) fn metrics(input: &AuditInput, t: &Tally, checked: u64, r: &mut Report) {
    let score = security_score(&t.counts);
    #[allow(clippy::cast_precision_loss)]
    {
        r.metrics
            .push(Metric::info("vulnerabilities", t.vulns as f64, "count"));
        r.metrics
            .push(Metric::info("warnings", t.warnings as f64, "count"));
        r.metrics
            .push(Metric::info("ignored", t.ignored as f64, "count"));
        r.metrics
            .push(Metric::info("packages-checked", checked as f64, "count"));
        r.metrics.push(Metric::info("security-score", score, ""));
        if input.base.is_some() {
            r.metrics.push(Metric::info(
                "new-vulnerabilities",
                t.new_vulns as f64,
                "count",
            ));
        }
        if let Some(age) = input.databases.iter().filter_map(|d| d.age_days).max() {
            r.metrics.push(Metric::info("db-age", age as f64, "days"));
        }
    }
}

/// Severity counts (not ignored), for the job summary.
pub(super) fn chart(t: &Tally, r: &mut Report) {
    if t.vulns + t.warnings > 0 {
        let bars = [
            ("critical", "critical"),
            ("high", "high"),
            ("medium", "medium"),
            ("low", "low"),
            ("none", "none"),
            ("unknown", "unrated"),
            ("informational", "warnings"),
        ];
        #[allow(clippy::cast_precision_loss)]
        r.charts.push(gate_core::report::Chart {
            title: "Findings by severity (not ignored)".into(),
            x_label: "severity".into(),
            y_label: "findings".into(),
            x: bars.iter().map(|(_, label)| (*label).to_string()).collect(),
            series: vec![gate_core::report::Series {
                name: "findings".into(),
                kind: gate_core::report::SeriesKind::Bar,
                values: bars
                    .iter()
                    .map(|(k, _)| t.counts.get(k).copied().unwrap_or(0) as f64)
                    .collect(),
            }],
            y_max: None,
        });
    }
}

/// The one-line summary.
pub(super) fn summary_line(input: &AuditInput, t: &Tally, checked: u64, r: &mut Report) {
    let by_level: Vec<String> = ["critical", "high", "medium", "low", "none", "unknown"]
        .iter()
        .filter_map(|k| t.counts.get(k).map(|n| format!("{n} {k}")))
        .collect();
    r.summary = format!(
        "{} vulnerabilit{}{}, {} warning{} in {checked} packages of {} lockfile{}; {} ignored; security score {}",
        t.vulns,
        if t.vulns == 1 { "y" } else { "ies" },
        if by_level.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_level.join(", "))
        },
        t.warnings,
        if t.warnings == 1 { "" } else { "s" },
        input.lockfiles.len(),
        if input.lockfiles.len() == 1 { "" } else { "s" },
        t.ignored,
        gate_core::report::format_number(security_score(&t.counts)),
    );
    if t.dev_skipped > 0 {
        r.summary
            .push_str(&format!("; {} dev-only finding(s) excluded", t.dev_skipped));
    }
}

/// The details: lockfiles, databases, advisories by package, ignores, what
/// was fetched, the yanked check, invalid names, skipped lockfiles.
pub(super) fn details(
    input: &AuditInput,
    groups: BTreeMap<(String, String, String), Vec<serde_json::Value>>,
    r: &mut Report,
) {
    r.details = serde_json::json!({
        "lockfiles": input.lockfiles,
        "databases": input.databases,
        "packages": groups.into_iter().map(|((lock, name, version), advisories)| serde_json::json!({
            "lockfile": lock, "package": name, "version": version, "advisories": advisories,
        })).collect::<Vec<_>>(),
        "ignores": input.ignores,
        "fetch": input.fetch,
        "yanked": {
            "checked": input.yanked_checked,
            "unknown": input.yanked_unknown,
        },
        "invalid_names": input.invalid_names,
        "skipped_lockfiles": input.skipped.iter().map(|(p, why)| serde_json::json!({"path": p, "why": why})).collect::<Vec<_>>(),
    });
}
