//! `collect`: the databases (their age checked), the lockfiles, the ignore
//! lists, the yanked check and the base revision's findings, matched into
//! an [`AuditInput`] for the pure `evaluate`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gate_core::GateError;
use serde::Serialize;

use crate::config::AuditConfig;
use crate::discover::{Skipped, discover, rel};
use crate::lockfile::{self, Detail, Ecosystem, Lockfile};
use crate::matcher::{self, Class, Hit};
use crate::policy::{self, Ignore, IgnoreRule};
use crate::{fetch, osv, rustsec, yanked};
use gate_core::types::Level;

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

pub(crate) fn db_error(e: rustsec::DbError) -> GateError {
    GateError::malformed(
        e.path,
        e.line,
        format!(
            "{}\n  hint: fix or remove the file, or update the database",
            e.message
        ),
    )
}

/// Today, as a day number since 1970-01-01 (UTC).
pub fn today() -> i64 {
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
pub fn cache_dir(config: &AuditConfig, root: &Path) -> Option<PathBuf> {
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
    let o = gate_core::git::command(root)
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

/// `p` as given when absolute, else under `root`.
fn resolve(root: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// [`collect_with`] with records from the OSV API.
pub(crate) fn collect_inner(
    root: &Path,
    config: &AuditConfig,
    today: i64,
    pr_base: Option<&str>,
    api: Option<fetch::ApiData>,
) -> gate_core::Result<AuditInput> {
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
    let rdb = open_rustsec(root, config, max_age, today, &mut databases)?;
    let odb = open_osv(root, config, max_age, today, api, &mut databases)?;
    let (locks, skipped) = read_lockfiles(root, config)?;
    // Every ecosystem present must be covered by some data: never a silent pass.
    check_coverage(&locks, rdb.as_ref(), odb.as_ref())?;
    if config.import_ignores {
        import_ignores(root, &mut ignores)?;
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
    let invalid_names = invalid_names(&locks);
    let (yanked_unknown, yanked_checked) = if config.yanked == Level::Ignore {
        (BTreeMap::new(), None)
    } else {
        check_yanked(root, config, &locks, &mut hits)
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
    let lockfiles = locks.iter().map(lock_summary).collect();
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

/// The RustSec database of `rustsec-db` (through the cache), its age checked.
fn open_rustsec(
    root: &Path,
    config: &AuditConfig,
    max_age: Option<u64>,
    today: i64,
    databases: &mut Vec<DbSummary>,
) -> gate_core::Result<Option<rustsec::Database>> {
    let Some(p) = &config.rustsec_db else {
        return Ok(None);
    };
    let dir = resolve(root, p);
    let cache = cache_dir(config, root).map(|c| c.join("audit"));
    let (db, _cached) = rustsec::Database::open_cached(&dir, cache.as_deref()).map_err(db_error)?;
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
    Ok(Some(db))
}

/// The OSV data: the `osv-db` directories and archives (their age checked)
/// and the OSV API's records.
fn open_osv(
    root: &Path,
    config: &AuditConfig,
    max_age: Option<u64>,
    today: i64,
    api: Option<fetch::ApiData>,
    databases: &mut Vec<DbSummary>,
) -> gate_core::Result<Option<osv::Database>> {
    if config.osv_db.is_empty() {
        return Ok(api.map(|a| {
            databases.push(api_summary(&a));
            let mut db = osv::Database::from_records(Vec::new(), a.records);
            db.covered = a.ecosystems;
            db
        }));
    }
    let dirs: Vec<PathBuf> = config.osv_db.iter().map(|p| resolve(root, p)).collect();
    let mut db = osv::Database::open(&dirs).map_err(db_error)?;
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
    if let Some(a) = api {
        databases.push(api_summary(&a));
        db.extend(a.records);
        db.covered.extend(a.ecosystems);
    }
    Ok(Some(db))
}

/// The lockfiles (`lockfiles`, else discovered), parsed for their packages;
/// and the ones discovery left out.
fn read_lockfiles(
    root: &Path,
    config: &AuditConfig,
) -> gate_core::Result<(Vec<Lockfile>, Vec<Skipped>)> {
    let mut skipped = Vec::new();
    let paths: Vec<PathBuf> = if config.lockfiles.is_empty() {
        let (found, s) = discover(root, &config.exclude)?;
        skipped = s;
        found
    } else {
        config.lockfiles.iter().map(|p| resolve(root, p)).collect()
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
    Ok((locks, skipped))
}

/// Exit 4 when a lockfile with packages has an ecosystem no database covers.
fn check_coverage(
    locks: &[Lockfile],
    rdb: Option<&rustsec::Database>,
    odb: Option<&osv::Database>,
) -> gate_core::Result<()> {
    for l in locks {
        let covered = match l.ecosystem {
            Ecosystem::CratesIo => {
                rdb.is_some() || odb.is_some_and(|d| has_ecosystem(d, Ecosystem::CratesIo))
            }
            e => odb.is_some_and(|d| has_ecosystem(d, e)),
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
    Ok(())
}

/// The ignore lists of `.cargo/audit.toml` and `osv-scanner.toml` at the
/// repository root, when present.
fn import_ignores(root: &Path, ignores: &mut Vec<Ignore>) -> gate_core::Result<()> {
    let cargo = root.join(".cargo/audit.toml");
    if let Ok(text) = std::fs::read_to_string(&cargo) {
        ignores.extend(policy::read_cargo_audit_toml(&cargo, &text)?);
    }
    let osvs = root.join("osv-scanner.toml");
    if let Ok(text) = std::fs::read_to_string(&osvs) {
        ignores.extend(policy::read_osv_scanner_toml(&osvs, &text)?);
    }
    Ok(())
}

/// The crates.io packages of `locks` whose names crates.io cannot have.
fn invalid_names(locks: &[Lockfile]) -> Vec<InvalidName> {
    yanked::invalid_names(locks)
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
        .collect()
}

/// The yanked check: a hit per yanked crate version (pushed to `hits`), the
/// unknown ones by lockfile, and how many were checked.
fn check_yanked(
    root: &Path,
    config: &AuditConfig,
    locks: &[Lockfile],
    hits: &mut Vec<Hit>,
) -> (BTreeMap<String, Vec<String>>, Option<usize>) {
    let cache = cache_dir(config, root).map(|c| c.join("audit"));
    let ours = cache.as_ref().map(|c| c.join("crates-index"));
    let memo = cache.as_ref().map(|c| c.join("yanked-memo.json"));
    let y = yanked::check(locks, ours.as_deref(), memo.as_deref());
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
}

fn lock_summary(l: &Lockfile) -> LockSummary {
    LockSummary {
        path: l.path.clone(),
        format: l.format.clone(),
        ecosystem: l.ecosystem.osv_name(),
        packages: l.packages.len() as u64,
        dev_packages: l.packages.iter().filter(|p| p.dev).count() as u64,
        unchecked: l.unchecked.clone(),
    }
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
