//! The deploy and rollback flows: all the I/O of both gates.

use std::fs::File;
use std::time::{Duration, Instant};

use chrono::Utc;
use gate_core::ledger::{DeploymentState, Ledger, NewDeployment, NewStatus};
use gate_core::{Context, GateError};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::config::{DeployConfig, Slot, SwitchKind};
use crate::hooks::run_hook;
use crate::probe::{AnyProbe, CommandProbe, HttpProbe, Probe, ProbeResult};
use crate::state::{self, EnvState, Payload, SlotRelease, Unfinished, describe};
use crate::switch::Switch;

/// Most probe samples kept in a report.
const MAX_SAMPLES: usize = 2000;

/// One moment of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Milliseconds since the run started.
    pub at_ms: f64,
    pub phase: String,
    pub message: String,
}

/// One probe result, in time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub at_ms: f64,
    /// `wait`, `watch` or `verify`.
    pub phase: String,
    pub probe: String,
    #[serde(flatten)]
    pub result: ProbeResult,
}

/// The MTTR figures, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timings {
    /// Start hook duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<f64>,
    /// From the start hook's end to the new slot proven healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_healthy_ms: Option<f64>,
    /// The switch itself (validate, apply, and for nginx the old workers' exit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_switch_ms: Option<f64>,
    /// From the first failing probe to the circuit breaker's trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_detect_ms: Option<f64>,
    /// The switch back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switch_back_ms: Option<f64>,
    /// From the (last) switch to the live slot verified healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_verified_ms: Option<f64>,
    /// From the first failing probe to verified healthy on the old slot
    /// (rollback), or the whole manual rollback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_ms: Option<f64>,
    pub total_ms: f64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Result_ {
    /// The new release is live and passed the watch.
    Deployed,
    /// The release was already live; nothing changed.
    AlreadyLive,
    /// The start hook failed; traffic untouched.
    StartFailed,
    /// The new slot never became healthy; traffic untouched.
    NeverHealthy,
    /// The watch tripped; traffic is back on the old slot, verified.
    RolledBack,
    /// The watch tripped and going back failed: traffic may be on a failing slot.
    RollbackFailed,
    /// gate-rollback put traffic on the last known-good slot, verified.
    Restored,
    /// gate-rollback could not make the known-good slot healthy; traffic untouched.
    RestoreFailed,
}

impl Result_ {
    pub fn as_str(self) -> &'static str {
        match self {
            Result_::Deployed => "deployed",
            Result_::AlreadyLive => "already-live",
            Result_::StartFailed => "start-failed",
            Result_::NeverHealthy => "never-healthy",
            Result_::RolledBack => "rolled-back",
            Result_::RollbackFailed => "rollback-failed",
            Result_::Restored => "restored",
            Result_::RestoreFailed => "restore-failed",
        }
    }
}

/// Everything a deploy or rollback run did, for `evaluate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// `deploy` or `rollback`.
    pub operation: String,
    pub environment: String,
    pub switch: String,
    pub result: Result_,
    /// Why it failed, or tripped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The ledger deployment of this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<u64>,
    /// What took traffic before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<SlotRelease>,
    /// What this run tried to put live.
    pub to: SlotRelease,
    /// What takes traffic at the end (`None` when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<SlotRelease>,
    pub timings: Timings,
    pub timeline: Vec<Event>,
    pub probes: Vec<Sample>,
    /// Probe interval and circuit-breaker threshold in force.
    pub interval_ms: f64,
    pub threshold: u32,
    /// Earlier deployments found interrupted and resolved by this run.
    pub resolved: Vec<u64>,
    /// Non-fatal problems (stop hook failed, ledger update failed, ...).
    pub warnings: Vec<String>,
}

/// What `gate-deploy status` shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusView {
    pub state: EnvState,
    pub switch: Option<String>,
    /// What the proxy says takes traffic, when the switch can tell.
    pub proxy_live: Option<Slot>,
    /// Why the proxy could not be asked.
    pub proxy_error: Option<String>,
    /// Whether the ledger's lock is held by a running gate now (local ledger).
    pub lock_held: Option<bool>,
    /// Unfinished deployments that belong to a running gate: all of them
    /// while the local lock is held; with GitHub, those updated within
    /// `lock-timeout`.
    pub running: Vec<u64>,
}

struct Recorder {
    gate: &'static str,
    started: Instant,
    timeline: Vec<Event>,
    probes: Vec<Sample>,
    warnings: Vec<String>,
}

