//! Report model v1: the one value every gate returns and every renderer reads.
//!
//! The JSON form (`schema_version: 1`) is a documented contract, see
//! `docs/report-v1.md` and `docs/report-v1.schema.json`. Add fields only in a
//! backwards-compatible way; anything else bumps [`SCHEMA_VERSION`].

use std::cmp::Ordering;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the JSON report contract.
pub const SCHEMA_VERSION: u32 = 1;

/// Outcome of a gate, a metric or a finding. Ordered from best to worst.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Severity of a finding. Ordered from least to most severe.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Information: never changes the verdict.
    Note,
    /// Makes the verdict at least `warn`.
    Warning,
    /// Makes the verdict `fail`.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// The verdict a finding of this severity implies on its own.
    pub fn verdict(self) -> Verdict {
        match self {
            Severity::Note => Verdict::Pass,
            Severity::Warning => Verdict::Warn,
            Severity::Error => Verdict::Fail,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Comparison used by a threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Comparison {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = ">")]
    Above,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "<")]
    Below,
    #[serde(rename = "==")]
    Equal,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::Above => ">",
            Comparison::AtMost => "<=",
            Comparison::Below => "<",
            Comparison::Equal => "==",
        }
    }

    /// Whether `value` satisfies `value <op> limit`.
    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Comparison::AtLeast => value >= limit,
            Comparison::Above => value > limit,
            Comparison::AtMost => value <= limit,
            Comparison::Below => value < limit,
            Comparison::Equal => value == limit,
        }
    }
}

/// A limit a metric is held to, and the verdict when it is not met.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Threshold {
    pub op: Comparison,
    pub value: f64,
    /// Verdict when the comparison does not hold (`fail` or `warn`).
    pub on_breach: Verdict,
}

impl Threshold {
    pub fn new(op: Comparison, value: f64) -> Self {
        Threshold {
            op,
            value,
            on_breach: Verdict::Fail,
        }
    }

    pub fn warn_only(mut self) -> Self {
        self.on_breach = Verdict::Warn;
        self
    }

    pub fn judge(&self, value: f64) -> Verdict {
        if value.is_finite() && self.op.holds(value, self.value) {
            Verdict::Pass
        } else {
            self.on_breach
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.symbol(), format_number(self.value))
    }
}

/// A measured quantity, optionally held to one or more thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Metric {
    /// Stable kebab-case name, e.g. `line-coverage`, `p95-latency`.
    pub name: String,
    pub value: f64,
    /// Unit: `%`, `ms`, `count`, `rps`, `bytes`, ... (free text, short).
    pub unit: String,
    /// The thresholds the value was judged against (fail level first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<Threshold>,
    pub verdict: Verdict,
}

impl Metric {
    /// A metric with no threshold: informational, always `pass`.
    pub fn info(name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Metric {
            name: name.into(),
            value,
            unit: unit.into(),
            thresholds: Vec::new(),
            verdict: Verdict::Pass,
        }
    }

    /// Adds a threshold and re-judges the metric (worst verdict wins).
    pub fn with_threshold(mut self, threshold: Threshold) -> Self {
        self.verdict = self.verdict.max(threshold.judge(self.value));
        self.thresholds.push(threshold);
        self
    }

    /// Value with its unit, for people: `87.5%`, `120 ms`, `3`.
    pub fn display_value(&self) -> String {
        format_with_unit(self.value, &self.unit)
    }
}

/// Formats a number for people: integers without decimals, others with up to two.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

pub fn format_with_unit(v: f64, unit: &str) -> String {
    match unit {
        "" | "count" => format_number(v),
        "%" => format!("{}%", format_number(v)),
        u => format!("{} {u}", format_number(v)),
    }
}

/// Where a finding applies: a repository-relative path (forward slashes) and
/// an optional 1-based inclusive line range.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
}

impl Location {
    pub fn file(path: impl Into<String>) -> Self {
        Location {
            path: capped(path.into()),
            start_line: None,
            end_line: None,
        }
    }

