//! `baseline:`: find the base's result of the same scenario, from a file
//! (a previous gate-load JSON report) or from the ledger's record of
//! gate-load for the base commit. Judging it is
//! [`crate::evaluate`]'s job (pure, with the base as an input).

use std::path::Path;

use gate_core::{Context, GateError};

use crate::config::{LoadArgs, LoadConfig};
use crate::result::LoadResult;

/// Default `baseline.floor`, percent.
pub const DEFAULT_FLOOR: f64 = 10.0;

/// What was found to compare with.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum BaseState {
    /// No `baseline:` and no `--baseline-file`: nothing was looked up.
    #[default]
    NotRequested,
    /// No base commit is known (no `baseline.base`, no pull request base).
    NoBase,
    /// No gate-load report is recorded for the base in the ledger
    /// (`ledger` is `git` when the base is not a commit git knows).
    Missing { tried: String, ledger: String },
    /// A report is recorded, but its details are not a gate-load result
    /// (a ledger that keeps only the summary, or another version).
    NoDetails { source: String, why: String },
    /// The base's result.
    Found {
        source: String,
        result: Box<LoadResult>,
    },
}

/// The comparison's inputs: the base and the smallest regression that counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub state: BaseState,
    /// Percent of the base's value.
    pub floor: f64,
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline {
            state: BaseState::NotRequested,
            floor: DEFAULT_FLOOR,
        }
    }
}

/// The gate-load result in a JSON report's `details`.
pub fn result_of_report(path: &Path, v: &serde_json::Value) -> Result<LoadResult, GateError> {
    if v.get("gate").and_then(|g| g.as_str()) != Some("load") {
        return Err(GateError::malformed(
            path,
            None,
            "not a gate-load JSON report (`gate` is not `load`): write it with `gate-load --output json=PATH`",
        ));
    }
    let details = v.get("details").cloned().unwrap_or_default();
    serde_json::from_value(details).map_err(|e| {
        GateError::malformed(
            path,
            None,
            format!("`details` is not a gate-load result: {e}"),
        )
    })
}

/// Reads a gate-load JSON report; an unreadable or foreign file is an error
/// (exit 4), never a comparison with nothing.
pub fn read_report(path: &Path) -> Result<LoadResult, GateError> {
    let text = std::fs::read_to_string(path).map_err(|e| GateError::read(path, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        GateError::malformed(
            path,
            Some(e.line() as u64),
            format!("not a JSON report: {e}"),
        )
    })?;
    result_of_report(path, &v)
}

/// Finds the base: `--baseline-file`, else `baseline.file`, else the
/// ledger's record for `baseline.base` (or the pull request's base).
pub async fn lookup(
    ctx: &Context,
    config: &LoadConfig,
    args: &LoadArgs,
) -> gate_core::Result<Baseline> {
    let Some(cfg) = config.baseline.clone().or_else(|| {
        args.baseline_file
            .as_ref()
            .map(|_| crate::config::BaselineConfig::default())
    }) else {
        return Ok(Baseline::default());
    };
    let floor = if cfg.floor.is_finite() && cfg.floor >= 0.0 {
        cfg.floor
    } else {
        return Err(GateError::Config(vec![format!(
            "load.baseline.floor: {} is not a percentage of 0 or more",
            cfg.floor
        )]));
    };
    let file = args
        .baseline_file
        .as_ref()
        .map(|f| {
            let cwd = std::env::current_dir().unwrap_or_else(|_| ctx.repo_root.clone());
            if f.is_absolute() || cwd.join(f).exists() {
                cwd.join(f)
            } else {
                ctx.resolve(f)
            }
        })
        .or_else(|| cfg.file.as_ref().map(|f| ctx.resolve(f)));
    if let Some(path) = file {
        let result = read_report(&path)?;
        return Ok(Baseline {
            state: BaseState::Found {
                source: path.display().to_string(),
                result: Box::new(result),
            },
            floor,
        });
    }
    let base = cfg
        .base
        .clone()
        .or_else(|| ctx.github.base_sha.clone())
        .filter(|b| !(b.is_empty() || b.len() == 40 && b.bytes().all(|c| c == b'0')));
    let Some(base) = base else {
        return Ok(Baseline {
            state: BaseState::NoBase,
            floor,
        });
    };
    let commit = resolve(&ctx.repo_root, &base);
    let state = match commit {
        Some(c) if ctx.commit.as_deref() == Some(c.as_str()) => BaseState::NoDetails {
            source: c,
            why: "the base is the commit under test".into(),
        },
        Some(c) => match ctx.ledger.result_for(&c, &ctx.record_key("load")).await? {
            None => BaseState::Missing {
                tried: c,
                ledger: ctx.ledger.kind().to_string(),
            },
            Some(rec) => {
                let source = format!("{} ({} ledger)", short(&c), ctx.ledger.kind());
                match serde_json::from_value::<LoadResult>(rec.report.details.clone()) {
                    Ok(r) => BaseState::Found {
                        source,
                        result: Box::new(r),
                    },
                    Err(e) => BaseState::NoDetails {
                        source,
                        why: format!("its details are not a gate-load result ({e})"),
                    },
                }
            }
        },
        None => BaseState::Missing {
            tried: base,
            ledger: "git".into(),
        },
    };
    Ok(Baseline { state, floor })
}

/// A commit SHA for `base` (a SHA or a ref), when git knows it; a full SHA
/// is taken as is.
fn resolve(repo: &Path, base: &str) -> Option<String> {
    let spec = format!("{base}^{{commit}}");
    match gate_core::git::run(repo, &["rev-parse", "--verify", "--quiet", spec.as_str()]) {
        Ok(s) if s.len() == 40 => Some(s.to_ascii_lowercase()),
        _ if base.len() == 40 && base.bytes().all(|c| c.is_ascii_hexdigit()) => {
            Some(base.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The first 12 characters of a commit SHA.
pub fn short(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}
