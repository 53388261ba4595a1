//! The pure judgement: one function per check, each writing into the
//! report. No I/O, no clock: the same input gives the same report.

mod files;

use gate_core::Report;

use crate::collect::SarifInput;
use crate::config::SarifConfig;

/// Judges what `collect` gathered (the runner finishes the report).
pub fn evaluate(input: &SarifInput, config: &SarifConfig) -> Report {
    let mut report = Report::new("sarif");
    report.checked = input.files.len() as u64;
    files::missing(input, &mut report);
    files::too_large(input, config, &mut report);
    report.summary = format!("{} input(s) checked", input.files.len());
    report
}
