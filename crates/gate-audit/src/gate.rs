//! The `Gate` glue: configuration, flags, `collect` (databases, lockfiles,
//! ignore lists, the clock) and the pure `evaluate`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gate_core::report::{Finding, Location, Metric, Report, Rule, SarifRule, Severity};
use gate_core::{Context, Gate, GateError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::lockfile::{self, Detail, Ecosystem, Lockfile};
use crate::matcher::{self, Class, Hit};
use crate::policy::{self, Ignore, IgnoreRule};
use crate::severity::Level;
use crate::{fetch, osv, rustsec, yanked};

/// Lowest severity that fails the gate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FailOnSeverity {
    /// Every vulnerability fails, whatever its score (cargo-audit's behaviour).
    #[default]
    Any,
    Low,
    Medium,
    High,
    Critical,
}

impl FailOnSeverity {
    fn threshold(self) -> Option<Level> {
        match self {
            FailOnSeverity::Any => None,
            FailOnSeverity::Low => Some(Level::Low),
            FailOnSeverity::Medium => Some(Level::Medium),
            FailOnSeverity::High => Some(Level::High),
            FailOnSeverity::Critical => Some(Level::Critical),
        }
    }
}

/// What a finding of a class does to the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClassLevel {
    /// An error: the gate fails.
    Fail,
    /// A warning (fails only with `--fail-on warn`).
    Warn,
    /// Listed as a note; never changes the verdict.
    Note,
    /// Not reported at all.
    Ignore,
}

impl ClassLevel {
    fn severity(self) -> Option<Severity> {
        match self {
            ClassLevel::Fail => Some(Severity::Error),
            ClassLevel::Warn => Some(Severity::Warning),
            ClassLevel::Note => Some(Severity::Note),
            ClassLevel::Ignore => None,
        }
    }
}

/// A maximum database age: text (`7d`, `36h`, `2w`, `off`) or `false` (off;
/// YAML reads a bare `off` as false).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum MaxAge {
    Text(String),
    Switch(bool),
}

impl MaxAge {
    /// Hours, or `None` when the check is off.
    pub fn hours(&self) -> Result<Option<u64>, String> {
        match self {
            MaxAge::Text(t) => policy::parse_age(t),
            MaxAge::Switch(false) => Ok(None),
            MaxAge::Switch(true) => Err("`true` is not an age: use e.g. 7d, or `off`".into()),
        }
    }
}

/// The `audit` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct AuditConfig {
    /// Lockfiles to audit (repository-relative paths). Empty: every lockfile under the repository: Cargo.lock (also *.Cargo.lock), package-lock.json, npm-shrinkwrap.json, requirements*.txt, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, go.mod, Gemfile.lock, gems.locked, composer.lock. Discovery skips target/, node_modules/, .git/ and .gates/, what git ignores (.gitignore), test data (a `fixtures` or `testdata` folder, `tests/data`, `test/data`) and `exclude`; a lockfile listed here is always read.
    pub lockfiles: Vec<String>,
    /// Globs of repository-relative paths that lockfile discovery skips (`vendor/**`, `**/examples/*/Cargo.lock`); a glob matching a folder skips everything under it. `*` stays within a folder, `**` crosses folders. Lockfiles listed in `lockfiles` are read whatever this says.
    pub exclude: Vec<String>,
    /// RustSec advisory-db directory (a git checkout or plain export with `crates/`): Cargo.lock files are matched with cargo-audit's semantics.
    pub rustsec_db: Option<String>,
    /// OSV data for npm, PyPI and crates.io: directories of OSV JSON records (one advisory per file, searched recursively) or osv.dev `all.zip` archives (read in place).
    pub osv_db: Vec<String>,
    /// Maximum age of the advisory data (`7d`, `36h`, `2w`, or `off`). A git checkout's age is its last commit's; an export's is its newest entry's. Older data stops the gate with exit 4.
    pub max_db_age: MaxAge,
    /// Lowest severity that fails: `any` (every vulnerability), `low`, `medium`, `high` or `critical`. Vulnerabilities below it are warnings.
    pub fail_on_severity: FailOnSeverity,
    /// Vulnerabilities with no CVSS vector and no severity label: `fail`, `warn` or `note`. With `fail-on-severity: any` they always fail.
    pub unknown_severity: ClassLevel,
    /// Level of `unmaintained` advisories (RustSec informational).
    pub unmaintained: ClassLevel,
    /// Level of `unsound` advisories (RustSec informational).
    pub unsound: ClassLevel,
    /// Level of `notice` advisories (RustSec informational).
    pub notice: ClassLevel,
    /// Audit development-only packages (npm `dev: true`). When false they are skipped and counted.
    pub include_dev: bool,
    /// Accepted advisories: each with `id` (or alias), `reason` and `expires` (YYYY-MM-DD), optionally `package`. An expired ignore fails the gate; an unused one warns.
    pub ignore: Vec<IgnoreRule>,
    /// Accepted advisories for one run, each `ID=REASON` (the `--ignore` flag, or `GATES_AUDIT_IGNORE_ONCE`): a reason is required, no expiry (nothing is committed). Ignores kept in gates.yml belong in `ignore`, with their expiry.
    pub ignore_once: Vec<String>,
    /// Also honour the ignore lists of `.cargo/audit.toml` and `osv-scanner.toml` at the repository root (migration aid).
    pub import_ignores: bool,
    /// Cache directory (gate-audit uses its `audit/` folder): parsed databases keyed by their commit or files, and fetched data. Default: `$GATES_CACHE_DIR`, else `$XDG_CACHE_HOME/gates`, else `$RUNNER_TOOL_CACHE/gates`, else `~/.cache/gates`; `off` disables it (and `fetch`).
    pub cache_dir: Option<String>,
    /// Download or refresh advisory data into the cache before auditing: the RustSec advisory-db (shallow git clone, keyed by commit) for Cargo.lock, osv.dev's `all.zip` (keyed by ETag/Last-Modified) for npm and PyPI, and the crates.io index for yanked crates. Only sources not set by `rustsec-db` / `osv-db` are fetched; later runs without `fetch` use the cached copies offline. Network errors exit 5.
    pub fetch: bool,
    /// Ask the OSV API (`/v1/querybatch`, then `/v1/vulns/{id}`, cached) about the lockfiles' npm and PyPI packages instead of downloading whole `all.zip` archives. Online: network errors exit 5.
    pub osv_api: bool,
    /// Git URL of the RustSec advisory-db, for `fetch`.
    pub rustsec_url: String,
    /// Base URL of osv.dev's archives (`<url>/<ecosystem>/all.zip`), for `fetch`.
    pub osv_zip_url: String,
    /// Base URL of the OSV API, for `osv-api`.
    pub osv_api_url: String,
    /// Base URL of the crates.io sparse index (`<url>/<prefix>/<name>`), for yanked crates with `fetch`.
    pub crates_index_url: String,
    /// Level of yanked crates (crates.io index, read from Cargo's local index cache, or online with `fetch`): `fail`, `warn`, `note` or `ignore`.
    pub yanked: ClassLevel,
    /// Fail only on findings the change introduces: findings already present in the base commit's lockfiles are reported as warnings.
    pub new_only: bool,
    /// Base of the change for `new-only`: a ref or SHA (default: the pull request's base, else origin/main).
    pub base: Option<String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            lockfiles: Vec::new(),
            exclude: Vec::new(),
            rustsec_db: None,
            osv_db: Vec::new(),
            max_db_age: MaxAge::Text("7d".into()),
            fail_on_severity: FailOnSeverity::Any,
            unknown_severity: ClassLevel::Fail,
            unmaintained: ClassLevel::Warn,
            unsound: ClassLevel::Warn,
            notice: ClassLevel::Warn,
            include_dev: true,
            ignore: Vec::new(),
            ignore_once: Vec::new(),
            import_ignores: true,
            cache_dir: None,
            fetch: false,
            osv_api: false,
            rustsec_url: fetch::RUSTSEC_URL.into(),
            osv_zip_url: fetch::OSV_ZIP_URL.into(),
            osv_api_url: fetch::OSV_API_URL.into(),
            crates_index_url: fetch::CRATES_INDEX_URL.into(),
            yanked: ClassLevel::Warn,
            new_only: false,
            base: None,
        }
    }
}

