//! Diff coverage: the figure (gates' own or diff-cover's) against
//! `min-diff`, the uncovered changed lines and the changed files no report
//! measures.

use gate_core::report::{Finding, Location, Metric, Report, Severity};

use super::threshold::{at_least, below_minimum};
use crate::collect::CoverageInput;
use crate::compat::DcReport;
use crate::compute::DiffCoverage;
use crate::config::{AbsentPolicy, CoverageConfig};
use crate::rules::CoverageRule;

/// Diff coverage of one file, as the figures count it.
struct FileFigures {
    path: String,
    covered: u64,
    measured: u64,
    percent: f64,
    uncovered: Vec<(u32, u32)>,
    in_report: bool,
}

/// The one set of diff figures the headline, the metrics and the findings
/// show: gates' own, or diff-cover's in compat mode.
struct DiffFigures {
    value: f64,
    covered: u64,
    measured: u64,
    /// Whether the diff threshold applies (`minimum-changed-lines`).
    applies: bool,
    compat: bool,
    files: Vec<FileFigures>,
}

impl DiffFigures {
    fn new(d: &DiffCoverage, compat: Option<&DcReport>, config: &CoverageConfig) -> Self {
        match compat {
            #[allow(clippy::cast_precision_loss)]
            Some(dc) => DiffFigures {
                value: dc.total_percent_covered as f64,
                covered: dc.total_num_lines - dc.total_num_violations,
                measured: dc.total_num_lines,
                applies: dc.total_num_lines >= config.minimum_changed_lines,
                compat: true,
                files: dc
                    .src_stats
                    .iter()
                    .map(|(path, f)| FileFigures {
                        path: path.clone(),
                        covered: f.covered_lines.len() as u64,
                        measured: (f.covered_lines.len() + f.violation_lines.len()) as u64,
                        percent: f.percent_covered,
                        uncovered: crate::compute::ranges(&f.violation_lines),
                        in_report: true,
                    })
                    .collect(),
            },
            None => DiffFigures {
                value: d.value(),
                covered: d.covered,
                measured: d.measured,
                applies: !d.below_minimum(config.minimum_changed_lines),
                compat: false,
                files: d
                    .files
                    .iter()
                    .map(|f| FileFigures {
                        path: f.path.clone(),
                        covered: f.covered,
                        measured: f.measured,
                        percent: crate::model::percent(f.covered, f.measured).unwrap_or(100.0),
                        uncovered: f.uncovered.clone(),
                        in_report: f.in_report,
                    })
                    .collect(),
            },
        }
    }
}

/// Every diff check, in the report's order, and the summary's diff part.
pub fn check(r: &mut Report, d: &DiffCoverage, input: &CoverageInput, config: &CoverageConfig) {
    let fig = DiffFigures::new(d, input.compat.as_ref(), config);
    threshold(r, &fig, config);
    uncovered_lines(r, &fig);
    absent_files(r, d, &fig, config);
    summary(r, d, &fig, input, config);
}

/// `diff-coverage` against `min-diff` when enough changed lines are
/// measured (else a `diff-too-small` note), and `changed-lines-measured`.
fn threshold(r: &mut Report, fig: &DiffFigures, config: &CoverageConfig) {
    let mut m = Metric::info("diff-coverage", fig.value, "%");
    if let Some(t) = config.diff.map(|p| p.get()) {
        if fig.applies {
            m = m.with_threshold(at_least(t));
            below_minimum(
                r,
                "diff-coverage",
                fig.value,
                t,
                format!(
                    "diff coverage {:.2}% ({}/{} changed lines{}) is below the minimum {t}%",
                    fig.value,
                    fig.covered,
                    fig.measured,
                    if fig.compat {
                        ", diff-cover's figure"
                    } else {
                        ""
                    }
                ),
            );
        } else {
            r.findings.push(Finding::new(
                CoverageRule::DiffTooSmall,
                Severity::Note,
                format!(
                    "{} measured changed line(s), fewer than minimum-changed-lines ({}): the diff threshold is not applied",
                    fig.measured, config.minimum_changed_lines
                ),
            ));
        }
    }
    r.metrics.push(m);
    #[allow(clippy::cast_precision_loss)]
    r.metrics.push(Metric::info(
        "changed-lines-measured",
        fig.measured as f64,
        "count",
    ));
}

/// `uncovered-changed-lines`: one warning per uncovered range of a file a
/// report measures.
fn uncovered_lines(r: &mut Report, fig: &DiffFigures) {
    for f in fig.files.iter().filter(|f| f.in_report) {
        for &(s, e) in &f.uncovered {
            let what = if s == e {
                format!("line {s}")
            } else {
                format!("lines {s}-{e}")
            };
            r.findings.push(
                Finding::new(
                    CoverageRule::UncoveredChangedLines,
                    Severity::Warning,
                    format!(
                        "changed {what} not covered by tests (this file: {}/{} measured changed lines covered, {:.2}%)",
                        f.covered, f.measured, f.percent
                    ),
                )
                .at(Location::lines(f.path.clone(), s, e)),
            );
        }
    }
}

/// `changed-file-not-in-report`: a warning per changed source file no
/// report measures, saying whether its lines count.
fn absent_files(r: &mut Report, d: &DiffCoverage, fig: &DiffFigures, config: &CoverageConfig) {
    for a in &d.absent_files {
        let counted = if fig.compat {
            "not counted (diff-cover leaves out files no report mentions)"
        } else if config.absent_files == AbsentPolicy::Uncovered {
            "counted as uncovered"
        } else {
            "not counted (absent-files: ignore)"
        };
        r.findings.push(
            Finding::new(
                CoverageRule::ChangedFileNotInReport,
                Severity::Warning,
                format!(
                    "changed, but no coverage report measures this file: its {} changed code line(s) ({}) are {counted}",
                    a.lines,
                    a.ranges
                        .iter()
                        .map(|&(s, e)| if s == e { s.to_string() } else { format!("{s}-{e}") })
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .at(Location::file(a.path.clone())),
        );
    }
}

/// The summary's diff part: the figure, its source, and the unmeasured lines.
fn summary(
    r: &mut Report,
    d: &DiffCoverage,
    fig: &DiffFigures,
    input: &CoverageInput,
    config: &CoverageConfig,
) {
    r.summary.push_str(&format!(
        ", diff coverage {:.2}% ({}/{} changed lines{}, {})",
        fig.value,
        fig.covered,
        fig.measured,
        if fig.compat {
            ", diff-cover's figure"
        } else {
            ""
        },
        input.diff_source
    ));
    if d.unmeasured > 0 {
        let files = d.absent_files.len();
        if fig.compat || config.absent_files == AbsentPolicy::Ignore {
            r.summary.push_str(&format!(
                "; {} changed line(s) in {files} file(s) no report measures are not counted",
                d.unmeasured
            ));
        } else {
            r.summary.push_str(&format!(
                "; {} of them in {files} file(s) no report measures",
                d.unmeasured
            ));
        }
    }
}
