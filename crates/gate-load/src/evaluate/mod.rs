//! The pure evaluation of a result against thresholds: metrics and
//! threshold findings per scope, then the findings that explain the run,
//! the charts, the summary and the details.

pub mod baseline;
mod charts;
mod notes;
mod summary;
mod thresholds;

use gate_core::Report;

use crate::collect::LoadInput;

pub use thresholds::slug;

/// The pure evaluation of a result against thresholds.
pub fn evaluate(input: &LoadInput) -> Report {
    let r = &input.result;
    let mut report = Report::new("load");
    report.checked = r.overall.requests;
    thresholds::scopes(&mut report, input);
    thresholds::missing_endpoints(&mut report, input);
    notes::request_errors(&mut report, r);
    notes::run_notes(&mut report, r);
    charts::charts(&mut report, r);
    let versus = baseline::compare(&mut report, r, &input.baseline);
    report.summary = summary::summary_line(input);
    report.details = summary::details(input);
    if let Some((line, details)) = versus {
        report.summary.push_str(&format!("; {line}"));
        if let Some(obj) = report.details.as_object_mut() {
            obj.insert("baseline".into(), details);
        }
    }
    report.finish()
}