/// Flags of gate-audit (each overrides the `gates.yml` key of the same name).
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// Lockfile to audit (repeatable); default: discover every lockfile under the repository (Cargo.lock, package-lock.json, npm-shrinkwrap.json, requirements*.txt, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, go.mod, Gemfile.lock, gems.locked, composer.lock), skipping what git ignores, test data (fixtures/, testdata/, tests/data/) and --exclude
    #[arg(long = "lockfile", id = "lockfiles", value_name = "PATH")]
    pub lockfiles: Vec<String>,
    /// Glob of paths that lockfile discovery skips (repeatable): `vendor/**`
    #[arg(long = "exclude", id = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// RustSec advisory-db directory
    #[arg(long = "rustsec-db", id = "rustsec_db", value_name = "DIR")]
    pub rustsec_db: Option<String>,
    /// Directory of OSV JSON advisories or an OSV all.zip (repeatable)
    #[arg(long = "osv-db", id = "osv_db", value_name = "DIR")]
    pub osv_db: Vec<String>,
    /// Maximum age of the advisory data: 7d, 36h, 2w or off
    #[arg(long = "max-db-age", id = "max_db_age", value_name = "AGE")]
    pub max_db_age: Option<String>,
    /// Lowest severity that fails: any, low, medium, high, critical
    #[arg(
        long = "fail-on-severity",
        id = "fail_on_severity",
        value_name = "LEVEL"
    )]
    pub fail_on_severity: Option<String>,
    /// Level of unrated vulnerabilities: fail, warn, note
    #[arg(
        long = "unknown-severity",
        id = "unknown_severity",
        value_name = "LEVEL"
    )]
    pub unknown_severity: Option<String>,
    /// Audit development-only packages: true or false
    #[arg(long = "include-dev", id = "include_dev", value_name = "BOOL")]
    pub include_dev: Option<String>,
    /// Accept an advisory for this run: ID=REASON (repeatable; the reason is required). Ignores kept in gates.yml go in `ignore`, with an expiry
    #[arg(long = "ignore", id = "ignore_once", value_name = "ID=REASON")]
    pub ignore_once: Vec<String>,
    /// Download or refresh the advisory data into the cache (online)
    #[arg(long = "fetch", id = "fetch", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub fetch: Option<String>,
    /// Query the OSV API for npm and PyPI packages (online)
    #[arg(long = "osv-api", id = "osv_api", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub osv_api: Option<String>,
    /// Cache directory (off to disable)
    #[arg(long = "cache-dir", id = "cache_dir", value_name = "DIR")]
    pub cache_dir: Option<String>,
    /// Level of yanked crates: fail, warn, note, ignore
    #[arg(long = "yanked", id = "yanked", value_name = "LEVEL")]
    pub yanked: Option<String>,
    /// Fail only on findings the change introduces (compared with --base)
    #[arg(long = "new-only", id = "new_only", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub new_only: Option<String>,
    /// Base ref or SHA for --new-only (default: the pull request's base, else origin/main)
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
}

/// A lockfile as the report describes it.
#[derive(Debug, Clone, Serialize)]
pub struct LockSummary {
    pub path: String,
    pub format: String,
    pub ecosystem: &'static str,
    pub packages: u64,
    pub dev_packages: u64,
    /// Entries that could not be checked: (line, why).
    pub unchecked: Vec<(u32, String)>,
}

/// A database as the report describes it.
#[derive(Debug, Clone, Serialize)]
pub struct DbSummary {
    pub kind: &'static str,
    pub path: String,
    pub advisories: u64,
    /// Date of the data (commit date, or newest entry), `YYYY-MM-DD`.
    pub date: Option<String>,
    pub age_days: Option<i64>,
}

/// What `collect` gathers.
#[derive(Debug, Clone)]
pub struct AuditInput {
    /// Lockfiles discovery found and left out: (path, why).
    pub skipped: Vec<(String, String)>,
    pub lockfiles: Vec<LockSummary>,
    pub databases: Vec<DbSummary>,
    pub hits: Vec<Hit>,
    pub ignores: Vec<Ignore>,
    /// Today, as a day number (for ignore expiry).
    pub today: i64,
    /// With `new-only`: the base revision and the finding keys already there.
    pub base: Option<(String, BTreeSet<String>)>,
    /// What was fetched or taken from the cache, for people.
    pub fetch: Vec<String>,
    /// crates.io packages whose yanked status is unknown: lockfile →
    /// `name version`s; and how many were checked (`None`: the check is off).
    pub yanked_unknown: BTreeMap<String, Vec<String>>,
    pub yanked_checked: Option<usize>,
    /// crates.io packages whose name crates.io cannot have (never looked
    /// up in the index).
    pub invalid_names: Vec<InvalidName>,
}

/// A crates.io package of a Cargo.lock whose name breaks crates.io's name
/// rules.
#[derive(Debug, Clone, Serialize)]
pub struct InvalidName {
    pub lockfile: String,
    pub line: u32,
    pub name: String,
    pub version: String,
    /// Which rule the name breaks.
    pub why: &'static str,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "vulnerability",
        summary: "A locked package has a known vulnerability",
        help: "Upgrade the package to a fixed version (see the advisory), or add an ignore with a reason and an expiry date.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "unmaintained",
        summary: "A locked package is unmaintained (RustSec informational advisory)",
        help: "Plan a replacement; set `unmaintained: note` to stop warning.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "unsound",
        summary: "A locked package has an unsound API (RustSec informational advisory)",
        help: "Upgrade to a fixed version or check that the unsound API is not used.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "notice",
        summary: "A locked package has a notice advisory (RustSec informational)",
        help: "Read the advisory; set `notice: note` to stop warning.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "yanked",
        summary: "A locked crate version was yanked from crates.io",
        help: "Update the crate (`cargo update -p NAME`): its owners withdrew this version; set `yanked: note` to stop warning.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "yanked-unknown",
        summary: "The yanked status of some crates is unknown (no local crates.io index entry)",
        help: "Run with --fetch (or `cargo update --dry-run` / any cargo build, which fills Cargo's index cache) to check them.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "invalid-crate-name",
        summary: "A crates.io package of a Cargo.lock has a name crates.io cannot have",
        help: "crates.io names are 1 to 64 ASCII letters, digits, `-` and `_`, starting with a letter: the lockfile was edited by hand or tampered with. Review its history and regenerate it (`cargo generate-lockfile`).",
        default_severity: Severity::Error,
    },
    Rule {
        id: "ignored",
        summary: "A finding matched an ignore entry",
        help: "Nothing to do until the ignore expires.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "ignore-expired",
        summary: "An ignore entry is past its expiry date (matching a finding or not)",
        help: "Fix the vulnerability, or renew the ignore with a new reason and date; remove it if it matches nothing.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "ignore-unused",
        summary: "An ignore entry that has not expired matches no finding",
        help: "Remove it: the vulnerability is gone (or the id is misspelt).",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "unchecked-entry",
        summary: "A lockfile entry could not be checked (unpinned requirement, git or file dependency)",
        help: "Pin the requirement with == (pip-compile / uv pip compile) so it can be audited.",
        default_severity: Severity::Note,
    },
];