    pub fn lines(path: impl Into<String>, start: u32, end: u32) -> Self {
        let (start, end) = if start <= end {
            (start, end)
        } else {
            (end, start)
        };
        Location {
            path: capped(path.into()),
            start_line: Some(start),
            end_line: Some(end),
        }
    }

    fn sort_key(&self) -> (&str, u32, u32) {
        (
            &self.path,
            self.start_line.unwrap_or(0),
            self.end_line.unwrap_or(0),
        )
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        match (self.start_line, self.end_line) {
            (Some(s), Some(e)) if e != s => write!(f, ":{s}-{e}"),
            (Some(s), _) => write!(f, ":{s}"),
            _ => Ok(()),
        }
    }
}

/// One thing a gate found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable kebab-case rule id, e.g. `uncovered-changed-lines`. Part of the
    /// public contract: never renamed, only added.
    pub rule: String,
    pub severity: Severity,
    /// One or a few sentences for people. Untrusted text may appear here; every
    /// renderer escapes it for its medium.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Extra identity for deduplication across runs (package name, probe
    /// name, ...). Used in SARIF `partialFingerprints`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// For security findings: a score from 0.0 to 10.0 (e.g. a CVSS base
    /// score), emitted as SARIF `properties.security-severity`, which GitHub
    /// code scanning maps to critical (≥ 9), high (≥ 7), medium (≥ 4), low.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<f64>,
    /// A finer rule for SARIF viewers, e.g. one per advisory
    /// (`RUSTSEC-2022-0040`) under the gate's rule `vulnerability`: SARIF
    /// results then carry this id, with its own description and severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sarif_rule: Option<SarifRule>,
}

/// A SARIF rule (reportingDescriptor) finer than the gate's rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SarifRule {
    /// Rule id, e.g. an advisory id.
    pub id: String,
    /// One line for people, e.g. the advisory's title.
    pub summary: String,
    /// Where to read more, e.g. the advisory's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
}

/// What [`Finding::new`] takes as its rule: a variant of a gate's rule enum
/// (declared with [`rules!`](crate::rules)), never a string, so a gate
/// cannot emit an id it did not declare (the runner also checks every
/// finding against the gate's `RULES`).
pub trait IntoRuleId {
    fn into_rule_id(self) -> String;
}

impl<R: Rules> IntoRuleId for R {
    fn into_rule_id(self) -> String {
        self.rule().id.to_owned()
    }
}

/// A gate's rules: an enum whose variants are its rules, each with a stable
/// kebab-case id. Implemented by [`rules!`](crate::rules), which also makes
/// `ALL`, the table SARIF and the docs are generated from.
pub trait Rules: Copy + Eq + fmt::Debug + 'static {
    /// Every rule, in declaration order.
    const ALL: &'static [Rule];

    /// This variant's rule.
    fn rule(self) -> &'static Rule;

    /// This variant's id.
    fn id(self) -> &'static str {
        self.rule().id
    }

    /// The rule with this id, if declared.
    fn find(id: &str) -> Option<&'static Rule> {
        Self::ALL.iter().find(|r| r.id == id)
    }
}

/// Declares a gate's rules as an enum (see [`Rules`]):
///
/// ```
/// gate_core::rules! {
///     /// Rules of gate-example.
///     pub enum ExampleRule {
///         /// Line coverage under the minimum.
///         BelowMinimum {
///             id: "below-minimum",
///             summary: "Coverage is below the minimum",
///             help: "Add tests or lower the minimum.",
///             severity: Error,
///         },
///     }
/// }
/// use gate_core::report::Rules;
/// assert_eq!(ExampleRule::BelowMinimum.id(), "below-minimum");
/// assert_eq!(ExampleRule::ALL.len(), 1);
/// ```
#[macro_export]
macro_rules! rules {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident {
                    id: $id:literal,
                    summary: $summary:expr,
                    help: $help:expr,
                    severity: $severity:ident $(,)?
                }
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $crate::report::Rules for $name {
            const ALL: &'static [$crate::report::Rule] = &[
                $(
                    $crate::report::Rule {
                        id: $id,
                        summary: $summary,
                        help: $help,
                        default_severity: $crate::report::Severity::$severity,
                    },
                )*
            ];

            fn rule(self) -> &'static $crate::report::Rule {
                &<Self as $crate::report::Rules>::ALL[self as usize]
            }
        }
    };
}

