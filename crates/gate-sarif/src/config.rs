//! The `sarif` section of `gates.yml`. Doc comments become the schema's
//! descriptions, the flags' help and the docs' key table (`cargo xtask
//! schema`).

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
}

/// Flags of gate-sarif that are not configuration keys (keys are flags
/// already, generated from [`SarifConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct SarifArgs {}
