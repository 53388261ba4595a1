//! The `Gate` glue: configuration, flags, `collect` (reports, git, paths)
//! and the pure `evaluate`.

use std::path::{Path, PathBuf};

use gate_core::report::{Comparison, Finding, Location, Metric, Rule, Severity, Threshold};
use gate_core::{Context, Gate, GateError};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::compat::{DcReport, diff_cover};
use crate::compute::{
    AbsentFiles, DiffCoverage, DiffOptions, FileSummary, diff_coverage, per_file,
};
use crate::diff::{ChangeSet, parse_diff_cover, parse_unified_diff};
use crate::error::CoverageError;
use crate::git::{Git, Target};
use crate::model::Counts;
use crate::paths::{MatchStats, PathMapper, PathRule, map_reports};

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

/// A file of the coverage map with what the per-file checks need.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub summary: FileSummary,
    /// Indexes into `groups` of the groups the file belongs to.
    pub groups: Vec<usize>,
    /// Whether the per-file minimums apply (`include`/`exclude`).
    pub judged: bool,
}

/// Line counts of one path group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupTotals {
    pub counts: Counts,
    pub files: usize,
}

/// What the ledger holds for the base commit (the `max-drop` check).
#[derive(Debug, Clone, PartialEq)]
pub enum BaselineState {
    /// `max-drop` is not set: nothing was looked up.
    NotRequested,
    /// No base commit is known (no base, no pull request).
    NoBase,
    /// No coverage report is recorded for any of these commits.
    Missing { tried: Vec<String> },
    /// A report is recorded but has no `line-coverage` metric.
    NoMetric { commit: String },
    Found {
        commit: String,
        line_coverage: f64,
        url: Option<String>,
    },
}

/// What `collect` gathers.
#[derive(Debug)]
pub struct CoverageInput {
    pub totals: Counts,
    /// Worst line coverage first.
    pub files: Vec<FileEntry>,
    /// Aligned with the configuration's `groups`.
    pub groups: Vec<GroupTotals>,
    pub baseline: BaselineState,
    /// Where the ledger lives (`local` or `github`), for messages.
    pub ledger: String,
    pub matches: MatchStats,
    /// None when there is no change to look at (no base, no diff file).
    pub diff: Option<DiffCoverage>,
    pub diff_source: String,
    pub compat: Option<DcReport>,
    pub notes: Vec<String>,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "uncovered-changed-lines",
        summary: "Changed lines that no test executes",
        help: "Add tests that run these lines, or exclude generated files with `exclude`.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "changed-file-not-in-report",
        summary: "A changed source file is absent from every coverage report",
        help: "Make the coverage tool measure this file (its include/source settings), or set `absent-files: ignore`.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "file-below-minimum",
        summary: "A file's line coverage is below `min-file`",
        help: "Add tests for this file or lower its threshold.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "report-paths-unmatched",
        summary: "Few report paths match files tracked in the repository",
        help: "Map the report's paths with `--path-map FROM=TO` (e.g. /app/=src/).",
        default_severity: Severity::Error,
    },
    Rule {
        id: "coverage-dropped",
        summary: "Total line coverage fell more than `max-drop` points below the base commit's",
        help: "Add tests for the code this change adds or stops testing, or raise `max-drop` deliberately.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "baseline-missing",
        summary: "No coverage report is recorded for the base commit, so the drop check was skipped",
        help: "Run the gate on the base branch (push builds) so it records a report there; the check run `gates/coverage` keeps it.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "group-below-minimum",
        summary: "A path group's line coverage is below its `min-total`",
        help: "Add tests for the group's files or lower the group's threshold.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "group-not-measured",
        summary: "No measured line matches a path group's globs",
        help: "Check the group's `paths` globs against repository paths (e.g. `services/api/**`).",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "coverage-below-minimum",
        summary: "Total line, branch or diff coverage is below its minimum (`min-total`, `min-branch`, `min-diff`)",
        help: "Add tests for the uncovered lines the other findings list, or lower the threshold deliberately.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "worst-file",
        summary: "One of the files with the lowest line coverage",
        help: "Information for the summary: the files where tests would add the most.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "diff-too-small",
        summary: "Too few measured changed lines for the diff threshold",
        help: "Nothing to do: the diff threshold applies from `minimum-changed-lines` measured lines.",
        default_severity: Severity::Note,
    },
];

