//! `max-drop`: total line coverage versus the base commit's recorded report.

use gate_core::report::{Finding, Metric, Report, Severity};

use super::threshold::{at_least, short};
use crate::collect::{BaselineState, CoverageInput};
use crate::config::CoverageConfig;
use crate::rules::CoverageRule;

/// The drop check: metrics and a `coverage-dropped` error when the base's
/// report is found, a `baseline-missing` note when it is not.
pub fn check(r: &mut Report, input: &CoverageInput, config: &CoverageConfig, line: f64) {
    let Some(max_drop) = config.max_drop.map(|p| p.get()) else {
        return;
    };
    let skipped = |why: String| {
        Finding::new(
            CoverageRule::BaselineMissing,
            Severity::Note,
            format!("max-drop: {why}; the drop check is skipped, not guessed"),
        )
    };
    match &input.baseline {
        BaselineState::NotRequested => {}
        BaselineState::NoBase => r.findings.push(skipped(
            "no base commit is known (no --base, no pull request base, no origin/main)".into(),
        )),
        BaselineState::Missing { tried } => {
            let list: Vec<&str> = tried.iter().map(|c| short(c)).collect();
            r.findings.push(skipped(format!(
                "no coverage report is recorded for the base ({}) in the {} ledger; run the gate on the base branch too so it records one",
                list.join(", "),
                input.ledger
            )));
        }
        BaselineState::NoMetric { commit } => r.findings.push(skipped(format!(
            "the report recorded for {} has no line-coverage metric",
            short(commit)
        ))),
        BaselineState::Found {
            commit,
            line_coverage,
            ..
        } => {
            // Rounded to 1e-9 so float noise never decides a tie.
            let change = ((line - line_coverage) * 1e9).round() / 1e9;
            r.metrics
                .push(Metric::info("base-line-coverage", *line_coverage, "%"));
            r.metrics.push(
                Metric::info("line-coverage-change", change, "pp")
                    .with_threshold(at_least(-max_drop)),
            );
            if change < -max_drop {
                r.findings.push(Finding::new(
                    CoverageRule::CoverageDropped,
                    Severity::Error,
                    format!(
                        "total line coverage dropped {:.2} points, from {line_coverage:.2}% on the base {} to {line:.2}%; at most {max_drop} allowed (max-drop)",
                        -change,
                        short(commit)
                    ),
                ));
            }
            r.summary.push_str(&format!(
                ", {change:+.2} pp versus {} ({line_coverage:.2}%)",
                short(commit)
            ));
        }
    }
}
