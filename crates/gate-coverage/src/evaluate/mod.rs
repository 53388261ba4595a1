//! `evaluate`: the pure judgement of a [`CoverageInput`] against the
//! configuration. One function per check, each writing its metrics,
//! findings and summary part into the report, called in the order the
//! report lists them.

mod baseline;
mod details;
mod diff;
mod files;
mod groups;
mod threshold;
mod totals;

use gate_core::report::Report;

use crate::collect::CoverageInput;
use crate::config::{CoverageConfig, ID};

pub use files::WORST_FILES;
pub use groups::CHART_DIRECTORIES;

/// The report of the input: metrics, findings, charts, summary and details.
pub fn evaluate(input: &CoverageInput, config: &CoverageConfig) -> Report {
    let mut r = Report::new(ID);
    r.checked = input.matches.matched as u64;
    let line = input.totals.line_percent().unwrap_or(0.0);
    totals::line(&mut r, input, config, line);
    totals::branch(&mut r, input, config);
    totals::matched_files(&mut r, input, config);
    files::below_minimum(&mut r, input, config);
    groups::metrics(&mut r, input, config);
    if config.groups.is_empty() {
        groups::directory_chart(&mut r, input);
    }
    files::worst(&mut r, input);
    r.summary = format!(
        "line coverage {line:.2}% ({}/{} lines)",
        input.totals.lines_covered, input.totals.lines_measured
    );
    if let Some(d) = &input.diff {
        diff::check(&mut r, d, input, config);
    }
    baseline::check(&mut r, input, config, line);
    for n in &input.notes {
        r.summary.push_str(&format!("; {n}"));
    }
    r.details = details::details(input, config);
    r.finish()
}
