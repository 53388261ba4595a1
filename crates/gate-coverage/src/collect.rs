//! `collect`: the reports, the change (a diff file or git), path mapping,
//! the per-file and per-group figures, and the base commit's recorded
//! report; everything `evaluate` reads, as a [`CoverageInput`].

use std::path::{Path, PathBuf};

use gate_core::{Context, GateError};

use crate::compat::{DcReport, diff_cover};
use crate::compute::{
    AbsentFiles, DiffCoverage, DiffOptions, FileSummary, diff_coverage, per_file,
};
use crate::config::{AbsentPolicy, Compat, CoverageConfig, ID};
use crate::diff::{ChangeSet, parse_diff_cover, parse_unified_diff};
use crate::error::CoverageError;
use crate::git::{Git, Target};
use crate::model::{Counts, ParsedReport};
use crate::paths::{MatchStats, PathMapper, PathRule, map_reports};

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

/// A coverage error as the gate error (and exit code) it stands for.
pub fn to_gate_error(e: CoverageError) -> GateError {
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
    gate_core::text::slug(name, "")
}

/// Reads the reports, the change and the base commit's recorded report:
/// everything `evaluate` needs.
pub async fn collect(ctx: &Context, config: &CoverageConfig) -> gate_core::Result<CoverageInput> {
    let Collected {
        mut input,
        baseline_candidates,
    } = collect_sync(ctx, config)?;
    if let Some(c) = baseline_candidates {
        input.baseline = lookup_baseline(&ctx.ledger, &ctx.record_key(ID), &c).await?;
    }
    Ok(input)
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

/// The diff options of the configuration.
fn diff_options(
    config: &CoverageConfig,
    exclude: Option<globset::GlobSet>,
) -> gate_core::Result<DiffOptions> {
    Ok(DiffOptions {
        absent_files: match config.absent_files {
            AbsentPolicy::Uncovered => AbsentFiles::Uncovered,
            AbsentPolicy::Ignore => AbsentFiles::Ignore,
        },
        source_extensions: None,
        non_source: non_source_globs(config)?,
        exclude,
    })
}

/// The text of the change (with the name its errors cite) and where it
/// came from, for the summary.
type Change = (Option<(PathBuf, Vec<u8>)>, String);

/// The change read from `diff-file`; with `max-drop`, the base (if known)
/// is the baseline candidate.
fn change_from_file(
    ctx: &Context,
    config: &CoverageConfig,
    file: &str,
    git: Option<&Git>,
    candidates: &mut Vec<String>,
) -> gate_core::Result<Change> {
    let p = ctx.resolve(file);
    let t = std::fs::read(&p).map_err(|e| GateError::read(&p, e))?;
    if config.max_drop.is_some()
        && let Some(base) = config.base.clone().or_else(|| ctx.github.base_sha.clone())
    {
        match git.map(|g| g.resolve(&base)) {
            Some(Ok(Some(sha))) => candidates.push(sha),
            _ if is_full_sha(&base) => candidates.push(base.to_ascii_lowercase()),
            _ => {}
        }
    }
    Ok((Some((p.clone(), t)), format!("diff file {file}")))
}

/// The change from git: the base (`base`, the pull request's base, else
/// origin/main) to HEAD; the merge base, then the base, are the baseline
/// candidates. Without a base, a note and no change.
fn change_from_git(
    ctx: &Context,
    config: &CoverageConfig,
    git: Option<&Git>,
    candidates: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> gate_core::Result<Change> {
    let base = config
        .base
        .clone()
        .or_else(|| ctx.github.base_sha.clone())
        .or_else(|| {
            git.and_then(|g| {
                g.resolve("origin/main")
                    .ok()
                    .flatten()
                    .map(|_| "origin/main".to_string())
            })
        });
    match (git, base) {
        (Some(g), Some(base)) => {
            let mb = g.merge_base(&base, "HEAD").map_err(to_gate_error)?;
            let t = g.diff_text(&mb, Target::Head).map_err(to_gate_error)?;
            candidates.push(mb);
            if let Ok(Some(sha)) = g.resolve(&base) {
                candidates.push(sha);
            }
            Ok((
                Some((PathBuf::from("git diff"), t)),
                format!("{base}...HEAD"),
            ))
        }
        _ => {
            notes.push("no base to compare with (no --base, no pull request, no origin/main): diff coverage skipped".into());
            Ok((None, String::new()))
        }
    }
}

/// The parsed change, the mapper told which files changed, and
/// diff-cover's figures in compat mode.
fn parse_change(
    text: Option<&(PathBuf, Vec<u8>)>,
    mapper: PathMapper,
    reports: &[ParsedReport],
    config: &CoverageConfig,
) -> gate_core::Result<(Option<ChangeSet>, Option<DcReport>, PathMapper)> {
    let Some((name, t)) = text else {
        return Ok((None, None, mapper));
    };
    let changes = parse_unified_diff(name, t).map_err(to_gate_error)?;
    let mapper = mapper.with_changed(changes.files.iter().map(|f| f.path.clone()));
    let compat = if config.compat == Compat::DiffCover {
        let dc = parse_diff_cover(name, t).map_err(to_gate_error)?;
        Some(diff_cover(reports, &mapper, &dc))
    } else {
        None
    };
    Ok((Some(changes), compat, mapper))
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
    let mapper = PathMapper::new(tracked, git.as_ref().map(Git::root), rules);
    let mut notes = Vec::new();
    // Commits whose recorded report is the baseline, best first: the merge
    // base (the code the change started from), then the base itself.
    let mut candidates: Vec<String> = Vec::new();
    let (text, diff_source) = match &config.diff_file {
        Some(f) => change_from_file(ctx, config, f, git.as_ref(), &mut candidates)?,
        None => change_from_git(ctx, config, git.as_ref(), &mut candidates, &mut notes)?,
    };
    let (changes, compat, mapper) = parse_change(text.as_ref(), mapper, &reports, config)?;
    let (map, matches) = map_reports(reports, &mapper);
    let diff = changes
        .as_ref()
        .map(|c| -> gate_core::Result<DiffCoverage> {
            Ok(diff_coverage(&map, c, &diff_options(config, exclude)?))
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

/// The input from report files and a diff file, without a git repository
/// or a ledger (tests and benchmarks).
pub fn from_files(
    reports: &[&Path],
    diff: Option<&Path>,
    config: &CoverageConfig,
) -> gate_core::Result<CoverageInput> {
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
    let options = diff_options(config, glob_set("exclude", &config.exclude)?)?;
    let diff = changes.as_ref().map(|c| diff_coverage(&map, c, &options));
    let (files, groups) = classify_files(per_file(&map), config)?;
    Ok(CoverageInput {
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
    })
}
