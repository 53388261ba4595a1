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
    /// Path rewrites FROM=TO applied to report paths before matching.
    pub path_map: Vec<String>,
    /// `none` or `diff-cover`.
    pub compat: Compat,
    /// Fail when fewer report files than this (percent) match tracked files.
    pub min_matched_files: f64,
    /// Changed files to leave out of diff coverage (globs on repository paths).
    pub exclude: Vec<String>,
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
            path_map: Vec::new(),
            compat: Compat::None,
            min_matched_files: 50.0,
            exclude: Vec::new(),
        }
    }
}

/// Flags of gate-coverage (each overrides the `gates.yml` key of the same name).
#[derive(Debug, Clone, clap::Args)]
pub struct CoverageArgs {
    /// Coverage report (repeatable, or comma-separated)
    #[arg(long = "report", id = "reports", value_name = "PATH")]
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
    /// Report path rewrite FROM=TO (repeatable)
    #[arg(long = "path-map", id = "path_map", value_name = "FROM=TO")]
    pub path_map: Vec<String>,
    /// Compatibility mode: none or diff-cover
    #[arg(long, value_name = "MODE")]
    pub compat: Option<String>,
}

/// What `collect` gathers.
#[derive(Debug)]
pub struct CoverageInput {
    pub totals: Counts,
    pub files: Vec<FileSummary>,
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

fn collect_sync(ctx: &Context, config: &CoverageConfig) -> gate_core::Result<CoverageInput> {
    if config.reports.is_empty() {
        return Err(GateError::Usage(
            "no coverage report given: pass --report PATH (or `reports:` in gates.yml)".into(),
        ));
    }
    let mut rules = Vec::new();
    for r in &config.path_map {
        rules.push(r.parse::<PathRule>().map_err(GateError::Usage)?);
    }
    let exclude = if config.exclude.is_empty() {
        None
    } else {
        let mut b = globset::GlobSetBuilder::new();
        for g in &config.exclude {
            b.add(globset::Glob::new(g).map_err(|e| {
                GateError::Config(vec![format!("coverage.exclude: invalid glob `{g}`: {e}")])
            })?);
        }
        Some(
            b.build()
                .map_err(|e| GateError::Config(vec![format!("coverage.exclude: {e}")]))?,
        )
    };
    let mut reports = Vec::new();
    for r in &config.reports {
        reports.push(crate::parse_file(&ctx.resolve(r)).map_err(to_gate_error)?);
    }
    let git = Git::open(&ctx.repo_root).ok();
    let tracked = match &git {
        Some(g) => g.ls_files().map_err(to_gate_error)?,
        None => Vec::new(),
    };
    let mapper = PathMapper::new(tracked, git.as_ref().map(Git::root), rules);
    let mut notes = Vec::new();

    // The change.
    let (text, diff_source): (Option<(PathBuf, Vec<u8>)>, String) = if let Some(f) =
        &config.diff_file
    {
        let p = ctx.resolve(f);
        let t = std::fs::read(&p).map_err(|e| GateError::read(&p, e))?;
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
                exclude,
            },
        )
    });
    Ok(CoverageInput {
        totals: map.totals(),
        files: per_file(&map),
        matches,
        diff,
        diff_source,
        compat,
        notes,
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
    }
    r.metrics.push(m);
    if let Some(b) = input.totals.branch_percent() {
        let mut m = Metric::info("branch-coverage", b, "%");
        if let Some(t) = config.branch {
            m = m.with_threshold(at_least(t));
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
    if let Some(min) = config.per_file {
        for f in &input.files {
            if let Some(p) = f.line_percent().filter(|p| *p < min) {
                r.findings.push(
                    Finding::new(
                        "file-below-minimum",
                        Severity::Error,
                        format!("{}: line coverage {p:.2}% is below {min}%", f.path),
                    )
                    .at(Location::file(f.path.clone())),
                );
            }
        }
    }
    let mut summary = format!(
        "line coverage {line:.2}% ({}/{} lines)",
        input.totals.lines_covered, input.totals.lines_measured
    );
    if let Some(d) = &input.diff {
        let (value, measured) = match &input.compat {
            #[allow(clippy::cast_precision_loss)]
            Some(dc) => (dc.total_percent_covered as f64, dc.total_num_lines),
            None => (d.percent().unwrap_or(100.0), d.measured),
        };
        let mut m = Metric::info("diff-coverage", value, "%");
        if let Some(t) = config.diff {
            if measured >= config.minimum_changed_lines {
                m = m.with_threshold(at_least(t));
            } else {
                r.findings.push(Finding::new(
                    "diff-too-small",
                    Severity::Note,
                    format!(
                        "{measured} measured changed line(s), fewer than minimum-changed-lines ({}): the diff threshold is not applied",
                        config.minimum_changed_lines
                    ),
                ));
            }
        }
        r.metrics.push(m);
        #[allow(clippy::cast_precision_loss)]
        r.metrics.push(Metric::info(
            "changed-lines-measured",
            measured as f64,
            "count",
        ));
        for f in &d.files {
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
                        format!("{}: changed {what} not covered by tests", f.path),
                    )
                    .at(Location::lines(f.path.clone(), s, e)),
                );
            }
        }
        for p in &d.absent_files {
            r.findings.push(
                Finding::new(
                    "changed-file-not-in-report",
                    Severity::Warning,
                    format!("{p} changed but no coverage report mentions it"),
                )
                .at(Location::file(p.clone())),
            );
        }
        summary.push_str(&format!(
            ", diff coverage {value:.2}% ({}/{} changed lines, {})",
            d.covered, d.measured, input.diff_source
        ));
    }
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
            "path": f.path, "line_percent": f.line_percent(),
            "lines_measured": f.counts.lines_measured, "lines_covered": f.counts.lines_covered,
        })).collect::<Vec<_>>(),
        "diff": input.diff.as_ref().map(|d| serde_json::json!({
            "measured": d.measured, "covered": d.covered, "changed": d.changed,
            "absent_files": d.absent_files,
        })),
        "diff_cover": input.compat.as_ref().map(|c| serde_json::json!({
            "total_num_lines": c.total_num_lines,
            "total_num_violations": c.total_num_violations,
            "total_percent_covered": c.total_percent_covered,
            "num_changed_lines": c.num_changed_lines,
        })),
    });
    r.finish()
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
        collect_sync(ctx, config)
    }

    fn evaluate(input: &Self::Input, config: &Self::Config) -> gate_core::report::Report {
        evaluate_input(input, config)
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
    let mapper = PathMapper::new(Vec::new(), None, Vec::new());
    let (text, changes) = match diff {
        Some(d) => {
            let t = std::fs::read(d).map_err(|e| GateError::read(d, e))?;
            let c = parse_unified_diff(d, &t).map_err(to_gate_error)?;
            (Some(t), Some(c))
        }
        None => (None, None),
    };
    let compat = match (&text, config.compat) {
        (Some(t), Compat::DiffCover) => {
            let dc = parse_diff_cover(Path::new("diff"), t).map_err(to_gate_error)?;
            Some(diff_cover(&parsed, &mapper, &dc))
        }
        _ => None,
    };
    let (map, matches) = map_reports(parsed, &mapper);
    let diff = changes
        .as_ref()
        .map(|c| diff_coverage(&map, c, &DiffOptions::default()));
    let input = CoverageInput {
        totals: map.totals(),
        files: per_file(&map),
        matches,
        diff,
        diff_source: "diff file".into(),
        compat,
        notes: Vec::new(),
    };
    Ok(evaluate_input(&input, config))
}
