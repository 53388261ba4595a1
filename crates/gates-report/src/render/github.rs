//! GitHub workflow commands: annotations for a report's findings.

use crate::escape;
use crate::report::{Finding, Report, Severity};

/// GitHub shows at most this many annotations of each level per step.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;

/// One annotation per line, worst first, capped as GitHub displays them.
pub fn render(report: &Report) -> String {
    let mut s = annotations(report).join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

fn annotation(f: &Finding, gate: &str) -> String {
    let mut props: Vec<(&str, String)> = Vec::new();
    if let Some(loc) = &f.location {
        props.push(("file", loc.path.clone()));
        if let Some(s) = loc.start_line {
            props.push(("line", s.to_string()));
        }
        if let Some(e) = loc.end_line {
            props.push(("endLine", e.to_string()));
        }
    }
    props.push(("title", format!("gate-{gate}: {}", f.rule)));
    escape::command(level(f.severity), &props, &f.message)
}

/// Workflow-command lines for a report's findings: worst first, at most 10
/// errors, 10 warnings and 10 notices (GitHub's per-step display limit), and
/// one notice saying how many more there are and where to find them.
pub fn annotations(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    let mut shown = [0usize; 3];
    let mut hidden = 0usize;
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| a.canonical_cmp(b));
    for f in findings {
        let slot = match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Note => 2,
        };
        // Keep one notice slot for the overflow note.
        let cap = if slot == 2 {
            ANNOTATIONS_PER_LEVEL - 1
        } else {
            ANNOTATIONS_PER_LEVEL
        };
        if shown[slot] < cap {
            shown[slot] += 1;
            lines.push(annotation(f, &report.gate));
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        lines.push(escape::command(
            "notice",
            &[("title", format!("gate-{}: more findings", report.gate))],
            &format!(
                "{hidden} more finding(s) are not shown as annotations (GitHub shows {ANNOTATIONS_PER_LEVEL} per level per step); see the job summary or the check run gates/{}.",
                report.gate
            ),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escape::runner_model::parse_output;
    use crate::report::Location;

    #[test]
    fn annotations_cap_per_level_and_note_the_rest() {
        let mut r = Report::new("coverage");
        for i in 0..25 {
            r.findings.push(
                Finding::new(
                    crate::report::testing::T::UncoveredChangedLines,
                    Severity::Error,
                    format!("e{i}"),
                )
                .at(Location::lines(format!("src/f{i:02}.rs"), 1, 2)),
            );
        }
        for i in 0..3 {
            r.findings.push(Finding::new(
                crate::report::testing::T::W,
                Severity::Warning,
                format!("w{i}"),
            ));
        }
        let r = r.finish();
        let lines = annotations(&r);
        let cmds = parse_output(&lines.join("\n"));
        assert_eq!(cmds.iter().filter(|c| c.command == "error").count(), 10);
        assert_eq!(cmds.iter().filter(|c| c.command == "warning").count(), 3);
        let notice = cmds.iter().find(|c| c.command == "notice").unwrap();
        assert!(
            notice.data.starts_with("15 more finding(s)"),
            "{}",
            notice.data
        );
        let first = &cmds[0];
        assert_eq!(first.properties[0], ("file".into(), "src/f00.rs".into()));
        assert_eq!(first.properties[1], ("line".into(), "1".into()));
        assert_eq!(first.properties[2], ("endLine".into(), "2".into()));
    }

    #[test]
    fn hostile_file_names_stay_inside_the_annotation() {
        let mut r = Report::new("audit");
        r.findings.push(
            Finding::new(
                crate::report::testing::T::X,
                Severity::Error,
                "::set-output name=a::b\n##[error]c",
            )
            .at(Location::lines("a,b:c\n::add-mask::d", 3, 3)),
        );
        let lines = annotations(&r.finish());
        let cmds = parse_output(&lines.join("\n"));
        assert_eq!(cmds.len(), 1);
        assert_eq!(cmds[0].command, "error");
        assert_eq!(
            cmds[0].properties[0].1.replace(escape::ZWSP, ""),
            "a,b:c\n::add-mask::d"
        );
    }
}
