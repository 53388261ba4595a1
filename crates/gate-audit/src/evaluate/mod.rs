//! The pure `evaluate`: one function per check, each writing its findings
//! into the report and its counts into a [`Tally`], called in the order of
//! the report (hits, ignores, yanked status, crate names, unchecked
//! entries), then the metrics, the chart, the summary and the details.

mod describe;
mod hits;
mod ignores;
mod notes;
mod summary;
mod tally;

use gate_core::report::Report;

use crate::collect::AuditInput;
use crate::config::AuditConfig;
use crate::rules::GATE_ID;

pub use describe::security_score;
use tally::Tally;

/// Evaluates collected input (used by tests and benchmarks).
pub fn evaluate(input: &AuditInput, config: &AuditConfig) -> Report {
    let mut r = Report::new(GATE_ID);
    let mut t = Tally::default();
    let used = hits::check_hits(input, config, &mut r, &mut t);
    ignores::check_ignores(input, &used, &mut r);
    notes::yanked_unknown(input, &mut r);
    notes::invalid_names(input, &mut r);
    let checked = notes::unchecked_entries(input, config, &mut r);
    r.checked = checked;
    summary::metrics(input, &t, checked, &mut r);
    summary::chart(&t, &mut r);
    summary::summary_line(input, &t, checked, &mut r);
    summary::details(input, t.groups, &mut r);
    r.finish()
}
