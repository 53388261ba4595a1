//! The pure judgement: one function per check, each writing into the
//! report. No I/O, no clock: the same input gives the same report.

mod files;
pub mod results;

use gate_core::Report;

use crate::collect::SarifInput;
use crate::config::SarifConfig;

/// Judges what `collect` gathered (the runner finishes the report).
pub fn evaluate(input: &SarifInput, config: &SarifConfig) -> Report {
    let mut report = Report::new("sarif");
    // A SARIF log with no results is a clean check, so `checked` counts the
    // logs read, not their results.
    report.checked = input.files.iter().filter(|f| f.parsed).count() as u64;
    files::missing(input, &mut report);
    files::too_large(input, config, &mut report);
    let judged = match &input.base {
        Some(base) => results::new_only(&input.results, base),
        None => input.results.iter().collect(),
    };
    results::results(&judged, config, &mut report);
    report.summary = format!(
        "{} SARIF file(s), {} result(s){}, {} reported",
        input.files.len(),
        input.results.len(),
        match &input.base {
            Some(_) => format!(" ({} new against the base)", judged.len()),
            None => String::new(),
        },
        report.findings.len()
    );
    report
}
