//! `result`: each SARIF result at the severity the configuration maps it to.

use gate_core::report::{Finding, Location, Report, SarifRule as FineRule, Severity};
use gate_core::types::Level;

use crate::config::SarifConfig;
use crate::rules::SarifRule;
use crate::sarif::{SarifLevel, SarifResult};

/// GitHub code scanning's "high": `security-severity` ≥ 7.0.
pub const DEFAULT_SECURITY_FAIL_AT: f64 = 7.0;

/// The gate severity of one result; `None` when it is not reported.
pub fn severity(r: &SarifResult, config: &SarifConfig) -> Option<Severity> {
    let at = config.security_fail_at.unwrap_or(DEFAULT_SECURITY_FAIL_AT);
    if r.level != SarifLevel::None && r.security_severity.is_some_and(|s| s >= at) {
        return Some(Severity::Error);
    }
    let level = match r.level {
        SarifLevel::None => Level::Ignore,
        SarifLevel::Note => config.note.unwrap_or(Level::Note),
        SarifLevel::Warning => config.warning.unwrap_or(Level::Warning),
        SarifLevel::Error => config.error.unwrap_or(Level::Error),
    };
    level.severity()
}

/// `result`: one finding per reported result, on its file and lines.
pub fn results(results: &[&SarifResult], config: &SarifConfig, report: &mut Report) {
    for r in results {
        let Some(sev) = severity(r, config) else {
            continue;
        };
        let mut f = Finding::new(SarifRule::Result, sev, format!("{}: {}", r.tool, r.message))
            .with_sarif_rule(FineRule {
                id: r.rule.clone(),
                summary: format!("{} rule {}", r.tool, r.rule),
                help_uri: None,
            });
        if let Some(s) = r.security_severity {
            f = f.with_security_severity(s);
        }
        f = f.with_key(r.identity_hash());
        if let Some(uri) = &r.uri {
            f = f.at(match (r.start_line, r.end_line) {
                (Some(a), Some(b)) => Location::lines(uri.clone(), a, b.max(a)),
                (Some(a), None) => Location::lines(uri.clone(), a, a),
                _ => Location::file(uri.clone()),
            });
        }
        report.findings.push(f);
    }
}

/// New-only mode: the results of `head` that `base` does not have, matched
/// by [`SarifResult::identity`] as a multiset (a second copy of a base
/// result is new).
pub fn new_only<'a>(head: &'a [SarifResult], base: &[SarifResult]) -> Vec<&'a SarifResult> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for r in base {
        *seen.entry(r.identity()).or_default() += 1;
    }
    head.iter()
        .filter(|r| match seen.get_mut(&r.identity()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}
