//! The pure judgement: one function per check, each writing into the
//! report. No I/O, no clock: the same input gives the same report.

mod cases;
mod files;

use gate_core::Report;

use crate::collect::TestsInput;
use crate::config::TestsConfig;

/// Judges what `collect` gathered (the runner finishes the report).
pub fn evaluate(input: &TestsInput, config: &TestsConfig) -> Report {
    let mut report = Report::new("tests");
    report.checked = input.files.len() as u64;
    files::missing(input, &mut report);
    files::too_large(input, config, &mut report);
    let all = || input.files.iter().flat_map(|f| f.cases.iter());
    for f in &input.files {
        cases::failures(&f.path, &f.cases, config, &mut report);
    }
    let c = cases::Counts::of(all());
    cases::totals(c, config, &mut report);
    report.checked = c.ran() + c.skipped;
    let slow = cases::slowest(all(), config.slowest.unwrap_or(5));
    report.summary = format!(
        "{} test(s) ran: {} passed, {} failed, {} flaky, {} skipped",
        c.ran(),
        c.passed,
        c.failed,
        c.flaky,
        c.skipped
    );
    report.details = serde_json::json!({
        "passed": c.passed,
        "failed": c.failed,
        "flaky": c.flaky,
        "skipped": c.skipped,
        "slowest": slow.iter().map(|(n, s)| serde_json::json!({"name": n, "seconds": s})).collect::<Vec<_>>(),
    });
    report
}