fn db_error(e: rustsec::DbError) -> GateError {
    GateError::malformed(
        e.path,
        e.line,
        format!(
            "{}\n  hint: fix or remove the file, or update the database",
            e.message
        ),
    )
}

/// A lockfile discovery left out: (repository-relative path, why).
pub type Skipped = (String, String);

/// Lockfiles under `root` (gate-core's walk), without what a person would
/// not call the project's: paths git ignores, test data (a `fixtures` or
/// `testdata` folder, `tests/data`, `test/data`) and the `exclude` globs.
/// Returns the kept paths and the skipped ones with the reason.
pub fn discover(
    root: &Path,
    exclude: &[String],
) -> gate_core::Result<(Vec<PathBuf>, Vec<Skipped>)> {
    let mut globs = globset::GlobSetBuilder::new();
    for (i, g) in exclude.iter().enumerate() {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| {
                GateError::Config(vec![format!(
                    "audit.exclude[{i}]: `{g}` is not a glob: {e}"
                )])
            })?;
        globs.add(glob);
    }
    let globs = globs
        .build()
        .map_err(|e| GateError::Config(vec![format!("audit.exclude: {e}")]))?;
    let found = lockfile::discover(root, 12).map_err(|e| GateError::read(root, e))?;
    let ignored = git_ignored(root, &found);
    let mut kept = Vec::new();
    let mut skipped = Vec::new();
    for p in found {
        let r = rel(root, &p);
        let dirs: Vec<&str> = r.split('/').collect();
        let dirs = &dirs[..dirs.len().saturating_sub(1)];
        let test_data = dirs.iter().enumerate().find_map(|(i, d)| {
            let pair = i > 0 && *d == "data" && matches!(dirs[i - 1], "tests" | "test");
            (matches!(*d, "fixtures" | "testdata") || pair).then(|| dirs[..=i].join("/"))
        });
        // The path itself or any folder above it.
        let excluded = (1..=r.split('/').count())
            .map(|n| r.split('/').take(n).collect::<Vec<_>>().join("/"))
            .find(|prefix| globs.is_match(prefix));
        let why = if ignored.contains(&r) {
            Some("ignored by git".to_string())
        } else if let Some(d) = test_data {
            Some(format!("test data (`{d}/`)"))
        } else {
            excluded.map(|m| format!("`exclude` matches `{m}`"))
        };
        match why {
            Some(w) => skipped.push((r, w)),
            None => kept.push(p),
        }
    }
    Ok((kept, skipped))
}

/// The repository-relative paths among `paths` that git ignores
/// (`git check-ignore`: every .gitignore, `.git/info/exclude`, the global
/// excludes). Empty outside a git work tree or without git.
fn git_ignored(root: &Path, paths: &[PathBuf]) -> BTreeSet<String> {
    use std::io::Write;
    if paths.is_empty() {
        return BTreeSet::new();
    }
    let child = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["check-ignore", "--stdin", "-z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return BTreeSet::new();
    };
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(rel(root, p).as_bytes());
        input.push(0);
    }
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    let out = child.wait_with_output();
    if let Some(w) = writer {
        let _ = w.join();
    }
    match out {
        // 0: some are ignored; 1: none is; 128: not a work tree.
        Ok(o) if o.status.code() == Some(0) => o
            .stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
        _ => BTreeSet::new(),
    }
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i64::try_from(secs / 86_400).unwrap_or(0)
}

fn check_age(
    summary: &mut DbSummary,
    max_hours: Option<u64>,
    today: i64,
    dir: &Path,
) -> gate_core::Result<()> {
    let Some(date) = summary.date.as_deref().and_then(policy::parse_date) else {
        if max_hours.is_some() {
            return Err(GateError::Input(format!(
                "{}: cannot tell the age of the {} database (no commit date, no dated entry)\n  hint: use a git checkout or an export with dated entries, or set max-db-age: off",
                dir.display(),
                summary.kind
            )));
        }
        return Ok(());
    };
    let age = today - date;
    summary.age_days = Some(age);
    if let Some(max) = max_hours {
        let max_days = i64::try_from(max.div_ceil(24)).unwrap_or(i64::MAX);
        if age > max_days || (max < 24 && age > 0) {
            return Err(GateError::Input(format!(
                "{}: the {} database is {age} days old (data of {}), older than max-db-age ({} h)\n  hint: update it (e.g. `git -C {} pull`), or raise max-db-age",
                dir.display(),
                summary.kind,
                policy::format_date(date),
                max,
                dir.display()
            )));
        }
    }
    Ok(())
}

/// `--ignore ID=REASON` entries (key `ignore-once`): for this run only, so
/// without an expiry, and never without a reason.
fn ignores_once(entries: &[String]) -> gate_core::Result<Vec<Ignore>> {
    let mut out = Vec::new();
    for e in entries {
        let (id, reason) = e.split_once('=').unwrap_or((e.as_str(), ""));
        let (id, reason) = (id.trim(), reason.trim());
        if id.is_empty() || reason.is_empty() {
            return Err(GateError::Usage(format!(
                "--ignore `{e}`: an ignore needs an advisory id and a reason, as ID=REASON\n  hint: --ignore '{}=why it does not apply here' (kept in gates.yml: `audit.ignore` with id, reason and expires)",
                if id.is_empty() {
                    "RUSTSEC-2020-0071"
                } else {
                    id
                }
            )));
        }
        out.push(Ignore {
            id: id.to_string(),
            reason: reason.to_string(),
            expires: None,
            package: None,
            origin: "--ignore".into(),
        });
    }
    Ok(out)
}