fn to_gate_error(e: CoverageError) -> GateError {
    match e {
        CoverageError::Io {
            location,
            source,
            hint,
        } => GateError::Input(format!(
            "cannot read {}: {source}\n  hint: {hint}",
            location.file.display()
        )),
        CoverageError::Parse {
            location,
            message,
            hint,
        } => GateError::malformed(
            location.file,
            location.line,
            format!("{message}\n  hint: {hint}"),
        ),
        CoverageError::Git { message, hint } => {
            GateError::Input(format!("git: {message}\n  hint: {hint}"))
        }
    }
}

/// The coverage gate.
#[derive(Debug)]
pub struct CoverageGate;

fn glob_set(key: &str, globs: &[String]) -> gate_core::Result<Option<globset::GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g).map_err(|e| {
            GateError::Config(vec![format!(
                "coverage.{key}: invalid glob `{g}`: {e}\n  hint: globs look like `src/**/*.py` or `services/api/**`"
            )])
        })?);
    }
    b.build()
        .map(Some)
        .map_err(|e| GateError::Config(vec![format!("coverage.{key}: {e}")]))
}

/// The `non-source` globs: the configured ones, else the defaults.
fn non_source_globs(config: &CoverageConfig) -> gate_core::Result<Option<globset::GlobSet>> {
    match &config.non_source {
        Some(globs) => glob_set("non-source", globs),
        None => Ok(crate::compute::default_non_source()),
    }
}

/// Per-file entries (include/exclude, group membership) and group totals.
pub fn classify_files(
    files: Vec<FileSummary>,
    config: &CoverageConfig,
) -> gate_core::Result<(Vec<FileEntry>, Vec<GroupTotals>)> {
    let include = glob_set("include", &config.include)?;
    let exclude = glob_set("exclude", &config.exclude)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut group_sets = Vec::new();
    for (i, g) in config.groups.iter().enumerate() {
        if g.name.trim().is_empty() {
            return Err(GateError::Config(vec![format!(
                "coverage.groups.{i}.name: a group needs a non-empty name"
            )]));
        }
        if !seen.insert(group_slug(&g.name)) {
            return Err(GateError::Config(vec![format!(
                "coverage.groups.{i}.name: `{}` is used by another group (names must stay distinct in kebab-case)",
                g.name
            )]));
        }
        if g.paths.is_empty() {
            return Err(GateError::Config(vec![format!(
                "coverage.groups.{i}.paths: group `{}` has no path glob, e.g. `paths: [\"services/api/**\"]`",
                g.name
            )]));
        }
        let key = format!("groups.{i}.paths");
        group_sets.push(glob_set(&key, &g.paths)?.unwrap_or_default());
    }
    let mut totals = vec![GroupTotals::default(); config.groups.len()];
    let entries = files
        .into_iter()
        .map(|summary| {
            let p = summary.path.as_str();
            let judged = include.as_ref().is_none_or(|s| s.is_match(p))
                && !exclude.as_ref().is_some_and(|s| s.is_match(p));
            let groups: Vec<usize> = group_sets
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_match(p))
                .map(|(i, _)| i)
                .collect();
            for &g in &groups {
                totals[g].counts.add(&summary.counts);
                totals[g].files += 1;
            }
            FileEntry {
                summary,
                groups,
                judged,
            }
        })
        .collect();
    Ok((entries, totals))
}

/// The kebab-case form of a group name, used in metric names.
pub fn group_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// What `collect_sync` leaves for the async part: the commits whose
/// recorded report is the baseline, best first.
struct Collected {
    input: CoverageInput,
    baseline_candidates: Option<Vec<String>>,
}

fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn collect_sync(ctx: &Context, config: &CoverageConfig) -> gate_core::Result<Collected> {
    if config.reports.is_empty() {
        return Err(GateError::Usage(
            "no coverage report given: pass --report PATH (or `reports:` in gates.yml)".into(),
        ));
    }
    // `github.event.before` of a branch's first push is forty zeros: no base.
    let config = &CoverageConfig {
        base: config
            .base
            .clone()
            .filter(|b| !(b.len() == 40 && b.bytes().all(|c| c == b'0'))),
        ..config.clone()
    };
    let mut rules = Vec::new();
    for r in &config.path_map {
        rules.push(r.parse::<PathRule>().map_err(GateError::Usage)?);
    }
    let exclude = glob_set("exclude", &config.exclude)?;
    let mut reports = Vec::new();
    for r in &config.reports {
        reports.push(crate::parse_file(&ctx.resolve(r)).map_err(to_gate_error)?);
    }
    let git = Git::open(&ctx.repo_root).ok();
    let tracked = match &git {
        Some(g) => g.ls_files().map_err(to_gate_error)?,
        None => Vec::new(),
    };
    let mut mapper = PathMapper::new(tracked, git.as_ref().map(Git::root), rules);
    let mut notes = Vec::new();
    // Commits whose recorded report is the baseline, best first: the merge
    // base (the code the change started from), then the base itself.
    let mut candidates: Vec<String> = Vec::new();

    // The change.
    let (text, diff_source): (Option<(PathBuf, Vec<u8>)>, String) = if let Some(f) =
        &config.diff_file
    {
        let p = ctx.resolve(f);
        let t = std::fs::read(&p).map_err(|e| GateError::read(&p, e))?;
        if config.max_drop.is_some()
            && let Some(base) = config.base.clone().or_else(|| ctx.github.base_sha.clone())
        {
            match git.as_ref().map(|g| g.resolve(&base)) {
                Some(Ok(Some(sha))) => candidates.push(sha),
                _ if is_full_sha(&base) => candidates.push(base.to_ascii_lowercase()),
                _ => {}
            }
        }
        (Some((p.clone(), t)), format!("diff file {f}"))
    } else {
        let base = config
            .base
            .clone()
            .or_else(|| ctx.github.base_sha.clone())
            .or_else(|| {
                git.as_ref().and_then(|g| {
                    g.resolve("origin/main")
                        .ok()
                        .flatten()
                        .map(|_| "origin/main".to_string())
                })
            });
        match (&git, base) {
            (Some(g), Some(base)) => {
                let mb = g.merge_base(&base, "HEAD").map_err(to_gate_error)?;
                let t = g.diff_text(&mb, Target::Head).map_err(to_gate_error)?;
                candidates.push(mb);
                if let Ok(Some(sha)) = g.resolve(&base) {
                    candidates.push(sha);
                }
                (
                    Some((PathBuf::from("git diff"), t)),
                    format!("{base}...HEAD"),
                )
            }
            _ => {
                notes.push("no base to compare with (no --base, no pull request, no origin/main): diff coverage skipped".into());
                (None, String::new())
            }
        }
    };
    let (changes, compat): (Option<ChangeSet>, Option<DcReport>) = match &text {
        Some((name, t)) => {
            let changes = parse_unified_diff(name, t).map_err(to_gate_error)?;
            mapper = mapper.with_changed(changes.files.iter().map(|f| f.path.clone()));
            let compat = if config.compat == Compat::DiffCover {
                let dc = parse_diff_cover(name, t).map_err(to_gate_error)?;
                Some(diff_cover(&reports, &mapper, &dc))
            } else {
                None
            };
            (Some(changes), compat)
        }
        None => (None, None),
    };
    let (map, matches) = map_reports(reports, &mapper);
    let diff = changes
        .as_ref()
        .map(|c| -> gate_core::Result<DiffCoverage> {
            Ok(diff_coverage(
                &map,
                c,
                &DiffOptions {
                    absent_files: match config.absent_files {
                        AbsentPolicy::Uncovered => AbsentFiles::Uncovered,
                        AbsentPolicy::Ignore => AbsentFiles::Ignore,
                    },
                    source_extensions: None,
                    non_source: non_source_globs(config)?,
                    exclude,
                },
            ))
        })
        .transpose()?;
    let (files, groups) = classify_files(per_file(&map), config)?;
    // A report recorded for the commit under test is not a baseline.
    let mut baseline_candidates = Vec::new();
    for c in candidates {
        if ctx.commit.as_deref() != Some(c.as_str()) && !baseline_candidates.contains(&c) {
            baseline_candidates.push(c);
        }
    }
    Ok(Collected {
        input: CoverageInput {
            totals: map.totals(),
            files,
            groups,
            baseline: BaselineState::NotRequested,
            ledger: ctx.ledger.kind().to_string(),
            matches,
            diff,
            diff_source,
            compat,
            notes,
        },
        baseline_candidates: config.max_drop.map(|_| baseline_candidates),
    })
}

/// Reads the base commit's recorded report from the ledger (a check run on
/// GitHub, `.gates/` locally). Never guesses: no record is `Missing`.
/// `key` is the record of this gate instance (`coverage`, or
/// `coverage/<instance>` with `--instance`): a baseline comes from the same
/// instance on the base commit.
pub async fn lookup_baseline(
    ledger: &gate_core::ledger::Ledger,
    key: &str,
    candidates: &[String],
) -> gate_core::Result<BaselineState> {
    if candidates.is_empty() {
        return Ok(BaselineState::NoBase);
    }
    for c in candidates {
        if let Some(rec) = ledger.result_for(c, key).await? {
            return Ok(match rec.report.metric("line-coverage") {
                Some(m) if m.value.is_finite() => BaselineState::Found {
                    commit: c.clone(),
                    line_coverage: m.value,
                    url: rec.url,
                },
                _ => BaselineState::NoMetric { commit: c.clone() },
            });
        }
    }
    Ok(BaselineState::Missing {
        tried: candidates.to_vec(),
    })
}

