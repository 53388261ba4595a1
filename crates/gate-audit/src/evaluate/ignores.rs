//! The ignore entries no finding used: expired ones fail, the others warn.

use gate_core::report::{Finding, Report, Severity};

use crate::collect::AuditInput;
use crate::policy;
use crate::rules::AuditRule;

/// Reports the ignore entries that matched no hit (`used[i]` false).
pub(super) fn check_ignores(input: &AuditInput, used: &[bool], r: &mut Report) {
    for (i, ig) in input.ignores.iter().enumerate() {
        let expired = ig
            .expires
            .as_deref()
            .and_then(policy::parse_date)
            .is_some_and(|d| d < input.today);
        if !used[i] && expired {
            // Expired fails whether or not it still matches: the decision
            // it recorded is due for review either way.
            r.findings.push(
                Finding::new(
                    AuditRule::IgnoreExpired,
                    Severity::Error,
                    format!(
                        "the ignore of {} ({}, from {}) expired on {} and matches no finding: remove it",
                        ig.id,
                        ig.reason,
                        ig.origin,
                        ig.expires.as_deref().unwrap_or("")
                    ),
                )
                .with_key(format!("ignore@{}", ig.id)),
            );
        } else if !used[i] {
            r.findings.push(
                Finding::new(
                    AuditRule::IgnoreUnused,
                    Severity::Warning,
                    format!(
                        "the ignore of {} ({}) matches no finding: remove it",
                        ig.id, ig.origin
                    ),
                )
                .with_key(format!("ignore@{}", ig.id)),
            );
        }
    }
}
