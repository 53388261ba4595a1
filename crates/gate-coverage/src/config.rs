//! The `coverage` section of `gates.yml` and the gate's flags.

use gate_core::types::Percent;
use schemars::JsonSchema;
use serde::Deserialize;

/// The gate's id: it names the `gates.yml` section, the check run
/// `gates/coverage` and the `GATES_COVERAGE_*` variables.
pub const ID: &str = "coverage";

/// What to do with changed source files the reports do not mention.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AbsentPolicy {
    /// Every changed line of such a file counts as uncovered.
    #[default]
    Uncovered,
    /// Such files are listed but not counted.
    Ignore,
}

/// Compatibility mode of the diff coverage figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Compat {
    /// gates' own figure.
    #[default]
    None,
    /// diff-cover 11's figure (its line selection, integer truncation, several reports).
    DiffCover,
}

/// The `coverage` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct CoverageConfig {
    /// Coverage report (repeatable, or comma-separated). LCOV, Cobertura, JaCoCo, Clover, Go, Istanbul or llvm-cov; the format is detected from the content.
    #[schemars(extend("x-gates-flag" = "report", "x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub reports: Vec<String>,
    /// Minimum total line coverage, in percent.
    #[serde(rename = "min-total")]
    pub total: Option<Percent>,
    /// Minimum total branch coverage, in percent.
    #[serde(rename = "min-branch")]
    pub branch: Option<Percent>,
    /// Minimum line coverage of every file, in percent.
    #[serde(rename = "min-file")]
    pub per_file: Option<Percent>,
    /// Minimum diff coverage (covered changed lines / measured changed lines), in percent.
    #[serde(rename = "min-diff")]
    pub diff: Option<Percent>,
    /// Measured changed lines below which the diff threshold is not applied.
    pub minimum_changed_lines: u64,
    /// Base of the change: a ref or SHA (default: the pull request's base in Actions, else origin/main).
    #[schemars(extend("x-gates-value-name" = "REF"))]
    pub base: Option<String>,
    /// Read the change from this unified diff file instead of git.
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub diff_file: Option<String>,
    /// Changed source files absent from the reports: `uncovered` or `ignore`.
    pub absent_files: AbsentPolicy,
    /// Changed files that are not source code, never counted as unmeasured (glob on repository paths, repeatable; default: test and doc layouts). The default lists the common test and documentation layouts (see the docs); `[]` counts every file in a measured language. A glob may hold a comma (`{a,b}`), so a `GATES_*` value is split on lines only.
    #[schemars(extend("x-gates-separator" = "newline"))]
    #[schemars(extend("x-gates-value-name" = "GLOB"))]
    pub non_source: Option<Vec<String>>,
    /// Report path rewrite FROM=TO, applied to report paths before matching (repeatable, or comma-separated).
    #[schemars(extend("x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "FROM=TO"))]
    pub path_map: Vec<String>,
    /// Compatibility mode of the diff figure: `none` or `diff-cover`.
    pub compat: Compat,
    /// Fail when fewer report files than this (percent) match tracked files.
    pub min_matched_files: Percent,
    /// Files left out of diff coverage and of the per-file minimums (glob on repository paths, repeatable). A glob may hold a comma (`{a,b}`), so a `GATES_*` value is split on lines only.
    #[schemars(extend("x-gates-separator" = "newline"))]
    #[schemars(extend("x-gates-value-name" = "GLOB"))]
    pub exclude: Vec<String>,
    /// Files held to the per-file minimums (`min-file`, groups' `min-file`) when set (glob on repository paths, repeatable; default every file). A glob may hold a comma (`{a,b}`), so a `GATES_*` value is split on lines only.
    #[schemars(extend("x-gates-separator" = "newline"))]
    #[schemars(extend("x-gates-value-name" = "GLOB"))]
    pub include: Vec<String>,
    /// Largest allowed drop of total line coverage versus the base commit's recorded report, in percentage points (0 to 100).
    pub max_drop: Option<Percent>,
    /// Path groups (monorepo components), each with its own thresholds.
    pub groups: Vec<Group>,
    /// Post the report as one pull-request comment, updated in place (needs `pull-requests: write`).
    pub comment: bool,
}

/// A path group (a monorepo component) with its own thresholds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Group {
    /// Name shown in the report; the group's metric is `group-<name>-line-coverage`.
    pub name: String,
    /// Globs on repository paths; a file belongs to every group one of whose globs matches it.
    pub paths: Vec<String>,
    /// Minimum line coverage of the group's files taken together, in percent.
    #[serde(default)]
    pub min_total: Option<Percent>,
    /// Minimum line coverage of each file of the group, in percent (instead of the top-level `min-file`).
    #[serde(default)]
    pub min_file: Option<Percent>,
}

impl Default for CoverageConfig {
    fn default() -> Self {
        CoverageConfig {
            reports: Vec::new(),
            total: None,
            branch: None,
            per_file: None,
            diff: None,
            minimum_changed_lines: 5,
            base: None,
            diff_file: None,
            absent_files: AbsentPolicy::Uncovered,
            non_source: None,
            path_map: Vec::new(),
            compat: Compat::None,
            min_matched_files: Percent(50.0),
            exclude: Vec::new(),
            include: Vec::new(),
            max_drop: None,
            groups: Vec::new(),
            comment: false,
        }
    }
}

/// Flags of gate-coverage that are not `gates.yml` keys: none. Every key
/// that is not a mapping has its flag, generated from [`CoverageConfig`]'s
/// schema (`reports` keeps its published spelling `--report`).
#[derive(Debug, Clone, clap::Args)]
pub struct CoverageArgs {}
