//! `collect`: build the probes (gatus file, `probes:`, one-off flags, the
//! deployment target), then probe once, wait until healthy, or watch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use gate_core::ledger::DeploymentState;
use gate_core::{Context, GateError};
use serde::Serialize;

use crate::build::{Defaults, build_probe};
use crate::config::{HealthArgs, HealthConfig, ProbeConfig};
use crate::modes::{Round, TokioClock, WaitOptions, WatchOptions, probe_round, wait, watch};
use crate::probe::Probe;

/// How the probes were run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Once,
    Wait,
    Watch,
}

/// A probe as configured, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeInfo {
    pub name: String,
    pub kind: &'static str,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_budget_ms: Option<f64>,
}

/// What `collect` gathers.
#[derive(Debug, Clone, Serialize)]
pub struct HealthInput {
    pub mode: Mode,
    pub probes: Vec<ProbeInfo>,
    pub rounds: Vec<Round>,
    /// Wait mode: the threshold and whether it was reached.
    pub success_threshold: u32,
    pub failure_threshold: u32,
    pub healthy_in_time: Option<bool>,
    pub streaks: Vec<u32>,
    pub timeout_ms: f64,
    /// Watch mode: the trip.
    pub tripped: Option<crate::modes::Trip>,
    pub watch_ms: f64,
    pub interval_ms: f64,
    pub elapsed_ms: f64,
    /// Where the target came from (a deployment), for people.
    pub target_note: Option<String>,
    pub notes: Vec<String>,
    /// Warnings about the probes (gatus endpoints skipped).
    pub warnings: Vec<String>,
}

