//! The `sarif` section of `gates.yml`. Doc comments become the schema's
//! descriptions, the flags' help and the docs' key table (`cargo xtask
//! schema`).

use gate_core::types::Level;
use schemars::JsonSchema;
use serde::Deserialize;

/// The `sarif` section of `gates.yml`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SarifConfig {
    /// Files to check (paths relative to the repository root).
    #[schemars(extend("x-gates-separator" = "newline"))]
    pub inputs: Vec<String>,
    /// Largest size allowed for each input, in bytes.
    pub max_bytes: Option<u64>,
    /// What a SARIF result of level `error` makes: `error`, `warning`, `note` or `ignore` (default `error`).
    pub error: Option<Level>,
    /// What a SARIF result of level `warning` makes (default `warning`).
    pub warning: Option<Level>,
    /// What a SARIF result of level `note` makes (default `note`).
    pub note: Option<Level>,
    /// Fail on any result whose `security-severity` is at least this score (0 to 10; default 7.0, GitHub's "high").
    pub security_fail_at: Option<f64>,
    /// The base's SARIF files: when set, only results absent from them are reported (new-only mode).
    #[schemars(extend("x-gates-separator" = "newline"))]
    pub base: Vec<String>,
}

/// Flags of gate-sarif that are not configuration keys (keys are flags
/// already, generated from [`SarifConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct SarifArgs {}
