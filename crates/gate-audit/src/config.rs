//! The `audit` section of `gates.yml` and its types, and the flags.

use std::borrow::Cow;

use gate_core::types::{Duration, HttpUrl, Level};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::fetch;
use crate::policy::IgnoreRule;
use crate::severity;

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
    pub fn threshold(self) -> Option<severity::CvssLevel> {
        match self {
            FailOnSeverity::Any => None,
            FailOnSeverity::Low => Some(severity::CvssLevel::Low),
            FailOnSeverity::Medium => Some(severity::CvssLevel::Medium),
            FailOnSeverity::High => Some(severity::CvssLevel::High),
            FailOnSeverity::Critical => Some(severity::CvssLevel::Critical),
        }
    }
}

/// A maximum database age: a duration with its unit (`7d`, `36h`, `14d`),
/// or `off` (also `false`: YAML 1.1 reads a bare `off` as false). A bare
/// number is refused, as for every duration: it used to mean days here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum MaxAge {
    Age(Duration),
    Off(Off),
    Switch(bool),
}

/// The word that turns the database age check off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Off {
    Off,
}

impl MaxAge {
    /// Hours (rounded up), or `None` when the check is off.
    pub fn hours(&self) -> Result<Option<u64>, String> {
        match self {
            MaxAge::Age(d) => {
                let secs = d.get().as_secs() + u64::from(d.get().subsec_nanos() > 0);
                if secs == 0 {
                    return Err(format!(
                        "`{d}`: a maximum age of zero rejects every database; use `off` to disable the check"
                    ));
                }
                Ok(Some(secs.div_ceil(3600)))
            }
            MaxAge::Off(Off::Off) | MaxAge::Switch(false) => Ok(None),
            MaxAge::Switch(true) => Err("`true` is not an age: use e.g. 7d, or `off`".into()),
        }
    }
}

impl JsonSchema for MaxAge {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "MaxAge".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        // `false` is a constant, not a boolean type: a `GATES_*` or flag
        // value `0` or `off` must not be coerced to a boolean (`0` would
        // silently turn the check off); `off` stays the word.
        json_schema!({
            "anyOf": [g.subschema_for::<Duration>(), {"const": "off"}, {"const": false}],
            "x-gates-type": "duration",
            "x-gates-hint": "write an age with its unit, e.g. 7d, 36h or 14d, or off (a bare number is refused: write 90d for 90 days)",
        })
    }
}

/// The `audit` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct AuditConfig {
    /// Lockfile to audit (repository-relative path; repeatable). Empty: every lockfile under the repository: Cargo.lock (also *.Cargo.lock), package-lock.json, npm-shrinkwrap.json, requirements*.txt, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, go.mod, Gemfile.lock, gems.locked, composer.lock. Discovery skips target/, node_modules/, .git/ and .gates/, what git ignores (.gitignore), test data (a `fixtures` or `testdata` folder, `tests/data`, `test/data`) and `exclude`; a lockfile listed here is always read.
    #[schemars(extend("x-gates-flag" = "lockfile", "x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub lockfiles: Vec<String>,
    /// Glob of repository-relative paths that lockfile discovery skips (repeatable): `vendor/**`, `**/examples/*/Cargo.lock`. A glob matching a folder skips everything under it. `*` stays within a folder, `**` crosses folders. Lockfiles listed in `lockfiles` are read whatever this says. A glob may hold a comma (`vendor/{a,b}/**`), so a `GATES_*` value is split on lines only.
    #[schemars(extend("x-gates-separator" = "newline"))]
    #[schemars(extend("x-gates-value-name" = "GLOB"))]
    pub exclude: Vec<String>,
    /// RustSec advisory-db directory. A git checkout or plain export with `crates/`: Cargo.lock files are matched with cargo-audit's semantics.
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub rustsec_db: Option<String>,
    /// Directory of OSV JSON advisories or an osv.dev all.zip (repeatable). OSV data for npm, PyPI and crates.io: directories of OSV JSON records (one advisory per file, searched recursively) or osv.dev `all.zip` archives (read in place).
    #[schemars(extend("x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub osv_db: Vec<String>,
    /// Maximum age of the advisory data: a duration (`7d`, `36h`, `14d`) or `off`. A bare number is refused (it used to mean days: write `90d`). A git checkout's age is its last commit's; an export's is its newest entry's. Older data stops the gate with exit 4.
    pub max_db_age: MaxAge,
    /// Lowest severity that fails: `any` (every vulnerability), `low`, `medium`, `high` or `critical`. Vulnerabilities below it are warnings.
    pub fail_on_severity: FailOnSeverity,
    /// Level of vulnerabilities with no CVSS vector and no severity label: `error`, `warning` or `note` (`fail` and `warn` are aliases). With `fail-on-severity: any` they always fail.
    pub unknown_severity: Level,
    /// Level of `unmaintained` advisories (RustSec informational).
    pub unmaintained: Level,
    /// Level of `unsound` advisories (RustSec informational).
    pub unsound: Level,
    /// Level of `notice` advisories (RustSec informational).
    pub notice: Level,
    /// Audit development-only packages (npm `dev: true`). When false they are skipped and counted.
    pub include_dev: bool,
    /// Accepted advisories, set in gates.yml: each with `id` (or alias), `reason` and `expires` (YYYY-MM-DD), optionally `package`. An expired ignore fails the gate; an unused one warns.
    pub ignore: Vec<IgnoreRule>,
    /// Accept an advisory for this run: ID=REASON (repeatable; the reason is required). No expiry, as nothing is committed: ignores kept in gates.yml belong in `ignore`, with their expiry. A reason may hold a comma, so `GATES_AUDIT_IGNORE_ONCE` is split on lines only.
    #[schemars(extend(
        "x-gates-flag" = "ignore",
        "x-gates-separator" = "newline",
        "x-gates-not-in-file" = "an ignore the repository keeps needs an expiry: move it to `ignore` with `id`, `reason` and `expires` (YYYY-MM-DD)"
    ))]
    #[schemars(extend("x-gates-value-name" = "ID=REASON"))]
    pub ignore_once: Vec<String>,
    /// Also honour the ignore lists of `.cargo/audit.toml` and `osv-scanner.toml` at the repository root (migration aid).
    pub import_ignores: bool,
    /// Cache directory (`off` disables it). gate-audit uses its `audit/` folder: parsed databases keyed by their commit or files, and fetched data. Default: `$GATES_CACHE_DIR`, else `$XDG_CACHE_HOME/gates`, else `$RUNNER_TOOL_CACHE/gates`, else `~/.cache/gates`; `off` disables it (and `fetch`).
    #[schemars(extend("x-gates-value-name" = "DIR"))]
    pub cache_dir: Option<String>,
    /// Download or refresh the advisory data into the cache before auditing (online). The RustSec advisory-db (shallow git clone, keyed by commit) for Cargo.lock, osv.dev's `all.zip` (keyed by ETag/Last-Modified) for npm and PyPI, and the crates.io index for yanked crates. Only sources not set by `rustsec-db` / `osv-db` are fetched; later runs without `fetch` use the cached copies offline. Network errors exit 5.
    pub fetch: bool,
    /// Query the OSV API for the lockfiles' npm and PyPI packages (online). It asks `/v1/querybatch`, then `/v1/vulns/{id}` (cached), instead of downloading whole `all.zip` archives; network errors exit 5.
    pub osv_api: bool,
    /// Git URL of the RustSec advisory-db, for `fetch`.
    pub rustsec_url: String,
    /// Base URL of osv.dev's archives (`<url>/<ecosystem>/all.zip`), for `fetch`.
    pub osv_zip_url: HttpUrl,
    /// Base URL of the OSV API, for `osv-api`.
    pub osv_api_url: HttpUrl,
    /// Base URL of the crates.io sparse index (`<url>/<prefix>/<name>`), for yanked crates with `fetch`.
    pub crates_index_url: HttpUrl,
    /// PEM file of CA certificates trusted for the HTTPS downloads of `fetch` and `osv-api` (all.zip, the OSV API, the crates.io index) besides the Mozilla roots: a private mirror or a TLS-inspecting proxy; relative to the repository. The git clone of `rustsec-url` uses git's own settings (`http.sslCAInfo`).
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub ca_file: Option<String>,
    /// Level of yanked crates: `error`, `warning`, `note` or `ignore` (`fail` and `warn` are aliases). Read from the crates.io index: Cargo's local index cache, or online with `fetch`.
    pub yanked: Level,
    /// Fail only on findings the change introduces (compared with `base`). Findings already present in the base commit's lockfiles are reported as warnings.
    pub new_only: bool,
    /// Base ref or SHA for `new-only` (default: the pull request's base, else origin/main).
    #[schemars(extend("x-gates-value-name" = "REF"))]
    pub base: Option<String>,
}