fn env_get(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Builds every probe of the configuration (gatus file, probes, one-off
/// flags). All problems at once, as a config error (exit 3).
pub async fn build_probes(
    ctx: &Context,
    config: &HealthConfig,
    _args: &HealthArgs,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> gate_core::Result<(Vec<Probe>, Option<String>)> {
    let probe_timeout = config.probe_timeout.get();
    let latency_budget = config.latency_budget.map(|b| b.get());
    let cert_expiry_warning = config.cert_expiry_warning.get();
    let (base_url, target_note) = base_url(ctx, config).await?;
    let defaults = Defaults {
        probe_timeout,
        latency_budget,
        cert_expiry_warning,
        base_url: base_url.as_ref(),
        repo_root: &ctx.repo_root,
    };
    let mut configs = configured(ctx, config, notes, warnings)?;
    one_off_configs(config, base_url.as_ref(), &mut configs)?;
    check_ca_files(ctx, &configs)?;
    let probes = build_all(ctx, &configs, &defaults)?;
    Ok((probes, target_note))
}

/// The base URL that relative probe URLs join: the environment URL of a
/// deployment (with a note saying which), or `base-url`.
async fn base_url(
    ctx: &Context,
    config: &HealthConfig,
) -> gate_core::Result<(Option<url::Url>, Option<String>)> {
    // The deployment target.
    let mut target_note = None;
    let base_url = match &config.target_from_deployment {
        Some(env) => {
            let deployments = ctx.ledger.deployments(env, 10).await?;
            let found = deployments.iter().find_map(|d| {
                let last = d.statuses.last()?;
                (last.state == DeploymentState::Success)
                    .then(|| last.environment_url.clone().map(|u| (d, u)))
                    .flatten()
            });
            let Some((d, u)) = found else {
                return Err(GateError::Input(format!(
                    "target-from-deployment: no successful deployment of `{env}` with an environment_url in the {} ledger ({} deployment(s) looked at); deploy first, or give the URL with --url",
                    ctx.ledger.kind(),
                    deployments.len()
                )));
            };
            let url = url::Url::parse(&u).map_err(|e| {
                GateError::Input(format!(
                    "target-from-deployment: deployment {} of `{env}` has environment_url `{u}`, which is not a URL: {e}",
                    d.id
                ))
            })?;
            target_note = Some(format!(
                "target from deployment {} of `{env}` (commit {}): {url}",
                d.id,
                d.commit.get(..12).unwrap_or(&d.commit)
            ));
            Some(url)
        }
        None => match &config.base_url {
            Some(b) => {
                let b = b.as_str();
                let u = url::Url::parse(b).map_err(|e| {
                    GateError::Config(vec![format!(
                        "health.base-url: `{b}` is not a URL: {e}; write e.g. http://127.0.0.1:8080"
                    )])
                })?;
                if !matches!(u.scheme(), "http" | "https") {
                    return Err(GateError::Config(vec![format!(
                        "health.base-url: `{b}`: only http:// and https:// can be probed"
                    )]));
                }
                Some(u)
            }
            None => None,
        },
    };
    if config.base_url.is_some() && config.target_from_deployment.is_some() {
        return Err(GateError::Config(vec![
            "health.base-url and health.target-from-deployment both give the base URL; keep one"
                .into(),
        ]));
    }
    Ok((base_url, target_note))
}

/// The probes of the gatus file and of `probes:`, each with where it was
/// configured.
fn configured(
    ctx: &Context,
    config: &HealthConfig,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> gate_core::Result<Vec<(String, ProbeConfig)>> {
    let mut configs: Vec<(String, ProbeConfig)> = Vec::new();
    if let Some(f) = &config.gatus_file {
        let path = ctx.resolve(f);
        let text = std::fs::read_to_string(&path).map_err(|e| GateError::read(&path, e))?;
        let parsed = crate::gatus::parse(&text).map_err(|e| {
            GateError::Config(vec![format!("{} (health.gatus-file): {e}", path.display())])
        })?;
        notes.extend(parsed.notes);
        warnings.extend(parsed.warnings);
        // Named by their index in the file, skipped endpoints counted.
        for (i, pc) in parsed.probes {
            configs.push((format!("{f}: endpoints[{i}]"), pc));
        }
    }
    for (i, pc) in config.probes.iter().enumerate() {
        configs.push((format!("health.probes[{i}]"), pc.clone()));
    }
    Ok(configs)
}

/// The one-off probes of `urls`, `tcp` and `dns` (flags), sharing
/// `conditions` and `headers`; the base URL alone when nothing else is
/// configured.
fn one_off_configs(
    config: &HealthConfig,
    base_url: Option<&url::Url>,
    configs: &mut Vec<(String, ProbeConfig)>,
) -> gate_core::Result<()> {
    // One item per header and per condition: the keys are split on lines
    // only, so a comma inside an item never cuts it.
    let headers: BTreeMap<String, String> = config
        .headers
        .iter()
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect();
    let conditions = config.conditions.clone();
    let one_off = |f: &dyn Fn(&mut ProbeConfig)| {
        let mut pc = ProbeConfig {
            conditions: conditions.clone(),
            ..ProbeConfig::default()
        };
        f(&mut pc);
        pc
    };
    for u in &config.urls {
        configs.push((
            format!("--url/urls `{u}`"),
            one_off(&|pc| {
                pc.url = Some(u.clone());
                pc.headers = headers.clone();
                pc.insecure = config.insecure;
                pc.ca_file = config.ca_file.clone();
                pc.method = config.method.clone();
                pc.expect_status = config.expect_status.clone();
            }),
        ));
    }
    for t in &config.tcp {
        configs.push((
            format!("--tcp/tcp `{t}`"),
            one_off(&|pc| pc.tcp = Some(t.clone())),
        ));
    }
    for d in &config.dns {
        configs.push((
            format!("--dns/dns `{d}`"),
            one_off(&|pc| pc.dns = Some(d.clone())),
        ));
    }
    if !config.conditions.is_empty()
        && config.urls.is_empty()
        && config.tcp.is_empty()
        && config.dns.is_empty()
    {
        return Err(GateError::Config(vec![
            "health.conditions (--condition) applies to the urls, tcp and dns probes (--url, --tcp, --dns); give one of those too, or put conditions under a probe in `probes:`".into(),
        ]));
    }
    if configs.is_empty()
        && let Some(u) = base_url
    {
        configs.push((
            "base URL".into(),
            ProbeConfig {
                name: Some("deployment".into()),
                url: Some(u.to_string()),
                ..ProbeConfig::default()
            },
        ));
    }
    if configs.is_empty() {
        return Err(GateError::Usage(
            "no probe: pass --url URL (or --tcp, --dns), list `probes:` under `health:` in gates.yml, or set gatus-file / target-from-deployment".into(),
        ));
    }
    Ok(())
}

/// A CA file that cannot be read or holds no certificate is an input
/// error (exit 4), like any unreadable input.
fn check_ca_files(ctx: &Context, configs: &[(String, ProbeConfig)]) -> gate_core::Result<()> {
    // A CA file that cannot be read or holds no certificate is an input
    // error (exit 4), like any unreadable input.
    for (at, pc) in configs {
        if let Some(f) = &pc.ca_file {
            let path = ctx.resolve(f);
            let pem = std::fs::read(&path).map_err(|e| {
                GateError::Input(format!(
                    "{at}: ca-file: cannot read {}: {e}; give a readable PEM file of CA certificates",
                    path.display()
                ))
            })?;
            gate_core::tls::client_config(&[pem], false)
                .map_err(|e| GateError::Input(format!("{at}: ca-file {}: {e}", path.display())))?;
        }
    }
    Ok(())
}

/// Builds each probe; every problem (and duplicate names) at once.
fn build_all(
    ctx: &Context,
    configs: &[(String, ProbeConfig)],
    defaults: &Defaults<'_>,
) -> gate_core::Result<Vec<Probe>> {
    let mut probes = Vec::new();
    let mut problems = Vec::new();
    for (at, pc) in configs {
        match build_probe(pc, at, defaults, &env_get, &ctx.masker) {
            Ok(p) => probes.push(p),
            Err(mut e) => problems.append(&mut e),
        }
    }
    let mut seen = BTreeMap::new();
    for p in &probes {
        *seen.entry(p.name.clone()).or_insert(0u32) += 1;
    }
    for (name, n) in seen {
        if n > 1 {
            problems.push(format!(
                "health.probes: {n} probes are named `{name}`; give each a distinct `name`"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(GateError::Config(
            problems.iter().map(|p| ctx.masker.redact(p)).collect(),
        ));
    }
    Ok(probes)
}

fn progress_line(text: &str) {
    if gate_core::out::stderr_is_tty() {
        let t = gate_core::github::escape::neutralize(text);
        gate_core::out::stderr(&format!("\r\x1b[2Kgate-health: {t}"));
    }
}

fn progress_done() {
    if gate_core::out::stderr_is_tty() {
        gate_core::out::stderr("\r\x1b[2K");
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// Builds the probes and runs them in the configured mode.
pub async fn collect(
    ctx: &Context,
    config: &HealthConfig,
    args: &HealthArgs,
) -> gate_core::Result<HealthInput> {
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    let (probes, target_note) = build_probes(ctx, config, args, &mut notes, &mut warnings).await?;
    let infos: Vec<ProbeInfo> = probes
        .iter()
        .map(|p| ProbeInfo {
            name: p.name.clone(),
            kind: p.target.kind(),
            target: ctx.masker.redact(&p.target.display()),
            latency_budget_ms: p.latency_budget.map(millis),
        })
        .collect();
    let probes: Arc<[Probe]> = probes.into();
    let concurrency = config.concurrency.max(1) as usize;
    let interval = config.interval.get();
    let timeout = config.timeout.get();
    let watch_for = config.watch.map(|w| w.get());
    if watch_for.is_some() && config.wait {
        return Err(GateError::Usage(
            "--wait and --watch are separate modes: wait first in one step, then watch in another"
                .into(),
        ));
    }
    let mut input = HealthInput {
        mode: Mode::Once,
        probes: infos,
        rounds: Vec::new(),
        success_threshold: config.success_threshold.max(1),
        failure_threshold: config.failure_threshold.max(1),
        healthy_in_time: None,
        streaks: Vec::new(),
        timeout_ms: millis(timeout),
        tripped: None,
        watch_ms: 0.0,
        interval_ms: millis(interval),
        elapsed_ms: 0.0,
        target_note,
        notes,
        warnings,
    };
    if let Some(duration) = watch_for {
        run_watch(&probes, duration, interval, concurrency, &mut input).await;
    } else if config.wait {
        let backoff = (config.backoff.get(), config.max_backoff.get());
        run_wait(&probes, timeout, backoff, interval, concurrency, &mut input).await;
    } else {
        let results = probe_round(&probes, concurrency).await;
        input.rounds.push(Round {
            at_ms: 0.0,
            results,
        });
    }
    // Secrets echoed back by a service are masked centrally: gate-core
    // redacts the whole report once before any output.
    Ok(input)
}

/// Watch mode: rounds at `interval` for `duration`, until a probe trips.
async fn run_watch(
    probes: &Arc<[Probe]>,
    duration: Duration,
    interval: Duration,
    concurrency: usize,
    input: &mut HealthInput,
) {
    let clock = TokioClock::default();
    input.mode = Mode::Watch;
    input.watch_ms = millis(duration);
    let opts = WatchOptions {
        duration,
        interval,
        failure_threshold: input.failure_threshold,
        concurrency,
    };
    let total = probes.len();
    let mut on_round = |r: &Round| {
        let failing: Vec<&str> = r
            .results
            .iter()
            .filter(|x| !x.health.passing())
            .map(|x| x.name.as_str())
            .collect();
        progress_line(&format!(
            "watching {:.0}s/{:.0}s: {}/{total} passing{}",
            r.at_ms / 1000.0,
            duration.as_secs_f64(),
            total - failing.len(),
            if failing.is_empty() {
                String::new()
            } else {
                format!(" (failing: {})", failing.join(", "))
            }
        ));
    };
    let out = watch(probes, &opts, &clock, &mut on_round).await;
    progress_done();
    input.tripped = out.tripped;
    input.rounds = out.rounds;
    input.elapsed_ms = out.elapsed_ms;
}

/// Wait mode: rounds until every probe passes `success-threshold` in a
/// row, or `timeout`; `backoff` is the first and the longest pause after a
/// failing round.
async fn run_wait(
    probes: &Arc<[Probe]>,
    timeout: Duration,
    backoff: (Duration, Duration),
    interval: Duration,
    concurrency: usize,
    input: &mut HealthInput,
) {
    let clock = TokioClock::default();
    input.mode = Mode::Wait;
    let opts = WaitOptions {
        success_threshold: input.success_threshold,
        timeout,
        initial_backoff: backoff.0,
        max_backoff: backoff.1,
        interval: interval
            .min(Duration::from_secs(1))
            .max(Duration::from_millis(50)),
        concurrency,
    };
    let threshold = input.success_threshold;
    let mut progress = |r: &Round, streaks: &[u32]| {
        let done = streaks.iter().filter(|s| **s >= threshold).count();
        progress_line(&format!(
            "waiting {:.0}s/{:.0}s: {done}/{} probes healthy ({threshold} in a row)",
            r.at_ms / 1000.0,
            timeout.as_secs_f64(),
            streaks.len()
        ));
    };
    let out = wait(probes, &opts, &clock, &mut progress).await;
    progress_done();
    input.healthy_in_time = Some(out.healthy);
    input.streaks = out.streaks;
    input.rounds = out.rounds;
    input.elapsed_ms = out.elapsed_ms;
}