fn validate_ignores(rules: &[IgnoreRule]) -> gate_core::Result<Vec<Ignore>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        if r.id.trim().is_empty() {
            errors.push(format!(
                "audit.ignore[{i}].id: empty; give the advisory id (e.g. RUSTSEC-2020-0071)"
            ));
        }
        if r.reason.trim().is_empty() {
            errors.push(format!(
                "audit.ignore[{i}].reason: empty; say why `{}` is acceptable",
                r.id
            ));
        }
        match policy::parse_date(&r.expires) {
            Some(d) if r.expires.trim().len() == 10 => out.push(Ignore {
                id: r.id.trim().to_string(),
                reason: r.reason.trim().to_string(),
                expires: Some(policy::format_date(d)),
                package: r.package.clone(),
                origin: "gates.yml".into(),
            }),
            _ => errors.push(format!(
                "audit.ignore[{i}].expires: `{}` is not a date; use YYYY-MM-DD",
                r.expires
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(GateError::Config(errors))
    }
}

/// The cache directory: the config, else `$GATES_CACHE_DIR`,
/// `$XDG_CACHE_HOME/gates`, `$HOME/.cache/gates`; none when `off`.
fn cache_dir(config: &AuditConfig, root: &Path) -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    match config.cache_dir.as_deref().map(str::trim) {
        Some("off" | "false" | "") => None,
        Some(p) => Some(root.join(p)),
        None => env("GATES_CACHE_DIR")
            .or_else(|| env("XDG_CACHE_HOME").map(|p| p.join("gates")))
            .or_else(|| env("RUNNER_TOOL_CACHE").map(|p| p.join("gates")))
            .or_else(|| env("HOME").map(|p| p.join(".cache/gates"))),
    }
}

fn git(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    o.status.success().then_some(o.stdout)
}

/// Finding keys of the base revision's versions of `locks` (same databases).
fn base_keys(
    root: &Path,
    config: &AuditConfig,
    pr_base: Option<&str>,
    locks: &[Lockfile],
    rdb: Option<&rustsec::Database>,
    odb: Option<&osv::Database>,
) -> gate_core::Result<(String, BTreeSet<String>)> {
    let base = config
        .base
        .clone()
        .or_else(|| pr_base.map(String::from))
        .or_else(|| git(root, &["rev-parse", "--verify", "--quiet", "origin/main^{commit}"]).map(|_| "origin/main".into()))
        .ok_or_else(|| {
            GateError::Input(
                "new-only needs a base to compare with: pass --base REF (no pull request base, no origin/main)".into(),
            )
        })?;
    let spec = format!("{base}^{{commit}}");
    if git(root, &["rev-parse", "--verify", "--quiet", &spec]).is_none() {
        return Err(GateError::Input(format!(
            "new-only: base `{base}` is not a commit of this repository\n  hint: fetch it (actions/checkout with fetch-depth: 0)"
        )));
    }
    let mut old = Vec::new();
    for l in locks {
        let Some(kind) = lockfile::kind_of(Path::new(&l.path)) else {
            continue;
        };
        // absent in the base: every finding of this lockfile is new
        let Some(bytes) = git(root, &["show", &format!("{base}:{}", l.path)]) else {
            continue;
        };
        if let Ok(parsed) = lockfile::parse_with(kind, &l.path, &bytes, Detail::Packages) {
            old.push(parsed);
        }
    }
    let keys = matcher::match_all(&old, rdb, odb)
        .iter()
        .map(Hit::key)
        .collect();
    Ok((base, keys))
}

/// Everything `collect` does, with the clock and the repository given.
pub fn collect_at(root: &Path, config: &AuditConfig, today: i64) -> gate_core::Result<AuditInput> {
    collect_with(root, config, today, None)
}

/// [`collect_at`] with the pull request's base commit, when known.
pub fn collect_with(
    root: &Path,
    config: &AuditConfig,
    today: i64,
    pr_base: Option<&str>,
) -> gate_core::Result<AuditInput> {
    collect_inner(root, config, today, pr_base, None)
}

