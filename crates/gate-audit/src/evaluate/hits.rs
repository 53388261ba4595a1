//! The hits: each ignored (with a note), or reported at the level its class
//! and severity give, lowered to a warning when the base already had it.

use gate_core::report::{Finding, Location, Report, Severity};

use super::describe::{describe, level_score, sarif_rule};
use super::tally::Tally;
use crate::collect::AuditInput;
use crate::config::AuditConfig;
use crate::matcher::{Class, Hit};
use crate::policy::{self, Ignore};
use crate::rules::AuditRule;
use crate::severity::CvssLevel;

/// Reports every hit; returns which ignore entries matched one.
pub(super) fn check_hits(
    input: &AuditInput,
    config: &AuditConfig,
    r: &mut Report,
    t: &mut Tally,
) -> Vec<bool> {
    let mut used = vec![false; input.ignores.len()];
    let mut expired_reported = vec![false; input.ignores.len()];
    for h in &input.hits {
        if h.dev && !config.include_dev {
            t.dev_skipped += 1;
            continue;
        }
        let ignored_by = match_ignores(h, input, &mut used, &mut expired_reported, r);
        let mut entry = serde_json::json!({
            "id": h.id, "aliases": h.aliases, "class": h.class.as_str(),
            "title": h.title, "severity": h.rating.level.map(CvssLevel::as_str),
            "score": h.rating.score, "vector": h.rating.vector, "fixed": h.fixed,
            "url": h.url, "notes": h.notes,
        });
        if let Some(ig) = ignored_by {
            t.ignored += 1;
            entry["ignored"] = serde_json::json!({"reason": ig.reason, "expires": ig.expires, "origin": ig.origin});
            r.findings.push(
                Finding::new(
                    AuditRule::Ignored,
                    Severity::Note,
                    format!("{} — ignored ({}): {}", describe(h), ig.origin, ig.reason),
                )
                .at(location(h))
                .with_key(h.key()),
            );
        } else {
            report_hit(h, input, config, r, t);
        }
        t.groups
            .entry((h.lockfile.clone(), h.package.clone(), h.version.clone()))
            .or_default()
            .push(entry);
    }
    used
}

fn location(h: &Hit) -> Location {
    Location::lines(h.lockfile.clone(), h.line, h.line)
}

/// The ignore entry that silences `h` (alias-aware, optionally per
/// package), if one has not expired; marks every matching entry used, and
/// reports each expired one once.
fn match_ignores<'a>(
    h: &Hit,
    input: &'a AuditInput,
    used: &mut [bool],
    expired_reported: &mut [bool],
    r: &mut Report,
) -> Option<&'a Ignore> {
    let mut ignored_by = None;
    for (i, ig) in input.ignores.iter().enumerate() {
        if !h.ids().any(|id| id.eq_ignore_ascii_case(&ig.id))
            || ig.package.as_ref().is_some_and(|p| p != &h.package)
        {
            continue;
        }
        used[i] = true;
        let expired = ig
            .expires
            .as_deref()
            .and_then(policy::parse_date)
            .is_some_and(|d| d < input.today);
        if expired {
            if !expired_reported[i] {
                expired_reported[i] = true;
                r.findings.push(
                    Finding::new(
                        AuditRule::IgnoreExpired,
                        Severity::Error,
                        format!(
                            "the ignore of {} ({}, from {}) expired on {}: the finding counts again",
                            ig.id,
                            ig.reason,
                            ig.origin,
                            ig.expires.as_deref().unwrap_or("")
                        ),
                    )
                    .with_key(format!("ignore@{}", ig.id)),
                );
            }
        } else if ignored_by.is_none() {
            ignored_by = Some(ig);
        }
    }
    ignored_by
}

/// The level of a hit nothing ignores (`None`: not reported), counted.
fn hit_severity(h: &Hit, config: &AuditConfig, t: &mut Tally) -> Option<Severity> {
    let sev = match h.class {
        Class::Vulnerability => {
            let level_key = h.rating.level.map(CvssLevel::as_str).unwrap_or("unknown");
            *t.counts.entry(level_key).or_default() += 1;
            t.vulns += 1;
            match (config.fail_on_severity.threshold(), h.rating.level) {
                (None, _) => Some(Severity::Error),
                (Some(th), Some(l)) => Some(if l >= th {
                    Severity::Error
                } else {
                    Severity::Warning
                }),
                (Some(_), None) => config.unknown_severity.severity(),
            }
        }
        Class::Unmaintained => config.unmaintained.severity(),
        Class::Unsound => config.unsound.severity(),
        Class::Notice => config.notice.severity(),
        Class::Yanked => config.yanked.severity(),
    };
    if h.class != Class::Vulnerability && sev.is_some() {
        t.warnings += 1;
        *t.counts.entry("informational").or_default() += 1;
    }
    sev
}

/// Reports a hit nothing ignores, as a warning when the base has it too.
fn report_hit(h: &Hit, input: &AuditInput, config: &AuditConfig, r: &mut Report, t: &mut Tally) {
    let sev = hit_severity(h, config, t);
    let in_base = input
        .base
        .as_ref()
        .filter(|(_, keys)| keys.contains(&h.key()))
        .map(|(b, _)| b.as_str());
    if in_base.is_none() && h.class == Class::Vulnerability {
        t.new_vulns += 1;
    }
    let Some(sev) = sev else {
        return;
    };
    let (sev, msg) = match in_base {
        Some(b) => (
            sev.min(Severity::Warning),
            format!(
                "{} (already in {b}: not introduced by this change)",
                describe(h)
            ),
        ),
        None => (sev, describe(h)),
    };
    let mut f = Finding::new(AuditRule::of_class(h.class), sev, msg)
        .at(location(h))
        .with_key(h.key())
        .with_sarif_rule(sarif_rule(h));
    if let Some(score) = h.rating.score.or_else(|| h.rating.level.map(level_score)) {
        f = f.with_security_severity(score);
    }
    r.findings.push(f);
}
