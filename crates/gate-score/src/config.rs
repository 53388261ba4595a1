//! The `score` section of `gates.yml`. Doc comments become the schema's
//! descriptions, the flags' help and the docs' key table (`cargo xtask
//! schema`).
//!
//! The defaults reproduce the targets the pipeline was specified with:
//! coverage at least 80 %, security score at least 85, performance score at
//! least 75, an error rate under 1 % passing and under 5 % a warning.

use schemars::JsonSchema;
use serde::Deserialize;

/// The four categories a score is made of, in the order they are shown.
pub const CATEGORIES: [&str; 4] = ["quality", "security", "performance", "reliability"];

/// The pseudo-metric that scores a report by its verdict: pass 100, warn 50,
/// fail 0 (then through the input's curve).
pub const VERDICT_METRIC: &str = "verdict";

/// The `score` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ScoreConfig {
    /// JSON reports (v1) to decide over besides the ledger's (repeatable, or comma-separated). Later files replace earlier ones of the same gate; use them for reports handed over as artifacts.
    #[schemars(extend("x-gates-flag" = "report", "x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub reports: Vec<String>,
    /// Gates whose report must be there, for this commit (`gate` or `gate/instance`; repeatable, or comma-separated). A missing one is a no-go.
    #[schemars(extend("x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "GATE"))]
    pub required: Vec<String>,
    /// Overall score under which the decision is no-go (0 to 100).
    #[schemars(range(min = 0, max = 100))]
    pub min_score: f64,
    /// Overall score under which a go becomes go-with-warnings (0 to 100).
    #[schemars(range(min = 0, max = 100))]
    pub warn_score: f64,
    /// Highest security score while a critical vulnerability (security severity 9.0 or more) is reported (0 to 100).
    #[schemars(range(min = 0, max = 100))]
    pub critical_cap: f64,
    /// Weight and minimum of each category (`quality`, `security`, `performance`, `reliability`).
    pub categories: Categories,
    /// What is scored: one entry per metric of a gate's report, with its category, weight and curve. Setting it replaces the whole default list.
    pub inputs: Vec<InputSpec>,
}

/// Weight and minimum of each category.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Categories {
    /// Coverage, tests, lint.
    pub quality: Category,
    /// Audit, static analysis, SBOM quality.
    pub security: Category,
    /// Load, health latency.
    pub performance: Category,
    /// Deploy outcomes, migrations.
    pub reliability: Category,
}

impl Categories {
    /// The categories with their names, in [`CATEGORIES`] order.
    pub fn all(&self) -> [(&'static str, &Category); 4] {
        [
            ("quality", &self.quality),
            ("security", &self.security),
            ("performance", &self.performance),
            ("reliability", &self.reliability),
        ]
    }
}

impl Default for Categories {
    fn default() -> Self {
        Categories {
            quality: Category::new(30.0, 0.0),
            security: Category::new(30.0, 85.0),
            performance: Category::new(25.0, 75.0),
            reliability: Category::new(15.0, 0.0),
        }
    }
}

/// One category's weight in the overall score and its own minimum.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Category {
    /// Weight in the overall score (0 or more; the weights of the categories with evidence are normalised).
    #[schemars(range(min = 0))]
    pub weight: f64,
    /// Category score under which the decision is no-go (0 to 100; 0: none).
    #[serde(default)]
    #[schemars(range(min = 0, max = 100))]
    pub min: f64,
}

impl Category {
    fn new(weight: f64, min: f64) -> Self {
        Category { weight, min }
    }
}

/// One scored metric.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InputSpec {
    /// Gate id (`coverage`), or `gate/instance` for one instance only.
    pub gate: String,
    /// Metric name in the gate's report (`line-coverage`), or `verdict` (pass 100, warn 50, fail 0).
    pub metric: String,
    /// `quality`, `security`, `performance` or `reliability`.
    pub category: String,
    /// Weight within the category (0 or more).
    #[serde(default = "one")]
    #[schemars(range(min = 0))]
    pub weight: f64,
    /// Points `[value, score]`, values strictly increasing, scores from 0 to 100 all rising or all falling; linear between points, flat beyond the ends.
    pub curve: Vec<[f64; 2]>,
    /// The value must reach this (at least it on a rising curve, at most on a falling one), else no-go.
    #[serde(default)]
    pub go: Option<f64>,
    /// The value should reach this, else go-with-warnings.
    #[serde(default)]
    pub warn: Option<f64>,
}