impl Recorder {
    fn new(gate: &'static str) -> Self {
        Recorder {
            gate,
            started: Instant::now(),
            timeline: Vec::new(),
            probes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn at(&self, t: Instant) -> f64 {
        ms(t.saturating_duration_since(self.started))
    }

    fn event(&mut self, phase: &str, message: impl Into<String>) {
        let message = message.into();
        let at_ms = self.at(Instant::now());
        gate_core::out::diag(
            self.gate,
            "info",
            &format!("[{:>8.1} s] {phase}: {message}", at_ms / 1000.0),
        );
        self.timeline.push(Event {
            at_ms,
            phase: phase.into(),
            message,
        });
    }

    fn warn(&mut self, message: String) {
        gate_core::out::diag(self.gate, "warning", &message);
        self.warnings.push(message);
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn ms_token(v: f64) -> String {
    format!("{}", v.round() as i64)
}

/// The lock that keeps two deploys of an environment apart.
///
/// Local ledger: an OS file lock on `.gates/locks/deploy-<env>.lock`, held
/// for the whole run and released by the kernel if the process dies.
/// GitHub ledger: an `in_progress` deployment younger than `lock-timeout` is
/// a running deploy; see [`check_unfinished`].
#[derive(Debug)]
pub struct EnvLock {
    _file: Option<File>,
}

pub fn lock_path(ledger: &Ledger, environment: &str) -> Option<std::path::PathBuf> {
    match ledger {
        Ledger::Local(l) => {
            let safe: String = environment
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            Some(l.root().join("locks").join(format!("deploy-{safe}.lock")))
        }
        Ledger::GitHub(_) => None,
    }
}

pub fn take_lock(ledger: &Ledger, environment: &str) -> Result<EnvLock, GateError> {
    let Some(path) = lock_path(ledger, environment) else {
        return Ok(EnvLock { _file: None });
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| GateError::write(dir, e))?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| GateError::write(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(EnvLock { _file: Some(file) }),
        Err(std::fs::TryLockError::WouldBlock) => Err(GateError::Input(format!(
            "another gate-deploy or gate-rollback of `{environment}` is running (it holds {}); wait for it to finish",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(GateError::write(&path, e)),
    }
}

/// Whether the lock of `environment` is held right now (local ledger only).
pub fn lock_held(ledger: &Ledger, environment: &str) -> Option<bool> {
    let path = lock_path(ledger, environment)?;
    let Ok(file) = File::options().write(true).open(&path) else {
        return Some(false);
    };
    Some(matches!(
        file.try_lock(),
        Err(std::fs::TryLockError::WouldBlock)
    ))
}

/// Unfinished deployments: with the local ledger (we hold the lock) they are
/// all interrupted; with GitHub, one updated within `lock-timeout` belongs to
/// a running deploy and stops this one.
fn check_unfinished(
    ctx: &Context,
    cfg: &DeployConfig,
    state: &EnvState,
) -> Result<Vec<Unfinished>, GateError> {
    let mut stale = Vec::new();
    for u in &state.unfinished {
        let age = Utc::now()
            .signed_duration_since(u.last_update)
            .num_milliseconds() as f64
            / 1000.0;
        let running = matches!(ctx.ledger, Ledger::GitHub(_)) && age < cfg.lock_timeout;
        if running {
            return Err(GateError::Input(format!(
                "deployment {} of `{}` ({} {} to {}) is in progress (phase {}, last update {} s ago): two deploys of one environment never interleave. Wait for it; if its run died, it counts as interrupted after lock-timeout ({} s), or run gate-rollback",
                u.id,
                state.environment,
                u.kind,
                u.release,
                u.slot,
                u.phase,
                age.round(),
                cfg.lock_timeout
            )));
        }
        stale.push(u.clone());
    }
    Ok(stale)
}

async fn set_status(
    ctx: &Context,
    id: u64,
    st: DeploymentState,
    parts: &[(&str, String)],
) -> Result<(), GateError> {
    set_status_at(ctx, id, st, parts, None).await
}

/// Where a live slot answers, for the deployment's `environment_url` (what
/// `gate-health --target-from-deployment` probes): the public URL when set,
/// else the slot's own address.
fn environment_url(cfg: &DeployConfig, slot: Slot) -> Option<String> {
    cfg.public_url
        .clone()
        .or_else(|| cfg.address(slot).map(|a| format!("http://{a}")))
}

async fn set_status_at(
    ctx: &Context,
    id: u64,
    st: DeploymentState,
    parts: &[(&str, String)],
    environment_url: Option<String>,
) -> Result<(), GateError> {
    ctx.ledger
        .add_status(
            id,
            &NewStatus {
                state: st,
                description: Some(describe(parts)),
                log_url: ctx.github.run_url(),
                environment_url,
                auto_inactive: st == DeploymentState::Success,
            },
        )
        .await
        .map(|_| ())
}

/// Records a status; on failure notes a warning and goes on (used where
/// stopping would leave traffic in a worse place).
async fn set_status_or_warn(
    ctx: &Context,
    rec: &mut Recorder,
    id: u64,
    st: DeploymentState,
    parts: &[(&str, String)],
) {
    if let Err(e) = set_status(ctx, id, st, parts).await {
        rec.warn(format!(
            "could not record status {} on deployment {id}: {e}",
            st.as_str()
        ));
    }
}

fn slot_probe(cfg: &DeployConfig, slot: Slot) -> Result<AnyProbe, GateError> {
    let url = cfg.health_url(slot).ok_or_else(|| {
        GateError::Config(vec![format!(
            "{slot}-address or {slot}-health-url: needed to probe the {slot} slot"
        )])
    })?;
    HttpProbe::new(format!("{slot} {url}"), &url, cfg.probe_timeout())
        .map(AnyProbe::Http)
        .map_err(|e| GateError::Config(vec![format!("{slot}-health-url: {e}")]))
}

fn public_probe(cfg: &DeployConfig) -> Result<Option<AnyProbe>, GateError> {
    match &cfg.public_url {
        None => Ok(None),
        Some(u) => HttpProbe::new(format!("public {u}"), u, cfg.probe_timeout())
            .map(|p| Some(AnyProbe::Http(p)))
            .map_err(|e| GateError::Config(vec![format!("public-url: {e}")])),
    }
}

fn hook_env(
    cfg: &DeployConfig,
    switch: &Switch,
    slot: Slot,
    release: &str,
) -> Vec<(String, String)> {
    let mut env = switch.env(slot, None);
    env.push(("GATES_VERSION".into(), release.to_string()));
    if let Some(d) = &cfg.artifact_digest {
        env.push(("GATES_ARTIFACT_DIGEST".into(), d.clone()));
    }
    env
}

/// Runs every probe once, concurrently.
async fn probe_all(rec: &mut Recorder, probes: &[AnyProbe], phase: &str) -> (bool, Option<String>) {
    let mut set = JoinSet::new();
    for (i, p) in probes.iter().cloned().enumerate() {
        set.spawn(async move {
            let r = p.check().await;
            (i, p.name().to_string(), r)
        });
    }
    let mut results = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(r) = r {
            results.push(r);
        }
    }
    results.sort_by_key(|r| r.0);
    let at_ms = rec.at(Instant::now());
    let mut ok = results.len() == probes.len();
    let mut why = None;
    for (_, name, r) in results {
        if !r.ok {
            ok = false;
            why.get_or_insert_with(|| {
                format!(
                    "{name}: {}",
                    r.error.clone().unwrap_or_else(|| "failed".into())
                )
            });
        }
        if rec.probes.len() < MAX_SAMPLES {
            rec.probes.push(Sample {
                at_ms,
                phase: phase.into(),
                probe: name,
                result: r,
            });
        }
    }
    (ok, why)
}

/// Probes until `need` consecutive passes (Ok: when) or `timeout` (Err: last failure).
async fn wait_healthy(
    rec: &mut Recorder,
    probes: &[AnyProbe],
    need: u32,
    interval: Duration,
    timeout: Duration,
    phase: &str,
) -> Result<Instant, String> {
    let deadline = Instant::now() + timeout;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut streak = 0;
    let mut last = String::from("no probe answered");
    loop {
        ticker.tick().await;
        let (ok, why) = probe_all(rec, probes, phase).await;
        if ok {
            streak += 1;
            if streak >= need {
                return Ok(Instant::now());
            }
        } else {
            streak = 0;
            if let Some(w) = why {
                last = w;
            }
        }
        if Instant::now() >= deadline {
            return Err(last);
        }
    }
}

enum Watch {
    Passed,
    Tripped {
        first_failure: Instant,
        tripped: Instant,
        reason: String,
    },
}

/// The circuit breaker: `threshold` consecutive failed probe rounds trip it.
async fn watch(rec: &mut Recorder, probes: &[AnyProbe], cfg: &DeployConfig) -> Watch {
    let end = Instant::now() + cfg.watch();
    let mut ticker = tokio::time::interval(cfg.interval());
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut streak = 0u32;
    let mut first_failure = None;
    while Instant::now() < end {
        ticker.tick().await;
        let round = Instant::now();
        let (ok, why) = probe_all(rec, probes, "watch").await;
        if ok {
            if streak > 0 {
                rec.event(
                    "watch",
                    format!("probes pass again after {streak} failure(s)"),
                );
            }
            streak = 0;
            first_failure = None;
        } else {
            streak += 1;
            let first = *first_failure.get_or_insert(round);
            let why = why.unwrap_or_else(|| "probe failed".into());
            rec.event(
                "watch",
                format!("failure {streak}/{}: {why}", cfg.threshold),
            );
            if streak >= cfg.threshold {
                return Watch::Tripped {
                    first_failure: first,
                    tripped: Instant::now(),
                    reason: format!(
                        "{} consecutive failed probes (threshold {}); last: {why}",
                        streak, cfg.threshold
                    ),
                };
            }
        }
    }
    Watch::Passed
}

fn release_of(cfg: &DeployConfig, ctx: &Context) -> Result<String, GateError> {
    match (&cfg.release, &ctx.commit) {
        (Some(r), _) => Ok(r.clone()),
        (None, Some(c)) => Ok(c.clone()),
        (None, None) => Err(GateError::Usage(
            "deploy.release: no release given and no commit known (not a git repository, no GITHUB_SHA); pass --release".into(),
        )),
    }
}

async fn read_state(ctx: &Context, environment: &str) -> Result<EnvState, GateError> {
    let deployments = ctx.ledger.deployments(environment, 100).await?;
    Ok(state::derive(environment, &deployments))
}

async fn mark_resolved(
    ctx: &Context,
    rec: &mut Recorder,
    stale: &[Unfinished],
    by: u64,
) -> Vec<u64> {
    let mut done = Vec::new();
    for u in stale {
        set_status_or_warn(
            ctx,
            rec,
            u.id,
            DeploymentState::Error,
            &[
                ("phase", "interrupted".into()),
                ("resolved_by", by.to_string()),
                ("was", u.phase.clone()),
            ],
        )
        .await;
        done.push(u.id);
    }
    done
}

/// `gate-deploy`: start, wait, switch, watch, and roll back on a trip.
pub async fn deploy(ctx: &Context, cfg: &DeployConfig) -> Result<Outcome, GateError> {
    let kind = cfg.validate("deploy")?;
    let release = release_of(cfg, ctx)?;
    let switch = Switch::new(kind, cfg, &ctx.repo_root);
    let mut rec = Recorder::new("deploy");
    let _lock = take_lock(&ctx.ledger, &cfg.environment)?;
    let state = read_state(ctx, &cfg.environment).await?;
    let stale = check_unfinished(ctx, cfg, &state)?;
    for u in &stale {
        rec.event(
            "resolve",
            format!(
                "deployment {} ({} {} to {}) was interrupted in phase {}; continuing from the last consistent state",
                u.id, u.kind, u.release, u.slot, u.phase
            ),
        );
    }
    let proxy_now = match switch.current().await {
        Ok(s) => s,
        Err(e) => {
            rec.warn(format!("cannot ask the switch which slot is live: {e}"));
            None
        }
    };
    let from: Option<SlotRelease> = match (&state.live, proxy_now) {
        (Some(l), _) => Some(l.clone()),
        (None, Some(slot)) => Some(SlotRelease {
            slot,
            release: "unknown".into(),
        }),
        (None, None) => None,
    };
    let target = from.as_ref().map(|f| f.slot.other()).unwrap_or(Slot::Blue);
    let to = SlotRelease {
        slot: target,
        release: release.clone(),
    };
    let mut outcome = Outcome {
        operation: "deploy".into(),
        environment: cfg.environment.clone(),
        switch: kind.as_str().into(),
        result: Result_::Deployed,
        reason: None,
        deployment_id: None,
        from: from.clone(),
        to: to.clone(),
        live: from.clone(),
        timings: Timings::default(),
        timeline: Vec::new(),
        probes: Vec::new(),
        interval_ms: ms(cfg.interval()),
        threshold: cfg.threshold,
        resolved: Vec::new(),
        warnings: Vec::new(),
    };

    // Idempotent: the release already takes traffic.
    if let Some(live) = &state.live
        && live.release == release
        && stale.is_empty()
        && proxy_now.is_none_or(|p| p == live.slot)
    {
        rec.event(
            "done",
            format!("{release} is already live on {}; nothing to do", live.slot),
        );
        outcome.result = Result_::AlreadyLive;
        outcome.to = live.clone();
        return Ok(finish(outcome, rec));
    }

    let payload = Payload {
        kind: "deploy".into(),
        slot: target,
        release: release.clone(),
        artifact_digest: cfg.artifact_digest.clone(),
        previous_slot: from.as_ref().map(|f| f.slot),
        previous_release: from.as_ref().map(|f| f.release.clone()),
        switch: kind.as_str().into(),
        run_url: ctx.github.run_url(),
    };
    let d = ctx
        .ledger
        .create_deployment(&NewDeployment {
            environment: cfg.environment.clone(),
            commit: ctx.commit.clone().unwrap_or_else(|| "0".repeat(40)),
            git_ref: ctx
                .github
                .git_ref
                .clone()
                .or_else(|| ctx.commit.clone())
                .unwrap_or_else(|| "HEAD".into()),
            description: Some(format!("{release} to {target}")),
            payload: serde_json::to_value(&payload)
                .map_err(|e| GateError::Internal(format!("payload: {e}")))?,
            transient: false,
            production: cfg.environment == "production",
        })
        .await?;
    outcome.deployment_id = Some(d.id);
    // GitHub has no lock: the oldest running deployment wins a race.
    if matches!(ctx.ledger, Ledger::GitHub(_)) {
        let again = read_state(ctx, &cfg.environment).await?;
        if let Some(other) = again
            .unfinished
            .iter()
            .find(|u| u.id < d.id && !stale.iter().any(|s| s.id == u.id))
        {
            let _ = set_status(
                ctx,
                d.id,
                DeploymentState::Error,
                &[("phase", "lock-lost".into()), ("to", other.id.to_string())],
            )
            .await;
            return Err(GateError::Input(format!(
                "deployment {} of `{}` started at the same time; this run stands down (two deploys of one environment never interleave)",
                other.id, cfg.environment
            )));
        }
    }
    outcome.resolved = mark_resolved(ctx, &mut rec, &stale, d.id).await;
    let live_now = |o: &Option<SlotRelease>| {
        o.as_ref()
            .map(|l| l.slot.to_string())
            .unwrap_or_else(|| "?".into())
    };
    let live_rel = |o: &Option<SlotRelease>| {
        o.as_ref()
            .map(|l| l.release.clone())
            .unwrap_or_else(|| "-".into())
    };
    set_status(
        ctx,
        d.id,
        DeploymentState::InProgress,
        &[
            ("phase", "start".into()),
            ("live", live_now(&from)),
            ("release", live_rel(&from)),
        ],
    )
    .await?;

    // (1) Start the new release in the idle slot.
    let env = hook_env(cfg, &switch, target, &release);
    if let Some(start) = &cfg.start {
        rec.event("start", format!("starting {release} in {target}"));
        let t0 = Instant::now();
        let out = run_hook(start, &env, cfg.hook_timeout())
            .await
            .map_err(GateError::Input)?;
        outcome.timings.start_ms = Some(ms(t0.elapsed()));
        if !out.success() {
            let why = format!("start hook failed for {target}: {}", out.describe());
            rec.event("start", why.clone());
            set_status(
                ctx,
                d.id,
                DeploymentState::Failure,
                &[
                    ("phase", "start".into()),
                    ("live", live_now(&from)),
                    ("release", live_rel(&from)),
                ],
            )
            .await?;
            outcome.result = Result_::StartFailed;
            outcome.reason = Some(why);
            return Ok(finish(outcome, rec));
        }
        rec.event("start", format!("start hook done for {target}"));
    }

    // (2) Pre-switch health gate on the idle slot.
    let idle = vec![slot_probe(cfg, target)?];
    rec.event(
        "wait",
        format!(
            "waiting for {target} to pass {} probe(s) in a row (at most {} s)",
            cfg.healthy_successes, cfg.wait_timeout
        ),
    );
    let t_wait = Instant::now();
    match wait_healthy(
        &mut rec,
        &idle,
        cfg.healthy_successes,
        cfg.interval(),
        cfg.wait_timeout(),
        "wait",
    )
    .await
    {
        Ok(at) => {
            outcome.timings.time_to_healthy_ms = Some(ms(at.duration_since(t_wait)));
            rec.event("wait", format!("{target} is healthy"));
        }
        Err(last) => {
            let why = format!(
                "{target} never became healthy within {} s; last probe: {last}. Traffic was not switched",
                cfg.wait_timeout
            );
            rec.event("wait", why.clone());
            set_status(
                ctx,
                d.id,
                DeploymentState::Failure,
                &[
                    ("phase", "wait".into()),
                    ("live", live_now(&from)),
                    ("release", live_rel(&from)),
                ],
            )
            .await?;
            stop_slot(cfg, &switch, &mut rec, target, &release).await;
            outcome.result = Result_::NeverHealthy;
            outcome.reason = Some(why);
            return Ok(finish(outcome, rec));
        }
    }

    // (3) Switch.
    set_status(
        ctx,
        d.id,
        DeploymentState::InProgress,
        &[("phase", "switch".into()), ("live", "?".into())],
    )
    .await?;
    rec.event(
        "switch",
        format!("switching traffic to {target} ({})", kind.as_str()),
    );
    let done = match switch.switch_to(target).await {
        Ok(done) => done,
        Err(e) => {
            rec.event("switch", format!("switch refused, nothing changed: {e}"));
            let live = switch.current().await.ok().flatten();
            let live_s = live
                .map(|s| s.to_string())
                .unwrap_or_else(|| live_now(&from));
            let _ = set_status(
                ctx,
                d.id,
                DeploymentState::Failure,
                &[
                    ("phase", "switch".into()),
                    ("live", live_s),
                    ("release", live_rel(&from)),
                ],
            )
            .await;
            stop_slot(cfg, &switch, &mut rec, target, &release).await;
            return Err(e);
        }
    };
    let switched_at = Instant::now();
    outcome.timings.time_to_switch_ms = Some(done.took_ms);
    rec.event(
        "switch",
        format!(
            "traffic on {target} in {:.1} ms ({})",
            done.took_ms, done.note
        ),
    );
    outcome.live = Some(to.clone());
    set_status_or_warn(
        ctx,
        &mut rec,
        d.id,
        DeploymentState::InProgress,
        &[
            ("phase", "watch".into()),
            ("live", target.to_string()),
            ("release", release.clone()),
            ("switch_ms", ms_token(done.took_ms)),
        ],
    )
    .await;

    // (4) Watch with the circuit breaker.
    let mut probes = vec![slot_probe(cfg, target)?];
    if let Some(p) = public_probe(cfg)? {
        probes.push(p);
    }
    if let Some(c) = &cfg.check_command {
        probes.push(AnyProbe::Command(CommandProbe::new(
            "check-command",
            c.clone(),
            env.clone(),
            cfg.probe_timeout().max(cfg.interval()),
        )));
    }
    rec.event(
        "watch",
        format!(
            "watching {target} for {} s: probe every {} s, trip after {} consecutive failures",
            cfg.watch, cfg.interval, cfg.threshold
        ),
    );
    match watch(&mut rec, &probes, cfg).await {
        Watch::Passed => {
            outcome.timings.time_to_verified_ms = Some(ms(switched_at.elapsed()));
            rec.event("watch", format!("{target} passed the watch window"));
            set_status_at(
                ctx,
                d.id,
                DeploymentState::Success,
                &[
                    ("phase", "done".into()),
                    ("live", target.to_string()),
                    ("release", release.clone()),
                    ("switch_ms", ms_token(done.took_ms)),
                    (
                        "healthy_ms",
                        ms_token(outcome.timings.time_to_healthy_ms.unwrap_or(0.0)),
                    ),
                ],
                environment_url(cfg, target),
            )
            .await?;
            if let Some(old) = &from {
                if cfg.stop.is_some() && cfg.keep_old > 0.0 {
                    rec.event(
                        "stop",
                        format!("keeping {} warm for {} s", old.slot, cfg.keep_old),
                    );
                    tokio::time::sleep(cfg.keep_old()).await;
                }
                stop_slot(cfg, &switch, &mut rec, old.slot, &old.release).await;
            }
            outcome.result = Result_::Deployed;
            Ok(finish(outcome, rec))
        }
        Watch::Tripped {
            first_failure,
            tripped,
            reason,
        } => {
            outcome.timings.time_to_detect_ms = Some(ms(tripped.duration_since(first_failure)));
            rec.event("trip", format!("circuit breaker tripped: {reason}"));
            outcome.reason = Some(reason);
            let Some(old) = from.clone() else {
                rec.event(
                    "rollback",
                    "nothing to roll back to: this was the first deploy",
                );
                set_status_or_warn(
                    ctx,
                    &mut rec,
                    d.id,
                    DeploymentState::Error,
                    &[
                        ("phase", "trip".into()),
                        ("live", target.to_string()),
                        ("release", release.clone()),
                    ],
                )
                .await;
                outcome.result = Result_::RollbackFailed;
                return Ok(finish(outcome, rec));
            };
            set_status_or_warn(
                ctx,
                &mut rec,
                d.id,
                DeploymentState::InProgress,
                &[("phase", "rollback".into()), ("live", "?".into())],
            )
            .await;
            rec.event(
                "rollback",
                format!("switching traffic back to {}", old.slot),
            );
            let back = switch.switch_to(old.slot).await;
            let back = match back {
                Ok(b) => b,
                Err(e) => {
                    rec.event("rollback", format!("switching back failed: {e}"));
                    set_status_or_warn(
                        ctx,
                        &mut rec,
                        d.id,
                        DeploymentState::Error,
                        &[("phase", "rollback".into()), ("live", "?".into())],
                    )
                    .await;
                    outcome.result = Result_::RollbackFailed;
                    outcome.live = None;
                    outcome.reason = Some(format!(
                        "{}; switching back to {} failed: {e}",
                        outcome.reason.clone().unwrap_or_default(),
                        old.slot
                    ));
                    return Ok(finish(outcome, rec));
                }
            };
            let back_at = Instant::now();
            outcome.timings.switch_back_ms = Some(back.took_ms);
            outcome.live = Some(old.clone());
            rec.event(
                "rollback",
                format!(
                    "traffic back on {} in {:.1} ms; verifying",
                    old.slot, back.took_ms
                ),
            );
            let mut verify = vec![slot_probe(cfg, old.slot)?];
            if let Some(p) = public_probe(cfg)? {
                verify.push(p);
            }
            let verified = wait_healthy(
                &mut rec,
                &verify,
                1,
                cfg.interval().min(Duration::from_millis(100)),
                cfg.wait_timeout(),
                "verify",
            )
            .await;
            match verified {
                Ok(at) => {
                    outcome.timings.time_to_verified_ms = Some(ms(at.duration_since(back_at)));
                    outcome.timings.recovery_ms = Some(ms(at.duration_since(first_failure)));
                    rec.event(
                        "verify",
                        format!(
                            "{} verified healthy; recovered {:.0} ms after the first failing probe",
                            old.slot,
                            ms(at.duration_since(first_failure))
                        ),
                    );
                    set_status_or_warn(
                        ctx,
                        &mut rec,
                        d.id,
                        DeploymentState::Failure,
                        &[
                            ("phase", "rolled-back".into()),
                            ("live", old.slot.to_string()),
                            ("release", old.release.clone()),
                            (
                                "detect_ms",
                                ms_token(outcome.timings.time_to_detect_ms.unwrap_or(0.0)),
                            ),
                            ("switch_ms", ms_token(back.took_ms)),
                            (
                                "recovery_ms",
                                ms_token(outcome.timings.recovery_ms.unwrap_or(0.0)),
                            ),
                        ],
                    )
                    .await;
                    outcome.result = Result_::RolledBack;
                }
                Err(last) => {
                    rec.event(
                        "verify",
                        format!("{} is not healthy after the switch back: {last}", old.slot),
                    );
                    set_status_or_warn(
                        ctx,
                        &mut rec,
                        d.id,
                        DeploymentState::Error,
                        &[
                            ("phase", "verify".into()),
                            ("live", old.slot.to_string()),
                            ("release", old.release.clone()),
                        ],
                    )
                    .await;
                    outcome.result = Result_::RollbackFailed;
                    outcome.reason = Some(format!(
                        "{}; after switching back, {} is not healthy either: {last}",
                        outcome.reason.clone().unwrap_or_default(),
                        old.slot
                    ));
                }
            }
            Ok(finish(outcome, rec))
        }
    }
}

async fn stop_slot(
    cfg: &DeployConfig,
    switch: &Switch,
    rec: &mut Recorder,
    slot: Slot,
    release: &str,
) {
    let Some(stop) = &cfg.stop else { return };
    rec.event("stop", format!("stopping {slot}"));
    match run_hook(
        stop,
        &hook_env(cfg, switch, slot, release),
        cfg.hook_timeout(),
    )
    .await
    {
        Ok(o) if o.success() => rec.event("stop", format!("{slot} stopped")),
        Ok(o) => rec.warn(format!("stop hook failed for {slot}: {}", o.describe())),
        Err(e) => rec.warn(format!("stop hook for {slot}: {e}")),
    }
}

fn finish(mut outcome: Outcome, rec: Recorder) -> Outcome {
    outcome.timings.total_ms = ms(rec.started.elapsed());
    outcome.timeline = rec.timeline;
    outcome.probes = rec.probes;
    outcome.warnings = rec.warnings;
    outcome
}

/// `gate-deploy status`.
pub async fn status(
    ctx: &Context,
    cfg: &DeployConfig,
    limit: usize,
) -> Result<StatusView, GateError> {
    let deployments = ctx
        .ledger
        .deployments(&cfg.environment, limit.max(1))
        .await?;
    let state = state::derive(&cfg.environment, &deployments);
    let (switch, proxy_live, proxy_error) = match cfg.switch {
        None => (None, None, None),
        Some(kind) => {
            let sw = Switch::new(kind, cfg, &ctx.repo_root);
            match sw.current().await {
                Ok(s) => (Some(kind.as_str().to_string()), s, None),
                Err(e) => (Some(kind.as_str().to_string()), None, Some(e.to_string())),
            }
        }
    };
    let held = lock_held(&ctx.ledger, &cfg.environment);
    let running = state
        .unfinished
        .iter()
        .filter(|u| match held {
            Some(h) => h,
            None => {
                Utc::now()
                    .signed_duration_since(u.last_update)
                    .num_milliseconds() as f64
                    / 1000.0
                    < cfg.lock_timeout
            }
        })
        .map(|u| u.id)
        .collect();
    Ok(StatusView {
        lock_held: held,
        running,
        state,
        switch,
        proxy_live,
        proxy_error,
    })
}

/// `gate-rollback`: traffic back on the last known-good slot, from the ledger alone.
pub async fn rollback(ctx: &Context, cfg: &DeployConfig) -> Result<Outcome, GateError> {
    let kind = cfg.validate("rollback")?;
    let switch = Switch::new(kind, cfg, &ctx.repo_root);
    let mut rec = Recorder::new("rollback");
    let _lock = take_lock(&ctx.ledger, &cfg.environment)?;
    let state = read_state(ctx, &cfg.environment).await?;
    let stale = check_unfinished(ctx, cfg, &state)?;
    // An interrupted run: go back to the last consistent state. Otherwise
    // to what was live before the live release.
    let (target, current) = if let Some(u) = stale.first() {
        rec.event(
            "resolve",
            format!(
                "deployment {} ({} {} to {}) was interrupted in phase {}",
                u.id, u.kind, u.release, u.slot, u.phase
            ),
        );
        let good = state.live.clone().or_else(|| u.previous.clone());
        (good, None)
    } else {
        (state.fallback.clone(), state.live.clone())
    };
    let Some(target) = target else {
        return Err(GateError::Input(format!(
            "nothing to roll back to: the ledger has no known-good slot for `{}` before the live one (gate-deploy status shows the history)",
            cfg.environment
        )));
    };
    let mut outcome = Outcome {
        operation: "rollback".into(),
        environment: cfg.environment.clone(),
        switch: kind.as_str().into(),
        result: Result_::Restored,
        reason: None,
        deployment_id: None,
        from: current.clone(),
        to: target.clone(),
        live: current.clone(),
        timings: Timings::default(),
        timeline: Vec::new(),
        probes: Vec::new(),
        interval_ms: ms(cfg.interval()),
        threshold: cfg.threshold,
        resolved: Vec::new(),
        warnings: Vec::new(),
    };
    rec.event(
        "plan",
        format!(
            "rolling {} back to {} ({})",
            cfg.environment, target.slot, target.release
        ),
    );
    let d = ctx
        .ledger
        .create_deployment(&NewDeployment {
            environment: cfg.environment.clone(),
            commit: ctx.commit.clone().unwrap_or_else(|| "0".repeat(40)),
            git_ref: ctx
                .github
                .git_ref
                .clone()
                .or_else(|| ctx.commit.clone())
                .unwrap_or_else(|| "HEAD".into()),
            description: Some(format!("rollback to {} {}", target.slot, target.release)),
            payload: serde_json::to_value(Payload {
                kind: "rollback".into(),
                slot: target.slot,
                release: target.release.clone(),
                artifact_digest: None,
                previous_slot: current.as_ref().map(|c| c.slot),
                previous_release: current.as_ref().map(|c| c.release.clone()),
                switch: kind.as_str().into(),
                run_url: ctx.github.run_url(),
            })
            .map_err(|e| GateError::Internal(format!("payload: {e}")))?,
            transient: false,
            production: cfg.environment == "production",
        })
        .await?;
    outcome.deployment_id = Some(d.id);
    let live_tok = current
        .as_ref()
        .map(|c| c.slot.to_string())
        .unwrap_or_else(|| "?".into());
    set_status(
        ctx,
        d.id,
        DeploymentState::InProgress,
        &[("phase", "check".into()), ("live", live_tok.clone())],
    )
    .await?;

    // Make sure the known-good slot runs and is healthy; restart it if not.
    let probes = vec![slot_probe(cfg, target.slot)?];
    let (ok, why) = probe_all(&mut rec, &probes, "check").await;
    if !ok {
        rec.event(
            "start",
            format!(
                "{} is not answering ({}); restarting {} there",
                target.slot,
                why.unwrap_or_default(),
                target.release
            ),
        );
        let Some(start) = &cfg.start else {
            let why = format!(
                "{} is down and there is no start hook to restart it",
                target.slot
            );
            set_status(
                ctx,
                d.id,
                DeploymentState::Failure,
                &[("phase", "start".into()), ("live", live_tok)],
            )
            .await?;
            outcome.result = Result_::RestoreFailed;
            outcome.reason = Some(why);
            return Ok(finish(outcome, rec));
        };
        let t0 = Instant::now();
        let out = run_hook(
            start,
            &hook_env(cfg, &switch, target.slot, &target.release),
            cfg.hook_timeout(),
        )
        .await
        .map_err(GateError::Input)?;
        outcome.timings.start_ms = Some(ms(t0.elapsed()));
        if !out.success() {
            set_status(
                ctx,
                d.id,
                DeploymentState::Failure,
                &[("phase", "start".into()), ("live", live_tok)],
            )
            .await?;
            outcome.result = Result_::RestoreFailed;
            outcome.reason = Some(format!(
                "start hook failed for {}: {}",
                target.slot,
                out.describe()
            ));
            return Ok(finish(outcome, rec));
        }
    }
    let t_wait = Instant::now();
    match wait_healthy(
        &mut rec,
        &probes,
        cfg.healthy_successes,
        cfg.interval(),
        cfg.wait_timeout(),
        "wait",
    )
    .await
    {
        Ok(at) => {
            outcome.timings.time_to_healthy_ms = Some(ms(at.duration_since(t_wait)));
        }
        Err(last) => {
            set_status(
                ctx,
                d.id,
                DeploymentState::Failure,
                &[("phase", "wait".into()), ("live", live_tok)],
            )
            .await?;
            outcome.result = Result_::RestoreFailed;
            outcome.reason = Some(format!(
                "{} never became healthy within {} s: {last}; traffic was not switched",
                target.slot, cfg.wait_timeout
            ));
            return Ok(finish(outcome, rec));
        }
    }

    set_status(
        ctx,
        d.id,
        DeploymentState::InProgress,
        &[("phase", "switch".into()), ("live", "?".into())],
    )
    .await?;
    let done = match switch.switch_to(target.slot).await {
        Ok(d) => d,
        Err(e) => {
            let live = switch
                .current()
                .await
                .ok()
                .flatten()
                .map(|s| s.to_string())
                .unwrap_or(live_tok);
            let _ = set_status(
                ctx,
                d.id,
                DeploymentState::Failure,
                &[("phase", "switch".into()), ("live", live)],
            )
            .await;
            return Err(e);
        }
    };
    let switched = Instant::now();
    outcome.timings.time_to_switch_ms = Some(done.took_ms);
    outcome.live = Some(target.clone());
    rec.event(
        "switch",
        format!(
            "traffic on {} in {:.1} ms ({})",
            target.slot, done.took_ms, done.note
        ),
    );
    let mut verify = probes.clone();
    if let Some(p) = public_probe(cfg)? {
        verify.push(p);
    }
    match wait_healthy(
        &mut rec,
        &verify,
        1,
        cfg.interval().min(Duration::from_millis(100)),
        cfg.wait_timeout(),
        "verify",
    )
    .await
    {
        Ok(at) => {
            outcome.timings.time_to_verified_ms = Some(ms(at.duration_since(switched)));
            outcome.timings.recovery_ms = Some(ms(rec.started.elapsed()));
            rec.event("verify", format!("{} verified healthy", target.slot));
            set_status_at(
                ctx,
                d.id,
                DeploymentState::Success,
                &[
                    ("phase", "done".into()),
                    ("live", target.slot.to_string()),
                    ("release", target.release.clone()),
                    ("switch_ms", ms_token(done.took_ms)),
                    (
                        "recovery_ms",
                        ms_token(outcome.timings.recovery_ms.unwrap_or(0.0)),
                    ),
                ],
                environment_url(cfg, target.slot),
            )
            .await?;
            outcome.resolved = mark_resolved(ctx, &mut rec, &stale, d.id).await;
            outcome.result = Result_::Restored;
        }
        Err(last) => {
            set_status_or_warn(
                ctx,
                &mut rec,
                d.id,
                DeploymentState::Error,
                &[
                    ("phase", "verify".into()),
                    ("live", target.slot.to_string()),
                    ("release", target.release.clone()),
                ],
            )
            .await;
            outcome.result = Result_::RestoreFailed;
            outcome.reason = Some(format!("{} is live but not healthy: {last}", target.slot));
        }
    }
    Ok(finish(outcome, rec))
}

/// The switch kind configured, for messages.
pub fn switch_name(kind: Option<SwitchKind>) -> &'static str {
    kind.map(|k| k.as_str()).unwrap_or("none")
}
