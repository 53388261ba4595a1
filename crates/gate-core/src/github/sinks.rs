//! The runner's files and log: step outputs, the job summary, annotations.

use std::io::Write;
use std::path::Path;

use crate::error::{GateError, Result};
use crate::github::escape;
use crate::report::{Finding, Report, Severity};

/// GitHub shows at most this many annotations of each level per step.
pub const ANNOTATIONS_PER_LEVEL: usize = 10;

/// GitHub rejects a step summary over 1 MiB; we stay under it with margin.
pub const SUMMARY_LIMIT: usize = 1024 * 1024 - 4096;

/// A fresh heredoc delimiter: `ghadelimiter_` and 128 random bits.
pub fn random_delimiter() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| GateError::Internal(format!("no randomness for a delimiter: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("ghadelimiter_{hex}"))
}

/// Formats one step output as a heredoc block. Refuses a name that is not a
/// plain identifier and a value that contains the delimiter.
pub fn format_output(name: &str, value: &str, delimiter: &str) -> Result<String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(GateError::Internal(format!(
            "bad step output name `{name}`"
        )));
    }
    if value.contains(delimiter) || name.contains(delimiter) {
        return Err(GateError::Input(format!(
            "step output `{name}` contains the heredoc delimiter; refusing to write it"
        )));
    }
    Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
}

/// Appends step outputs to `$GITHUB_OUTPUT`.
pub fn write_outputs(file: &Path, outputs: &[(String, String)]) -> Result<()> {
    let mut text = String::new();
    for (name, value) in outputs {
        let delimiter = random_delimiter()?;
        text.push_str(&format_output(name, value, &delimiter)?);
    }
    append(file, &text)
}

fn append(file: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(|e| GateError::write(file, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| GateError::write(file, e))
}

/// Cuts `markdown` to fit in `budget` bytes, on a line boundary, with a note.
pub fn fit_summary(markdown: &str, budget: usize) -> String {
    if markdown.len() <= budget {
        return markdown.to_string();
    }
    let note = "\n\n> [!WARNING]\n> This summary was truncated to fit GitHub's 1 MiB limit; the full report is in the JSON output and the check run.\n";
    let keep = budget.saturating_sub(note.len());
    let mut cut = keep.min(markdown.len());
    while cut > 0 && !markdown.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &markdown[..cut];
    let head = match head.rfind('\n') {
        Some(i) => &head[..i],
        None => head,
    };
    // Close a <details> block left open by the cut.
    let opened = head.matches("<details>").count();
    let closed = head.matches("</details>").count();
    let mut out = head.to_string();
    for _ in closed..opened {
        out.push_str("\n</details>");
    }
    out.push_str(note);
    out
}

/// Appends `markdown` to `$GITHUB_STEP_SUMMARY`, keeping the file under 1 MiB.
pub fn append_summary(file: &Path, markdown: &str) -> Result<()> {
    let existing = std::fs::metadata(file)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    let budget = SUMMARY_LIMIT.saturating_sub(existing);
    if budget < 256 {
        return Ok(());
    }
    let mut text = fit_summary(markdown, budget);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    append(file, &text)
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
    use crate::github::escape::runner_model::parse_output;
    use crate::report::Location;

    #[test]
    fn heredoc_refuses_delimiter_in_value() {
        let d = random_delimiter().unwrap();
        assert_eq!(d.len(), "ghadelimiter_".len() + 32);
        assert_ne!(d, random_delimiter().unwrap());
        let ok = format_output("total", "a\nb", &d).unwrap();
        assert_eq!(ok, format!("total<<{d}\na\nb\n{d}\n"));
        assert!(format_output("total", &format!("x\n{d}\ny=1"), &d).is_err());
        assert!(format_output("bad name", "x", &d).is_err());
    }

    #[test]
    fn outputs_parse_back_like_the_runner() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("out");
        let evil = "multi\nline\nEOF\nverdict<<X".to_string();
        write_outputs(
            &f,
            &[
                ("verdict".into(), "pass".into()),
                ("msg".into(), evil.clone()),
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        // Runner's reading: NAME<<DELIM, then lines until DELIM.
        let mut lines = text.lines();
        let mut got = Vec::new();
        while let Some(header) = lines.next() {
            let (name, delim) = header.split_once("<<").unwrap();
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            got.push((name.to_string(), value.join("\n")));
        }
        assert_eq!(
            got,
            vec![("verdict".into(), "pass".into()), ("msg".into(), evil)]
        );
    }

    #[test]
    fn summary_is_cut_under_the_limit_with_details_closed() {
        let mut md = String::from("# head\n<details>\n\n");
        for i in 0..100_000 {
            md.push_str(&format!("| row {i} | x |\n"));
        }
        let out = fit_summary(&md, 10_000);
        assert!(out.len() <= 10_000, "{}", out.len());
        assert!(out.contains("truncated"));
        assert_eq!(
            out.matches("<details>").count(),
            out.matches("</details>").count()
        );
        assert_eq!(fit_summary("small", 100), "small");
    }

    #[test]
    fn append_summary_respects_existing_content() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("summary");
        std::fs::write(&f, "x".repeat(SUMMARY_LIMIT - 1000)).unwrap();
        append_summary(&f, &"y\n".repeat(5000)).unwrap();
        assert!(std::fs::metadata(&f).unwrap().len() as usize <= SUMMARY_LIMIT);
    }

    #[test]
    fn annotations_cap_per_level_and_note_the_rest() {
        let mut r = Report::new("coverage");
        for i in 0..25 {
            r.findings.push(
                Finding::new("uncovered-changed-lines", Severity::Error, format!("e{i}"))
                    .at(Location::lines(format!("src/f{i:02}.rs"), 1, 2)),
            );
        }
        for i in 0..3 {
            r.findings
                .push(Finding::new("w", Severity::Warning, format!("w{i}")));
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
            Finding::new("x", Severity::Error, "::set-output name=a::b\n##[error]c")
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
