//! The step outputs of a run, read from its report.

use gate_core::report::{Report, format_number};

/// `sbom-path`, `sbom-sha256`, `sbom-xml-path` (one line per SBOM),
/// `subjects-path`, `provenance-path` and `components`.
pub fn outputs(report: &Report) -> Vec<(String, String)> {
    let d = &report.details;
    let list = |k: &str| -> String {
        d.get("sboms")
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.get(k).and_then(|v| v.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    let str_of = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let components = report
        .metric("components")
        .map(|m| format_number(m.value))
        .unwrap_or_default();
    vec![
        ("sbom-path".into(), list("path")),
        ("sbom-sha256".into(), list("sha256")),
        ("sbom-xml-path".into(), list("xml_path")),
        ("subjects-path".into(), str_of("subjects_path")),
        ("provenance-path".into(), str_of("provenance_path")),
        ("components".into(), components),
    ]
}
