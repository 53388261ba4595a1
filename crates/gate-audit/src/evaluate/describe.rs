//! How a hit reads: its message, its SARIF rule, its scores.

use std::collections::BTreeMap;

use gate_core::report::SarifRule;

use crate::matcher::{Class, Hit};
use crate::severity::CvssLevel;

/// One SARIF rule per advisory (GitHub code scanning reads
/// `security-severity` from the rule).
pub(super) fn sarif_rule(h: &Hit) -> SarifRule {
    let title = h.title.trim();
    SarifRule {
        id: h.id.clone(),
        summary: if title.is_empty() {
            format!("{} in {}", h.id, h.package)
        } else {
            title.to_string()
        },
        help_uri: h.url.clone().or_else(|| advisory_url(&h.id)),
    }
}

/// The public page of an advisory id, when its scheme has one.
fn advisory_url(id: &str) -> Option<String> {
    if id.starts_with("RUSTSEC-") {
        Some(format!("https://rustsec.org/advisories/{id}.html"))
    } else if id.starts_with("GHSA-") || id.starts_with("PYSEC-") || id.starts_with("CVE-") {
        Some(format!("https://osv.dev/vulnerability/{id}"))
    } else {
        None
    }
}

/// A representative score for a qualitative label only (GitHub's own
/// thresholds: critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0).
pub(super) fn level_score(l: CvssLevel) -> f64 {
    match l {
        CvssLevel::Critical => 9.0,
        CvssLevel::High => 7.0,
        CvssLevel::Medium => 4.0,
        CvssLevel::Low => 0.1,
        CvssLevel::None => 0.0,
    }
}

pub(super) fn describe(h: &Hit) -> String {
    if h.class == Class::Yanked {
        return format!(
            "{} {}: yanked from crates.io (its owners withdrew this version){}",
            h.package,
            h.version,
            if h.dev { " (dev only)" } else { "" }
        );
    }
    let mut s = format!("{} {}: {}", h.package, h.version, h.id);
    if !h.aliases.is_empty() {
        s.push_str(&format!(" ({})", h.aliases.join(", ")));
    }
    let title = h.title.trim().trim_end_matches('.');
    if !title.is_empty() {
        s.push_str(&format!(": {title}"));
    }
    if h.class == Class::Vulnerability {
        match (h.rating.score, h.rating.level) {
            (Some(sc), Some(l)) => s.push_str(&format!("; severity {} ({sc:.1})", l.as_str())),
            (None, Some(l)) => s.push_str(&format!("; severity {}", l.as_str())),
            _ => s.push_str("; severity unknown"),
        }
    }
    s.push_str(&fixed_text(&h.fixed));
    if h.dev {
        s.push_str(" (dev only)");
    }
    s
}

/// The fixed versions as cargo-audit's "Solution" says them: each RustSec
/// `patched` requirement in semver's own spelling (`>=0.9.3, <0.10.0`),
/// alternatives joined by ` OR ` ("upgrade to >=0.10.1 OR >=0.9.3, <0.10.0");
/// OSV `fixed` events are versions ("fixed in 2.2.26 OR 3.2.11").
pub(super) fn fixed_text(fixed: &[String]) -> String {
    if fixed.is_empty() {
        return "; no fixed version".into();
    }
    let reqs: Vec<String> = fixed
        .iter()
        .map(|f| {
            let f = f.trim();
            let is_req = f.starts_with(['>', '<', '=', '^', '~']);
            match semver::VersionReq::parse(f) {
                Ok(r) if is_req => r.to_string(),
                _ => f.to_string(),
            }
        })
        .collect();
    let mut uniq: Vec<String> = Vec::new();
    for r in reqs {
        if !uniq.contains(&r) {
            uniq.push(r);
        }
    }
    if fixed
        .iter()
        .all(|f| f.trim().starts_with(['>', '<', '=', '^', '~']))
    {
        format!("; upgrade to {}", uniq.join(" OR "))
    } else {
        format!("; fixed in {}", uniq.join(" OR "))
    }
}

/// Security score: 100 minus 25 per critical, 15 per high or unrated, 5 per
/// medium, 1 per low vulnerability and 0.5 per informational warning
/// (ignored findings excluded), floored at 0.
pub fn security_score(counts: &BTreeMap<&'static str, u64>) -> f64 {
    let g = |k: &str| counts.get(k).copied().unwrap_or(0) as f64;
    let penalty = 25.0 * g("critical")
        + 15.0 * (g("high") + g("unknown"))
        + 5.0 * g("medium")
        + g("low")
        + 0.5 * g("informational");
    (100.0 - penalty).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::fixed_text;

    /// The case: two patched requirements were printed as one
    /// flattened list (`fixed: >= 0.10.1, < 0.10.0, >= 0.9.3`).
    #[test]
    fn alternatives_are_joined_by_or_as_cargo_audit_does() {
        let fixed = [">= 0.10.1".to_string(), ">= 0.9.3, < 0.10.0".to_string()];
        assert_eq!(
            fixed_text(&fixed),
            "; upgrade to >=0.10.1 OR >=0.9.3, <0.10.0"
        );
        assert_eq!(fixed_text(&[]), "; no fixed version");
        let osv = ["2.2.26".to_string(), "3.2.11".to_string()];
        assert_eq!(fixed_text(&osv), "; fixed in 2.2.26 OR 3.2.11");
    }
}