impl Finding {
    pub fn new(rule: impl IntoRuleId, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.into_rule_id(),
            severity,
            message: capped(message.into()),
            location: None,
            key: None,
            security_severity: None,
            sarif_rule: None,
        }
    }

    /// Sets the 0.0–10.0 security severity (clamped; NaN is ignored).
    pub fn with_security_severity(mut self, score: f64) -> Self {
        if !score.is_nan() {
            self.security_severity = Some(score.clamp(0.0, 10.0));
        }
        self
    }

    /// Sets the finer SARIF rule (see [`Finding::sarif_rule`]).
    pub fn with_sarif_rule(mut self, rule: SarifRule) -> Self {
        self.sarif_rule = Some(rule);
        self
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Deterministic order: most severe first, then by location, rule, message.
    pub fn canonical_cmp(&self, other: &Self) -> Ordering {
        other
            .severity
            .cmp(&self.severity)
            .then_with(|| match (&self.location, &other.location) {
                (Some(a), Some(b)) => a.sort_key().cmp(&b.sort_key()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| self.rule.cmp(&other.rule))
            .then_with(|| self.key.cmp(&other.key))
            .then_with(|| self.message.cmp(&other.message))
    }
}

/// Static description of a rule, for SARIF rule metadata and the docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// What to do about it.
    pub help: &'static str,
    pub default_severity: Severity,
}

crate::rules! {
    /// The runner's own rules, common to every gate.
    pub enum RunnerRule {
        /// The gate measured nothing: no input matched.
        NothingChecked {
            id: "nothing-checked",
            summary: "The gate checked nothing",
            help: "Point the gate at real inputs; a gate that checked nothing never passes.",
            severity: Error,
        },
    }
}

/// Rule used by the runner itself when a gate measured nothing.
pub const NOTHING_CHECKED: Rule = <RunnerRule as Rules>::ALL[0];

/// The result of one gate run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Gate id: `coverage`, `audit`, `sbom`, `health`, `load`, `deploy`, `rollback`.
    pub gate: String,
    /// Instance name (`--instance`), when one gate runs more than once per
    /// commit (health against two environments, load shards, SBOM
    /// generate/check/diff): the record is `gates/<gate>/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Version of the gate binary that produced the report.
    pub tool_version: String,
    pub verdict: Verdict,
    /// One line for people, e.g. `diff coverage 91% (min 80%)`.
    pub summary: String,
    /// Commit the report is about, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// How many things the gate examined (files, packages, probes, requests).
    /// Zero means it checked nothing, which never passes.
    pub checked: u64,
    pub metrics: Vec<Metric>,
    pub findings: Vec<Finding>,
    /// Gate-specific detail (a documented object per gate), kept out of the
    /// generic renderers except JSON.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub details: serde_json::Value,
    /// Small charts the Markdown summary draws (as mermaid), where a picture
    /// says more than a table: latency over time, coverage per group, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<Chart>,
}

/// Kind of a chart series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SeriesKind {
    Bar,
    Line,
}

/// One data series of a chart: one value per x category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Series {
    pub name: String,
    pub kind: SeriesKind,
    pub values: Vec<f64>,
}

/// An x/y chart: categories on x, one or more series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x: Vec<String>,
    pub series: Vec<Series>,
    /// Top of the y axis (e.g. 100 for percentages); default: 10% above the
    /// largest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_max: Option<f64>,
}

impl Report {
    pub fn new(gate: impl Into<String>) -> Self {
        Report {
            schema_version: SCHEMA_VERSION,
            gate: gate.into(),
            instance: None,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            verdict: Verdict::Pass,
            summary: String::new(),
            commit: None,
            checked: 0,
            metrics: Vec::new(),
            findings: Vec::new(),
            details: serde_json::Value::Null,
            charts: Vec::new(),
        }
    }

