//! The `coverage` section of `gates.yml` and the gate's flags.

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
    /// Coverage reports (LCOV, Cobertura, JaCoCo, Clover, Go, Istanbul, llvm-cov; format detected from content).
    pub reports: Vec<String>,
    /// Minimum total line coverage, in percent.
    #[serde(rename = "min-total")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub total: Option<f64>,
    /// Minimum total branch coverage, in percent.
    #[serde(rename = "min-branch")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub branch: Option<f64>,
    /// Minimum line coverage of every file, in percent.
    #[serde(rename = "min-file")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub per_file: Option<f64>,
    /// Minimum diff coverage (covered changed lines / measured changed lines), in percent.
    #[serde(rename = "min-diff")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub diff: Option<f64>,
    /// Below this many measured changed lines the diff threshold is not applied.
    pub minimum_changed_lines: u64,
    /// Base of the change: a ref or SHA (default: the pull request's base in Actions, else origin/main).
    pub base: Option<String>,
    /// Read the change from this unified diff file instead of git.
    pub diff_file: Option<String>,
    /// Changed source files absent from the reports: `uncovered` or `ignore`.
    pub absent_files: AbsentPolicy,
    /// Changed files that are not source code (tests, docs, examples; globs on repository paths): never counted as unmeasured when no report knows them. Default: the common test and documentation layouts (see the docs); `[]` counts every file in a measured language.
    pub non_source: Option<Vec<String>>,
    /// Path rewrites FROM=TO applied to report paths before matching.
    pub path_map: Vec<String>,
    /// `none` or `diff-cover`.
    pub compat: Compat,
    /// Fail when fewer report files than this (percent) match tracked files.
    pub min_matched_files: f64,
    /// Files left out of diff coverage and of the per-file minimums (globs on repository paths).
    pub exclude: Vec<String>,
    /// When set, only files matching these globs are held to the per-file minimums (`min-file`, groups' `min-file`).
    pub include: Vec<String>,
    /// Largest allowed drop of total line coverage versus the base commit's recorded report, in percentage points.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub max_drop: Option<f64>,
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
    #[schemars(range(min = 0.0, max = 100.0))]
    pub min_total: Option<f64>,
    /// Minimum line coverage of each file of the group, in percent (instead of the top-level `min-file`).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub min_file: Option<f64>,
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
            min_matched_files: 50.0,
            exclude: Vec::new(),
            include: Vec::new(),
            max_drop: None,
            groups: Vec::new(),
            comment: false,
        }
    }
}

/// Flags of gate-coverage (each overrides the `gates.yml` key of the same name).
#[derive(Debug, Clone, clap::Args)]
pub struct CoverageArgs {
    /// Coverage report (repeatable, or comma-separated)
    #[arg(
        long = "report",
        id = "reports",
        value_name = "PATH",
        value_delimiter = ','
    )]
    pub reports: Vec<String>,
    /// Minimum total line coverage, percent
    #[arg(long = "min-total", id = "min_total", value_name = "PERCENT")]
    pub total: Option<String>,
    /// Minimum branch coverage, percent
    #[arg(long = "min-branch", id = "min_branch", value_name = "PERCENT")]
    pub branch: Option<String>,
    /// Minimum line coverage of every file, percent
    #[arg(long = "min-file", id = "min_file", value_name = "PERCENT")]
    pub per_file: Option<String>,
    /// Minimum diff coverage, percent
    #[arg(long = "min-diff", id = "min_diff", value_name = "PERCENT")]
    pub diff: Option<String>,
    /// Measured changed lines below which the diff threshold is not applied
    #[arg(
        long = "minimum-changed-lines",
        id = "minimum_changed_lines",
        value_name = "N"
    )]
    pub minimum_changed_lines: Option<String>,
    /// Base ref or SHA of the change
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Unified diff file to read the change from (instead of git)
    #[arg(long = "diff-file", id = "diff_file", value_name = "PATH")]
    pub diff_file: Option<String>,
    /// Changed files absent from the reports: uncovered or ignore
    #[arg(long = "absent-files", id = "absent_files", value_name = "POLICY")]
    pub absent_files: Option<String>,
    /// Changed files that are not source code, never counted as unmeasured (glob, repeatable; default: test and doc layouts)
    #[arg(long = "non-source", id = "non_source", value_name = "GLOB")]
    pub non_source: Vec<String>,
    /// Report path rewrite FROM=TO (repeatable)
    #[arg(long = "path-map", id = "path_map", value_name = "FROM=TO")]
    pub path_map: Vec<String>,
    /// Compatibility mode: none or diff-cover
    #[arg(long, value_name = "MODE")]
    pub compat: Option<String>,
    /// Largest allowed drop of total line coverage versus the base commit, percentage points
    #[arg(long = "max-drop", id = "max_drop", value_name = "POINTS")]
    pub max_drop: Option<String>,
    /// Files held to the per-file minimums (glob, repeatable; default every file)
    #[arg(long = "include", id = "include", value_name = "GLOB")]
    pub include: Vec<String>,
    /// Files left out of diff coverage and of the per-file minimums (glob, repeatable)
    #[arg(long = "exclude", id = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Post or update the sticky pull-request comment (true or false)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub comment: Option<String>,
}