fn one() -> f64 {
    1.0
}

impl InputSpec {
    fn new(gate: &str, metric: &str, category: &str, weight: f64, curve: &[[f64; 2]]) -> Self {
        InputSpec {
            gate: gate.into(),
            metric: metric.into(),
            category: category.into(),
            weight,
            curve: curve.to_vec(),
            go: None,
            warn: None,
        }
    }

    fn go(mut self, v: f64) -> Self {
        self.go = Some(v);
        self
    }

    fn warn(mut self, v: f64) -> Self {
        self.warn = Some(v);
        self
    }

    /// `gate.metric`, as shown in tables and findings.
    pub fn label(&self) -> String {
        format!("{}.{}", self.gate, self.metric)
    }
}

/// Identity on percentages: 80 % scores 80.
const PERCENT: &[[f64; 2]] = &[[0.0, 0.0], [100.0, 100.0]];
/// Coverage: 80 % (the target) scores 80, 50 % scores 30, 100 % scores 100.
const COVERAGE: &[[f64; 2]] = &[[0.0, 0.0], [50.0, 30.0], [80.0, 80.0], [100.0, 100.0]];
/// Verdicts (pass 100, warn 50, fail 0) as they are.
const VERDICT: &[[f64; 2]] = &[[0.0, 0.0], [100.0, 100.0]];
/// Error rate in %: 0 % scores 100, 1 % 90, 5 % 50, 20 % and more 0.
const ERROR_RATE: &[[f64; 2]] = &[[0.0, 100.0], [1.0, 90.0], [5.0, 50.0], [20.0, 0.0]];
/// p95 latency under load in ms: up to 100 ms 100, 500 ms 75, 2 s 0.
const LOAD_P95: &[[f64; 2]] = &[[100.0, 100.0], [500.0, 75.0], [2000.0, 0.0]];
/// p95 latency of health probes in ms: up to 250 ms 100, 1 s 75, 5 s 0.
const HEALTH_P95: &[[f64; 2]] = &[[250.0, 100.0], [1000.0, 75.0], [5000.0, 0.0]];

/// The default inputs: every gate of the pipeline, by the metric its report
/// already carries.
pub fn default_inputs() -> Vec<InputSpec> {
    vec![
        InputSpec::new("coverage", "line-coverage", "quality", 1.0, COVERAGE).go(80.0),
        InputSpec::new("coverage", "diff-coverage", "quality", 2.0, COVERAGE).go(80.0),
        InputSpec::new("tests", VERDICT_METRIC, "quality", 2.0, VERDICT),
        InputSpec::new("audit", "security-score", "security", 3.0, PERCENT),
        InputSpec::new("sarif", VERDICT_METRIC, "security", 2.0, VERDICT),
        InputSpec::new("sbom", "hash-coverage", "security", 1.0, PERCENT),
        InputSpec::new("sbom", "license-coverage", "security", 1.0, PERCENT),
        InputSpec::new("sbom", "purl-coverage", "security", 1.0, PERCENT),
        InputSpec::new("load", "error-rate", "performance", 2.0, ERROR_RATE)
            .warn(1.0)
            .go(5.0),
        InputSpec::new("load", "latency-p95", "performance", 1.0, LOAD_P95),
        InputSpec::new("health", "p95-ms", "performance", 1.0, HEALTH_P95),
        InputSpec::new("deploy", VERDICT_METRIC, "reliability", 2.0, VERDICT),
        InputSpec::new("migrate", VERDICT_METRIC, "reliability", 1.0, VERDICT),
    ]
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            reports: Vec::new(),
            required: vec!["coverage".into(), "audit".into(), "sbom".into()],
            min_score: 70.0,
            warn_score: 80.0,
            critical_cap: 40.0,
            categories: Categories::default(),
            inputs: default_inputs(),
        }
    }
}

/// Flags of gate-score that are not configuration keys (keys are flags
/// already, generated from [`ScoreConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct ScoreArgs {
    /// For a no-go, say the smallest change in the evidence that would make it a go
    #[arg(long)]
    pub explain: bool,
}