fn at_least(v: f64) -> Threshold {
    Threshold::new(Comparison::AtLeast, v)
}

fn evaluate_input(input: &CoverageInput, config: &CoverageConfig) -> gate_core::report::Report {
    let mut r = gate_core::report::Report::new(CoverageGate::ID);
    r.checked = input.matches.matched as u64;
    let line = input.totals.line_percent().unwrap_or(0.0);
    let mut m = Metric::info("line-coverage", line, "%");
    if let Some(t) = config.total {
        m = m.with_threshold(at_least(t));
        below_minimum(
            &mut r,
            "line-coverage",
            line,
            t,
            format!(
                "total line coverage {line:.2}% ({}/{} lines) is below the minimum {t}% (min-total)",
                input.totals.lines_covered, input.totals.lines_measured
            ),
        );
    }
    r.metrics.push(m);
    if let Some(b) = input.totals.branch_percent() {
        let mut m = Metric::info("branch-coverage", b, "%");
        if let Some(t) = config.branch {
            m = m.with_threshold(at_least(t));
            below_minimum(
                &mut r,
                "branch-coverage",
                b,
                t,
                format!(
                    "total branch coverage {b:.2}% ({}/{} branches) is below the minimum {t}% (min-branch)",
                    input.totals.branches_covered, input.totals.branches_total
                ),
            );
        }
        r.metrics.push(m);
    }
    #[allow(clippy::cast_precision_loss)]
    r.metrics.push(Metric::info(
        "lines-measured",
        input.totals.lines_measured as f64,
        "count",
    ));
    r.metrics.push(
        Metric::info("report-files-matched", input.matches.matched_percent(), "%")
            .with_threshold(at_least(config.min_matched_files)),
    );
    if input.matches.matched_percent() < config.min_matched_files || input.matches.matched == 0 {
        let examples = input.matches.unmatched_examples.join(", ");
        r.findings.push(Finding::new(
            "report-paths-unmatched",
            Severity::Error,
            format!(
                "only {} of {} report files match files tracked in the repository; unmatched, e.g.: {examples}. Use --path-map FROM=TO",
                input.matches.matched, input.matches.report_files
            ),
        ));
    }
    per_file_findings(&mut r, input, config);
    group_metrics(&mut r, input, config);
    if config.groups.is_empty() {
        directory_chart(&mut r, input);
    }
    worst_files(&mut r, input);
    let mut summary = format!(
        "line coverage {line:.2}% ({}/{} lines)",
        input.totals.lines_covered, input.totals.lines_measured
    );
    if let Some(d) = &input.diff {
        let fig = DiffFigures::new(d, input.compat.as_ref(), config);
        let mut m = Metric::info("diff-coverage", fig.value, "%");
        if let Some(t) = config.diff {
            if fig.applies {
                m = m.with_threshold(at_least(t));
                below_minimum(
                    &mut r,
                    "diff-coverage",
                    fig.value,
                    t,
                    format!(
                        "diff coverage {:.2}% ({}/{} changed lines{}) is below the minimum {t}%",
                        fig.value,
                        fig.covered,
                        fig.measured,
                        if fig.compat {
                            ", diff-cover's figure"
                        } else {
                            ""
                        }
                    ),
                );
            } else {
                r.findings.push(Finding::new(
                    "diff-too-small",
                    Severity::Note,
                    format!(
                        "{} measured changed line(s), fewer than minimum-changed-lines ({}): the diff threshold is not applied",
                        fig.measured, config.minimum_changed_lines
                    ),
                ));
            }
        }
        r.metrics.push(m);
        #[allow(clippy::cast_precision_loss)]
        r.metrics.push(Metric::info(
            "changed-lines-measured",
            fig.measured as f64,
            "count",
        ));
        for f in fig.files.iter().filter(|f| f.in_report) {
            for &(s, e) in &f.uncovered {
                let what = if s == e {
                    format!("line {s}")
                } else {
                    format!("lines {s}-{e}")
                };
                r.findings.push(
                    Finding::new(
                        "uncovered-changed-lines",
                        Severity::Warning,
                        format!(
                            "changed {what} not covered by tests (this file: {}/{} measured changed lines covered, {:.2}%)",
                            f.covered, f.measured, f.percent
                        ),
                    )
                    .at(Location::lines(f.path.clone(), s, e)),
                );
            }
        }
        for a in &d.absent_files {
            let counted = if fig.compat {
                "not counted (diff-cover leaves out files no report mentions)"
            } else if config.absent_files == AbsentPolicy::Uncovered {
                "counted as uncovered"
            } else {
                "not counted (absent-files: ignore)"
            };
            r.findings.push(
                Finding::new(
                    "changed-file-not-in-report",
                    Severity::Warning,
                    format!(
                        "changed, but no coverage report measures this file: its {} changed code line(s) ({}) are {counted}",
                        a.lines,
                        a.ranges
                            .iter()
                            .map(|&(s, e)| if s == e { s.to_string() } else { format!("{s}-{e}") })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .at(Location::file(a.path.clone())),
            );
        }
        summary.push_str(&format!(
            ", diff coverage {:.2}% ({}/{} changed lines{}, {})",
            fig.value,
            fig.covered,
            fig.measured,
            if fig.compat {
                ", diff-cover's figure"
            } else {
                ""
            },
            input.diff_source
        ));
        if d.unmeasured > 0 {
            let files = d.absent_files.len();
            if fig.compat || config.absent_files == AbsentPolicy::Ignore {
                summary.push_str(&format!(
                    "; {} changed line(s) in {files} file(s) no report measures are not counted",
                    d.unmeasured
                ));
            } else {
                summary.push_str(&format!(
                    "; {} of them in {files} file(s) no report measures",
                    d.unmeasured
                ));
            }
        }
    }
    baseline_check(&mut r, &mut summary, input, config, line);
    for n in &input.notes {
        summary.push_str(&format!("; {n}"));
    }
    r.summary = summary;
    r.details = serde_json::json!({
        "totals": {
            "lines_measured": input.totals.lines_measured,
            "lines_covered": input.totals.lines_covered,
            "branches_total": input.totals.branches_total,
            "branches_covered": input.totals.branches_covered,
        },
        "report_files": input.matches.report_files,
        "matched_files": input.matches.matched,
        "unmatched_examples": input.matches.unmatched_examples,
        "worst_files": input.files.iter().take(20).map(|f| serde_json::json!({
            "path": f.summary.path, "line_percent": f.summary.line_percent(),
            "lines_measured": f.summary.counts.lines_measured, "lines_covered": f.summary.counts.lines_covered,
        })).collect::<Vec<_>>(),
        "groups": config.groups.iter().zip(&input.groups).map(|(g, t)| serde_json::json!({
            "name": g.name, "files": t.files, "line_percent": t.counts.line_percent(),
            "lines_measured": t.counts.lines_measured, "lines_covered": t.counts.lines_covered,
        })).collect::<Vec<_>>(),
        "baseline": match &input.baseline {
            BaselineState::Found { commit, line_coverage, url } => serde_json::json!({
                "commit": commit, "line_coverage": line_coverage, "url": url,
            }),
            _ => serde_json::Value::Null,
        },
        "diff": input.diff.as_ref().map(|d| serde_json::json!({
            "measured": d.measured, "covered": d.covered, "changed": d.changed,
            "report_measured": d.report_measured, "unmeasured": d.unmeasured,
            "absent_files": d.absent_files.iter().map(|a| a.path.clone()).collect::<Vec<_>>(),
            "absent_lines": d.absent_files.iter().map(|a| serde_json::json!({
                "path": a.path, "lines": a.lines,
            })).collect::<Vec<_>>(),
            "files": d.files.iter().map(|f| serde_json::json!({
                "path": f.path, "measured": f.measured, "covered": f.covered,
                "in_report": f.in_report,
            })).collect::<Vec<_>>(),
        })),
        "diff_cover": input.compat.as_ref().map(|c| serde_json::json!({
            "total_num_lines": c.total_num_lines,
            "total_num_violations": c.total_num_violations,
            "total_percent_covered": c.total_percent_covered,
            "num_changed_lines": c.num_changed_lines,
            "src_stats": c.src_stats.iter().map(|(p, f)| (p.clone(), serde_json::json!({
                "percent_covered": f.percent_covered,
                "violation_lines": f.violation_lines,
                "covered_lines": f.covered_lines,
            }))).collect::<serde_json::Map<_, _>>(),
        })),
    });
    r.finish()
}

/// A `coverage-below-minimum` error when `value` is under `min`: a failed
/// threshold is an error finding too, so it is counted and annotated.
fn below_minimum(
    r: &mut gate_core::report::Report,
    metric: &str,
    value: f64,
    min: f64,
    message: String,
) {
    if at_least(min).judge(value) == gate_core::report::Verdict::Fail {
        r.findings.push(
            Finding::new("coverage-below-minimum", Severity::Error, message).with_key(metric),
        );
    }
}

/// Diff coverage of one file, as the figures count it.
struct FileFigures {
    path: String,
    covered: u64,
    measured: u64,
    percent: f64,
    uncovered: Vec<(u32, u32)>,
    in_report: bool,
}

/// The one set of diff figures the headline, the metrics and the findings
/// show: gates' own, or diff-cover's in compat mode.
struct DiffFigures {
    value: f64,
    covered: u64,
    measured: u64,
    /// Whether the diff threshold applies (`minimum-changed-lines`).
    applies: bool,
    compat: bool,
    files: Vec<FileFigures>,
}

impl DiffFigures {
    fn new(d: &DiffCoverage, compat: Option<&DcReport>, config: &CoverageConfig) -> Self {
        match compat {
            #[allow(clippy::cast_precision_loss)]
            Some(dc) => DiffFigures {
                value: dc.total_percent_covered as f64,
                covered: dc.total_num_lines - dc.total_num_violations,
                measured: dc.total_num_lines,
                applies: dc.total_num_lines >= config.minimum_changed_lines,
                compat: true,
                files: dc
                    .src_stats
                    .iter()
                    .map(|(path, f)| FileFigures {
                        path: path.clone(),
                        covered: f.covered_lines.len() as u64,
                        measured: (f.covered_lines.len() + f.violation_lines.len()) as u64,
                        percent: f.percent_covered,
                        uncovered: crate::compute::ranges(&f.violation_lines),
                        in_report: true,
                    })
                    .collect(),
            },
            None => DiffFigures {
                value: d.value(),
                covered: d.covered,
                measured: d.measured,
                applies: !d.below_minimum(config.minimum_changed_lines),
                compat: false,
                files: d
                    .files
                    .iter()
                    .map(|f| FileFigures {
                        path: f.path.clone(),
                        covered: f.covered,
                        measured: f.measured,
                        percent: crate::model::percent(f.covered, f.measured).unwrap_or(100.0),
                        uncovered: f.uncovered.clone(),
                        in_report: f.in_report,
                    })
                    .collect(),
            },
        }
    }
}

/// How many of the worst files the report lists (notes, for the summary table).
pub const WORST_FILES: usize = 10;

fn per_file_findings(
    r: &mut gate_core::report::Report,
    input: &CoverageInput,
    config: &CoverageConfig,
) {
    for e in input.files.iter().filter(|e| e.judged) {
        // The strictest group minimum wins over the top-level `min-file`.
        let group_min = e
            .groups
            .iter()
            .filter_map(|&g| {
                let group = config.groups.get(g)?;
                group.min_file.map(|m| (m, group.name.as_str()))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let (min, group) = match group_min {
            Some((m, name)) => (m, Some(name)),
            None => match config.per_file {
                Some(m) => (m, None),
                None => continue,
            },
        };
        let f = &e.summary;
        if let Some(p) = f.line_percent().filter(|p| *p < min) {
            let whose = group.map(|g| format!(" (group {g})")).unwrap_or_default();
            r.findings.push(
                Finding::new(
                    "file-below-minimum",
                    Severity::Error,
                    format!(
                        "line coverage {p:.2}% ({}/{} lines) is below the minimum {min}%{whose}",
                        f.counts.lines_covered, f.counts.lines_measured
                    ),
                )
                .at(Location::file(f.path.clone())),
            );
        }
    }
}

fn group_metrics(
    r: &mut gate_core::report::Report,
    input: &CoverageInput,
    config: &CoverageConfig,
) {
    if config.groups.is_empty() {
        return;
    }
    let mut xs = Vec::new();
    let mut values = Vec::new();
    for (g, t) in config.groups.iter().zip(&input.groups) {
        let slug = group_slug(&g.name);
        let Some(p) = t.counts.line_percent() else {
            r.findings.push(Finding::new(
                "group-not-measured",
                Severity::Warning,
                format!(
                    "group {}: no measured line in any file matching {}; check its `paths` globs",
                    g.name,
                    g.paths.join(", ")
                ),
            ).with_key(slug));
            continue;
        };
        let mut m = Metric::info(format!("group-{slug}-line-coverage"), p, "%");
        if let Some(min) = g.min_total {
            m = m.with_threshold(at_least(min));
            if p < min {
                r.findings.push(Finding::new(
                    "group-below-minimum",
                    Severity::Error,
                    format!(
                        "group {}: line coverage {p:.2}% ({}/{} lines in {} files) is below its minimum {min}%",
                        g.name, t.counts.lines_covered, t.counts.lines_measured, t.files
                    ),
                ).with_key(slug.clone()));
            }
        }
        r.metrics.push(m);
        xs.push(g.name.clone());
        values.push((p * 100.0).round() / 100.0);
    }
    if !xs.is_empty() {
        r.charts.push(gate_core::report::Chart {
            y_max: Some(100.0),
            title: "Line coverage per group".into(),
            x_label: "group".into(),
            y_label: "line coverage (%)".into(),
            x: xs,
            series: vec![gate_core::report::Series {
                name: "line coverage".into(),
                kind: gate_core::report::SeriesKind::Bar,
                values,
            }],
        });
    }
}

/// Directories the per-directory chart shows at most (the largest by measured lines).
pub const CHART_DIRECTORIES: usize = 12;

/// Without configured groups, the top-level directories are the groups a
/// reader looks for: a bar chart of line coverage per top-level directory
/// (files at the root as `(root)`), when there are at least two.
fn directory_chart(r: &mut gate_core::report::Report, input: &CoverageInput) {
    let mut dirs: std::collections::BTreeMap<&str, Counts> = std::collections::BTreeMap::new();
    for e in &input.files {
        let p = e.summary.path.as_str();
        let top = p.split_once('/').map_or("(root)", |(t, _)| t);
        dirs.entry(top).or_default().add(&e.summary.counts);
    }
    dirs.retain(|_, c| c.lines_measured > 0);
    if dirs.len() < 2 {
        return;
    }
    let mut largest: Vec<(&str, Counts)> = dirs.into_iter().collect();
    largest.sort_by(|a, b| {
        b.1.lines_measured
            .cmp(&a.1.lines_measured)
            .then(a.0.cmp(b.0))
    });
    largest.truncate(CHART_DIRECTORIES);
    largest.sort_by(|a, b| a.0.cmp(b.0));
    let values = largest
        .iter()
        .map(|(_, c)| (c.line_percent().unwrap_or(0.0) * 100.0).round() / 100.0)
        .collect();
    r.charts.push(gate_core::report::Chart {
        y_max: Some(100.0),
        title: "Line coverage per top-level directory".into(),
        x_label: "directory".into(),
        y_label: "line coverage (%)".into(),
        x: largest.iter().map(|(d, _)| (*d).to_string()).collect(),
        series: vec![gate_core::report::Series {
            name: "line coverage".into(),
            kind: gate_core::report::SeriesKind::Bar,
            values,
        }],
    });
}

/// The files with the lowest line coverage, as notes (the summary's table).
fn worst_files(r: &mut gate_core::report::Report, input: &CoverageInput) {
    let worst = input
        .files
        .iter()
        .filter(|e| e.judged)
        .filter(|e| e.summary.line_percent().is_some_and(|p| p < 100.0))
        .take(WORST_FILES);
    for (rank, e) in worst.enumerate() {
        let f = &e.summary;
        let p = f.line_percent().unwrap_or(0.0);
        r.findings.push(
            Finding::new(
                "worst-file",
                Severity::Note,
                format!(
                    "#{}: {} has line coverage {p:.2}% ({}/{} lines)",
                    rank + 1,
                    f.path,
                    f.counts.lines_covered,
                    f.counts.lines_measured
                ),
            )
            // Findings sort by key among notes without a location: the rank
            // first keeps them worst first (then by path, as ranked).
            .with_key(format!("{:02}:{}", rank + 1, f.path)),
        );
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn baseline_check(
    r: &mut gate_core::report::Report,
    summary: &mut String,
    input: &CoverageInput,
    config: &CoverageConfig,
    line: f64,
) {
    let Some(max_drop) = config.max_drop else {
        return;
    };
    let skipped = |why: String| {
        Finding::new(
            "baseline-missing",
            Severity::Note,
            format!("max-drop: {why}; the drop check is skipped, not guessed"),
        )
    };
    match &input.baseline {
        BaselineState::NotRequested => {}
        BaselineState::NoBase => r.findings.push(skipped(
            "no base commit is known (no --base, no pull request base, no origin/main)".into(),
        )),
        BaselineState::Missing { tried } => {
            let list: Vec<&str> = tried.iter().map(|c| short(c)).collect();
            r.findings.push(skipped(format!(
                "no coverage report is recorded for the base ({}) in the {} ledger; run the gate on the base branch too so it records one",
                list.join(", "),
                input.ledger
            )));
        }
        BaselineState::NoMetric { commit } => r.findings.push(skipped(format!(
            "the report recorded for {} has no line-coverage metric",
            short(commit)
        ))),
        BaselineState::Found {
            commit,
            line_coverage,
            ..
        } => {
            // Rounded to 1e-9 so float noise never decides a tie.
            let change = ((line - line_coverage) * 1e9).round() / 1e9;
            r.metrics
                .push(Metric::info("base-line-coverage", *line_coverage, "%"));
            r.metrics.push(
                Metric::info("line-coverage-change", change, "pp")
                    .with_threshold(at_least(-max_drop)),
            );
            if change < -max_drop {
                r.findings.push(Finding::new(
                    "coverage-dropped",
                    Severity::Error,
                    format!(
                        "total line coverage dropped {:.2} points, from {line_coverage:.2}% on the base {} to {line:.2}%; at most {max_drop} allowed (max-drop)",
                        -change,
                        short(commit)
                    ),
                ));
            }
            summary.push_str(&format!(
                ", {change:+.2} pp versus {} ({line_coverage:.2}%)",
                short(commit)
            ));
        }
    }
}

impl Gate for CoverageGate {
    const ID: &'static str = "coverage";
    const ABOUT: &'static str = "Total, per-file and diff coverage from LCOV, Cobertura, JaCoCo, Clover, Go, Istanbul and llvm-cov reports";
    const RULES: &'static [Rule] = RULES;
    type Config = CoverageConfig;
    type Args = CoverageArgs;
    type Input = CoverageInput;

    async fn collect(
        ctx: &Context,
        config: &Self::Config,
        _args: &Self::Args,
    ) -> gate_core::Result<Self::Input> {
        let Collected {
            mut input,
            baseline_candidates,
        } = collect_sync(ctx, config)?;
        if let Some(c) = baseline_candidates {
            input.baseline =
                lookup_baseline(&ctx.ledger, &ctx.record_key(CoverageGate::ID), &c).await?;
        }
        Ok(input)
    }

    fn evaluate(input: &Self::Input, config: &Self::Config) -> gate_core::report::Report {
        evaluate_input(input, config)
    }

    async fn publish(
        ctx: &Context,
        config: &Self::Config,
        report: &gate_core::report::Report,
    ) -> gate_core::Result<()> {
        if config.comment {
            crate::comment::publish(ctx, report).await?;
        }
        Ok(())
    }

    fn outputs(report: &gate_core::report::Report) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(m) = report.metric("line-coverage") {
            out.push(("total".to_string(), format!("{:.2}", m.value)));
        }
        if let Some(m) = report.metric("diff-coverage") {
            out.push(("diff".to_string(), format!("{:.2}", m.value)));
        }
        out
    }
}

/// Used by tests: evaluate reports and a diff file without a git repository.
pub fn evaluate_files(
    reports: &[&Path],
    diff: Option<&Path>,
    config: &CoverageConfig,
) -> gate_core::Result<gate_core::report::Report> {
    let mut parsed = Vec::new();
    for r in reports {
        parsed.push(crate::parse_file(r).map_err(to_gate_error)?);
    }
    let (text, changes) = match diff {
        Some(d) => {
            let t = std::fs::read(d).map_err(|e| GateError::read(d, e))?;
            let c = parse_unified_diff(d, &t).map_err(to_gate_error)?;
            (Some(t), Some(c))
        }
        None => (None, None),
    };
    let mapper = PathMapper::new(Vec::new(), None, Vec::new()).with_changed(
        changes
            .iter()
            .flat_map(|c| c.files.iter().map(|f| f.path.clone())),
    );
    let compat = match (&text, config.compat) {
        (Some(t), Compat::DiffCover) => {
            let dc = parse_diff_cover(Path::new("diff"), t).map_err(to_gate_error)?;
            Some(diff_cover(&parsed, &mapper, &dc))
        }
        _ => None,
    };
    let (map, matches) = map_reports(parsed, &mapper);
    let exclude = glob_set("exclude", &config.exclude)?;
    let non_source = non_source_globs(config)?;
    let diff = changes.as_ref().map(|c| {
        diff_coverage(
            &map,
            c,
            &DiffOptions {
                absent_files: match config.absent_files {
                    AbsentPolicy::Uncovered => AbsentFiles::Uncovered,
                    AbsentPolicy::Ignore => AbsentFiles::Ignore,
                },
                source_extensions: None,
                non_source,
                exclude,
            },
        )
    });
    let (files, groups) = classify_files(per_file(&map), config)?;
    let input = CoverageInput {
        totals: map.totals(),
        files,
        groups,
        baseline: BaselineState::NotRequested,
        ledger: "none".into(),
        matches,
        diff,
        diff_source: "diff file".into(),
        compat,
        notes: Vec::new(),
    };
    Ok(evaluate_input(&input, config))
}
