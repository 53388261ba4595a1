//! The deploy and rollback flows: all the I/O of both gates.

use std::fs::File;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use gate_core::ledger::{DeploymentState, Ledger, NewStatus};
use gate_core::{Context, GateError};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::breaker::{Breaker, Mode, Step};
use crate::config::{DeployConfig, Slot, SmokeConfig, SwitchKind, UNKNOWN_RELEASE};
use crate::hooks::{Leftover, run_hook};
use crate::probe::{AnyProbe, Probe, ProbeOutcome, SlotProbes, from_health};
use crate::state::{self, EnvState, SlotRelease, Unfinished, describe, known_release};
use crate::switch::canary::{Canary, Next as CanaryNext, Round as CanaryRound};
use crate::switch::{Haproxy, Switch, SwitchDone, TrafficSwitch};

mod exec;
use exec::sides;
pub use exec::{deploy, failpoint, rollback};

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
    pub result: ProbeOutcome,
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

pub use crate::machine::Conclusion;

/// Everything a deploy or rollback run did, for `evaluate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// `deploy` or `rollback`.
    pub operation: String,
    pub environment: String,
    pub switch: String,
    pub result: Conclusion,
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
    /// Probe interval in force.
    pub interval_ms: f64,
    /// `breaker-trip-after` in force (failed rounds in a row that trip the
    /// `consecutive` breaker).
    pub trip_after: u32,
    /// The circuit breaker in force, for people.
    pub breaker: String,
    /// The pre-switch load smoke, when one ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smoke: Option<SmokeSummary>,
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
        let running =
            matches!(ctx.ledger, Ledger::GitHub(_)) && age < cfg.lock_timeout.as_secs_f64();
        if running {
            return Err(GateError::Input(format!(
                "deployment {} of `{}` ({} {} to {}) is in progress (phase {}, last update {} s ago): two deploys of one environment never interleave. Wait for it; if its run died, it counts as interrupted after lock-timeout ({}), or run gate-rollback",
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

/// One status of a run's deployment: its state and the `key=value` parts of
/// its description (`phase`, `live`, `release`, figures), plus the
/// `environment_url` of a success.
#[derive(Debug)]
struct Mark {
    state: DeploymentState,
    parts: Vec<(&'static str, String)>,
    url: Option<String>,
}

impl Mark {
    fn new(state: DeploymentState, phase: &str) -> Mark {
        Mark {
            state,
            parts: vec![("phase", phase.to_string())],
            url: None,
        }
    }

    fn with(mut self, key: &'static str, value: impl ToString) -> Mark {
        self.parts.push((key, value.to_string()));
        self
    }

    /// `live=<slot> release=<release>` of what took traffic (`?` and `-`
    /// when unknown).
    fn live(self, what: Option<&SlotRelease>) -> Mark {
        match what {
            Some(l) => self.with("live", l.slot).with("release", &l.release),
            None => self.with("live", "?").with("release", "-"),
        }
    }

    fn url(mut self, url: Option<String>) -> Mark {
        self.url = url;
        self
    }
}

/// Writes [`Mark`]s on one deployment of the ledger.
#[derive(Debug, Clone, Copy)]
struct Statuses<'c> {
    ctx: &'c Context,
    id: u64,
}

impl Statuses<'_> {
    /// Records a status; an error stops the run.
    async fn mark(&self, m: Mark) -> Result<(), GateError> {
        let parts: Vec<(&str, String)> = m.parts.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.ctx
            .ledger
            .add_status(
                self.id,
                &NewStatus {
                    state: m.state,
                    description: Some(describe(&parts)),
                    log_url: self.ctx.github.run_url(),
                    environment_url: m.url,
                    auto_inactive: m.state == DeploymentState::Success,
                },
            )
            .await
            .map(|_| ())
    }

    /// Records a status; on failure notes a warning and goes on (where
    /// stopping would leave traffic in a worse place).
    async fn mark_or_warn(&self, rec: &mut Recorder, m: Mark) {
        let st = m.state;
        if let Err(e) = self.mark(m).await {
            rec.warn(format!(
                "could not record status {} on deployment {}: {e}",
                st.as_str(),
                self.id
            ));
        }
    }
}

/// Where a live slot answers, for the deployment's `environment_url` (what
/// `gate-health --target-from-deployment` probes): the public URL when set
/// (never its credentials: the record is public to the repository), else
/// the slot's own address.
fn environment_url(cfg: &DeployConfig, slot: Slot) -> Option<String> {
    cfg.public_url
        .as_ref()
        .map(|u| without_credentials(u.as_str()))
        .or_else(|| cfg.address(slot).map(|a| format!("http://{a}")))
}

/// `url` without its userinfo, split as gate-health splits it (at the last
/// `@` before the path).
fn without_credentials(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    let after = &url[i + 3..];
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    match after[..end].rfind('@') {
        Some(at) => format!("{}{}", &url[..i + 3], &after[at + 1..]),
        None => url.to_string(),
    }
}

fn build_probes(ctx: &Context, cfg: &DeployConfig, section: &str) -> Result<SlotProbes, GateError> {
    SlotProbes::build(
        cfg,
        section,
        &ctx.repo_root,
        &|k| std::env::var(k).ok(),
        &ctx.masker,
    )
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

impl Recorder {
    fn sample(&mut self, at_ms: f64, phase: &str, probe: String, result: ProbeOutcome) {
        if self.probes.len() < MAX_SAMPLES {
            self.probes.push(Sample {
                at_ms,
                phase: phase.into(),
                probe,
                result,
            });
        }
    }
}

/// Runs every probe once, concurrently: whether each passed (in order), and
/// the first failure's description.
async fn probe_all(
    rec: &mut Recorder,
    probes: &[AnyProbe],
    phase: &str,
) -> (Vec<bool>, Option<String>) {
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
    // A probe task that died counts as failed.
    let mut passed = vec![false; probes.len()];
    let mut why = (results.len() != probes.len()).then(|| "a probe task stopped".to_string());
    for (i, name, r) in results {
        passed[i] = r.ok;
        if !r.ok {
            why.get_or_insert_with(|| {
                format!(
                    "{name}: {}",
                    r.error.clone().unwrap_or_else(|| "failed".into())
                )
            });
        }
        rec.sample(at_ms, phase, name, r);
    }
    (passed, why)
}

/// gate-health's `--wait`: rounds until every probe passed `need` rounds in
/// a row (pausing `interval` between passing rounds, and from `interval`
/// doubling up to `max_backoff` after failing ones), or `timeout`.
/// Ok: when healthy; Err: the last failure.
async fn wait_healthy(
    rec: &mut Recorder,
    probes: Vec<gate_health::Probe>,
    need: u32,
    (interval, max_backoff): (Duration, Duration),
    timeout: Duration,
    phase: &str,
) -> Result<Instant, String> {
    let probes: Arc<[gate_health::Probe]> = probes.into();
    let opts = gate_health::WaitOptions {
        success_threshold: need,
        timeout,
        initial_backoff: interval,
        max_backoff: max_backoff.max(interval),
        interval,
        concurrency: probes.len().max(1),
    };
    let clock = gate_health::TokioClock::default();
    let origin = rec.at(Instant::now());
    let mut last = String::from("no probe answered");
    let outcome = {
        let rec = &mut *rec;
        let last = &mut last;
        let mut on_round = move |round: &gate_health::Round, _streaks: &[u32]| {
            for r in &round.results {
                let res = from_health(r);
                if let Some(e) = &res.error {
                    *last = format!("{}: {e}", r.name);
                }
                rec.sample(origin + round.at_ms, phase, r.name.clone(), res);
            }
        };
        gate_health::wait(&probes, &opts, &clock, &mut on_round).await
    };
    if outcome.healthy {
        Ok(Instant::now())
    } else {
        Err(last)
    }
}

/// Why a slot just started did not become healthy.
enum WaitFail {
    /// The probes never passed: the last failure.
    Unhealthy(String),
    /// Every process the start hook left running exited first.
    Exited(String),
}

/// How often the processes a start hook left running are looked at.
const GONE_POLL: Duration = Duration::from_millis(50);

fn exited(slot: Slot, left: &Leftover) -> String {
    format!(
        "the process the start hook left running for {slot} ({}) exited: the release did not start (its log says why: a port already taken, a crash on start)",
        left.describe()
    )
}

/// [`wait_healthy`] for a slot whose start hook left processes running:
/// it fails as soon as all of them have exited, and a slot whose processes
/// are gone is not healthy, whatever answers on its address.
async fn wait_started(
    rec: &mut Recorder,
    slot: Slot,
    probes: Vec<gate_health::Probe>,
    need: u32,
    pacing: (Duration, Duration),
    timeout: Duration,
    left: Option<&Leftover>,
) -> Result<Instant, WaitFail> {
    let Some(left) = left.filter(|l| l.alive().is_some()) else {
        return wait_healthy(rec, probes, need, pacing, timeout, "wait")
            .await
            .map_err(WaitFail::Unhealthy);
    };
    let gone = async {
        while left.alive() != Some(false) {
            tokio::time::sleep(GONE_POLL).await;
        }
    };
    tokio::select! {
        r = wait_healthy(rec, probes, need, pacing, timeout, "wait") => {
            if left.alive() == Some(false) {
                Err(WaitFail::Exited(exited(slot, left)))
            } else {
                r.map_err(WaitFail::Unhealthy)
            }
        }
        () = gone => Err(WaitFail::Exited(exited(slot, left))),
    }
}

/// How long the address check waits for a connection.
const ADDRESS_CHECK_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a slot's address may keep answering after its stop hook.
const ADDRESS_FREE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether something accepts TCP connections on `address` (`host:port`)
/// now. Unresolvable, or no answer within a second: not as far as anyone
/// can tell (the probes judge what starts there).
pub async fn answers(address: &str) -> bool {
    matches!(
        tokio::time::timeout(
            ADDRESS_CHECK_TIMEOUT,
            tokio::net::TcpStream::connect(address)
        )
        .await,
        Ok(Ok(_))
    )
}

/// Why a slot's address cannot take the release about to start there.
fn busy(slot: Slot, addr: &str, after_stop: bool) -> String {
    let when = if after_stop {
        format!("still answers after the stop hook ran for {slot}")
    } else {
        "already answers before the start hook ran".to_string()
    };
    let fix = if after_stop {
        format!("Stop that process or change {slot}-address")
    } else {
        format!(
            "Stop that process (a `stop` hook would be run on the idle slot first), or change {slot}-address"
        )
    };
    format!(
        "{slot}'s address {addr} {when}: another process listens there, and {slot}'s health probes would pass on it instead of on the release being started. {fix}. Nothing was started and traffic was not switched"
    )
}

/// Before a start hook: the slot's address must be free, or whatever
/// answers there would pass the health probes in place of the release
/// being started. What still runs in the idle slot is stopped first with
/// the `stop` hook; anything answering after that is an error (exit 4).
async fn make_room(
    cfg: &DeployConfig,
    switch: &Switch,
    rec: &mut Recorder,
    slot: Slot,
    running: &str,
) -> Result<(), String> {
    let Some(addr) = cfg.address(slot) else {
        return Ok(());
    };
    if !answers(addr).await {
        return Ok(());
    }
    if cfg.stop.is_none() {
        return Err(busy(slot, addr, false));
    }
    rec.event(
        "start",
        format!("{slot}'s address {addr} already answers: stopping {slot} first"),
    );
    stop_slot(cfg, switch, rec, slot, running).await;
    let until = Instant::now() + ADDRESS_FREE_TIMEOUT;
    loop {
        if !answers(addr).await {
            rec.event("start", format!("{addr} is free"));
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(busy(slot, addr, true));
        }
        tokio::time::sleep(GONE_POLL).await;
    }
}

/// The release the ledger last put in `slot` (for the stop hook's
/// `GATES_VERSION`), or `unknown`.
fn release_in(state: &EnvState, slot: Slot) -> String {
    state
        .history
        .iter()
        .find(|h| h.slot == Some(slot))
        .and_then(|h| h.release.clone())
        .unwrap_or_else(|| UNKNOWN_RELEASE.into())
}

/// The live slot, when it already runs `release` and nothing says
/// otherwise (no interrupted run, the switch agrees).
fn live_with<'s>(
    state: &'s EnvState,
    release: &str,
    stale: &[Unfinished],
    proxy_now: Option<Slot>,
) -> Option<&'s SlotRelease> {
    state.live.as_ref().filter(|live| {
        live.release == release && stale.is_empty() && proxy_now.is_none_or(|p| p == live.slot)
    })
}

fn warn_deprecated(gate: &str, cfg: &DeployConfig) {
    for d in cfg.deprecations(gate) {
        gate_core::out::diag(gate, "warning", &d);
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

/// The watch window: a probe round every `interval`, fed to the circuit
/// breaker ([`crate::breaker`]); returns at the trip or the window's end.
async fn watch(rec: &mut Recorder, probes: &[AnyProbe], cfg: &DeployConfig) -> Watch {
    let end = Instant::now() + cfg.watch();
    let mut ticker = tokio::time::interval(cfg.interval());
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut breaker = Breaker::new(Mode::from_config(cfg));
    while Instant::now() < end {
        ticker.tick().await;
        let round = rec.at(Instant::now());
        let (passed, why) = probe_all(rec, probes, "watch").await;
        let why = why.unwrap_or_else(|| "probe failed".into());
        match breaker.round(round, &passed, &why) {
            Step::Pass { recovered_after } => {
                if recovered_after > 0 {
                    rec.event(
                        "watch",
                        format!("probes pass again after {recovered_after} failed round(s)"),
                    );
                }
            }
            Step::Fail { progress } => rec.event("watch", format!("{progress}: {why}")),
            Step::Tripped(t) => {
                return Watch::Tripped {
                    first_failure: rec.started
                        + Duration::from_secs_f64(t.first_failure_ms / 1000.0),
                    tripped: Instant::now(),
                    reason: t.reason,
                };
            }
        }
    }
    Watch::Passed
}

/// The canary when one is configured (`switch: haproxy` only: the
/// configuration check refuses it with another switch).
fn canary_of<'s>(cfg: &DeployConfig, switch: &'s Switch) -> Option<(Canary, &'s Haproxy)> {
    match (&cfg.canary, switch) {
        (Some(c), Switch::Haproxy(h)) => Some((Canary::new(c), h)),
        _ => None,
    }
}

/// The canary's first move in place of the switch: validate, then the first
/// step's share (or the whole switch when the steps hold only 100).
async fn canary_start(
    switch: &Switch,
    h: &Haproxy,
    mut canary: Canary,
    target: Slot,
) -> Result<SwitchDone, GateError> {
    switch.validate(target).await?;
    let started = Instant::now();
    let note = match canary.start(started) {
        CanaryNext::Share(s) => h.set_share(target, s).await?,
        _ => h.apply(target).await?,
    };
    Ok(SwitchDone {
        to: target,
        took_ms: ms(started.elapsed()),
        note: format!("canary: {note}"),
    })
}

/// The smoke thresholds judged at a canary step: the `smoke:` load on what
/// users reach (the public URL when there is one, else the new slot), with
/// the step's share of requests on the new slot. `Some(reason)` fails the
/// step; no `smoke:`, nothing to judge.
async fn canary_smoke(
    ctx: &Context,
    rec: &mut Recorder,
    cfg: &DeployConfig,
    probes: &SlotProbes,
    target: Slot,
    share: u8,
) -> Option<String> {
    let sm = cfg.smoke.as_ref()?;
    let (what, probe) = match &probes.public {
        Some(p) => (format!("the public URL ({share} % on {target})"), p.clone()),
        None => match probes.slot(target) {
            Ok(p) => (format!("{target} ({share} % of requests)"), p),
            Err(e) => return Some(format!("the smoke at this step: {e}")),
        },
    };
    match smoke_on(ctx, rec, cfg, sm, &what, &probe).await {
        Ok(summary) if summary.failures.is_empty() => None,
        Ok(summary) => Some(format!(
            "the load smoke failed: {}",
            summary.failures.join("; ")
        )),
        Err(e) => Some(format!("the load smoke could not run: {e}")),
    }
}

/// The canary's steps below 100 %, each watched by the circuit breaker for
/// `canary.step-time`, then the whole switch and the `watch` window. A trip
/// at any step ends it like a trip in the watch (the rollback puts all
/// traffic back on the old slot, weights restored).
async fn canary_watch(
    (ctx, slot_probes): (&Context, &SlotProbes),
    rec: &mut Recorder,
    probes: &[AnyProbe],
    cfg: &DeployConfig,
    h: &Haproxy,
    target: Slot,
    mut canary: Canary,
) -> Watch {
    canary.start(Instant::now());
    loop {
        let share = canary.share();
        if share == 0 {
            break;
        }
        let step = DeployConfig {
            watch: gate_core::types::Duration(
                canary
                    .step_ends()
                    .map(|e| e.saturating_duration_since(Instant::now()))
                    .unwrap_or_default(),
            ),
            ..cfg.clone()
        };
        rec.event("canary", format!("{share} % of requests on {target}"));
        let round = match watch(rec, probes, &step).await {
            Watch::Passed => match canary_smoke(ctx, rec, cfg, slot_probes, target, share).await {
                None => CanaryRound::Fine,
                Some(why) => CanaryRound::Tripped(why),
            },
            Watch::Tripped {
                first_failure,
                tripped,
                reason,
            } => {
                let reason = match canary.round(Instant::now(), CanaryRound::Tripped(reason)) {
                    CanaryNext::Abort { share, reason } => format!("at {share} %: {reason}"),
                    _ => "canary aborted".into(),
                };
                return Watch::Tripped {
                    first_failure,
                    tripped,
                    reason,
                };
            }
        };
        let now = Instant::now();
        let moved = match canary.round(now, round) {
            CanaryNext::Share(s) => h.set_share(target, s).await,
            CanaryNext::Promote => break,
            CanaryNext::Abort { share, reason } => {
                return Watch::Tripped {
                    first_failure: now,
                    tripped: now,
                    reason: format!("at {share} %: {reason}"),
                };
            }
            CanaryNext::Watch => continue,
        };
        if let Err(e) = moved {
            return Watch::Tripped {
                first_failure: now,
                tripped: now,
                reason: format!("canary step refused: {e}"),
            };
        }
    }
    match h.apply(target).await {
        Ok(note) => rec.event("canary", format!("100 % on {target} ({note})")),
        Err(e) => {
            let now = Instant::now();
            return Watch::Tripped {
                first_failure: now,
                tripped: now,
                reason: format!("canary: the whole switch was refused: {e}"),
            };
        }
    }
    watch(rec, probes, cfg).await
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
        Statuses { ctx, id: u.id }
            .mark_or_warn(
                rec,
                Mark::new(DeploymentState::Error, "interrupted")
                    .with("resolved_by", by)
                    .with("was", &u.phase),
            )
            .await;
        done.push(u.id);
    }
    done
}
/// One step of a dry run: what the real run would do, and with what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    pub phase: String,
    pub action: String,
    /// The command it would run (`sh -c`), for a hook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The environment the command would get.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
}

impl PlanStep {
    fn new(phase: &str, action: impl Into<String>) -> PlanStep {
        PlanStep {
            phase: phase.into(),
            action: action.into(),
            command: None,
            env: Vec::new(),
        }
    }

    fn hook(
        phase: &str,
        action: impl Into<String>,
        command: &str,
        env: Vec<(String, String)>,
    ) -> PlanStep {
        PlanStep {
            phase: phase.into(),
            action: action.into(),
            command: Some(command.to_string()),
            env,
        }
    }
}

/// `gate-deploy --dry-run` (and `gate-rollback --dry-run`): what a run
/// would do. Reading only: the ledger, the switch's live slot, whether the
/// slot's address answers. No lock taken, no hook run, no probe sent, no
/// switch, no ledger write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// `deploy` or `rollback`.
    pub operation: String,
    pub environment: String,
    pub switch: String,
    /// `local` or `github`.
    pub ledger: String,
    /// What takes traffic now (the ledger, else the switch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<SlotRelease>,
    /// What the run would put live (`None`: a rollback with no target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<SlotRelease>,
    /// What the switch says takes traffic (`None`: it cannot tell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_live: Option<Slot>,
    /// The release is already live: the run would probe it and stop there
    /// if it is healthy.
    pub already_live: bool,
    /// The circuit breaker in force, for people.
    pub breaker: String,
    pub steps: Vec<PlanStep>,
    /// What would stop or trouble the real run now (lock held, address
    /// taken, ...).
    pub warnings: Vec<String>,
    /// A rollback's refusal: no target verified live (the real run exits 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// Inputs read to make the plan (the ledger, the switch, addresses).
    pub inspected: u64,
}

