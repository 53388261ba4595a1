//! The minimum thresholds' judgement, shared by the checks.

use gate_core::report::{Comparison, Finding, Report, Severity, Threshold, Verdict};

use crate::rules::CoverageRule;

pub fn at_least(v: f64) -> Threshold {
    Threshold::new(Comparison::AtLeast, v)
}

/// A `coverage-below-minimum` error when `value` is under `min`: a failed
/// threshold is an error finding too, so it is counted and annotated.
pub fn below_minimum(r: &mut Report, metric: &str, value: f64, min: f64, message: String) {
    if at_least(min).judge(value) == Verdict::Fail {
        r.findings.push(
            Finding::new(CoverageRule::CoverageBelowMinimum, Severity::Error, message)
                .with_key(metric),
        );
    }
}

/// The first 12 characters of a commit SHA, for messages.
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
