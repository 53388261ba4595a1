//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::report::{Finding, NOTHING_CHECKED, Report, Rule, SarifRule, Severity};

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
    crate::text::hex(&digest[..16])
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
    let (ids, rule_values) = rule_table(report, rules);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result_json(f, &ids))
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
    // `::` and `##[` as JSON escapes: the same value, and no runner command.
    let mut s = crate::escape::json_safe(serde_json::to_string_pretty(&doc).unwrap_or_default());
    s.push('\n');
    s
}

/// The run's rules: the gate's (and [`NOTHING_CHECKED`]), the finer rules
/// of its findings, and any other rule a finding names; with their ids in
/// the same order (a result's `ruleIndex`).
fn rule_table(report: &Report, rules: &[Rule]) -> (Vec<String>, Vec<Value>) {
    let mut rule_values: Vec<Value> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for r in rules.iter().chain(std::iter::once(&NOTHING_CHECKED)) {
        if !ids.iter().any(|i| i == r.id) {
            ids.push(r.id.to_string());
            rule_values.push(rule_json(r));
        }
    }
    // Finer rules (e.g. one per advisory): the highest security severity and
    // the most severe level of their findings.
    let gate_help = |rule: &str| {
        rules
            .iter()
            .find(|r| r.id == rule)
            .map(|r| r.help)
            .unwrap_or("")
    };
    for f in &report.findings {
        let Some(sr) = &f.sarif_rule else { continue };
        match ids.iter().position(|i| *i == sr.id) {
            Some(i) => raise_rule(&mut rule_values[i], f),
            None => {
                ids.push(sr.id.clone());
                rule_values.push(finer_rule_json(f, sr, gate_help(&f.rule)));
            }
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
    (ids, rule_values)
}

/// Raises a finer rule's security severity and level to a further
/// finding's, where higher.
fn raise_rule(v: &mut Value, f: &Finding) {
    if let Some(score) = f.security_severity {
        let old = v["properties"]["security-severity"]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok());
        if old.is_none_or(|o| score > o) {
            v["properties"]["security-severity"] = json!(score_text(score));
        }
    }
    let old_level = v["defaultConfiguration"]["level"]
        .as_str()
        .unwrap_or("note");
    if rank(level(f.severity)) > rank(old_level) {
        v["defaultConfiguration"]["level"] = json!(level(f.severity));
    }
}

/// A finer rule as its first finding describes it, with the gate rule's help.
fn finer_rule_json(f: &Finding, sr: &SarifRule, help: &str) -> Value {
    let mut properties = json!({ "tags": ["security", f.rule], "gates-rule": f.rule });
    if let Some(score) = f.security_severity {
        properties["security-severity"] = json!(score_text(score));
    }
    let mut v = json!({
        "id": sr.id,
        "name": sr.id,
        "shortDescription": { "text": sr.summary },
        "fullDescription": { "text": sr.summary },
        "help": { "text": help },
        "defaultConfiguration": { "level": level(f.severity) },
        "properties": properties,
    });
    if let Some(u) = &sr.help_uri {
        v["helpUri"] = json!(u);
    }
    v
}

/// A finding as a SARIF result, its rule's index found in `ids`.
fn result_json(f: &Finding, ids: &[String]) -> Value {
    let rule_id = f.sarif_rule.as_ref().map_or(&f.rule, |r| &r.id);
    let index = ids.iter().position(|i| i == rule_id).unwrap_or(0);
    let mut r = json!({
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": { "text": f.message },
        "partialFingerprints": { "gatesFingerprint/v1": fingerprint(f) },
    });
    if let Some(score) = f.security_severity {
        r["properties"] = json!({ "security-severity": score_text(score) });
    }
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
}

/// GitHub reads `security-severity` as a string holding a number 0.0–10.0.
fn score_text(score: f64) -> String {
    format!("{:.1}", score.clamp(0.0, 10.0))
}

fn rank(level: &str) -> u8 {
    match level {
        "error" => 2,
        "warning" => 1,
        _ => 0,
    }
}

/// A relative URI reference for a repository path (RFC 3986 percent-encoding
/// of what is not allowed in a path).
fn uri(path: &str) -> String {
    crate::text::percent_encode_except(&path.replace('\\', "/"), b"/!$&'()*+,;=:@")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Location, Report};

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("src/a b#c.rs"), "src/a%20b%23c.rs");
        assert_eq!(uri("src\\win.rs"), "src/win.rs");
    }

    #[test]
    fn advisory_rules_carry_security_severity() {
        use crate::report::SarifRule;
        let mut report = Report::new("audit");
        let adv = |score: f64, sev| {
            Finding::new(crate::report::testing::T::Vulnerability, sev, "m")
                .with_security_severity(score)
                .with_sarif_rule(SarifRule {
                    id: "RUSTSEC-2020-0071".into(),
                    summary: "Potential segfault".into(),
                    help_uri: Some("https://rustsec.org/advisories/RUSTSEC-2020-0071".into()),
                })
        };
        report.findings.push(adv(6.2, Severity::Warning));
        report
            .findings
            .push(adv(8.1, Severity::Error).with_key("b"));
        report.findings.push(
            Finding::new(
                crate::report::testing::T::Vulnerability,
                Severity::Error,
                "plain",
            )
            .with_security_severity(11.0),
        );
        let rules = [Rule {
            id: "vulnerability",
            summary: "s",
            help: "upgrade",
            default_severity: Severity::Error,
        }];
        let doc: Value = serde_json::from_str(&render(&report, &rules)).unwrap_or_default();
        let run = &doc["runs"][0];
        let rule = run["tool"]["driver"]["rules"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["id"] == "RUSTSEC-2020-0071"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(rule["properties"]["security-severity"], "8.1");
        assert_eq!(rule["properties"]["tags"][0], "security");
        assert_eq!(rule["defaultConfiguration"]["level"], "error");
        assert_eq!(rule["help"]["text"], "upgrade");
        assert_eq!(
            rule["helpUri"],
            "https://rustsec.org/advisories/RUSTSEC-2020-0071"
        );
        let results = run["results"].as_array().cloned().unwrap_or_default();
        assert_eq!(results.len(), 3);
        for r in &results {
            let id = r["ruleId"].as_str().unwrap_or_default();
            let idx = r["ruleIndex"].as_u64().unwrap_or(999) as usize;
            assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], id);
        }
        let scores: Vec<&str> = results
            .iter()
            .filter_map(|r| r["properties"]["security-severity"].as_str())
            .collect();
        assert_eq!(scores.len(), 3);
        assert!(scores.contains(&"10.0") && scores.contains(&"6.2"));
    }

    #[test]
    fn fingerprint_ignores_line_moves() {
        let a = Finding::new(crate::report::testing::T::R, Severity::Error, "m")
            .at(Location::lines("a.rs", 1, 2));
        let b = Finding::new(crate::report::testing::T::R, Severity::Error, "m")
            .at(Location::lines("a.rs", 40, 41));
        let c = Finding::new(crate::report::testing::T::R, Severity::Error, "m")
            .at(Location::lines("b.rs", 1, 2));
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
