//! GitHub-flavoured Markdown: the job summary and the check run's summary.

use std::fmt::Write;

use crate::github::escape::neutralize;
use crate::report::{Chart, Report, SeriesKind, Severity, Verdict};

/// Tables longer than this are folded in `<details>`.
const FOLD_ROWS: usize = 15;
/// At most this many finding rows; the rest are counted.
const MAX_ROWS: usize = 500;

/// Escapes untrusted text for a table cell: no HTML, no pipes, one line.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in neutralize(text).chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("&#96;"),
            '*' | '_' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

fn icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅",
        Verdict::Warn => "⚠️",
        Verdict::Fail => "❌",
    }
}

fn severity_icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🔴 error",
        Severity::Warning => "🟡 warning",
        Severity::Note => "🔵 note",
    }
}

/// A mermaid-safe label: no quotes or brackets.
fn label(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '[' | ']' | '`' | '<' | '>' | '\n' | '\r' | ',' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn number(v: f64) -> String {
    if v.is_finite() {
        crate::report::format_number(v)
    } else {
        "0".into()
    }
}

/// A chart as a mermaid `xychart-beta` block (GitHub renders it).
pub fn chart(c: &Chart) -> String {
    let mut s = String::from("```mermaid\nxychart-beta\n");
    let _ = writeln!(s, "    title \"{}\"", label(&c.title));
    let xs: Vec<String> = c.x.iter().map(|x| format!("\"{}\"", label(x))).collect();
    let _ = writeln!(
        s,
        "    x-axis \"{}\" [{}]",
        label(&c.x_label),
        xs.join(", ")
    );
    let max = c
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let top = match c.y_max {
        Some(y) if y.is_finite() && y > 0.0 => y.max(max),
        _ if max <= 0.0 => 1.0,
        _ => (max * 1.1).ceil(),
    };
    let _ = writeln!(
        s,
        "    y-axis \"{}\" 0 --> {}",
        label(&c.y_label),
        number(top)
    );
    for series in &c.series {
        let kind = match series.kind {
            SeriesKind::Bar => "bar",
            SeriesKind::Line => "line",
        };
        let vals: Vec<String> = series.values.iter().map(|v| number(*v)).collect();
        let _ = writeln!(s, "    {kind} [{}]", vals.join(", "));
    }
    s.push_str("```\n");
    s
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} gate-{}: {}\n",
        icon(report.verdict),
        report.gate,
        report.verdict
    );
    if !report.summary.is_empty() {
        let _ = writeln!(out, "{}\n", cell(&report.summary));
    }
    if !report.metrics.is_empty() {
        out.push_str("| Metric | Value | Threshold | |\n|---|---:|---|---|\n");
        for m in &report.metrics {
            let thresholds = m
                .thresholds
                .iter()
                .map(|t| {
                    let v = crate::report::format_with_unit(t.value, &m.unit);
                    if t.on_breach == Verdict::Warn {
                        format!("warn unless {} {v}", t.op.symbol())
                    } else {
                        format!("{} {v}", t.op.symbol())
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mark = if m.thresholds.is_empty() {
                ""
            } else {
                icon(m.verdict)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                m.name,
                m.display_value(),
                cell(&thresholds),
                mark
            );
        }
        out.push('\n');
    }
    for c in &report.charts {
        out.push_str(&chart(c));
        out.push('\n');
    }
    if !report.findings.is_empty() {
        let (e, w, n) = report.counts();
        let title = format!("{e} error(s), {w} warning(s), {n} note(s)");
        let fold = report.findings.len() > FOLD_ROWS;
        if fold {
            let _ = writeln!(out, "<details><summary>Findings: {title}</summary>\n");
        } else {
            let _ = writeln!(out, "**Findings:** {title}\n");
        }
        out.push_str("| Severity | Rule | Location | Message |\n|---|---|---|---|\n");
        for f in report.findings.iter().take(MAX_ROWS) {
            let loc = f
                .location
                .as_ref()
                .map(|l| format!("`{}`", cell(&l.to_string()).replace("&#96;", "'")))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                severity_icon(f.severity),
                f.rule,
                loc,
                cell(&f.message)
            );
        }
        if report.findings.len() > MAX_ROWS {
            let _ = writeln!(
                out,
                "\n… and {} more; the JSON report has them all.",
                report.findings.len() - MAX_ROWS
            );
        }
        if fold {
            out.push_str("\n</details>\n");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "<sub>gates {} · report schema v{}</sub>",
        report.tool_version, report.schema_version
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        let c = cell("a|b\n<script>x</script> `c` ::set-output");
        assert!(!c.contains('|') || c.contains("\\|"));
        assert!(!c.contains("<script") && !c.contains('\n') && !c.contains('`'));
        assert!(!c.contains("::s"));
    }
}
