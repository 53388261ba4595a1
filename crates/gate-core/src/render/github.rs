//! GitHub workflow commands: annotations for a report's findings.

use crate::report::Report;

/// One annotation per line, worst first, capped as GitHub displays them.
pub fn render(report: &Report) -> String {
    let mut s = crate::github::sinks::annotations(report).join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}