/// [`collect_with`] with records from the OSV API.
fn collect_inner(
    root: &Path,
    config: &AuditConfig,
    today: i64,
    pr_base: Option<&str>,
    api: Option<fetch::ApiData>,
) -> gate_core::Result<AuditInput> {
    let resolve = |p: &str| -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            root.join(p)
        }
    };
    let max_age = config
        .max_db_age
        .hours()
        .map_err(|m| GateError::Config(vec![format!("audit.max-db-age: {m}")]))?;
    let mut ignores = validate_ignores(&config.ignore)?;
    ignores.extend(ignores_once(&config.ignore_once)?);
    if config.rustsec_db.is_none() && config.osv_db.is_empty() && api.is_none() {
        return Err(GateError::Input(
            "no advisory database: none is configured and none was fetched into the cache\n  hint: run once with --fetch (`fetch: true`) to download the data into the cache (later runs use it offline), or point --rustsec-db at a RustSec advisory-db checkout and/or --osv-db at OSV JSON directories or all.zip archives".into(),
        ));
    }
    let mut databases = Vec::new();
    let rdb = match &config.rustsec_db {
        Some(p) => {
            let dir = resolve(p);
            let cache = cache_dir(config, root).map(|c| c.join("audit"));
            let (db, _cached) =
                rustsec::Database::open_cached(&dir, cache.as_deref()).map_err(db_error)?;
            let mut s = DbSummary {
                kind: "rustsec",
                path: p.clone(),
                advisories: db.count() as u64,
                date: db
                    .commit_date
                    .clone()
                    .or_else(|| db.newest_date().map(String::from)),
                age_days: None,
            };
            check_age(&mut s, max_age, today, &dir)?;
            databases.push(s);
            Some(db)
        }
        None => None,
    };
    let odb = if config.osv_db.is_empty() {
        api.map(|a| {
            databases.push(api_summary(&a));
            let mut db = osv::Database::from_records(Vec::new(), a.records);
            db.covered = a.ecosystems;
            db
        })
    } else {
        let dirs: Vec<PathBuf> = config.osv_db.iter().map(|p| resolve(p)).collect();
        let db = osv::Database::open(&dirs).map_err(db_error)?;
        let mut s = DbSummary {
            kind: "osv",
            path: config.osv_db.join(", "),
            advisories: db.records.len() as u64,
            date: dirs
                .iter()
                .filter_map(|d| rustsec::git_commit_date(d))
                .max()
                .or_else(|| {
                    db.newest_modified()
                        .and_then(policy::parse_date)
                        .map(policy::format_date)
                }),
            age_days: None,
        };
        check_age(
            &mut s,
            max_age,
            today,
            dirs.first().map(PathBuf::as_path).unwrap_or(root),
        )?;
        databases.push(s);
        let mut db = db;
        if let Some(a) = api {
            databases.push(api_summary(&a));
            db.extend(a.records);
            db.covered.extend(a.ecosystems);
        }
        Some(db)
    };

    // Lockfiles.
    let mut skipped = Vec::new();
    let paths: Vec<PathBuf> = if config.lockfiles.is_empty() {
        let (found, s) = discover(root, &config.exclude)?;
        skipped = s;
        found
    } else {
        config.lockfiles.iter().map(|p| resolve(p)).collect()
    };
    if paths.is_empty() {
        return Err(GateError::Input(format!(
            "no lockfile found under {} ({})\n  hint: commit your lockfile, or pass --lockfile PATH",
            root.display(),
            lockfile::SUPPORTED_NAMES
        )));
    }
    let mut locks: Vec<Lockfile> = Vec::new();
    for p in &paths {
        let kind = lockfile::kind_of(p).ok_or_else(|| {
            GateError::Usage(format!(
                "{}: unknown lockfile kind; gate-audit reads {}",
                p.display(),
                lockfile::SUPPORTED_NAMES
            ))
        })?;
        let bytes = std::fs::read(p).map_err(|e| GateError::read(p, e))?;
        let display = rel(root, p);
        // Matching needs packages, not hashes or the dependency graph.
        let l = lockfile::parse_file_with(kind, p, &display, &bytes, Detail::Packages).map_err(
            |e| {
                GateError::malformed(
                    e.file.as_deref().unwrap_or(p),
                    e.line,
                    format!(
                        "{}\n  hint: regenerate the lockfile with its package manager",
                        e.message
                    ),
                )
            },
        )?;
        locks.push(l);
    }
    // Every ecosystem present must be covered by some data: never a silent pass.
    for l in &locks {
        let covered = match l.ecosystem {
            Ecosystem::CratesIo => {
                rdb.is_some()
                    || odb
                        .as_ref()
                        .is_some_and(|d| has_ecosystem(d, Ecosystem::CratesIo))
            }
            e => odb.as_ref().is_some_and(|d| has_ecosystem(d, e)),
        };
        if !covered && !l.packages.is_empty() {
            return Err(GateError::Input(format!(
                "{}: no advisory data for {} packages in the configured databases\n  hint: {}",
                l.path,
                l.ecosystem.osv_name(),
                match l.ecosystem {
                    Ecosystem::CratesIo =>
                        "set rustsec-db to a RustSec advisory-db checkout".to_string(),
                    e => format!(
                        "add an OSV directory with {} advisories to osv-db",
                        e.osv_name()
                    ),
                }
            )));
        }
    }
    if config.import_ignores {
        let cargo = root.join(".cargo/audit.toml");
        if let Ok(text) = std::fs::read_to_string(&cargo) {
            ignores.extend(policy::read_cargo_audit_toml(&cargo, &text)?);
        }
        let osvs = root.join("osv-scanner.toml");
        if let Ok(text) = std::fs::read_to_string(&osvs) {
            ignores.extend(policy::read_osv_scanner_toml(&osvs, &text)?);
        }
    }
    // The cached advisories of the lockfiles' crates, read now: a damaged
    // cache chunk whose crate cannot be parsed from the database either is
    // exit 4 here, never a silent "no advisories".
    if let Some(db) = &rdb {
        db.preload(
            locks
                .iter()
                .filter(|l| l.ecosystem == Ecosystem::CratesIo)
                .flat_map(|l| l.packages.iter().map(|p| p.name.as_str())),
        )
        .map_err(db_error)?;
    }
    let mut hits = matcher::match_all(&locks, rdb.as_ref(), odb.as_ref());
    // Names crates.io cannot have: reported, never turned into index paths.
    let invalid_names = yanked::invalid_names(&locks)
        .into_iter()
        .filter_map(|(li, pi, why)| {
            let l = locks.get(li)?;
            let p = l.packages.get(pi)?;
            Some(InvalidName {
                lockfile: l.path.clone(),
                line: p.line,
                name: p.name.clone(),
                version: p.version.clone(),
                why,
            })
        })
        .collect();
    let (yanked_unknown, yanked_checked) = if config.yanked == ClassLevel::Ignore {
        (BTreeMap::new(), None)
    } else {
        let cache = cache_dir(config, root).map(|c| c.join("audit"));
        let ours = cache.as_ref().map(|c| c.join("crates-index"));
        let memo = cache.as_ref().map(|c| c.join("yanked-memo.json"));
        let y = yanked::check(&locks, ours.as_deref(), memo.as_deref());
        for (li, pi) in &y.yanked {
            let (Some(l), Some(p)) = (
                locks.get(*li),
                locks.get(*li).and_then(|l| l.packages.get(*pi)),
            ) else {
                continue;
            };
            hits.push(yanked_hit(l, p));
        }
        let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (li, what) in y.unknown {
            if let Some(l) = locks.get(li) {
                unknown.entry(l.path.clone()).or_default().push(what);
            }
        }
        for v in unknown.values_mut() {
            v.sort();
            v.dedup();
        }
        (unknown, Some(y.checked))
    };
    let base = if config.new_only {
        Some(base_keys(
            root,
            config,
            pr_base,
            &locks,
            rdb.as_ref(),
            odb.as_ref(),
        )?)
    } else {
        None
    };
    let lockfiles = locks
        .iter()
        .map(|l| LockSummary {
            path: l.path.clone(),
            format: l.format.clone(),
            ecosystem: l.ecosystem.osv_name(),
            packages: l.packages.len() as u64,
            dev_packages: l.packages.iter().filter(|p| p.dev).count() as u64,
            unchecked: l.unchecked.clone(),
        })
        .collect();
    gate_core::run::drop_unless_exiting((locks, rdb, odb));
    Ok(AuditInput {
        lockfiles,
        databases,
        hits,
        ignores,
        today,
        base,
        fetch: Vec::new(),
        yanked_unknown,
        yanked_checked,
        invalid_names,
        skipped,
    })
}

fn yanked_hit(l: &Lockfile, p: &lockfile::Package) -> Hit {
    Hit {
        id: "yanked".into(),
        aliases: Vec::new(),
        class: Class::Yanked,
        ecosystem: Ecosystem::CratesIo.osv_name(),
        package: p.name.clone(),
        version: p.version.clone(),
        lockfile: l.path.clone(),
        line: p.line,
        dev: p.dev,
        title: "Yanked crate version".into(),
        rating: crate::severity::Rated::default(),
        fixed: Vec::new(),
        url: Some(format!("https://crates.io/crates/{}/versions", p.name)),
        notes: Vec::new(),
        records: vec!["yanked".into()],
    }
}

fn api_summary(a: &fetch::ApiData) -> DbSummary {
    DbSummary {
        kind: "osv-api",
        path: a.url.clone(),
        advisories: a.records.len() as u64,
        date: Some(policy::format_date(today())),
        age_days: Some(0),
    }
}

fn has_ecosystem(db: &osv::Database, eco: Ecosystem) -> bool {
    db.covered.contains(eco.osv_name())
        || db.records.iter().any(|r| {
            r.affected.iter().flatten().any(|a| {
                a.package
                    .as_ref()
                    .is_some_and(|p| p.ecosystem == eco.osv_name())
            })
        })
}

/// One SARIF rule per advisory (GitHub code scanning reads
/// `security-severity` from the rule).
fn sarif_rule(h: &Hit) -> SarifRule {
    let title = h.title.trim();
    SarifRule {
        id: h.id.clone(),
        summary: if title.is_empty() {
            format!("{} in {}", h.id, h.package)
        } else {
            title.to_string()
        },
        help_uri: h.url.clone().or_else(|| advisory_url(&h.id)),
    }
}

/// The public page of an advisory id, when its scheme has one.
fn advisory_url(id: &str) -> Option<String> {
    if id.starts_with("RUSTSEC-") {
        Some(format!("https://rustsec.org/advisories/{id}.html"))
    } else if id.starts_with("GHSA-") || id.starts_with("PYSEC-") || id.starts_with("CVE-") {
        Some(format!("https://osv.dev/vulnerability/{id}"))
    } else {
        None
    }
}

