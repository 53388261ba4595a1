//! The step outputs of gate-deploy and gate-rollback, read back from the
//! report's details.

use gate_core::report::Report;

/// Step outputs: `live-slot`, `version`, `rolled-back`, `recovery-ms`.
pub fn outputs(report: &Report) -> Vec<(String, String)> {
    let d = &report.details;
    let live = d
        .get("live")
        .or_else(|| d.pointer("/state/live"))
        .filter(|v| !v.is_null());
    let mut out = vec![
        (
            "live-slot".to_string(),
            live.and_then(|l| l.get("slot"))
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_string(),
        ),
        (
            "version".to_string(),
            live.and_then(|l| l.get("release"))
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_string(),
        ),
        (
            "rolled-back".to_string(),
            (d.get("result").and_then(|r| r.as_str()) == Some("rolled-back")).to_string(),
        ),
    ];
    let recovery = d
        .pointer("/timings/recovery_ms")
        .and_then(|v| v.as_f64())
        .map(|v| format!("{}", v.round() as i64))
        .unwrap_or_default();
    out.push(("recovery-ms".to_string(), recovery));
    out
}
