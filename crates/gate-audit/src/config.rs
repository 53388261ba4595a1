//! The `audit` section of `gates.yml` and its types, and the flags.

use gate_core::report::Severity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fetch;
use crate::policy::{self, IgnoreRule};
use crate::severity::Level;

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
    pub fn threshold(self) -> Option<Level> {
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
    pub fn severity(self) -> Option<Severity> {
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
    /// PEM file of CA certificates trusted for the HTTPS downloads of `fetch` and `osv-api` (all.zip, the OSV API, the crates.io index) besides the Mozilla roots: a private mirror or a TLS-inspecting proxy; relative to the repository. The git clone of `rustsec-url` uses git's own settings (`http.sslCAInfo`).
    pub ca_file: Option<String>,
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
            ca_file: None,
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