    /// The key of the report's record in the ledger: `<gate>` or
    /// `<gate>/<instance>` (check run `gates/<key>`).
    pub fn record_key(&self) -> String {
        record_key(&self.gate, self.instance.as_deref())
    }

    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// Sorts findings canonically and derives the verdict from metrics and
    /// findings (worst wins). Call once, at the end of `evaluate`.
    pub fn finish(mut self) -> Self {
        self.findings.sort_by(Finding::canonical_cmp);
        let from_metrics = self.metrics.iter().map(|m| m.verdict);
        let from_findings = self.findings.iter().map(|f| f.severity.verdict());
        self.verdict = from_metrics
            .chain(from_findings)
            .max()
            .unwrap_or(Verdict::Pass);
        self
    }

    /// A gate that checked nothing never passes: adds a `nothing-checked`
    /// error finding when `checked == 0`.
    pub fn refuse_if_nothing_checked(mut self) -> Self {
        if self.checked == 0 && !self.findings.iter().any(|f| f.rule == NOTHING_CHECKED.id) {
            self.findings.push(Finding::new(
                RunnerRule::NothingChecked,
                Severity::Error,
                format!(
                    "gate-{} checked nothing: no input matched. {}",
                    self.gate, NOTHING_CHECKED.help
                ),
            ));
            self = self.finish();
        }
        self
    }

    /// Calls `f` on every string of the report: summary, metric names and
    /// units, every finding field, every string in `details` (values and
    /// keys) and in charts. Redaction and capping go through here, so a field
    /// added later cannot be missed by one and not the other.
    pub fn for_each_text_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        f(&mut self.gate);
        f(&mut self.tool_version);
        f(&mut self.summary);
        if let Some(c) = &mut self.commit {
            f(c);
        }
        for m in &mut self.metrics {
            f(&mut m.name);
            f(&mut m.unit);
        }
        for x in &mut self.findings {
            f(&mut x.rule);
            f(&mut x.message);
            if let Some(l) = &mut x.location {
                f(&mut l.path);
            }
            if let Some(k) = &mut x.key {
                f(k);
            }
            if let Some(r) = &mut x.sarif_rule {
                f(&mut r.id);
                f(&mut r.summary);
                if let Some(u) = &mut r.help_uri {
                    f(u);
                }
            }
        }
        json_texts_mut(&mut self.details, f);
        for c in &mut self.charts {
            f(&mut c.title);
            f(&mut c.x_label);
            f(&mut c.y_label);
            c.x.iter_mut().for_each(&mut *f);
            for s in &mut c.series {
                f(&mut s.name);
            }
        }
    }

    /// Masks every secret the masker knows, in every string of the report.
    /// `run` does this once, before the report is rendered, written,
    /// recorded or published.
    pub fn redact(&mut self, masker: &crate::secret::Masker) {
        if masker.is_empty() {
            return;
        }
        self.for_each_text_mut(&mut |s| {
            let r = masker.redact(s);
            if r != *s {
                *s = r;
            }
        });
    }

    /// Cuts every string longer than [`MAX_TEXT`] bytes (at a character
    /// boundary), with a marker saying how much was cut: untrusted text (a
    /// 200 MB file name, an HTTP body) cannot blow up any output. Returns how
    /// many strings were cut.
    pub fn cap_texts(&mut self) -> usize {
        let mut cut = 0;
        self.for_each_text_mut(&mut |s| {
            if cap_text(s, MAX_TEXT) {
                cut += 1;
            }
        });
        cut
    }

    /// Counts of findings by severity: (errors, warnings, notes).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for f in &self.findings {
            match f.severity {
                Severity::Error => c.0 += 1,
                Severity::Warning => c.1 += 1,
                Severity::Note => c.2 += 1,
            }
        }
        c
    }
}

