//! The `tests` section of `gates.yml`. Doc comments become the schema's
//! descriptions, the flags' help and the docs' key table (`cargo xtask
//! schema`).

use schemars::JsonSchema;
use serde::Deserialize;

/// The `tests` section of `gates.yml`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct TestsConfig {
    /// Files to check (paths relative to the repository root).
    #[schemars(extend("x-gates-separator" = "newline"))]
    pub inputs: Vec<String>,
    /// Largest size allowed for each input, in bytes.
    pub max_bytes: Option<u64>,
    /// Fewest testcases that must have run (passed, failed or flaky; skipped
    /// ones do not count). A report that ran nothing never passes.
    pub min_tests: Option<u64>,
    /// Largest share of skipped testcases allowed, from 0 to 1.
    pub max_skipped_ratio: Option<f64>,
    /// Fail (rather than warn) on a test that passed only on a retry.
    pub fail_on_flaky: bool,
    /// How many of the slowest tests the summary lists (default 5).
    pub slowest: Option<usize>,
}

/// Flags of gate-tests that are not configuration keys (keys are flags
/// already, generated from [`TestsConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct TestsArgs {}