/// A built-in default URL: a constant of [`fetch`], valid (a test checks
/// each), so this cannot fail on any input.
#[allow(clippy::expect_used)]
fn url(s: &str) -> HttpUrl {
    s.parse()
        .expect("the built-in default URLs are http(s) URLs")
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            lockfiles: Vec::new(),
            exclude: Vec::new(),
            rustsec_db: None,
            osv_db: Vec::new(),
            max_db_age: MaxAge::Age(Duration::from_secs(7 * 86_400)),
            fail_on_severity: FailOnSeverity::Any,
            unknown_severity: Level::Error,
            unmaintained: Level::Warning,
            unsound: Level::Warning,
            notice: Level::Warning,
            include_dev: true,
            ignore: Vec::new(),
            ignore_once: Vec::new(),
            import_ignores: true,
            cache_dir: None,
            fetch: false,
            osv_api: false,
            rustsec_url: fetch::RUSTSEC_URL.into(),
            osv_zip_url: url(fetch::OSV_ZIP_URL),
            osv_api_url: url(fetch::OSV_API_URL),
            crates_index_url: url(fetch::CRATES_INDEX_URL),
            ca_file: None,
            yanked: Level::Warning,
            new_only: false,
            base: None,
        }
    }
}

/// Flags of gate-audit that are not `gates.yml` keys: none. Every key has
/// its flag, generated from [`AuditConfig`]'s schema.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn age(v: serde_json::Value) -> Result<Option<u64>, String> {
        serde_json::from_value::<MaxAge>(v).unwrap().hours()
    }

    #[test]
    fn max_db_age_is_a_duration_or_off() {
        assert_eq!(age("7d".into()), Ok(Some(168)));
        assert_eq!(age("36h".into()), Ok(Some(36)));
        assert_eq!(age("90m".into()), Ok(Some(2)));
        assert_eq!(age("off".into()), Ok(None));
        assert_eq!(age(false.into()), Ok(None));
        assert!(age(true.into()).is_err());
        assert!(age("0d".into()).is_err());
        assert!(serde_json::from_value::<MaxAge>("3".into()).is_err());
        assert_eq!(age("2w".into()), Ok(Some(336)));
        assert_eq!(AuditConfig::default().max_db_age.hours(), Ok(Some(168)));
    }

    #[test]
    fn default_urls_are_http_urls() {
        let c = AuditConfig::default();
        assert_eq!(c.osv_zip_url.as_str(), fetch::OSV_ZIP_URL);
        assert_eq!(c.osv_api_url.as_str(), fetch::OSV_API_URL);
        assert_eq!(c.crates_index_url.as_str(), fetch::CRATES_INDEX_URL);
    }
}
