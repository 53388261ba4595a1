//! Vetoes no score can outweigh: a required gate missing or not run, a
//! failed gate, a critical vulnerability, a gate that checked nothing.

use gate_core::report::{Finding, Report, Severity, Verdict};

use super::select::{Selected, short};
use crate::config::ScoreConfig;
use crate::rules::ScoreRule;

/// A finding's security severity from which it is critical (GitHub's and
/// CVSS's "critical").
pub const CRITICAL: f64 = 9.0;

/// Most critical findings quoted one by one; the rest are counted.
const MAX_CRITICALS: usize = 10;

/// Whether `key` (`gate` or `gate/instance`) satisfies `wanted`: the same
/// key, or an instance of a wanted gate named without one.
pub fn matches(wanted: &str, key: &str) -> bool {
    key == wanted
        || (!wanted.contains('/') && key.strip_prefix(wanted).is_some_and(|r| r.starts_with('/')))
}

/// Adds the veto findings; returns whether a critical vulnerability was seen.
pub fn vetoes(sel: &Selected, config: &ScoreConfig, commit: &str, report: &mut Report) -> bool {
    for wanted in &config.required {
        let wanted = wanted.trim();
        if sel.reports.keys().any(|k| matches(wanted, k)) {
            continue;
        }
        let why = sel
            .unusable
            .iter()
            .find(|(k, _)| matches(wanted, k))
            .map_or_else(
                || format!("no report of gate-{wanted} for commit {}", short(commit)),
                |(k, why)| {
                    format!(
                        "gate-{k} has no usable report for commit {}: {why}",
                        short(commit)
                    )
                },
            );
        report.findings.push(
            Finding::new(
                ScoreRule::RequiredMissing,
                Severity::Error,
                format!("{why}; a missing report is a no-go"),
            )
            .with_key(wanted.to_string()),
        );
    }
    let mut criticals = 0usize;
    for (key, r) in &sel.reports {
        if r.verdict == Verdict::Fail {
            report.findings.push(
                Finding::new(
                    ScoreRule::GateFailed,
                    Severity::Error,
                    format!("gate-{key} failed: {}", r.summary),
                )
                .with_key(key.to_string()),
            );
        } else if r.verdict == Verdict::Warn {
            report.findings.push(
                Finding::new(
                    ScoreRule::GateWarned,
                    Severity::Warning,
                    format!("gate-{key} warned: {}", r.summary),
                )
                .with_key(key.to_string()),
            );
        }
        if r.checked == 0 {
            report.findings.push(
                Finding::new(
                    ScoreRule::GateCheckedNothing,
                    Severity::Error,
                    format!("gate-{key} checked nothing (`checked: 0`): its report is no evidence"),
                )
                .with_key(key.to_string()),
            );
        }
        for f in r.findings.iter().filter(|f| is_critical(f)) {
            criticals += 1;
            if criticals > MAX_CRITICALS {
                continue;
            }
            let id = f
                .sarif_rule
                .as_ref()
                .map_or(f.rule.as_str(), |s| s.id.as_str());
            let mut finding = Finding::new(
                ScoreRule::CriticalVulnerability,
                Severity::Error,
                format!(
                    "gate-{key}: {id} is critical ({}): {}",
                    f.security_severity.unwrap_or(CRITICAL),
                    f.message
                ),
            )
            .with_key(format!("{key}:{}", f.key.as_deref().unwrap_or(id)));
            if let Some(l) = &f.location {
                finding = finding.at(l.clone());
            }
            report.findings.push(finding);
        }
    }
    if criticals > MAX_CRITICALS {
        report.findings.push(Finding::new(
            ScoreRule::CriticalVulnerability,
            Severity::Error,
            format!(
                "… and {} more critical findings (see the gates' own reports)",
                criticals - MAX_CRITICALS
            ),
        ));
    }
    criticals > 0
}

/// A warning or error with a security severity of 9.0 or more.
pub fn is_critical(f: &Finding) -> bool {
    f.severity >= Severity::Warning && f.security_severity.is_some_and(|s| s >= CRITICAL)
}