/// `<gate>` or `<gate>/<instance>`: the key of a record in the ledger.
pub fn record_key(gate: &str, instance: Option<&str>) -> String {
    match instance {
        Some(name) => format!("{gate}/{name}"),
        None => gate.to_string(),
    }
}

/// Checks an instance name (`--instance`): 1 to 64 characters, lower-case
/// ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit
/// (it becomes part of a check run's name and of a file name).
pub fn check_instance_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--instance `{name}`: use 1 to 64 lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit (e.g. `staging`, `shard-2`)"
        ))
    }
}

/// The longest string a report carries (bytes); longer ones are cut by
/// [`Report::cap_texts`].
pub const MAX_TEXT: usize = 16 * 1024;

/// `s` capped at [`MAX_TEXT`]: findings and locations are capped when they
/// are made, so a report's memory stays proportional to what it shows, not
/// to the untrusted text it quotes.
fn capped(mut s: String) -> String {
    cap_text(&mut s, MAX_TEXT);
    s
}

/// Cuts `s` to at most `max` bytes, the last of them a marker
/// (`… [N bytes cut]`), at a character boundary. Returns whether it cut.
pub fn cap_text(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    // Room for the marker: "… [" + 20 digits + " bytes cut]".
    let mut end = max.saturating_sub(40);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let cut = s.len() - end;
    s.truncate(end);
    s.shrink_to_fit();
    s.push_str(&format!("… [{cut} bytes cut]"));
    true
}

/// Masks every secret the masker knows in every string (and key) of `v`.
pub fn redact_json(v: &mut serde_json::Value, masker: &crate::secret::Masker) {
    if masker.is_empty() {
        return;
    }
    json_texts_mut(v, &mut |s| {
        let r = masker.redact(s);
        if r != *s {
            *s = r;
        }
    });
}

fn json_texts_mut(v: &mut serde_json::Value, f: &mut dyn FnMut(&mut String)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| json_texts_mut(x, f)),
        serde_json::Value::Object(o) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            for k in keys {
                let mut nk = k.clone();
                f(&mut nk);
                if nk == k {
                    if let Some(x) = o.get_mut(&k) {
                        json_texts_mut(x, f);
                    }
                } else if let Some(mut x) = o.shift_remove(&k) {
                    json_texts_mut(&mut x, f);
                    o.insert(nk, x);
                }
            }
        }
        _ => {}
    }
}