fn probe_names(probes: &[gate_health::Probe]) -> String {
    probes
        .iter()
        .map(|p| p.name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the plans of both gates share: the config checked, the ledger and
/// the switch read, the lock looked at.
struct PlanBase {
    kind: SwitchKind,
    switch: Switch,
    probes: SlotProbes,
    state: EnvState,
    stale: Vec<Unfinished>,
    proxy_now: Option<Slot>,
    plan: Plan,
}

async fn plan_base(
    ctx: &Context,
    cfg: &DeployConfig,
    section: &str,
) -> Result<PlanBase, GateError> {
    let kind = cfg.validate(section)?;
    let probes = build_probes(ctx, cfg, section)?;
    warn_deprecated(section, cfg);
    let switch = Switch::new(kind, cfg, &ctx.repo_root);
    let mut plan = Plan {
        operation: section.into(),
        environment: cfg.environment.clone(),
        switch: kind.as_str().into(),
        ledger: match ctx.ledger {
            Ledger::Local(_) => "local".into(),
            Ledger::GitHub(_) => "github".into(),
        },
        from: None,
        to: None,
        proxy_live: None,
        already_live: false,
        breaker: Mode::from_config(cfg).describe(),
        steps: Vec::new(),
        warnings: Vec::new(),
        refused: None,
        inspected: 0,
    };
    match lock_path(&ctx.ledger, &cfg.environment) {
        Some(path) => {
            plan.steps.push(PlanStep::new(
                "lock",
                format!("take the file lock {}", path.display()),
            ));
            if lock_held(&ctx.ledger, &cfg.environment) == Some(true) {
                plan.warnings.push(format!(
                    "another gate-deploy or gate-rollback of `{}` holds {} now: a real run would exit 4",
                    cfg.environment,
                    path.display()
                ));
            }
        }
        None => plan.steps.push(PlanStep::new(
            "lock",
            format!(
                "check that no deployment of `{}` is in progress (younger than lock-timeout, {})",
                cfg.environment, cfg.lock_timeout
            ),
        )),
    }
    let state = read_state(ctx, &cfg.environment).await?;
    plan.inspected += 1;
    let mut stale = Vec::new();
    for u in &state.unfinished {
        let age = Utc::now()
            .signed_duration_since(u.last_update)
            .num_milliseconds() as f64
            / 1000.0;
        if matches!(ctx.ledger, Ledger::GitHub(_)) && age < cfg.lock_timeout.as_secs_f64() {
            plan.warnings.push(format!(
                "deployment {} ({} {} to {}) is in progress (phase {}): a real run would exit 4",
                u.id, u.kind, u.release, u.slot, u.phase
            ));
        } else {
            plan.steps.push(PlanStep::new(
                "resolve",
                format!(
                    "mark interrupted deployment {} ({} {} to {}, stopped in phase {}) `error`, resolved by this run",
                    u.id, u.kind, u.release, u.slot, u.phase
                ),
            ));
            stale.push(u.clone());
        }
    }
    let proxy_now = match switch.current().await {
        Ok(s) => {
            plan.inspected += 1;
            s
        }
        Err(e) => {
            plan.warnings
                .push(format!("cannot ask the switch which slot is live: {e}"));
            None
        }
    };
    note_proxy(&mut plan, &switch, &state, proxy_now).await;
    Ok(PlanBase {
        kind,
        switch,
        probes,
        state,
        stale,
        proxy_now,
        plan,
    })
}

/// What the proxy says, in the dry run: the live slot, and where it
/// disagrees with the ledger or sends traffic to both slots.
async fn note_proxy(plan: &mut Plan, switch: &Switch, state: &EnvState, proxy_now: Option<Slot>) {
    let kind = switch.kind();
    plan.proxy_live = proxy_now;
    if proxy_now.is_none() && switch.serving().await.is_ok_and(|s| s.len() > 1) {
        plan.warnings.push(
            "both slots take traffic (a switch was interrupted half-way): a real run would first switch back to the slot the ledger knew live".into(),
        );
    }
    if let (Some(l), Some(p)) = (&state.live, proxy_now)
        && l.slot != p
    {
        plan.warnings.push(format!(
            "the ledger records {} live but the {} switch sends traffic to {p}",
            l.slot,
            kind.as_str()
        ));
    }
}

/// The start step of a plan (and the address check before it).
async fn plan_start(
    cfg: &DeployConfig,
    switch: &Switch,
    plan: &mut Plan,
    slot: Slot,
    release: &str,
    condition: &str,
    check_address: bool,
) {
    let Some(start) = &cfg.start else {
        plan.steps.push(PlanStep::new(
            "start",
            format!("no start hook: {slot} must already run {release}"),
        ));
        return;
    };
    if let Some(addr) = cfg.address(slot).filter(|_| check_address) {
        let taken = answers(addr).await;
        plan.inspected += 1;
        let action = match (taken, &cfg.stop) {
            (false, _) => format!("check that {slot}'s address {addr} is free: it is now"),
            (true, Some(stop)) => {
                plan.warnings.push(format!(
                    "{slot}'s address {addr} answers now: the run would stop {slot} first (stop hook), and exit 4 if it still answered"
                ));
                format!(
                    "{slot}'s address {addr} answers now: run the stop hook `{stop}` on {slot} first"
                )
            }
            (true, None) => {
                plan.warnings.push(busy(slot, addr, false).replace(
                    "Nothing was started and traffic was not switched",
                    "A real run would exit 4 here",
                ));
                format!("{slot}'s address {addr} answers now: the run would stop here (exit 4)")
            }
        };
        plan.steps.push(PlanStep::new("start", action));
    }
    plan.steps.push(PlanStep::hook(
        "start",
        format!(
            "{condition}run the start hook for {slot} with {release}, at most hook-timeout ({})",
            cfg.hook_timeout
        ),
        start,
        hook_env(cfg, switch, slot, release),
    ));
}

/// `gate-deploy --dry-run`.
pub async fn plan(ctx: &Context, cfg: &DeployConfig) -> Result<Plan, GateError> {
    let release = release_of(cfg, ctx)?;
    let PlanBase {
        kind,
        switch,
        probes: slot_probes,
        state,
        stale,
        proxy_now,
        mut plan,
    } = plan_base(ctx, cfg, "deploy").await?;
    let (from, target) = sides(&state, proxy_now);
    let to = SlotRelease {
        slot: target,
        release: release.clone(),
    };
    plan.from = from.clone();
    plan.to = Some(to.clone());
    let mut redeploy = "";
    if let Some(live) = live_with(&state, &release, &stale, proxy_now) {
        plan.already_live = true;
        plan.steps.push(PlanStep::new(
            "verify",
            format!(
                "{release} is already live on {}: probe {} (one pass, at most wait-timeout, {}); healthy: stop there (already-live, exit 0). Otherwise, deploy it again into {target}:",
                live.slot,
                probe_names(&slot_probes.with_public(live.slot)?),
                cfg.wait_timeout
            ),
        ));
        redeploy = "if it was not healthy: ";
    }
    plan.steps.push(PlanStep::new(
        "record",
        format!(
            "{redeploy}create a deployment `{release} to {target}` in the {} ledger (environment {}, previous {}), status in_progress",
            plan.ledger,
            cfg.environment,
            from.as_ref()
                .map(|f| format!("{} ({})", f.slot, f.release))
                .unwrap_or_else(|| "none".into())
        ),
    ));
    plan.steps.push(PlanStep::new(
        "plan",
        format!(
            "check that the {} switch can send traffic to {target} (its configuration, read only); refused: exit 5 before anything is started or recorded",
            kind.as_str()
        ),
    ));
    plan_start(cfg, &switch, &mut plan, target, &release, redeploy, true).await;
    plan.steps.push(PlanStep::new(
        "wait",
        format!(
            "probe {} until {} pass(es) in a row, every {}, at most wait-timeout ({}); never healthy: stop hook on {target}, exit 1, no switch",
            slot_probes.slot(target)?.name,
            cfg.healthy_successes,
            cfg.interval,
            cfg.wait_timeout
        ),
    ));
    if let Some(sm) = &cfg.smoke {
        plan.steps.push(PlanStep::new(
            "smoke",
            format!(
                "load smoke on {target}: {} requests/s for {} on `{}`; over {} failed{}: exit 1, no switch",
                sm.rate,
                sm.duration,
                sm.path,
                sm.max_error_rate,
                sm.max_p99
                    .map(|p| format!(" or a p99 over {p}"))
                    .unwrap_or_default()
            ),
        ));
    }
    for action in switch.plan(target) {
        plan.steps.push(PlanStep::new(
            "switch",
            format!("traffic to {target} ({}): {action}", kind.as_str()),
        ));
    }
    plan_after_switch(cfg, &switch, &slot_probes, &mut plan, target, from.as_ref())?;
    Ok(plan)
}

/// The dry run's steps after the switch: the watch, the rollback on a
/// trip, the stop of the old slot.
fn plan_after_switch(
    cfg: &DeployConfig,
    switch: &Switch,
    slot_probes: &SlotProbes,
    plan: &mut Plan,
    target: Slot,
    from: Option<&SlotRelease>,
) -> Result<(), GateError> {
    let mut watched: Vec<String> = vec![slot_probes.slot(target)?.name.clone()];
    if let Some(p) = &slot_probes.public {
        watched.push(p.name.clone());
    }
    if let Some(c) = &cfg.check_command {
        watched.push(format!("check-command `{c}`"));
    }
    plan.steps.push(PlanStep::new(
        "watch",
        format!(
            "watch {target} for {}: {} every {}; circuit breaker: {}",
            cfg.watch,
            watched.join(", "),
            cfg.interval,
            plan.breaker
        ),
    ));
    match from {
        Some(old) => {
            plan.steps.push(PlanStep::new(
                "rollback",
                format!(
                    "on a trip: switch traffic back to {}, verify {} , status failure, exit 1",
                    old.slot,
                    probe_names(&slot_probes.with_public(old.slot)?)
                ),
            ));
            let stop = match &cfg.stop {
                Some(stop) => {
                    let keep = if !cfg.keep_old().is_zero() {
                        format!("keep {} warm for {}, then ", old.slot, cfg.keep_old)
                    } else {
                        String::new()
                    };
                    PlanStep::hook(
                        "stop",
                        format!("after the watch: status success (earlier deployments inactive); {keep}run the stop hook on {}", old.slot),
                        stop,
                        hook_env(cfg, switch, old.slot, &old.release),
                    )
                }
                None => PlanStep::new(
                    "stop",
                    format!(
                        "after the watch: status success (earlier deployments inactive); no stop hook: {} keeps running",
                        old.slot
                    ),
                ),
            };
            plan.steps.push(stop);
        }
        None => plan.steps.push(PlanStep::new(
            "rollback",
            "on a trip: nothing to switch back to (first deploy): exit 1, rule rollback-failed; after the watch: status success",
        )),
    }
    Ok(())
}

/// `gate-rollback --dry-run`.
pub async fn plan_rollback(ctx: &Context, cfg: &DeployConfig) -> Result<Plan, GateError> {
    let PlanBase {
        kind,
        switch,
        probes: slot_probes,
        state,
        stale,
        proxy_now: _,
        mut plan,
    } = plan_base(ctx, cfg, "rollback").await?;
    plan.from = state.live.clone();
    let (target, _) = match rollback_target(cfg, &state, &stale) {
        Ok(t) => t,
        Err(refusal) => {
            plan.refused = Some(refusal.reason);
            return Ok(plan);
        }
    };
    plan.to = Some(target.clone());
    let slot = target.slot;
    plan.steps.push(PlanStep::new(
        "record",
        format!(
            "create a deployment `rollback to {slot} {}` in the {} ledger, status in_progress",
            target.release, plan.ledger
        ),
    ));
    plan.steps.push(PlanStep::new(
        "check",
        format!("probe {} once", slot_probes.slot(slot)?.name),
    ));
    plan_start(
        cfg,
        &switch,
        &mut plan,
        slot,
        &target.release,
        "if it does not pass: ",
        false,
    )
    .await;
    plan.steps.push(PlanStep::new(
        "wait",
        format!(
            "probe {} until {} pass(es) in a row, at most wait-timeout ({}); never healthy: exit 1, no switch",
            slot_probes.slot(slot)?.name,
            cfg.healthy_successes,
            cfg.wait_timeout
        ),
    ));
    for action in switch.plan(slot) {
        plan.steps.push(PlanStep::new(
            "switch",
            format!("traffic to {slot} ({}): {action}", kind.as_str()),
        ));
    }
    plan.steps.push(PlanStep::new(
        "verify",
        format!(
            "probe {} until one pass, at most wait-timeout ({}); then status success (earlier deployments inactive)",
            probe_names(&slot_probes.with_public(slot)?),
            cfg.wait_timeout
        ),
    ));
    Ok(plan)
}

/// What the pre-switch load smoke saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SmokeSummary {
    pub url: String,
    pub rate: f64,
    pub duration_s: f64,
    /// Requests sent (completed plus interrupted at the end).
    pub sent: u64,
    /// Requests that completed (with a response or an error).
    pub requests: u64,
    /// Failed requests plus dropped arrivals.
    pub failed: u64,
    /// Arrivals dropped for want of a free connection.
    pub dropped: u64,
    /// Failed requests by class (`status-5xx`, `connect-refused`, ...).
    pub errors: std::collections::BTreeMap<String, u64>,
    /// `failed` over completed plus dropped, in percent.
    pub error_rate_pct: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_error_rate_pct: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_p99_ms: Option<f64>,
    /// Thresholds crossed (empty: passed).
    pub failures: Vec<String>,
}

/// Judges a smoke run against its thresholds. Pure. The limits are
/// gate-load thresholds (`max-error-rate` as `error_rate <= X`, `max-p99`
/// as `p(99) <= X`), judged by gate-load's one threshold judge; the error
/// rate counts dropped arrivals as failures.
pub fn judge_smoke(sm: &SmokeConfig, url: &str, r: &gate_load::LoadResult) -> SmokeSummary {
    use gate_core::{Comparison, Verdict};
    use gate_load::{Expr, Judged, Stat};
    let failed = r.overall.error_count() + r.dropped;
    let denom = r.overall.requests + r.dropped;
    let error_rate_pct = if denom == 0 {
        100.0
    } else {
        100.0 * failed as f64 / denom as f64
    };
    let p99 = r.overall.latency.percentile_ms(99.0);
    let mut failures = Vec::new();
    let max_rate = Expr::new(
        Stat::ErrorRate,
        Comparison::AtMost,
        sm.max_error_rate.get(),
        "max-error-rate",
    );
    if denom == 0 {
        failures.push("no request completed".to_string());
    } else if max_rate.judge_value(error_rate_pct) != Verdict::Pass {
        failures.push(format!(
            "error rate {error_rate_pct:.2}% ({failed} of {denom}) is over max-error-rate {}",
            sm.max_error_rate
        ));
    }
    if let Some(max) = sm.max_p99 {
        let max_ms = max.as_secs_f64() * 1000.0;
        let max_p99 = Expr::new(
            Stat::Percentile(99.0),
            Comparison::AtMost,
            max_ms,
            "max-p99",
        );
        // No successful request: no latency to judge (the error rate says it).
        if let Judged {
            value: Some(p99),
            verdict,
        } = gate_load::judge(&max_p99, &r.overall, r)
            && verdict != Verdict::Pass
        {
            failures.push(format!("p99 {p99:.1} ms is over max-p99 {max}"));
        }
    }
    SmokeSummary {
        url: url.to_string(),
        rate: sm.rate,
        duration_s: r.duration_s,
        sent: r.sent,
        requests: r.overall.requests,
        failed,
        dropped: r.dropped,
        errors: r.overall.errors.clone(),
        error_rate_pct: (error_rate_pct * 1000.0).round() / 1000.0,
        p50_ms: r.overall.latency.percentile_ms(50.0),
        p99_ms: p99,
        max_error_rate_pct: sm.max_error_rate.get(),
        max_p99_ms: sm.max_p99.map(|d| d.as_secs_f64() * 1000.0),
        failures,
    }
}

/// The pre-switch load smoke: gate-load's open model against the new slot.
async fn smoke(
    ctx: &Context,
    rec: &mut Recorder,
    cfg: &DeployConfig,
    sm: &SmokeConfig,
    slot: Slot,
    probes: &SlotProbes,
) -> Result<SmokeSummary, GateError> {
    // The slot's health probe as built: its URL expanded and without
    // credentials, its headers (with the URL's credentials as Basic
    // authentication), every secret in them already known to the masker.
    let probe = probes.slot(slot)?;
    smoke_on(ctx, rec, cfg, sm, &slot.to_string(), &probe).await
}

/// The load smoke on one probe's URL (`what` names it in events): a slot
/// before the switch, or the public URL at each canary step.
async fn smoke_on(
    ctx: &Context,
    rec: &mut Recorder,
    cfg: &DeployConfig,
    sm: &SmokeConfig,
    what: &str,
    probe: &gate_health::Probe,
) -> Result<SmokeSummary, GateError> {
    let bad = |e: String| GateError::Config(vec![format!("deploy.smoke: {e}")]);
    let gate_health::Target::Http(health) = &probe.target else {
        return Err(bad(format!("{what} has no health URL to load")));
    };
    let url = health
        .url
        .join(&sm.path)
        .map_err(|e| bad(format!("`{}` on `{}`: {e}", sm.path, health.url)))?;
    let mut endpoint = gate_load::Endpoint::get(url.clone());
    if url.origin() == health.url.origin() {
        endpoint.headers = health.headers.clone();
    }
    let mut scenario = gate_load::Scenario::open(
        vec![endpoint],
        sm.rate,
        sm.duration.get(),
        sm.connections.max(1) as usize,
    );
    scenario.timeout = sm.timeout.get();
    scenario.graceful_stop = sm.timeout.get();
    // The slot is trusted as its health probes trust it.
    scenario.insecure = cfg.insecure;
    if let Some(f) = &cfg.ca_file {
        let p = ctx.resolve(f);
        scenario
            .extra_ca
            .push(std::fs::read(&p).map_err(|e| GateError::read(&p, e))?);
    }
    rec.event(
        "smoke",
        format!(
            "load smoke on {what}: {} requests/s for {} on {url}",
            sm.rate, sm.duration
        ),
    );
    let result = gate_load::run_scenario(&scenario, &gate_load::Cancel::new())
        .await
        .map_err(|e| bad(e.to_string()))?;
    let summary = judge_smoke(sm, url.as_str(), &result);
    rec.event(
        "smoke",
        format!(
            "{} requests, {} failed ({:.2}%), p50 {:.1} ms, p99 {:.1} ms",
            summary.requests,
            summary.failed,
            summary.error_rate_pct,
            summary.p50_ms,
            summary.p99_ms
        ),
    );
    Ok(summary)
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
        switch.base(),
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
                    < cfg.lock_timeout.as_secs_f64()
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

/// What gate-rollback did: a run, or a refusal.
#[derive(Debug, Clone, PartialEq)]
pub enum RollbackRun {
    Ran(Box<Outcome>),
    /// No release verified live to go back to: nothing was touched.
    Refused(Box<Refusal>),
}

/// Why gate-rollback refused to run (exit 1): no target that a deployment
/// verified live. Nothing was started, switched or recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub operation: String,
    pub environment: String,
    /// `refused`.
    pub result: String,
    pub reason: String,
    /// What takes traffic, as the ledger says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<SlotRelease>,
    /// What a rollback would have gone to, had it been verified live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<SlotRelease>,
    /// The slots and releases the ledger verified live (rollback targets).
    pub verified: Vec<SlotRelease>,
    /// Ledger deployments of the environment read.
    pub deployments_read: u64,
}

/// The rollback target: after an interrupted run, the last consistent live
/// slot (or what was live before the interrupted run); otherwise what was
/// live before the live release. Only a release verified live is a target.
/// Ok: (target, what takes traffic now); Err: the refusal.
fn rollback_target(
    cfg: &DeployConfig,
    state: &EnvState,
    stale: &[Unfinished],
) -> Result<(SlotRelease, Option<SlotRelease>), Box<Refusal>> {
    let (candidate, current) = match stale.first() {
        Some(u) => (state.live.clone().or_else(|| u.previous.clone()), None),
        None => (
            state
                .fallback
                .clone()
                .or_else(|| state.unverified_fallback.clone()),
            state.live.clone(),
        ),
    };
    if let Some(t) = &candidate
        && state.is_verified(t)
    {
        return Ok((t.clone(), current));
    }
    let env = &cfg.environment;
    let live = state
        .live
        .as_ref()
        .map(|l| format!("{} ({})", l.slot, l.release))
        .unwrap_or_else(|| "no known slot".into());
    let reason = match &candidate {
        None => format!(
            "nothing to roll back to: the ledger records no slot live before {live} in `{env}` (gate-deploy status shows the history). Nothing was started or switched"
        ),
        Some(c) if !known_release(&c.release) => format!(
            "refusing to roll back to {}: the release there is unknown (it took traffic before the first recorded deploy, found through the switch), and a rollback target must be a release a deployment verified live. Traffic stays on {live}; nothing was started or switched",
            c.slot
        ),
        Some(c) => format!(
            "refusing to roll back to {} ({}): no deployment in the ledger of `{env}` verified that release live in that slot (a `success` status), and a rollback target must be one. Traffic stays on {live}; nothing was started or switched",
            c.slot, c.release
        ),
    };
    Err(Box::new(Refusal {
        operation: "rollback".into(),
        environment: env.clone(),
        result: "refused".into(),
        reason,
        live: state.live.clone(),
        candidate,
        verified: state.verified.clone(),
        deployments_read: state.history.len() as u64,
    }))
}

/// The switch kind configured, for messages.
pub fn switch_name(kind: Option<SwitchKind>) -> &'static str {
    kind.map(|k| k.as_str()).unwrap_or("none")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn environment_urls_carry_no_credentials() {
        assert_eq!(
            without_credentials("https://u:${PW}@app.example.com:8443/x@y?z"),
            "https://app.example.com:8443/x@y?z"
        );
        assert_eq!(without_credentials("http://u:p@ss@h/"), "http://h/");
        assert_eq!(without_credentials("http://h/a@b"), "http://h/a@b");
        assert_eq!(without_credentials("h:1"), "h:1");
    }

    /// A load result: `ok` responses at `latency_us` each, `errors` of
    /// class `status-5xx`, `dropped` arrivals.
    fn load(ok: u64, latency_us: u64, errors: u64, dropped: u64) -> gate_load::LoadResult {
        let mut overall = gate_load::EndpointStats::new("GET /");
        overall.requests = ok + errors;
        overall.ok = ok;
        if errors > 0 {
            overall.errors.insert("status-5xx".into(), errors);
        }
        let mut lat = gate_load::Latency::new(3);
        for _ in 0..ok {
            lat.record_us(latency_us);
        }
        overall.latency = lat;
        gate_load::LoadResult {
            model: "open".into(),
            duration_s: 1.0,
            sent: ok + errors,
            dropped,
            overall,
            endpoints: Vec::new(),
            timeline: Vec::new(),
            generator: gate_load::GeneratorStats::default(),
            shards: 1,
        }
    }

    fn smoke_cfg(max_error_rate: f64, max_p99: Option<f64>) -> SmokeConfig {
        SmokeConfig {
            max_error_rate: gate_core::types::Percent(max_error_rate),
            max_p99: max_p99.map(|ms| std::time::Duration::from_secs_f64(ms / 1000.0).into()),
            ..SmokeConfig::default()
        }
    }

    #[test]
    fn smoke_passes_within_thresholds() {
        let s = judge_smoke(
            &smoke_cfg(1.0, Some(50.0)),
            "http://x/",
            &load(200, 2_000, 1, 0),
        );
        assert!(s.failures.is_empty(), "{:?}", s.failures);
        assert_eq!(s.failed, 1);
        assert_eq!(s.error_rate_pct, 0.498);
        assert!((s.p99_ms - 2.0).abs() < 0.01, "{}", s.p99_ms);
    }

    #[test]
    fn smoke_fails_on_error_rate_counting_dropped_arrivals() {
        // 2 errors + 3 dropped of 100 + 3 = 4.85% > 2%.
        let s = judge_smoke(&smoke_cfg(2.0, None), "http://x/", &load(98, 1_000, 2, 3));
        assert_eq!(s.failed, 5);
        assert_eq!(s.failures.len(), 1);
        assert!(
            s.failures[0].starts_with("error rate 4.85% (5 of 103)"),
            "{}",
            s.failures[0]
        );
    }

    #[test]
    fn smoke_fails_on_p99_and_on_nothing_completed() {
        let s = judge_smoke(
            &smoke_cfg(5.0, Some(10.0)),
            "http://x/",
            &load(50, 25_000, 0, 0),
        );
        assert_eq!(s.failures.len(), 1);
        assert!(
            s.failures[0].starts_with("p99 25.0 ms is over max-p99 10ms"),
            "{}",
            s.failures[0]
        );
        let none = judge_smoke(&smoke_cfg(100.0, None), "http://x/", &load(0, 0, 0, 0));
        assert_eq!(none.failures, ["no request completed"]);
    }
}