/// A representative score for a qualitative label only (GitHub's own
/// thresholds: critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0).
fn level_score(l: Level) -> f64 {
    match l {
        Level::Critical => 9.0,
        Level::High => 7.0,
        Level::Medium => 4.0,
        Level::Low => 0.1,
        Level::None => 0.0,
    }
}

fn class_rule(c: Class) -> &'static str {
    c.as_str()
}

fn describe(h: &Hit) -> String {
    if h.class == Class::Yanked {
        return format!(
            "{} {}: yanked from crates.io (its owners withdrew this version){}",
            h.package,
            h.version,
            if h.dev { " (dev only)" } else { "" }
        );
    }
    let mut s = format!("{} {}: {}", h.package, h.version, h.id);
    if !h.aliases.is_empty() {
        s.push_str(&format!(" ({})", h.aliases.join(", ")));
    }
    let title = h.title.trim().trim_end_matches('.');
    if !title.is_empty() {
        s.push_str(&format!(": {title}"));
    }
    if h.class == Class::Vulnerability {
        match (h.rating.score, h.rating.level) {
            (Some(sc), Some(l)) => s.push_str(&format!("; severity {} ({sc:.1})", l.as_str())),
            (None, Some(l)) => s.push_str(&format!("; severity {}", l.as_str())),
            _ => s.push_str("; severity unknown"),
        }
    }
    s.push_str(&fixed_text(&h.fixed));
    if h.dev {
        s.push_str(" (dev only)");
    }
    s
}

/// The fixed versions as cargo-audit's "Solution" says them: each RustSec
/// `patched` requirement in semver's own spelling (`>=0.9.3, <0.10.0`),
/// alternatives joined by ` OR ` ("upgrade to >=0.10.1 OR >=0.9.3, <0.10.0");
/// OSV `fixed` events are versions ("fixed in 2.2.26 OR 3.2.11").
fn fixed_text(fixed: &[String]) -> String {
    if fixed.is_empty() {
        return "; no fixed version".into();
    }
    let reqs: Vec<String> = fixed
        .iter()
        .map(|f| {
            let f = f.trim();
            let is_req = f.starts_with(['>', '<', '=', '^', '~']);
            match semver::VersionReq::parse(f) {
                Ok(r) if is_req => r.to_string(),
                _ => f.to_string(),
            }
        })
        .collect();
    let mut uniq: Vec<String> = Vec::new();
    for r in reqs {
        if !uniq.contains(&r) {
            uniq.push(r);
        }
    }
    if fixed
        .iter()
        .all(|f| f.trim().starts_with(['>', '<', '=', '^', '~']))
    {
        format!("; upgrade to {}", uniq.join(" OR "))
    } else {
        format!("; fixed in {}", uniq.join(" OR "))
    }
}

/// Security score: 100 minus 25 per critical, 15 per high or unrated, 5 per
/// medium, 1 per low vulnerability and 0.5 per informational warning
/// (ignored findings excluded), floored at 0.
pub fn security_score(counts: &BTreeMap<&'static str, u64>) -> f64 {
    let g = |k: &str| counts.get(k).copied().unwrap_or(0) as f64;
    let penalty = 25.0 * g("critical")
        + 15.0 * (g("high") + g("unknown"))
        + 5.0 * g("medium")
        + g("low")
        + 0.5 * g("informational");
    (100.0 - penalty).max(0.0)
}

