//! JSON report v1: the machine contract (`docs/report-v1.md`).

use crate::report::Report;

/// Pretty JSON with a trailing newline. Field order is fixed by the model and
/// findings are sorted, so the same report always gives the same bytes.
/// `::` and `##[` inside strings are written as JSON escapes (`:\u003a`,
/// `\u0023#[`): every JSON reader gets the same value back, and no line of
/// the text can start a workflow command where the runner reads it.
pub fn render(report: &Report) -> String {
    match serde_json::to_string_pretty(report).map(crate::escape::json_safe) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Serializing plain data cannot fail; keep the contract anyway.
        Err(e) => format!("{{\"schema_version\":1,\"error\":\"{e}\"}}\n"),
    }
}

/// Parses a JSON report, checking its schema version.
pub fn parse(text: &str) -> Result<Report, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    match v.get("schema_version").and_then(|s| s.as_u64()) {
        Some(1) => serde_json::from_value(v).map_err(|e| e.to_string()),
        Some(n) => Err(format!(
            "report schema_version {n} is not supported (this build reads 1)"
        )),
        None => Err("not a gates report: no schema_version".into()),
    }
}
