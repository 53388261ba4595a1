//! GitHub-flavoured Markdown: the job summary and the check run's summary.

use std::fmt::Write;

use crate::escape::neutralize;
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
    // Mermaid's xychart draws no legend: name the series below it.
    if c.series.len() > 1 {
        let names: Vec<String> = c
            .series
            .iter()
            .map(|se| {
                let kind = match se.kind {
                    SeriesKind::Bar => "bars",
                    SeriesKind::Line => "line",
                };
                format!("{} ({kind})", cell(&se.name))
            })
            .collect();
        let _ = writeln!(s, "\n*Series, in drawing order:* {}", names.join(", "));
    }
    s
}

/// A link to `uri` for people, when it is a plain https URL (the text is
/// from an advisory database: anything else is shown as text, or not at all).
fn link(text: &str, uri: Option<&str>) -> String {
    match uri {
        Some(u)
            if u.starts_with("https://")
                && u.len() <= 2048
                && !u.chars().any(|c| {
                    c.is_whitespace() || c.is_control() || "()<>[]`\"'\\|".contains(c)
                }) =>
        {
            format!("[{}]({u})", cell(text))
        }
        _ => cell(text),
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} gate-{}: {}\n",
        icon(report.verdict),
        cell(&report.gate),
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
                cell(&m.name),
                cell(&m.display_value()),
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
            // A finer rule (an advisory) links to where it is described.
            let rule = match &f.sarif_rule {
                Some(r) if r.id != f.rule => {
                    format!("`{}` {}", f.rule, link(&r.id, r.help_uri.as_deref()))
                }
                _ => format!("`{}`", f.rule),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                severity_icon(f.severity),
                rule,
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
    fn advisories_link_only_to_plain_https_urls() {
        use crate::report::{Finding, SarifRule, Severity};
        let mut r = Report::new("audit");
        r.checked = 1;
        for (id, uri) in [
            (
                "RUSTSEC-2020-0001",
                Some("https://rustsec.org/advisories/RUSTSEC-2020-0001.html"),
            ),
            ("GHSA-x", Some("javascript:alert(1)")),
            ("GHSA-y", Some("https://x/a)(b")),
            ("GHSA-z", None),
        ] {
            r.findings.push(
                Finding::new(
                    crate::report::testing::T::Vulnerability,
                    Severity::Error,
                    "m",
                )
                .with_sarif_rule(SarifRule {
                    id: id.into(),
                    summary: "s".into(),
                    help_uri: uri.map(String::from),
                }),
            );
        }
        let md = render(&r.finish());
        assert!(md.contains("`vulnerability` [RUSTSEC-2020-0001](https://rustsec.org/advisories/RUSTSEC-2020-0001.html)"), "{md}");
        assert!(
            !md.contains("javascript:") && !md.contains("](https://x/a)"),
            "{md}"
        );
        assert!(md.contains("`vulnerability` GHSA-z"), "{md}");
    }

    #[test]
    fn charts_with_several_series_name_them() {
        use crate::report::{Chart, Series};
        let c = Chart {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x: vec!["a".into()],
            series: vec![
                Series {
                    name: "p95 latency".into(),
                    kind: SeriesKind::Line,
                    values: vec![1.0],
                },
                Series {
                    name: "failed | probes".into(),
                    kind: SeriesKind::Bar,
                    values: vec![0.0],
                },
            ],
            y_max: None,
        };
        let md = chart(&c);
        assert!(
            md.contains("*Series, in drawing order:* p95 latency (line), failed \\| probes (bars)"),
            "{md}"
        );
    }

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        let c = cell("a|b\n<script>x</script> `c` ::set-output");
        assert!(!c.contains('|') || c.contains("\\|"));
        assert!(!c.contains("<script") && !c.contains('\n') && !c.contains('`'));
        assert!(!c.contains("::s"));
    }

    #[test]
    fn metric_names_and_units_from_a_foreign_report_stay_in_their_cell() {
        use crate::report::Metric;
        let mut r = Report::new("score");
        r.checked = 1;
        r.metrics.push(Metric::info(
            "a|b\n| injected | row | [x](https://evil) |",
            1.0,
            "ms|<b>",
        ));
        let md = render(&r.finish());
        let row = md
            .lines()
            .find(|l| l.starts_with("| a"))
            .unwrap_or_else(|| panic!("no metric row in {md}"));
        let unescaped_pipes = row
            .char_indices()
            .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
            .count();
        assert_eq!(unescaped_pipes, 5, "one row of four cells: {row}");
        assert!(
            !row.contains("<b>") && !row.contains("[x](https://evil)"),
            "{row}"
        );
        assert!(!md.contains("\n| injected"), "{md}");
    }
}