fn evaluate_input(input: &AuditInput, config: &AuditConfig) -> Report {
    let mut r = Report::new(AuditGate::ID);
    let mut used = vec![false; input.ignores.len()];
    let mut expired_reported = vec![false; input.ignores.len()];
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let (mut vulns, mut warnings, mut ignored_n, mut dev_skipped) = (0u64, 0u64, 0u64, 0u64);
    let mut new_vulns = 0u64;
    let mut groups: BTreeMap<(String, String, String), Vec<serde_json::Value>> = BTreeMap::new();
    for h in &input.hits {
        if h.dev && !config.include_dev {
            dev_skipped += 1;
            continue;
        }
        let loc = Location::lines(h.lockfile.clone(), h.line, h.line);
        // Ignore entries (alias-aware, optionally per package).
        let mut ignored_by = None;
        for (i, ig) in input.ignores.iter().enumerate() {
            if !h.ids().any(|id| id.eq_ignore_ascii_case(&ig.id))
                || ig.package.as_ref().is_some_and(|p| p != &h.package)
            {
                continue;
            }
            used[i] = true;
            let expired = ig
                .expires
                .as_deref()
                .and_then(policy::parse_date)
                .is_some_and(|d| d < input.today);
            if expired {
                if !expired_reported[i] {
                    expired_reported[i] = true;
                    r.findings.push(
                        Finding::new(
                            "ignore-expired",
                            Severity::Error,
                            format!(
                                "the ignore of {} ({}, from {}) expired on {}: the finding counts again",
                                ig.id,
                                ig.reason,
                                ig.origin,
                                ig.expires.as_deref().unwrap_or("")
                            ),
                        )
                        .with_key(format!("ignore@{}", ig.id)),
                    );
                }
            } else if ignored_by.is_none() {
                ignored_by = Some(ig);
            }
        }
        let mut entry = serde_json::json!({
            "id": h.id, "aliases": h.aliases, "class": h.class.as_str(),
            "title": h.title, "severity": h.rating.level.map(Level::as_str),
            "score": h.rating.score, "vector": h.rating.vector, "fixed": h.fixed,
            "url": h.url, "notes": h.notes,
        });
        if let Some(ig) = ignored_by {
            ignored_n += 1;
            entry["ignored"] = serde_json::json!({"reason": ig.reason, "expires": ig.expires, "origin": ig.origin});
            r.findings.push(
                Finding::new(
                    "ignored",
                    Severity::Note,
                    format!("{} — ignored ({}): {}", describe(h), ig.origin, ig.reason),
                )
                .at(loc)
                .with_key(h.key()),
            );
        } else {
            let sev = match h.class {
                Class::Vulnerability => {
                    let level_key = h.rating.level.map(Level::as_str).unwrap_or("unknown");
                    *counts.entry(level_key).or_default() += 1;
                    vulns += 1;
                    match (config.fail_on_severity.threshold(), h.rating.level) {
                        (None, _) => Some(Severity::Error),
                        (Some(t), Some(l)) => Some(if l >= t {
                            Severity::Error
                        } else {
                            Severity::Warning
                        }),
                        (Some(_), None) => config.unknown_severity.severity(),
                    }
                }
                Class::Unmaintained => config.unmaintained.severity(),
                Class::Unsound => config.unsound.severity(),
                Class::Notice => config.notice.severity(),
                Class::Yanked => config.yanked.severity(),
            };
            if h.class != Class::Vulnerability && sev.is_some() {
                warnings += 1;
                *counts.entry("informational").or_default() += 1;
            }
            let in_base = input
                .base
                .as_ref()
                .filter(|(_, keys)| keys.contains(&h.key()))
                .map(|(b, _)| b.as_str());
            if in_base.is_none() && h.class == Class::Vulnerability {
                new_vulns += 1;
            }
            if let Some(sev) = sev {
                let (sev, msg) = match in_base {
                    Some(b) => (
                        sev.min(Severity::Warning),
                        format!(
                            "{} (already in {b}: not introduced by this change)",
                            describe(h)
                        ),
                    ),
                    None => (sev, describe(h)),
                };
                let mut f = Finding::new(class_rule(h.class), sev, msg)
                    .at(loc)
                    .with_key(h.key())
                    .with_sarif_rule(sarif_rule(h));
                if let Some(score) = h.rating.score.or_else(|| h.rating.level.map(level_score)) {
                    f = f.with_security_severity(score);
                }
                r.findings.push(f);
            }
        }
        groups
            .entry((h.lockfile.clone(), h.package.clone(), h.version.clone()))
            .or_default()
            .push(entry);
    }
    for (i, ig) in input.ignores.iter().enumerate() {
        let expired = ig
            .expires
            .as_deref()
            .and_then(policy::parse_date)
            .is_some_and(|d| d < input.today);
        if !used[i] && expired {
            // Expired fails whether or not it still matches: the decision
            // it recorded is due for review either way.
            r.findings.push(
                Finding::new(
                    "ignore-expired",
                    Severity::Error,
                    format!(
                        "the ignore of {} ({}, from {}) expired on {} and matches no finding: remove it",
                        ig.id,
                        ig.reason,
                        ig.origin,
                        ig.expires.as_deref().unwrap_or("")
                    ),
                )
                .with_key(format!("ignore@{}", ig.id)),
            );
        } else if !used[i] {
            r.findings.push(
                Finding::new(
                    "ignore-unused",
                    Severity::Warning,
                    format!(
                        "the ignore of {} ({}) matches no finding: remove it",
                        ig.id, ig.origin
                    ),
                )
                .with_key(format!("ignore@{}", ig.id)),
            );
        }
    }
    for (path, unknown) in &input.yanked_unknown {
        let n = unknown.len();
        let shown: Vec<&str> = unknown.iter().take(8).map(String::as_str).collect();
        r.findings.push(
            Finding::new(
                "yanked-unknown",
                Severity::Note,
                format!(
                    "yanked status unknown for {n} crates.io package(s), not in the local crates.io index ({}{}); run with --fetch to check them",
                    shown.join(", "),
                    if n > shown.len() { ", …" } else { "" }
                ),
            )
            .at(Location::file(path.clone()))
            .with_key("yanked-unknown"),
        );
    }
    for n in &input.invalid_names {
        r.findings.push(
            Finding::new(
                "invalid-crate-name",
                Severity::Error,
                format!(
                    "{:?} {} (crates.io): not a valid crates.io crate name ({}), so it was not looked up in the crates.io index; crates.io names are 1 to 64 ASCII letters, digits, `-` and `_`, starting with a letter: review how this entry got into the lockfile and regenerate it (`cargo generate-lockfile`)",
                    n.name, n.version, n.why
                ),
            )
            .at(Location::lines(n.lockfile.clone(), n.line, n.line))
            .with_key(format!("invalid-crate-name@{}@{}", n.name, n.version)),
        );
    }
    let mut checked = 0u64;
    for l in &input.lockfiles {
        checked += if config.include_dev {
            l.packages
        } else {
            l.packages - l.dev_packages
        };
        for (line, why) in &l.unchecked {
            r.findings.push(
                Finding::new("unchecked-entry", Severity::Note, why.clone()).at(Location::lines(
                    l.path.clone(),
                    *line,
                    *line,
                )),
            );
        }
    }
    r.checked = checked;
    let score = security_score(&counts);
    #[allow(clippy::cast_precision_loss)]
    {
        r.metrics
            .push(Metric::info("vulnerabilities", vulns as f64, "count"));
        r.metrics
            .push(Metric::info("warnings", warnings as f64, "count"));
        r.metrics
            .push(Metric::info("ignored", ignored_n as f64, "count"));
        r.metrics
            .push(Metric::info("packages-checked", checked as f64, "count"));
        r.metrics.push(Metric::info("security-score", score, ""));
        if input.base.is_some() {
            r.metrics.push(Metric::info(
                "new-vulnerabilities",
                new_vulns as f64,
                "count",
            ));
        }
        if let Some(age) = input.databases.iter().filter_map(|d| d.age_days).max() {
            r.metrics.push(Metric::info("db-age", age as f64, "days"));
        }
    }
    // Severity counts (not ignored), for the job summary.
    if vulns + warnings > 0 {
        let bars = [
            ("critical", "critical"),
            ("high", "high"),
            ("medium", "medium"),
            ("low", "low"),
            ("none", "none"),
            ("unknown", "unrated"),
            ("informational", "warnings"),
        ];
        #[allow(clippy::cast_precision_loss)]
        r.charts.push(gate_core::report::Chart {
            title: "Findings by severity (not ignored)".into(),
            x_label: "severity".into(),
            y_label: "findings".into(),
            x: bars.iter().map(|(_, label)| (*label).to_string()).collect(),
            series: vec![gate_core::report::Series {
                name: "findings".into(),
                kind: gate_core::report::SeriesKind::Bar,
                values: bars
                    .iter()
                    .map(|(k, _)| counts.get(k).copied().unwrap_or(0) as f64)
                    .collect(),
            }],
            y_max: None,
        });
    }
    let by_level: Vec<String> = ["critical", "high", "medium", "low", "none", "unknown"]
        .iter()
        .filter_map(|k| counts.get(k).map(|n| format!("{n} {k}")))
        .collect();
    r.summary = format!(
        "{vulns} vulnerabilit{}{}, {warnings} warning{} in {checked} packages of {} lockfile{}; {ignored_n} ignored; security score {}",
        if vulns == 1 { "y" } else { "ies" },
        if by_level.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_level.join(", "))
        },
        if warnings == 1 { "" } else { "s" },
        input.lockfiles.len(),
        if input.lockfiles.len() == 1 { "" } else { "s" },
        gate_core::report::format_number(score),
    );
    if dev_skipped > 0 {
        r.summary
            .push_str(&format!("; {dev_skipped} dev-only finding(s) excluded"));
    }
    r.details = serde_json::json!({
        "lockfiles": input.lockfiles,
        "databases": input.databases,
        "packages": groups.into_iter().map(|((lock, name, version), advisories)| serde_json::json!({
            "lockfile": lock, "package": name, "version": version, "advisories": advisories,
        })).collect::<Vec<_>>(),
        "ignores": input.ignores,
        "fetch": input.fetch,
        "yanked": {
            "checked": input.yanked_checked,
            "unknown": input.yanked_unknown,
        },
        "invalid_names": input.invalid_names,
        "skipped_lockfiles": input.skipped.iter().map(|(p, why)| serde_json::json!({"path": p, "why": why})).collect::<Vec<_>>(),
    });
    r.finish()
}

