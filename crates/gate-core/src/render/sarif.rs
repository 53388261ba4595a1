//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::report::{Finding, NOTHING_CHECKED, Report, Rule, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A fingerprint stable across runs: rule, path and key (or message), not
/// line numbers, which move when code above changes.
pub fn fingerprint(f: &Finding) -> String {
    let mut h = Sha256::new();
    h.update(f.rule.as_bytes());
    h.update([0]);
    if let Some(l) = &f.location {
        h.update(l.path.as_bytes());
    }
    h.update([0]);
    match &f.key {
        Some(k) => h.update(k.as_bytes()),
        None => h.update(f.message.as_bytes()),
    }
    let digest = h.finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn rule_json(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": r.summary },
        "help": { "text": r.help },
        "defaultConfiguration": { "level": level(r.default_severity) },
    })
}

pub fn render(report: &Report, rules: &[Rule]) -> String {
    let mut rule_values: Vec<Value> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for r in rules.iter().chain(std::iter::once(&NOTHING_CHECKED)) {
        if !ids.iter().any(|i| i == r.id) {
            ids.push(r.id.to_string());
            rule_values.push(rule_json(r));
        }
    }
    for f in &report.findings {
        if !ids.contains(&f.rule) {
            ids.push(f.rule.clone());
            rule_values.push(json!({
                "id": f.rule,
                "name": f.rule,
                "shortDescription": { "text": f.rule },
                "defaultConfiguration": { "level": level(f.severity) },
            }));
        }
    }
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = ids.iter().position(|i| *i == f.rule).unwrap_or(0);
            let mut r = json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": f.message },
                "partialFingerprints": { "gatesFingerprint/v1": fingerprint(f) },
            });
            if let Some(loc) = &f.location {
                let mut physical = json!({
                    "artifactLocation": { "uri": uri(&loc.path), "uriBaseId": "%SRCROOT%" },
                });
                if let Some(start) = loc.start_line {
                    physical["region"] = json!({
                        "startLine": start,
                        "endLine": loc.end_line.unwrap_or(start),
                    });
                }
                r["locations"] = json!([{ "physicalLocation": physical }]);
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": format!("gate-{}", report.gate),
                "semanticVersion": report.tool_version,
                "informationUri": "https://github.com/gates-dev/gates",
                "rules": rule_values,
            }},
            "automationDetails": { "id": format!("gates/{}/", report.gate) },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The repository root" } } },
            "results": results,
            "properties": {
                "verdict": report.verdict,
                "checked": report.checked,
                "metrics": report.metrics,
            },
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// A relative URI reference for a repository path (RFC 3986 percent-encoding
/// of what is not allowed in a path).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b':'
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Location;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("src/a b#c.rs"), "src/a%20b%23c.rs");
        assert_eq!(uri("src\\win.rs"), "src/win.rs");
    }

    #[test]
    fn fingerprint_ignores_line_moves() {
        let a = Finding::new("r", Severity::Error, "m").at(Location::lines("a.rs", 1, 2));
        let b = Finding::new("r", Severity::Error, "m").at(Location::lines("a.rs", 40, 41));
        let c = Finding::new("r", Severity::Error, "m").at(Location::lines("b.rs", 1, 2));
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
