//! Total line and branch coverage, and how many report files matched.

use gate_core::report::{Finding, Metric, Report, Severity};

use super::threshold::{at_least, below_minimum};
use crate::collect::CoverageInput;
use crate::config::CoverageConfig;
use crate::rules::CoverageRule;

/// `line-coverage` against `min-total`.
pub fn line(r: &mut Report, input: &CoverageInput, config: &CoverageConfig, line: f64) {
    let mut m = Metric::info("line-coverage", line, "%");
    if let Some(t) = config.total.map(|p| p.get()) {
        m = m.with_threshold(at_least(t));
        below_minimum(
            r,
            "line-coverage",
            line,
            t,
            format!(
                "total line coverage {line:.2}% ({}/{} lines) is below the minimum {t}% (min-total)",
                input.totals.lines_covered, input.totals.lines_measured
            ),
        );
    }
    r.metrics.push(m);
}

/// `branch-coverage` against `min-branch`, when the reports count branches.
pub fn branch(r: &mut Report, input: &CoverageInput, config: &CoverageConfig) {
    let Some(b) = input.totals.branch_percent() else {
        return;
    };
    let mut m = Metric::info("branch-coverage", b, "%");
    if let Some(t) = config.branch.map(|p| p.get()) {
        m = m.with_threshold(at_least(t));
        below_minimum(
            r,
            "branch-coverage",
            b,
            t,
            format!(
                "total branch coverage {b:.2}% ({}/{} branches) is below the minimum {t}% (min-branch)",
                input.totals.branches_covered, input.totals.branches_total
            ),
        );
    }
    r.metrics.push(m);
}

/// `lines-measured`, and `report-files-matched` against `min-matched-files`.
pub fn matched_files(r: &mut Report, input: &CoverageInput, config: &CoverageConfig) {
    #[allow(clippy::cast_precision_loss)]
    r.metrics.push(Metric::info(
        "lines-measured",
        input.totals.lines_measured as f64,
        "count",
    ));
    r.metrics.push(
        Metric::info("report-files-matched", input.matches.matched_percent(), "%")
            .with_threshold(at_least(config.min_matched_files.get())),
    );
    if input.matches.matched_percent() < config.min_matched_files.get()
        || input.matches.matched == 0
    {
        let examples = input.matches.unmatched_examples.join(", ");
        r.findings.push(Finding::new(
            CoverageRule::ReportPathsUnmatched,
            Severity::Error,
            format!(
                "only {} of {} report files match files tracked in the repository; unmatched, e.g.: {examples}. Use --path-map FROM=TO",
                input.matches.matched, input.matches.report_files
            ),
        ));
    }
}