/// Ecosystems (OSV names) of the lockfiles `collect` will read.
fn lock_ecosystems(root: &Path, config: &AuditConfig) -> gate_core::Result<Vec<Lockfile>> {
    let paths: Vec<PathBuf> = if config.lockfiles.is_empty() {
        discover(root, &config.exclude)?.0
    } else {
        config
            .lockfiles
            .iter()
            .map(|p| {
                let p = Path::new(p);
                if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    root.join(p)
                }
            })
            .collect()
    };
    let mut out = Vec::new();
    for p in paths {
        // unreadable or unknown lockfiles are reported by collect
        let (Some(kind), Ok(bytes)) = (lockfile::kind_of(&p), std::fs::read(&p)) else {
            continue;
        };
        if let Ok(l) = lockfile::parse_with(kind, &rel(root, &p), &bytes, Detail::Packages) {
            out.push(l);
        }
    }
    Ok(out)
}

/// Fills in the data sources: fetched ones with `fetch` / `osv-api`, else
/// (nothing configured) the copies fetched earlier, offline.
pub async fn prepare(
    root: &Path,
    config: &AuditConfig,
) -> gate_core::Result<(AuditConfig, Option<fetch::ApiData>, Vec<String>)> {
    let cache = cache_dir(config, root).map(|c| c.join("audit"));
    let mut cfg = config.clone();
    let mut notes = Vec::new();
    if !config.fetch && !config.osv_api {
        if cfg.rustsec_db.is_none()
            && cfg.osv_db.is_empty()
            && let Some(c) = &cache
        {
            if let Some(p) = fetch::cached_rustsec(c) {
                notes.push(format!(
                    "offline: RustSec advisory-db fetched earlier ({})",
                    p.display()
                ));
                cfg.rustsec_db = Some(p.to_string_lossy().into_owned());
            }
            for eco in ["npm", "PyPI"] {
                if let Some(z) = fetch::cached_osv_zip(c, eco) {
                    notes.push(format!(
                        "offline: OSV {eco} all.zip fetched earlier ({})",
                        z.display()
                    ));
                    cfg.osv_db.push(z.to_string_lossy().into_owned());
                }
            }
        }
        return Ok((cfg, None, notes));
    }
    let Some(cache) = cache else {
        return Err(GateError::Config(vec![
            "audit.fetch / audit.osv-api: fetched data needs a cache directory, but cache-dir is off; set cache-dir to a directory".into(),
        ]));
    };
    let locks = lock_ecosystems(root, config)?;
    let ecos: BTreeSet<&'static str> = locks
        .iter()
        .filter(|l| !l.packages.is_empty())
        .map(|l| l.ecosystem.osv_name())
        .collect();
    if config.fetch && ecos.contains("crates.io") && cfg.rustsec_db.is_none() {
        let (p, downloaded) = fetch::fetch_rustsec(&cache, &config.rustsec_url)?;
        let commit = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        notes.push(format!(
            "RustSec advisory-db {} at commit {commit} ({})",
            if downloaded { "fetched" } else { "up to date" },
            config.rustsec_url
        ));
        cfg.rustsec_db = Some(p.to_string_lossy().into_owned());
    }
    if config.fetch && ecos.contains("crates.io") && config.yanked != ClassLevel::Ignore {
        let client = fetch::client()?;
        let n = yanked::fetch(
            &client,
            &config.crates_index_url,
            &cache.join("crates-index"),
            &locks,
        )
        .await?;
        notes.push(format!(
            "crates.io index: {n} crate(s) fetched from {}",
            config.crates_index_url
        ));
    }
    let osv_ecos: BTreeSet<&str> = ecos.iter().copied().filter(|e| *e != "crates.io").collect();
    let mut api = None;
    if config.osv_api && !osv_ecos.is_empty() {
        let client = fetch::client()?;
        let queries = fetch::queries_for(&locks, &osv_ecos);
        let mut data =
            fetch::query_api(&client, Some(&cache), &config.osv_api_url, &queries).await?;
        data.ecosystems = osv_ecos.iter().map(|e| e.to_string()).collect();
        notes.push(format!(
            "OSV API {}: {} package versions in {} request(s), {} vulnerabilit{} ({} from cache)",
            data.url,
            data.queries,
            data.requests,
            data.records.len(),
            if data.records.len() == 1 { "y" } else { "ies" },
            data.cached
        ));
        api = Some(data);
    } else if config.fetch && cfg.osv_db.is_empty() && !osv_ecos.is_empty() {
        let client = fetch::client()?;
        for eco in &osv_ecos {
            let (p, downloaded) =
                fetch::fetch_osv_zip(&client, &cache, &config.osv_zip_url, eco).await?;
            notes.push(format!(
                "OSV {eco} all.zip {} ({})",
                if downloaded { "fetched" } else { "up to date" },
                config.osv_zip_url
            ));
            cfg.osv_db.push(p.to_string_lossy().into_owned());
        }
    }
    Ok((cfg, api, notes))
}

/// The audit gate.
#[derive(Debug)]
pub struct AuditGate;

impl Gate for AuditGate {
    const ID: &'static str = "audit";
    const ABOUT: &'static str = "Known vulnerabilities in every lockfile (Cargo.lock, package-lock.json, npm-shrinkwrap.json, requirements*.txt, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, go.mod, Gemfile.lock/gems.locked, composer.lock) against RustSec and OSV data, offline";
    const RULES: &'static [Rule] = RULES;
    // Reading files and matching: sequential; `--fetch` and `--osv-api`
    // still overlap their requests on one thread.
    const WORKER_THREADS: usize = 0;
    type Config = AuditConfig;
    type Args = AuditArgs;
    type Input = AuditInput;

    async fn collect(
        ctx: &Context,
        config: &Self::Config,
        _args: &Self::Args,
    ) -> gate_core::Result<Self::Input> {
        let root = &ctx.repo_root;
        let (config, api, notes) = prepare(root, config).await?;
        for n in &notes {
            gate_core::out::diag(Self::ID, "info", n);
        }
        let mut input = collect_inner(root, &config, today(), ctx.github.base_sha.as_deref(), api)?;
        input.fetch = notes;
        Ok(input)
    }

    fn evaluate(input: &Self::Input, config: &Self::Config) -> Report {
        evaluate_input(input, config)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (m, k) in [
            ("vulnerabilities", "vulnerabilities"),
            ("warnings", "warnings"),
            ("security-score", "score"),
        ] {
            if let Some(m) = report.metric(m) {
                out.push((k.to_string(), gate_core::report::format_number(m.value)));
            }
        }
        out
    }
}

/// Evaluates collected input (used by tests and benchmarks).
pub fn evaluate(input: &AuditInput, config: &AuditConfig) -> Report {
    evaluate_input(input, config)
}

#[cfg(test)]
mod tests {
    use super::fixed_text;

    /// The case: two patched requirements were printed as one
    /// flattened list (`fixed: >= 0.10.1, < 0.10.0, >= 0.9.3`).
    #[test]
    fn alternatives_are_joined_by_or_as_cargo_audit_does() {
        let fixed = [">= 0.10.1".to_string(), ">= 0.9.3, < 0.10.0".to_string()];
        assert_eq!(
            fixed_text(&fixed),
            "; upgrade to >=0.10.1 OR >=0.9.3, <0.10.0"
        );
        assert_eq!(fixed_text(&[]), "; no fixed version");
        let osv = ["2.2.26".to_string(), "3.2.11".to_string()];
        assert_eq!(fixed_text(&osv), "; fixed in 2.2.26 OR 3.2.11");
    }
}
