//! Plain text for people. Colour only when asked (a terminal without `NO_COLOR`).

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use crate::escape::sanitize;
use crate::render::RenderOptions;
use crate::report::{Report, Severity, Verdict};

/// Findings shown before "... and N more" unless verbose.
const MAX_FINDINGS: usize = 50;

fn paint(text: &str, style: Style, color: bool) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

fn verdict_style(v: Verdict) -> Style {
    match v {
        Verdict::Pass => AnsiColor::Green.on_default().bold(),
        Verdict::Warn => AnsiColor::Yellow.on_default().bold(),
        Verdict::Fail => AnsiColor::Red.on_default().bold(),
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => AnsiColor::Red.on_default(),
        Severity::Warning => AnsiColor::Yellow.on_default(),
        Severity::Note => AnsiColor::Cyan.on_default(),
    }
}

/// One line of untrusted text, safe for a terminal (and, through `out`'s
/// guard, for the runner's log).
fn one_line(text: &str) -> String {
    sanitize(text).replace(['\r', '\n'], " ")
}

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let c = opts.color;
    let mut out = String::new();
    let verdict = report.verdict.as_str().to_ascii_uppercase();
    let _ = writeln!(
        out,
        "{} {} {}",
        paint(&format!("gate-{}", report.gate), Style::new().bold(), c),
        paint(&verdict, verdict_style(report.verdict), c),
        one_line(&report.summary)
    );
    if !report.metrics.is_empty() {
        let name_w = report
            .metrics
            .iter()
            .map(|m| m.name.len())
            .max()
            .unwrap_or(0);
        let values: Vec<String> = report.metrics.iter().map(|m| m.display_value()).collect();
        let value_w = values.iter().map(String::len).max().unwrap_or(0);
        for (m, value) in report.metrics.iter().zip(&values) {
            let threshold = m
                .thresholds
                .iter()
                .map(|t| {
                    let limit = crate::report::format_with_unit(t.value, &m.unit);
                    if t.on_breach == Verdict::Warn {
                        format!("warn unless {} {limit}", t.op.symbol())
                    } else {
                        format!("{} {limit}", t.op.symbol())
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mark = match m.verdict {
                Verdict::Pass if m.thresholds.is_empty() => String::new(),
                v => paint(v.as_str(), verdict_style(v), c),
            };
            let line = format!(
                "  {:<name_w$}  {:>value_w$}  {:<18} {}",
                m.name, value, threshold, mark
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    let shown = if opts.verbose {
        usize::MAX
    } else {
        MAX_FINDINGS
    };
    for f in report.findings.iter().take(shown) {
        let loc = f
            .location
            .as_ref()
            .map(|l| format!(" {}", one_line(&l.to_string())))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {}{}: {}",
            paint(
                &format!("{:<7}", f.severity.as_str()),
                severity_style(f.severity),
                c
            ),
            f.rule,
            loc,
            one_line(&f.message)
        );
    }
    if report.findings.len() > shown {
        let _ = writeln!(
            out,
            "  ... and {} more (use --format json or --verbose for all)",
            report.findings.len() - shown
        );
    }
    let (e, w, n) = report.counts();
    if e + w + n > 0 {
        let _ = writeln!(out, "  {e} error(s), {w} warning(s), {n} note(s)");
    }
    out
}

/// Whether human output should be coloured: a terminal, and `NO_COLOR` unset
/// or empty (<https://no-color.org>). `CLICOLOR_FORCE` forces colour.
pub fn want_color(is_tty: bool, get: &dyn Fn(&str) -> Option<String>) -> bool {
    if get("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if get("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    is_tty && get("TERM").as_deref() != Some("dumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins() {
        let env = |k: &str| (k == "NO_COLOR").then(|| "1".to_string());
        assert!(!want_color(true, &env));
        let none = |_: &str| None;
        assert!(want_color(true, &none));
        assert!(!want_color(false, &none));
        let force = |k: &str| (k == "CLICOLOR_FORCE").then(|| "1".to_string());
        assert!(want_color(false, &force));
    }
}