/// Rules for the tests of this crate's renderers and model.
#[cfg(test)]
pub(crate) mod testing {
    crate::rules! {
        /// Test rules.
        pub(crate) enum T {
            X {
                id: "x",
                summary: "A test rule",
                help: "None.",
                severity: Error,
            },
            R {
                id: "r",
                summary: "A test rule",
                help: "None.",
                severity: Error,
            },
            A {
                id: "a",
                summary: "A test rule",
                help: "None.",
                severity: Error,
            },
            B {
                id: "b",
                summary: "A test rule",
                help: "None.",
                severity: Error,
            },
            C {
                id: "c",
                summary: "A test rule",
                help: "None.",
                severity: Error,
            },
            W {
                id: "w",
                summary: "A test rule",
                help: "None.",
                severity: Error,
            },
            Vulnerability {
                id: "vulnerability",
                summary: "A test rule",
                help: "None.",
                severity: Error,
            },
            UncoveredChangedLines {
                id: "uncovered-changed-lines",
                summary: "A test rule",
                help: "None.",
                severity: Error,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_and_cap_reach_every_string() {
        let secret = "s3cr3t-value-42";
        let m = crate::secret::Masker::new(false);
        m.add(&crate::secret::Secret::new(secret));
        let mut r = Report::new("t");
        r.summary = format!("summary {secret}");
        r.metrics
            .push(Metric::info(format!("m-{secret}"), 1.0, secret));
        // A report read back from the ledger may carry any rule text.
        let mut echoed = Finding::new(testing::T::X, Severity::Error, format!("echo: {secret}"));
        echoed.rule = secret.to_owned();
        r.findings.push(
            echoed
                .at(Location::file(format!("{secret}.py")))
                .with_key(secret)
                .with_sarif_rule(SarifRule {
                    id: secret.into(),
                    summary: secret.into(),
                    help_uri: Some(format!("https://x/{secret}")),
                }),
        );
        r.details = serde_json::json!({ "body": [secret, {secret: secret}], "n": 1 });
        r.charts.push(Chart {
            title: secret.into(),
            x_label: secret.into(),
            y_label: secret.into(),
            x: vec![secret.into()],
            series: vec![Series {
                name: secret.into(),
                kind: SeriesKind::Bar,
                values: vec![1.0],
            }],
            y_max: None,
        });
        r.redact(&m);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("s3cr3t"), "{json}");
        assert_eq!(json.matches("***").count(), 18, "{json}");

        let mut big = Report::new("t");
        let mut f = Finding::new(
            crate::report::testing::T::R,
            Severity::Error,
            "é".repeat(MAX_TEXT),
        );
        assert!(f.message.len() <= MAX_TEXT, "capped when made");
        f.message = "é".repeat(MAX_TEXT);
        big.findings.push(f);
        big.details = serde_json::json!({ "x".repeat(MAX_TEXT + 1): "y" });
        assert_eq!(big.cap_texts(), 2);
        let msg = &big.findings[0].message;
        assert!(msg.len() <= MAX_TEXT, "{}", msg.len());
        assert!(
            msg.ends_with(&format!("[{} bytes cut]", 2 * MAX_TEXT - (MAX_TEXT - 40))),
            "{}",
            &msg[msg.len() - 30..]
        );
        assert_eq!(big.cap_texts(), 0, "capping twice changes nothing");
    }

    #[test]
    fn verdict_is_worst_of_metrics_and_findings() {
        let mut r = Report::new("t");
        r.checked = 1;
        r.metrics.push(
            Metric::info("m", 50.0, "%").with_threshold(Threshold::new(Comparison::AtLeast, 40.0)),
        );
        assert_eq!(r.clone().finish().verdict, Verdict::Pass);
        r.findings.push(Finding::new(
            crate::report::testing::T::X,
            Severity::Warning,
            "careful",
        ));
        assert_eq!(r.clone().finish().verdict, Verdict::Warn);
        r.metrics.push(
            Metric::info("n", 10.0, "ms").with_threshold(Threshold::new(Comparison::Below, 5.0)),
        );
        assert_eq!(r.finish().verdict, Verdict::Fail);
    }

    #[test]
    fn nan_never_meets_a_threshold() {
        assert_eq!(
            Threshold::new(Comparison::AtLeast, 0.0).judge(f64::NAN),
            Verdict::Fail
        );
    }

    #[test]
    fn findings_sort_worst_first_then_location() {
        let mut r = Report::new("t");
        r.findings.push(Finding::new(
            crate::report::testing::T::B,
            Severity::Note,
            "n",
        ));
        r.findings.push(
            Finding::new(crate::report::testing::T::A, Severity::Error, "e2")
                .at(Location::lines("z.rs", 3, 4)),
        );
        r.findings.push(
            Finding::new(crate::report::testing::T::A, Severity::Error, "e1")
                .at(Location::lines("a.rs", 9, 9)),
        );
        r.findings.push(Finding::new(
            crate::report::testing::T::C,
            Severity::Warning,
            "w",
        ));
        let r = r.finish();
        let order: Vec<_> = r.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(order, ["e1", "e2", "w", "n"]);
    }

    #[test]
    fn nothing_checked_fails() {
        let r = Report::new("t").finish().refuse_if_nothing_checked();
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(r.findings[0].rule, "nothing-checked");
    }

    #[test]
    fn numbers_format_for_people() {
        assert_eq!(format_number(80.0), "80");
        assert_eq!(format_number(89.108), "89.11");
        assert_eq!(format_number(0.5), "0.5");
        assert_eq!(format_with_unit(12.0, "ms"), "12 ms");
        assert_eq!(format_with_unit(91.5, "%"), "91.5%");
    }
}
