//! The job summary's breakdown: input → metric → sub-score → weight →
//! contribution, one row per scored input (from the report's `details`, so
//! it shows exactly what was decided).

use std::fmt::Write as _;

use gate_core::render::markdown::cell;
use gate_core::report::{Report, format_number, format_with_unit};
use serde_json::Value;

/// The breakdown table as Markdown; empty when nothing was scored.
pub fn breakdown(report: &Report) -> String {
    let Some(rows) = report.details.get("inputs").and_then(Value::as_array) else {
        return String::new();
    };
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "#### gate-score: how the score was made\n\n| Input | Category | Metric | Value | Sub-score | Weight | Contribution |\n|---|---|---|---:|---:|---:|---:|\n",
    );
    let text = |r: &Value, k: &str| cell(r.get(k).and_then(Value::as_str).unwrap_or_default());
    let number = |r: &Value, k: &str| r.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    for r in rows {
        let value = format_with_unit(
            number(r, "value"),
            r.get("unit").and_then(Value::as_str).unwrap_or(""),
        );
        let _ = writeln!(
            out,
            "| gate-{} | {} | `{}` | {} | {} | {} | {} |",
            text(r, "gate"),
            text(r, "category"),
            text(r, "metric"),
            cell(&value),
            format_number(number(r, "sub_score")),
            format_number(number(r, "weight")),
            format_number(number(r, "contribution")),
        );
    }
    if let Some(s) = report.details.get("score").and_then(Value::as_f64) {
        let _ = writeln!(out, "| **overall** | | | | | | **{}** |", format_number(s));
    }
    out.push('\n');
    out
}
