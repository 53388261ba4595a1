//! gate-rollback reads gate-deploy's keys: the `deploy` section, with the
//! `rollback` section (when there is one) laid over it key by key.
//!
//! gate-core hands a gate its own section only: `rollback:` with
//! `GATES_ROLLBACK_*` and the flags over it, checked against the schema of
//! the deploy keys. That arrives as a [`RollbackSection`]: the keys set
//! there, nothing defaulted. The `deploy` section of the same file is read
//! by [`preload`] (from `main`, with the same arguments and environment the
//! runner parses) and checked against the same schema, so a mistake there
//! is reported as `deploy.<key>` with its line. [`RollbackSection::resolve`]
//! merges the two: defaults, then `deploy:`, then `rollback:` (and its
//! environment variables and flags).
//!
//! Without [`preload`] (a gate run in process, as some tests do) only the
//! `rollback` section is read.

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gate_core::GateError;
use gate_core::config::ConfigFile;
use gate_deploy::config::DeployConfig;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// The keys one section sets (validated against the deploy keys' schema),
/// without defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollbackSection(pub Map<String, Value>);

impl<'de> Deserialize<'de> for RollbackSection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<Map<String, Value>>::deserialize(d).map(|m| RollbackSection(m.unwrap_or_default()))
    }
}

/// The deploy keys' schema: `rollback:` takes exactly `deploy:`'s keys.
impl JsonSchema for RollbackSection {
    fn schema_name() -> Cow<'static, str> {
        DeployConfig::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        DeployConfig::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        DeployConfig::json_schema(generator)
    }

    fn inline_schema() -> bool {
        DeployConfig::inline_schema()
    }
}

impl RollbackSection {
    /// The configuration in force: defaults, then `base` (the `deploy`
    /// section's keys), then this section's keys.
    pub fn resolve(
        &self,
        base: Result<Option<&Map<String, Value>>, GateError>,
    ) -> Result<DeployConfig, GateError> {
        let mut merged = base?.cloned().unwrap_or_default();
        for (k, v) in &self.0 {
            merged.insert(k.clone(), v.clone());
        }
        serde_json::from_value(Value::Object(merged))
            .map_err(|e| GateError::Config(vec![format!("rollback (over deploy): {e}")]))
    }
}

/// What [`preload`] found.
#[derive(Debug)]
enum Loaded {
    Section(Map<String, Value>),
    /// Configuration problems, one per line (exit 3).
    Problems(Vec<String>),
    /// The file could not be read (exit 4).
    Unreadable(String),
}

static DEPLOY: OnceLock<Loaded> = OnceLock::new();

/// The `deploy` section's keys, as [`preload`] read them (`None` when it
/// did not run, or when the arguments did not parse: the runner then
/// reports the usage error itself).
pub fn deploy_section() -> Result<Option<&'static Map<String, Value>>, GateError> {
    match DEPLOY.get() {
        None => Ok(None),
        Some(Loaded::Section(m)) => Ok(Some(m)),
        Some(Loaded::Problems(p)) => Err(GateError::Config(p.clone())),
        Some(Loaded::Unreadable(e)) => Err(GateError::Input(e.clone())),
    }
}

/// Reads the `deploy` section of the configuration file the run will
/// read: `--config`/`GATES_CONFIG` (relative to `--repo`/the working
/// directory), else `gates.yml` at the repository's top level. Call once,
/// before `gate_core::run::main`.
pub fn preload() {
    let args: Vec<OsString> = std::env::args_os().collect();
    let Ok(cwd) = std::env::current_dir() else {
        return;
    };
    if let Some(loaded) = load(&args, &cwd) {
        let _ = DEPLOY.set(loaded);
    }
}

/// `None` when the arguments do not parse (the runner reports it).
fn load(args: &[OsString], cwd: &Path) -> Option<Loaded> {
    let (path, required) = config_path(args, cwd)?;
    let mut file = match ConfigFile::load(
        &path,
        required,
        <crate::RollbackGate as gate_core::Gate>::ID,
    ) {
        Ok(f) => f,
        Err(GateError::Config(p)) => return Some(Loaded::Problems(p)),
        Err(e) => return Some(Loaded::Unreadable(e.to_string())),
    };
    Some(match file.section::<RollbackSection>("deploy", &[]) {
        Ok(s) => Loaded::Section(s.0),
        Err(GateError::Config(p)) => Loaded::Problems(p),
        Err(e) => Loaded::Unreadable(e.to_string()),
    })
}

