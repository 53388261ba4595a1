//! `collect`: run the scenario the configuration describes (with a
//! progress line on a terminal), or read the shards of `gate-load merge`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use gate_core::report::format_number;
use gate_core::{Context, GateError};

use crate::baseline::Baseline;
use crate::build::{parse_thresholds, scenario_from_config};
use crate::config::{LoadArgs, LoadCommand, LoadConfig};
use crate::engine::{Cancel, Live, run_scenario_observed};
use crate::result::LoadResult;
use crate::threshold::Scoped;

/// What `collect` hands to `evaluate`.
#[derive(Debug, Clone)]
pub struct LoadInput {
    pub result: LoadResult,
    pub thresholds: Vec<Scoped>,
    /// The shard files of a merge (empty for a run).
    pub merged: Vec<String>,
    /// The base's result to compare with (`baseline:`).
    pub baseline: Baseline,
}

/// Reads shard reports and merges their results.
pub fn read_shards(ctx_dir: &std::path::Path, files: &[PathBuf]) -> Result<LoadResult, GateError> {
    let mut parts = Vec::new();
    for f in files {
        let path = if f.is_absolute() {
            f.clone()
        } else {
            ctx_dir.join(f)
        };
        parts.push(crate::baseline::read_report(&path)?);
    }
    LoadResult::merge(&parts)
        .ok_or_else(|| GateError::Usage("merge: give at least one report".into()))
}

/// Runs the load, or merges the shards of `gate-load merge`.
pub async fn collect(
    ctx: &Context,
    config: &LoadConfig,
    args: &LoadArgs,
) -> gate_core::Result<LoadInput> {
    let thresholds = parse_thresholds(config)?;
    let baseline = crate::baseline::lookup(ctx, config, args).await?;
    if let Some(LoadCommand::Merge { files }) = &args.command {
        // Relative to the working directory, else to the repository root.
        let cwd = std::env::current_dir().unwrap_or_else(|_| ctx.repo_root.clone());
        let files: Vec<PathBuf> = files
            .iter()
            .map(|f| {
                if f.is_absolute() || cwd.join(f).exists() {
                    cwd.join(f)
                } else {
                    ctx.resolve(f)
                }
            })
            .collect();
        let result = read_shards(&cwd, &files)?;
        return Ok(LoadInput {
            result,
            thresholds,
            merged: files.iter().map(|f| f.display().to_string()).collect(),
            baseline,
        });
    }
    let mut scenario = scenario_from_config(config)?;
    if let Some(f) = &config.ca_file {
        let p = ctx.resolve(f);
        let pem = std::fs::read(&p).map_err(|e| GateError::read(&p, e))?;
        // Refused now, with the file named, rather than as a TLS error
        // on every request.
        gate_core::tls::client_config(std::slice::from_ref(&pem), false)
            .map_err(|e| GateError::malformed(&p, None, format!("load.ca-file: {e}")))?;
        scenario.extra_ca.push(pem);
    }
    let live = Arc::new(Live::default());
    let cancel = Cancel::new();
    let progress = gate_core::out::stderr_is_tty()
        .then(|| spawn_progress(live.clone(), scenario.model.duration()));
    let result = run_scenario_observed(&scenario, &cancel, live).await;
    if let Some(p) = progress {
        p.abort();
        gate_core::out::stderr("\r\x1b[2K");
    }
    let result = result.map_err(|e| GateError::Config(vec![format!("load: {e}")]))?;
    Ok(LoadInput {
        result,
        thresholds,
        merged: Vec::new(),
        baseline,
    })
}

/// The progress line on a terminal, every second until aborted.
fn spawn_progress(live: Arc<Live>, total: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let start = tokio::time::Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        loop {
            tick.tick().await;
            let el = start.elapsed();
            gate_core::out::stderr(&format!(
                "\r\x1b[2Kgate-load: {:>4}s/{}s  {} requests  {} rps  p95 {} ms  {} errors  {} dropped",
                el.as_secs(),
                total.as_secs(),
                live.completed.load(Ordering::Relaxed),
                live.last_rps.load(Ordering::Relaxed),
                format_number(live.last_p95_us.load(Ordering::Relaxed) as f64 / 1000.0),
                live.errors.load(Ordering::Relaxed),
                live.dropped.load(Ordering::Relaxed),
            ));
        }
    })
}
