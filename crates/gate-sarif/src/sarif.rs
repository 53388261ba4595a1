//! Reading SARIF 2.1.0: only the parts gate-sarif judges. Unknown fields
//! are ignored; a file that is not JSON or not SARIF's shape is
//! `GateError::Malformed` (exit 4) with the file and line.

use std::path::Path;

use gate_core::error::{GateError, Result};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Log {
    runs: Vec<Run>,
}

#[derive(Debug, Deserialize)]
struct Run {
    tool: Tool,
    #[serde(default)]
    results: Option<Vec<RawResult>>,
}

#[derive(Debug, Deserialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Deserialize)]
struct Driver {
    name: String,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    id: String,
    #[serde(default)]
    default_configuration: Option<RuleConfig>,
    #[serde(default)]
    properties: Option<Props>,
}

#[derive(Debug, Deserialize)]
struct RuleConfig {
    #[serde(default)]
    level: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Props {
    #[serde(default, rename = "security-severity")]
    security_severity: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawResult {
    #[serde(default)]
    rule_id: Option<String>,
    #[serde(default)]
    rule_index: Option<usize>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    message: Message,
    #[serde(default)]
    locations: Vec<RawLocation>,
    #[serde(default)]
    partial_fingerprints: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    properties: Option<Props>,
}

#[derive(Debug, Default, Deserialize)]
struct Message {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    markdown: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLocation {
    #[serde(default)]
    physical_location: Option<Physical>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    #[serde(default)]
    artifact_location: Option<Artifact>,
    #[serde(default)]
    region: Option<Region>,
}

#[derive(Debug, Deserialize)]
struct Artifact {
    #[serde(default)]
    uri: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    #[serde(default)]
    start_line: Option<u32>,
    #[serde(default)]
    end_line: Option<u32>,
    #[serde(default)]
    snippet: Option<Snippet>,
}

#[derive(Debug, Deserialize)]
struct Snippet {
    #[serde(default)]
    text: Option<String>,
}

/// SARIF `level`, after the rule's default has been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SarifLevel {
    None,
    Note,
    Warning,
    Error,
}

impl SarifLevel {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(SarifLevel::None),
            "note" => Some(SarifLevel::Note),
            "warning" => Some(SarifLevel::Warning),
            "error" => Some(SarifLevel::Error),
            _ => None,
        }
    }
}

/// One SARIF result, flattened for judging.
#[derive(Debug, Clone, PartialEq)]
pub struct SarifResult {
    /// The tool (`tool.driver.name`).
    pub tool: String,
    /// The tool's rule id (empty when the result names none).
    pub rule: String,
    pub level: SarifLevel,
    /// `properties.security-severity` of the result, else of its rule.
    pub security_severity: Option<f64>,
    pub message: String,
    pub uri: Option<String>,
    pub start_line: Option<u32>,
    pub end_line: Option<u32>,
    /// `partialFingerprints`, sorted, joined: the identity across commits
    /// when the tool gives one.
    pub fingerprint: Option<String>,
    pub snippet: Option<String>,
}

fn score(props: Option<&Props>) -> Option<f64> {
    match props?.security_severity.as_ref()? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// Parses one SARIF log; `path` names it in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<SarifResult>> {
    parse_reader(path, bytes)
}

/// Parses one SARIF log as it is read (a 100 MB log is never held whole in
/// memory); `path` names it in errors.
pub fn parse_reader(path: &Path, reader: impl std::io::Read) -> Result<Vec<SarifResult>> {
    let log: Log = serde_json::from_reader(reader).map_err(|e| GateError::Malformed {
        path: path.to_owned(),
        line: Some(e.line() as u64).filter(|l| *l > 0),
        message: if e.is_io() {
            format!("cannot read: {e}")
        } else {
            format!("not a SARIF 2.1.0 log: {e}")
        },
    })?;
    let mut out = Vec::new();
    for run in log.runs {
        let rules = &run.tool.driver.rules;
        for r in run.results.unwrap_or_default() {
            out.push(flatten(&run.tool.driver.name, rules, r));
        }
    }
    Ok(out)
}

fn flatten(tool: &str, rules: &[RawRule], r: RawResult) -> SarifResult {
    let rule = r.rule_index.and_then(|i| rules.get(i)).or_else(|| {
        r.rule_id
            .as_ref()
            .and_then(|id| rules.iter().find(|x| &x.id == id))
    });
    // SARIF §3.27.10: a result's level defaults to its rule's default
    // configuration, then to `warning`; a `kind` other than `fail` means `none`.
    let level = match r.kind.as_deref() {
        Some(k) if k != "fail" => SarifLevel::None,
        _ => r
            .level
            .as_deref()
            .or_else(|| rule.and_then(|x| x.default_configuration.as_ref()?.level.as_deref()))
            .and_then(SarifLevel::parse)
            .unwrap_or(SarifLevel::Warning),
    };
    let security_severity =
        score(r.properties.as_ref()).or_else(|| score(rule.and_then(|x| x.properties.as_ref())));
    let phys = r.locations.into_iter().find_map(|l| l.physical_location);
    let (uri, region) = match phys {
        Some(p) => (p.artifact_location.and_then(|a| a.uri), p.region),
        None => (None, None),
    };
    let fingerprint = r.partial_fingerprints.filter(|m| !m.is_empty()).map(|m| {
        let mut kv: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
        kv.sort();
        kv.join(";")
    });
    SarifResult {
        tool: tool.to_owned(),
        rule: r
            .rule_id
            .or_else(|| rule.map(|x| x.id.clone()))
            .unwrap_or_default(),
        level,
        security_severity,
        message: r.message.text.or(r.message.markdown).unwrap_or_default(),
        uri,
        start_line: region.as_ref().and_then(|g| g.start_line),
        end_line: region.as_ref().and_then(|g| g.end_line.or(g.start_line)),
        fingerprint,
        snippet: region.and_then(|g| g.snippet?.text),
    }
}

impl SarifResult {
    /// The identity of this result across commits: its `partialFingerprints`
    /// when the tool gives them, else its tool, rule, file and the snippet's
    /// first line (or message when there is no snippet), with whitespace collapsed: never
    /// its line, so the identity survives lines added above it.
    pub fn identity(&self) -> String {
        if let Some(fp) = &self.fingerprint {
            return format!("{}\u{0}{}\u{0}fp\u{0}{fp}", self.tool, self.rule);
        }
        // The snippet's first non-blank line: a region that grows (a job
        // with a step added) keeps its identity.
        let first = self
            .snippet
            .as_deref()
            .and_then(|s| s.lines().find(|l| !l.trim().is_empty()));
        let text: Vec<&str> = first.unwrap_or(&self.message).split_whitespace().collect();
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            self.tool,
            self.rule,
            self.uri.as_deref().unwrap_or(""),
            text.join(" ")
        )
    }

    /// A short stable hash of [`SarifResult::identity`] (FNV-1a, 64 bits),
    /// for the finding's key and the uploaded SARIF's fingerprints.
    pub fn identity_hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.identity().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}