/// Where the runner reads its configuration from, and whether the file
/// must exist (named explicitly), as `gate_core::run` decides it.
fn config_path(args: &[OsString], cwd: &Path) -> Option<(PathBuf, bool)> {
    let matches = gate_core::run::command::<crate::RollbackGate>()
        .try_get_matches_from(args)
        .ok()?;
    let start_dir = match matches.get_one::<PathBuf>("repo") {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => cwd.join(d),
        None => cwd.to_path_buf(),
    };
    Some(match matches.get_one::<PathBuf>("config") {
        Some(p) if p.is_absolute() => (p.clone(), true),
        Some(p) => (start_dir.join(p), true),
        None => (repo_root(&start_dir).join("gates.yml"), false),
    })
}

/// The git top level containing `dir`, or `dir` itself outside git (as
/// the runner finds it).
fn repo_root(dir: &Path) -> PathBuf {
    if let Ok(found) = gate_core::gitfs::discover(dir) {
        return found.map_or_else(|| dir.to_path_buf(), |r| r.root);
    }
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if s.is_empty() {
                dir.to_path_buf()
            } else {
                PathBuf::from(s)
            }
        }
        _ => dir.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn write(dir: &Path, yaml: &str) {
        std::fs::write(dir.join("gates.yml"), yaml).unwrap();
    }

    fn section(yaml: &str, key: &str) -> RollbackSection {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), yaml);
        let mut f = ConfigFile::load(&dir.path().join("gates.yml"), true, "rollback").unwrap();
        f.section::<RollbackSection>(key, &[]).unwrap()
    }

    #[test]
    fn rollback_reads_deploy_and_its_own_section_overrides() {
        let yaml = "version: 1\ndeploy:\n  environment: staging\n  switch: haproxy\n  haproxy-socket: /run/h.sock\n  wait-timeout: 5\nrollback:\n  wait-timeout: 9\n";
        let base = section(yaml, "deploy");
        let own = section(yaml, "rollback");
        let cfg = own.resolve(Ok(Some(&base.0))).unwrap();
        assert_eq!(cfg.environment, "staging");
        assert_eq!(cfg.haproxy_socket.as_deref(), Some("/run/h.sock"));
        assert_eq!(cfg.wait_timeout, 9.0, "rollback: wins");
        // Without a rollback section: deploy's keys alone.
        let cfg = RollbackSection::default()
            .resolve(Ok(Some(&base.0)))
            .unwrap();
        assert_eq!(cfg.wait_timeout, 5.0);
        // Without preloading: the rollback section alone, over the defaults.
        let cfg = own.resolve(Ok(None)).unwrap();
        assert_eq!(cfg.environment, "production");
        assert_eq!(cfg.wait_timeout, 9.0);
    }

    #[test]
    fn the_config_path_is_the_runners() {
        let dir = tempfile::tempdir().unwrap();
        let args = |a: &[&str]| -> Vec<OsString> {
            std::iter::once("gate-rollback")
                .chain(a.iter().copied())
                .map(OsString::from)
                .collect()
        };
        let root = dir.path();
        assert_eq!(
            config_path(&args(&["--config", "x/g.yml"]), root),
            Some((root.join("x/g.yml"), true))
        );
        assert_eq!(
            config_path(&args(&["-C", "sub", "--config", "g.yml"]), root),
            Some((root.join("sub/g.yml"), true))
        );
        assert_eq!(
            config_path(&args(&["--config", "/abs/g.yml"]), root),
            Some((PathBuf::from("/abs/g.yml"), true))
        );
        let (p, required) = config_path(&args(&[]), root).unwrap();
        assert!(!required);
        assert_eq!(p.file_name().unwrap(), "gates.yml");
        assert_eq!(config_path(&args(&["--no-such-flag"]), root), None);
    }

    #[test]
    fn a_bad_deploy_section_is_a_config_error_naming_deploy() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "version: 1\ndeploy:\n  wait-timout: 5\n");
        let path = dir.path().join("gates.yml");
        let args: Vec<OsString> = vec![
            "gate-rollback".into(),
            "--config".into(),
            path.clone().into_os_string(),
        ];
        match load(&args, dir.path()) {
            Some(Loaded::Problems(p)) => {
                assert!(p.iter().any(|l| l.contains("deploy.wait-timout")), "{p:?}")
            }
            other => panic!("{other:?}"),
        }
        write(dir.path(), "version: 1\ndeploy:\n  wait-timeout: 5\n");
        match load(&args, dir.path()) {
            Some(Loaded::Section(m)) => assert_eq!(m.get("wait-timeout"), Some(&Value::from(5))),
            other => panic!("{other:?}"),
        }
    }
}
