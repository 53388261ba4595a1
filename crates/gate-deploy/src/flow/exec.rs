//! The executor: performs the actions of [`crate::machine`] and feeds what
//! happened back to it. Deploy and rollback differ only in their plan
//! phase (what they read and decide before the machine runs) and the plan
//! they give the machine.

use std::time::{Duration, Instant};

use gate_core::ledger::{DeploymentState, Ledger, NewDeployment};
use gate_core::{Context, GateError};

use super::{
    Conclusion, Mark, Outcome, Recorder, RollbackRun, SlotProbes, Statuses, Timings, WaitFail,
    Watch, build_probes, canary_of, canary_start, canary_watch, check_unfinished, environment_url,
    exited, finish, hook_env, live_with, make_room, mark_resolved, ms, ms_token, probe_all,
    read_state, release_in, release_of, rollback_target, smoke, stop_slot, take_lock, wait_healthy,
    wait_started, warn_deprecated, watch,
};
use crate::breaker::Mode;
use crate::config::{DeployConfig, Slot, UNKNOWN_RELEASE};
use crate::hooks::{Leftover, run_start_hook};
use crate::machine::{Action, Event, Live, Machine, Operation, Phase, Plan};
use crate::probe::{AnyProbe, CommandProbe, HealthProbe};
use crate::state::{EnvState, Payload, SlotRelease, Unfinished, known_release};
use crate::switch::{Switch, TrafficSwitch};

/// One run: what the executor keeps between actions.
struct Run<'c> {
    ctx: &'c Context,
    cfg: &'c DeployConfig,
    switch: Switch,
    probes: SlotProbes,
    rec: Recorder,
    outcome: Outcome,
    ledger: Option<Statuses<'c>>,
    state: EnvState,
    stale: Vec<Unfinished>,
    /// What took traffic when the run began.
    from: Option<SlotRelease>,
    /// What the run puts live.
    to: SlotRelease,
    /// What the start hook left running.
    left: Option<Leftover>,
    /// The error an action reported, returned by [`Action::Abort`].
    error: Option<GateError>,
    t_wait: Option<Instant>,
    switched_at: Option<Instant>,
    first_failure: Option<Instant>,
    switch_ms: f64,
    /// The records of this run's start hooks' process groups: removed when
    /// the run ends, however it ends, and left behind by a SIGKILL.
    groups: Vec<crate::hooks::GroupRecord>,
}

/// How long a verification probes between rounds, at most.
const VERIFY_EVERY: Duration = Duration::from_millis(100);

impl<'c> Run<'c> {
    fn new(
        ctx: &'c Context,
        cfg: &'c DeployConfig,
        (switch, probes): (Switch, SlotProbes),
        rec: Recorder,
        (state, stale): (EnvState, Vec<Unfinished>),
        (from, to): (Option<SlotRelease>, SlotRelease),
        operation: &str,
    ) -> Self {
        let outcome = Outcome {
            operation: operation.into(),
            environment: cfg.environment.clone(),
            switch: switch.kind().as_str().into(),
            result: if operation == "deploy" {
                Conclusion::Deployed
            } else {
                Conclusion::Restored
            },
            reason: None,
            deployment_id: None,
            from: from.clone(),
            to: to.clone(),
            live: from.clone(),
            timings: Timings::default(),
            timeline: Vec::new(),
            probes: Vec::new(),
            interval_ms: ms(cfg.interval()),
            trip_after: cfg.trip_after(),
            breaker: Mode::from_config(cfg).describe(),
            smoke: None,
            resolved: Vec::new(),
            warnings: Vec::new(),
        };
        Run {
            ctx,
            cfg,
            switch,
            probes,
            rec,
            outcome,
            ledger: None,
            state,
            stale,
            from,
            to,
            left: None,
            error: None,
            t_wait: None,
            switched_at: None,
            first_failure: None,
            switch_ms: 0.0,
            groups: Vec::new(),
        }
    }

    /// Creates the run's ledger deployment (the end of the plan phase).
    async fn record(&mut self, kind: &str, description: String) -> Result<(), GateError> {
        let ctx = self.ctx;
        let payload = Payload {
            kind: kind.into(),
            slot: self.to.slot,
            release: self.to.release.clone(),
            artifact_digest: (kind == "deploy")
                .then(|| self.cfg.artifact_digest.clone())
                .flatten(),
            previous_slot: self.from.as_ref().map(|f| f.slot),
            // Never a made-up release: an unknown one is not recorded (and
            // so never becomes a rollback target).
            previous_release: self
                .from
                .as_ref()
                .map(|f| f.release.clone())
                .filter(|r| known_release(r)),
            switch: self.switch.kind().as_str().into(),
            run_url: ctx.github.run_url(),
        };
        let d = ctx
            .ledger
            .create_deployment(&NewDeployment {
                environment: self.cfg.environment.clone(),
                commit: recorded_commit(ctx)?,
                git_ref: ctx
                    .github
                    .git_ref
                    .clone()
                    .or_else(|| ctx.commit.clone())
                    .unwrap_or_else(|| "HEAD".into()),
                description: Some(description),
                payload: serde_json::to_value(&payload)
                    .map_err(|e| GateError::Internal(format!("payload: {e}")))?,
                transient: false,
                production: self.cfg.environment == "production",
            })
            .await?;
        self.outcome.deployment_id = Some(d.id);
        self.ledger = Some(Statuses { ctx, id: d.id });
        Ok(())
    }

    /// GitHub has no lock: the oldest running deployment wins a race. The
    /// winner marks the interrupted deployments it found resolved.
    async fn stand_down_or_resolve(&mut self) -> Result<(), GateError> {
        let Some(ledger) = self.ledger else {
            return Ok(());
        };
        let (ctx, cfg) = (self.ctx, self.cfg);
        if matches!(ctx.ledger, Ledger::GitHub(_)) {
            let again = read_state(ctx, &cfg.environment).await?;
            if let Some(other) = again
                .unfinished
                .iter()
                .find(|u| u.id < ledger.id && !self.stale.iter().any(|s| s.id == u.id))
            {
                let _ = ledger
                    .mark(Mark::new(DeploymentState::Error, "lock-lost").with("to", other.id))
                    .await;
                return Err(GateError::Input(format!(
                    "deployment {} of `{}` started at the same time; this run stands down (two deploys of one environment never interleave)",
                    other.id, cfg.environment
                )));
            }
        }
        self.outcome.resolved = mark_resolved(ctx, &mut self.rec, &self.stale, ledger.id).await;
        Ok(())
    }

    /// Drives the machine from its plan phase to the end.
    async fn drive(mut self, mut machine: Machine) -> Result<Outcome, GateError> {
        let mut event = Event::Planned;
        loop {
            let before = machine.phase;
            let actions = machine.step(&event);
            failpoint::set_phase(machine.phase);
            // The boundary: the phase's write-ahead marks are written, its
            // first action on the outside world is not yet done.
            let mut entered = machine.phase != before;
            let mut next = None;
            for action in actions {
                if entered && !matches!(action, Action::Mark(_)) {
                    failpoint::at(machine.phase, false);
                    entered = false;
                }
                match action {
                    Action::End(c) => {
                        self.outcome.result = c;
                        return Ok(finish(self.outcome, self.rec));
                    }
                    Action::Abort => {
                        return Err(self.error.take().unwrap_or_else(|| {
                            GateError::Internal(format!(
                                "the deploy machine stopped in {} on {event:?}",
                                machine.phase
                            ))
                        }));
                    }
                    action => {
                        if let Some(e) = self.perform(action).await? {
                            failpoint::at(machine.phase, true);
                            next = Some(e);
                        }
                    }
                }
            }
            event = next.ok_or_else(|| {
                GateError::Internal(format!(
                    "the deploy machine waits in {} with nothing to do",
                    machine.phase
                ))
            })?;
        }
    }

    /// Performs one action: the event it produced, if any. A required
    /// ledger mark that cannot be written stops the run.
    async fn perform(&mut self, action: Action) -> Result<Option<Event>, GateError> {
        match action {
            Action::Mark(m) => self.mark(m).await.map(|()| None),
            Action::Check(slot) => Ok(Some(self.check(slot).await)),
            Action::Start(slot) => self.start(slot).await.map(Some),
            Action::Wait(slot) => self.wait(slot).await.map(Some),
            Action::Smoke(slot) => self.smoke(slot).await.map(Some),
            Action::Switch(slot) => self.switch(slot).await.map(Some),
            Action::Watch(slot) => self.watch(slot).await.map(Some),
            Action::Verify(slot) => self.verify(slot).await.map(Some),
            Action::KeepWarm(slot) => {
                self.rec.event(
                    "stop",
                    format!("keeping {slot} warm for {}", self.cfg.keep_old),
                );
                tokio::time::sleep(self.cfg.keep_old()).await;
                Ok(Some(Event::Done))
            }
            Action::Stop(slot) => {
                let release = if slot == self.to.slot {
                    self.to.release.clone()
                } else {
                    self.from
                        .as_ref()
                        .map(|f| f.release.clone())
                        .unwrap_or_else(|| release_in(&self.state, slot))
                };
                stop_slot(self.cfg, &self.switch, &mut self.rec, slot, &release).await;
                Ok(Some(Event::Done))
            }
            Action::Resolve => {
                if let Some(l) = self.ledger {
                    self.outcome.resolved =
                        mark_resolved(self.ctx, &mut self.rec, &self.stale, l.id).await;
                }
                Ok(None)
            }
            Action::End(_) | Action::Abort => Ok(None),
        }
    }

    /// The ledger status of a machine mark, with the figures of its phase.
    async fn mark(&mut self, m: crate::machine::Mark) -> Result<(), GateError> {
        let Some(ledger) = self.ledger else {
            return Ok(());
        };
        let mut mark = Mark::new(m.state, m.phase.as_str());
        mark = match m.live {
            Live::From | Live::Observed(None) => mark.live(self.from.as_ref()),
            Live::Target => mark.live(Some(&self.to)),
            Live::Unknown => mark.with("live", "?"),
            Live::Observed(Some(s)) => {
                let release = match &self.from {
                    Some(f) if f.slot == s => f.release.clone(),
                    _ if s == self.to.slot => self.to.release.clone(),
                    _ => "-".into(),
                };
                mark.with("live", s).with("release", release)
            }
        };
        let t = &self.outcome.timings;
        let deploy = self.outcome.operation == "deploy";
        match (m.phase, m.state) {
            (Phase::Watch, DeploymentState::InProgress) => {
                mark = mark.with("switch_ms", ms_token(self.switch_ms));
            }
            (Phase::Done, DeploymentState::Success) if deploy => {
                mark = mark
                    .with("switch_ms", ms_token(self.switch_ms))
                    .with("healthy_ms", ms_token(t.time_to_healthy_ms.unwrap_or(0.0)))
                    .url(environment_url(self.cfg, self.to.slot));
            }
            (Phase::Done, DeploymentState::Success) => {
                mark = mark
                    .with("switch_ms", ms_token(self.switch_ms))
                    .with("recovery_ms", ms_token(t.recovery_ms.unwrap_or(0.0)))
                    .url(environment_url(self.cfg, self.to.slot));
            }
            (Phase::Done, DeploymentState::Failure) => {
                mark = mark
                    .with("detect_ms", ms_token(t.time_to_detect_ms.unwrap_or(0.0)))
                    .with("switch_ms", ms_token(t.switch_back_ms.unwrap_or(0.0)))
                    .with("recovery_ms", ms_token(t.recovery_ms.unwrap_or(0.0)));
            }
            _ => {}
        }
        if m.required {
            ledger.mark(mark).await
        } else {
            ledger.mark_or_warn(&mut self.rec, mark).await;
            Ok(())
        }
    }

    /// Gate-rollback's first probe of the known-good slot.
    async fn check(&mut self, slot: Slot) -> Event {
        let probe = match self.probes.slot(slot) {
            Ok(p) => p,
            Err(e) => {
                self.rec.warn(e.to_string());
                return Event::NeverHealthy;
            }
        };
        let (passed, why) = probe_all(
            &mut self.rec,
            &[AnyProbe::Health(HealthProbe(probe))],
            "check",
        )
        .await;
        if passed.iter().all(|p| *p) && !self.release_unproven(slot) {
            return Event::Healthy;
        }
        let why = match why {
            Some(w) => format!("{slot} is not answering ({w})"),
            None => format!(
                "{slot} answers, but the release it runs is not proven to be {}",
                self.to.release
            ),
        };
        match self.cfg.start {
            Some(_) => self.rec.event(
                "start",
                format!("{why}; restarting {} there", self.to.release),
            ),
            None => {
                let reason = format!("{why} and there is no start hook to restart it");
                self.rec.event("start", reason.clone());
                self.outcome.reason = Some(reason);
            }
        }
        Event::NeverHealthy
    }

    /// Whether the ledger says a later run may have started another release
    /// in `slot` than the one this rollback goes back to.
    fn release_unproven(&self, slot: Slot) -> bool {
        self.outcome.operation == "rollback"
            && crate::state::started_in(&self.state, slot).is_some_and(|r| r != self.to.release)
    }

    async fn start(&mut self, slot: Slot) -> Result<Event, GateError> {
        let Some(start) = self.cfg.start.clone() else {
            return Ok(Event::HookDone);
        };
        let release = self.to.release.clone();
        let running = if self.outcome.operation == "deploy" {
            release_in(&self.state, slot)
        } else {
            release.clone()
        };
        if let Err(why) = make_room(self.cfg, &self.switch, &mut self.rec, slot, &running).await {
            self.rec.event("start", why.clone());
            self.error = Some(GateError::Input(why));
            return Ok(Event::Refused);
        }
        // The slot's HAProxy backup twin out of service first: the release
        // about to start is untested and must never be the live slot's
        // backup between its start and the switch.
        if let Switch::Haproxy(h) = &self.switch
            && let Err(e) = h.retire_twin(slot).await
        {
            self.rec.event(
                "start",
                format!("cannot put {slot}'s backup twin in maintenance: {e}"),
            );
            self.error = Some(e);
            return Ok(Event::Refused);
        }
        self.rec
            .event("start", format!("starting {release} in {slot}"));
        let t0 = Instant::now();
        let env = hook_env(self.cfg, &self.switch, slot, &release);
        let group = crate::hooks::GroupRecord::new(self.ctx, self.cfg, slot, &release);
        let run = run_start_hook(
            &start,
            &env,
            self.cfg.hook_timeout(),
            &self.ctx.repo_root,
            &group,
        )
        .await;
        self.groups.push(group);
        let (out, leftover) = match run {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(GateError::Input(e));
                return Ok(Event::Refused);
            }
        };
        self.outcome.timings.start_ms = Some(ms(t0.elapsed()));
        if !out.success() {
            let why = format!("start hook failed for {slot}: {}", out.describe());
            self.rec.event("start", why.clone());
            self.outcome.reason = Some(why);
            return Ok(Event::HookFailed);
        }
        match &leftover {
            Some(l) => self.rec.event(
                "start",
                format!(
                    "start hook done for {slot}; it left {} running, watched until the switch",
                    l.describe()
                ),
            ),
            None => self
                .rec
                .event("start", format!("start hook done for {slot}")),
        }
        self.left = leftover;
        Ok(Event::HookDone)
    }

    async fn wait(&mut self, slot: Slot) -> Result<Event, GateError> {
        let cfg = self.cfg;
        self.rec.event(
            "wait",
            format!(
                "waiting for {slot} to pass {} probe(s) in a row (at most {})",
                cfg.healthy_successes, cfg.wait_timeout
            ),
        );
        let t_wait = Instant::now();
        self.t_wait = Some(t_wait);
        let probe = (*self.probes.slot(slot)?).clone();
        let r = wait_started(
            &mut self.rec,
            slot,
            vec![probe],
            cfg.healthy_successes,
            (cfg.interval(), cfg.max_backoff()),
            cfg.wait_timeout(),
            self.left.as_ref(),
        )
        .await;
        let verb = "Traffic was not switched";
        Ok(match r {
            Ok(at) => {
                self.outcome.timings.time_to_healthy_ms = Some(ms(at.duration_since(t_wait)));
                self.rec.event("wait", format!("{slot} is healthy"));
                Event::Healthy
            }
            Err(WaitFail::Unhealthy(last)) => {
                let why = format!(
                    "{slot} never became healthy within {}; last probe: {last}. {verb}",
                    cfg.wait_timeout
                );
                self.rec.event("wait", why.clone());
                self.outcome.reason = Some(why);
                Event::NeverHealthy
            }
            Err(WaitFail::Exited(why)) => {
                let why = format!("{why}. {verb}");
                self.rec.event("wait", why.clone());
                self.outcome.reason = Some(why);
                Event::Exited
            }
        })
    }

    async fn smoke(&mut self, slot: Slot) -> Result<Event, GateError> {
        let Some(sm) = &self.cfg.smoke else {
            return Ok(Event::SmokeJudged(true));
        };
        let summary = smoke(self.ctx, &mut self.rec, self.cfg, sm, slot, &self.probes).await?;
        let failures = summary.failures.clone();
        self.outcome.smoke = Some(summary);
        if failures.is_empty() {
            return Ok(Event::SmokeJudged(true));
        }
        let why = format!(
            "the load smoke on {slot} failed: {}. Traffic was not switched",
            failures.join("; ")
        );
        self.rec.event("smoke", why.clone());
        self.outcome.reason = Some(why);
        Ok(Event::SmokeJudged(false))
    }

    async fn switch(&mut self, slot: Slot) -> Result<Event, GateError> {
        let back = slot != self.to.slot;
        if !back
            && let Some(l) = &self.left
            && l.alive() == Some(false)
        {
            let why = format!("{}. Traffic was not switched", exited(slot, l));
            self.rec.event("switch", why.clone());
            self.outcome.reason = Some(why);
            return Ok(Event::Exited);
        }
        let phase = if back { "rollback" } else { "switch" };
        self.rec.event(
            phase,
            format!(
                "switching traffic {} {slot} ({})",
                if back { "back to" } else { "to" },
                self.switch.kind().as_str()
            ),
        );
        let canary = if back || self.outcome.operation != "deploy" {
            None
        } else {
            canary_of(self.cfg, &self.switch)
        };
        let first_move = match canary {
            Some((c, h)) => canary_start(&self.switch, h, c, slot).await,
            None => self.switch.switch_to(slot).await,
        };
        match first_move {
            Ok(done) => {
                self.switched_at = Some(Instant::now());
                self.switch_ms = done.took_ms;
                if back {
                    self.outcome.timings.switch_back_ms = Some(done.took_ms);
                    self.outcome.live = self.from.clone();
                } else {
                    self.outcome.timings.time_to_switch_ms = Some(done.took_ms);
                    self.outcome.live = Some(self.to.clone());
                }
                self.rec.event(
                    phase,
                    format!(
                        "traffic on {slot} in {:.1} ms ({})",
                        done.took_ms, done.note
                    ),
                );
                Ok(Event::Switched)
            }
            Err(e) => {
                let now = self.switch.current().await.ok().flatten();
                if back {
                    self.rec.event(phase, format!("switching back failed: {e}"));
                    self.outcome.live = None;
                    let reason = self.outcome.reason.clone().unwrap_or_default();
                    self.outcome.reason =
                        Some(format!("{reason}; switching back to {slot} failed: {e}"));
                } else {
                    self.rec
                        .event(phase, format!("switch refused, nothing changed: {e}"));
                    self.error = Some(e);
                }
                Ok(Event::SwitchFailed(now))
            }
        }
    }

    async fn watch(&mut self, slot: Slot) -> Result<Event, GateError> {
        let cfg = self.cfg;
        let mut probes = vec![AnyProbe::Health(HealthProbe(self.probes.slot(slot)?))];
        if let Some(p) = &self.probes.public {
            probes.push(AnyProbe::Health(HealthProbe(p.clone())));
        }
        if let Some(c) = &cfg.check_command {
            probes.push(AnyProbe::Command(CommandProbe::new(
                "check-command",
                c.clone(),
                hook_env(cfg, &self.switch, slot, &self.to.release),
                cfg.probe_timeout().max(cfg.interval()),
                self.ctx.repo_root.clone(),
            )));
        }
        self.rec.event(
            "watch",
            format!(
                "watching {slot} for {}: probe every {}, {}",
                cfg.watch, cfg.interval, self.outcome.breaker
            ),
        );
        let canary = if self.outcome.operation == "deploy" {
            canary_of(cfg, &self.switch)
        } else {
            None
        };
        let watched = match canary {
            Some((c, h)) => {
                canary_watch(
                    (self.ctx, &self.probes),
                    &mut self.rec,
                    &probes,
                    cfg,
                    h,
                    slot,
                    c,
                )
                .await
            }
            None => watch(&mut self.rec, &probes, cfg).await,
        };
        match watched {
            Watch::Passed => {
                if let Some(at) = self.switched_at {
                    self.outcome.timings.time_to_verified_ms = Some(ms(at.elapsed()));
                }
                self.rec
                    .event("watch", format!("{slot} passed the watch window"));
                Ok(Event::Passed)
            }
            Watch::Tripped {
                first_failure,
                tripped,
                reason,
            } => {
                self.outcome.timings.time_to_detect_ms =
                    Some(ms(tripped.duration_since(first_failure)));
                self.first_failure = Some(first_failure);
                self.rec
                    .event("trip", format!("circuit breaker tripped: {reason}"));
                if self.from.is_none() {
                    self.rec.event(
                        "rollback",
                        "nothing to roll back to: this was the first deploy",
                    );
                }
                self.outcome.reason = Some(reason);
                Ok(Event::Tripped)
            }
        }
    }

    async fn verify(&mut self, slot: Slot) -> Result<Event, GateError> {
        let every = self.cfg.interval().min(VERIFY_EVERY);
        let switched = self.switched_at.unwrap_or_else(Instant::now);
        let verified = wait_healthy(
            &mut self.rec,
            self.probes.with_public(slot)?,
            1,
            (every, every),
            self.cfg.wait_timeout(),
            "verify",
        )
        .await;
        let deploy = self.outcome.operation == "deploy";
        let t = &mut self.outcome.timings;
        match verified {
            Ok(at) => {
                t.time_to_verified_ms = Some(ms(at.duration_since(switched)));
                match self.first_failure {
                    Some(first) if deploy => {
                        t.recovery_ms = Some(ms(at.duration_since(first)));
                        self.rec.event(
                            "verify",
                            format!(
                                "{slot} verified healthy; recovered {:.0} ms after the first failing probe",
                                ms(at.duration_since(first))
                            ),
                        );
                    }
                    _ => {
                        t.recovery_ms = Some(ms(self.rec.started.elapsed()));
                        self.rec.event("verify", format!("{slot} verified healthy"));
                    }
                }
                Ok(Event::Verified)
            }
            Err(last) => {
                let reason = self.outcome.reason.clone();
                self.outcome.reason = Some(if deploy {
                    self.rec.event(
                        "verify",
                        format!("{slot} is not healthy after the switch back: {last}"),
                    );
                    format!(
                        "{}; after switching back, {slot} is not healthy either: {last}",
                        reason.unwrap_or_default()
                    )
                } else {
                    format!("{slot} is live but not healthy: {last}")
                });
                Ok(Event::VerifyFailed)
            }
        }
    }
}

/// The commit a ledger deployment records: the one known, never a made-up
/// hash. Unknown: the local ledger records `unknown`; GitHub needs a real
/// ref for a deployment, so the run refuses (exit 2) before anything moved.
fn recorded_commit(ctx: &Context) -> Result<String, GateError> {
    let known = ctx
        .commit
        .clone()
        .filter(|c| !c.is_empty() && c.bytes().any(|b| b != b'0'));
    match (known, &ctx.ledger) {
        (Some(c), _) => Ok(c),
        (None, Ledger::Local(_)) => Ok(UNKNOWN_RELEASE.into()),
        (None, Ledger::GitHub(_)) => Err(GateError::Usage(
            "no commit known (not a git repository, no GITHUB_SHA): the GitHub ledger records a deployment of a commit, and none is made up; run in the repository's checkout".into(),
        )),
    }
}

/// What takes traffic before a deploy, and the slot the deploy goes to: the
/// other one. The proxy is the truth about traffic: when it names a slot,
/// that slot is live, whatever the ledger says, and the deploy never
/// touches it. Its release is the ledger's when the ledger agrees, else
/// the release a run last started there (unverified), else unknown.
pub(crate) fn sides(state: &EnvState, proxy_now: Option<Slot>) -> (Option<SlotRelease>, Slot) {
    let from: Option<SlotRelease> = match (&state.live, proxy_now) {
        (Some(l), None) => Some(l.clone()),
        (Some(l), Some(p)) if l.slot == p => Some(l.clone()),
        (_, Some(slot)) => Some(SlotRelease {
            slot,
            release: crate::state::started_in(state, slot)
                .unwrap_or_else(|| UNKNOWN_RELEASE.into()),
        }),
        (None, None) => None,
    };
    let target = from.as_ref().map(|f| f.slot.other()).unwrap_or(Slot::Blue);
    (from, target)
}

/// The plan phase both operations share: the configuration checked, the
/// lock taken, the ledger read and reconciled with the proxy, interrupted
/// hooks cleaned up.
struct Begun {
    switch: Switch,
    probes: SlotProbes,
    rec: Recorder,
    lock: super::EnvLock,
    state: EnvState,
    stale: Vec<Unfinished>,
    proxy_now: Option<Slot>,
}

async fn begin(
    ctx: &Context,
    cfg: &DeployConfig,
    section: &'static str,
) -> Result<Begun, GateError> {
    let kind = cfg.validate(section)?;
    let probes = build_probes(ctx, cfg, section)?;
    warn_deprecated(section, cfg);
    let switch = Switch::new(kind, cfg, &ctx.repo_root);
    let mut rec = Recorder::new(section);
    let lock = take_lock(&ctx.ledger, &cfg.environment)?;
    let state = read_state(ctx, &cfg.environment).await?;
    failpoint::at(Phase::Plan, false);
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
    let proxy_now = match proxy_now {
        Some(s) => Some(s),
        None => settle(&switch, &mut rec, &state).await?,
    };
    // A switch that cannot tell (a command): the interrupted run's last
    // status says where traffic went.
    let proxy_now = proxy_now.or_else(|| stale.first().and_then(|u| u.live_at_last_status));
    if let (Some(l), Some(p)) = (&state.live, proxy_now)
        && l.slot != p
    {
        rec.event(
            "plan",
            format!(
                "the ledger records {} live but the {} switch sends traffic to {p}: the proxy is the truth; {p} is not touched",
                l.slot,
                kind.as_str()
            ),
        );
    }
    // A start hook a killed run left behind: adopted when its slot takes
    // traffic, stopped otherwise.
    let live = proxy_now.or(state.live.as_ref().map(|l| l.slot));
    for note in crate::hooks::reap_groups(ctx, cfg, live).await {
        rec.event("plan", note);
    }
    Ok(Begun {
        switch,
        probes,
        rec,
        lock,
        state,
        stale,
        proxy_now,
    })
}

/// Both slots take traffic: a switch was killed half-way (HAProxy: the new
/// server ready, the old one not yet in maintenance). Before anything else,
/// traffic goes back to the slot the ledger last knew live (the one the
/// interrupted run switched away from); that slot is then the live one.
async fn settle(
    switch: &Switch,
    rec: &mut Recorder,
    state: &EnvState,
) -> Result<Option<Slot>, GateError> {
    let serving = switch.serving().await.unwrap_or_default();
    // A switch interrupted with no way to see where traffic went (a
    // command switch): put it where the ledger knew it.
    let blind = serving.is_empty()
        && state
            .unfinished
            .first()
            .is_some_and(|u| u.live_at_last_status.is_none());
    if serving.len() < 2 && !blind {
        return Ok(None);
    }
    let keep = state
        .unfinished
        .first()
        .and_then(|u| {
            u.previous
                .as_ref()
                .map(|p| p.slot)
                .or(u.live_at_last_status)
        })
        .or(state.live.as_ref().map(|l| l.slot));
    let Some(keep) = keep else {
        return Ok(None);
    };
    let why = if blind {
        "a switch was interrupted and the switch cannot say where traffic goes"
    } else {
        "both slots take traffic (a switch was interrupted half-way)"
    };
    rec.event(
        "plan",
        format!(
            "{why}: traffic back to {keep}, the slot the ledger knew live, before anything else"
        ),
    );
    switch.switch_to(keep).await?;
    Ok(Some(keep))
}

/// `gate-deploy`: start, wait, smoke, switch, watch, and roll back on a trip.
pub async fn deploy(ctx: &Context, cfg: &DeployConfig) -> Result<Outcome, GateError> {
    cfg.validate("deploy")?;
    let release = release_of(cfg, ctx)?;
    let Begun {
        switch,
        probes,
        mut rec,
        lock: _lock,
        state,
        stale,
        proxy_now,
    } = begin(ctx, cfg, "deploy").await?;
    let (from, target) = sides(&state, proxy_now);
    let to = SlotRelease {
        slot: target,
        release: release.clone(),
    };
    // The proxy must know both slots before anything is started.
    switch.preflight(target).await?;

    // Idempotent: the release already takes traffic; it counts once its
    // slot (and the public URL) answer the probes. A live release that
    // does not is deployed again, into the idle slot.
    if let Some(live) = live_with(&state, &release, &stale, proxy_now).cloned() {
        let every = cfg.interval().min(VERIFY_EVERY);
        rec.event(
            "verify",
            format!("{release} is already live on {}; probing it", live.slot),
        );
        let healthy = wait_healthy(
            &mut rec,
            probes.with_public(live.slot)?,
            1,
            (every, every),
            cfg.wait_timeout(),
            "verify",
        )
        .await;
        match healthy {
            Ok(_) => {
                rec.event(
                    "done",
                    format!("{release} on {} verified healthy; nothing to do", live.slot),
                );
                let run = Run::new(
                    ctx,
                    cfg,
                    (switch, probes),
                    rec,
                    (state, stale),
                    (Some(live.clone()), live),
                    "deploy",
                );
                let mut outcome = finish(run.outcome, run.rec);
                outcome.result = Conclusion::AlreadyLive;
                return Ok(outcome);
            }
            Err(last) => rec.warn(format!(
                "{release} is live on {} but failed its probes within {} ({last}): deploying it again into {target}",
                live.slot, cfg.wait_timeout
            )),
        }
    }
    let plan = Plan {
        operation: Operation::Deploy,
        target,
        from: from.as_ref().map(|f| f.slot),
        start: cfg.start.is_some(),
        smoke: cfg.smoke.is_some(),
        stop: cfg.stop.is_some(),
        keep_old: !cfg.keep_old().is_zero(),
    };
    let mut run = Run::new(
        ctx,
        cfg,
        (switch, probes),
        rec,
        (state, stale),
        (from, to),
        "deploy",
    );
    run.record("deploy", format!("{release} to {target}"))
        .await?;
    run.stand_down_or_resolve().await?;
    failpoint::at(Phase::Plan, true);
    run.drive(Machine::new(plan)).await
}

/// `gate-rollback`: traffic back on the last known-good slot, from the ledger alone.
pub async fn rollback(ctx: &Context, cfg: &DeployConfig) -> Result<RollbackRun, GateError> {
    let Begun {
        switch,
        probes,
        mut rec,
        lock: _lock,
        state,
        stale,
        proxy_now,
    } = begin(ctx, cfg, "rollback").await?;
    let (target, current) = match rollback_target(cfg, &state, &stale) {
        Ok(t) => t,
        Err(refusal) => {
            rec.event("plan", refusal.reason.clone());
            return Ok(RollbackRun::Refused(refusal));
        }
    };
    let serving = proxy_now == Some(target.slot);
    if (cfg.start.is_none() || serving)
        && let Some(other) = crate::state::started_in(&state, target.slot)
        && other != target.release
    {
        let why = if serving {
            "and it takes traffic now, so it is not restarted"
        } else {
            "and there is no start hook to restart it"
        };
        let reason = format!(
            "refusing to roll back to {} ({}): a later run started {other} there, so {} cannot be proved to run in {}, {why}. Traffic stays where it is; nothing was started or switched",
            target.slot, target.release, target.release, target.slot
        );
        rec.event("plan", reason.clone());
        return Ok(RollbackRun::Refused(Box::new(super::Refusal {
            operation: "rollback".into(),
            environment: cfg.environment.clone(),
            result: "refused".into(),
            reason,
            live: state.live.clone(),
            candidate: Some(target),
            verified: state.verified.clone(),
            deployments_read: state.history.len() as u64,
        })));
    }
    switch.validate(target.slot).await?;
    rec.event(
        "plan",
        format!(
            "rolling {} back to {} ({})",
            cfg.environment, target.slot, target.release
        ),
    );
    let plan = Plan {
        operation: Operation::Rollback,
        target: target.slot,
        from: current.as_ref().map(|c| c.slot),
        start: cfg.start.is_some(),
        smoke: false,
        stop: cfg.stop.is_some(),
        keep_old: false,
    };
    let description = format!("rollback to {} {}", target.slot, target.release);
    let mut run = Run::new(
        ctx,
        cfg,
        (switch, probes),
        rec,
        (state, stale),
        (current, target),
        "rollback",
    );
    run.record("rollback", description).await?;
    failpoint::at(Phase::Plan, true);
    run.drive(Machine::new(plan))
        .await
        .map(|o| RollbackRun::Ran(Box::new(o)))
}

/// The test-only failpoint: `GATES_CRASH_AT=<phase>` (not under
/// `GATES_DEPLOY_`: those variables are configuration keys) kills the
/// process with SIGKILL as the machine enters `<phase>` (after its
/// write-ahead marks, before its first action on the outside world; for
/// `plan`, once the lock is held and the ledger read); `<phase>:mid` right
/// after the phase's action took effect and before anything records it;
/// `<phase>:inside` in the middle of the action itself, for the phases in
/// [`failpoint::INSIDE`] (a start hook running; an HAProxy switch with the
/// new server ready and the old one not yet in maintenance). Compiled only
/// into debug builds (the tests' builds); a release build ignores the
/// variable.
pub mod failpoint {
    use crate::machine::Phase;

    /// The phases whose action has an inside point.
    pub const INSIDE: &[Phase] = &[Phase::Start, Phase::Switch, Phase::Rollback];

    #[cfg(debug_assertions)]
    static CURRENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// The phase the machine is in, for [`inside`].
    #[cfg(debug_assertions)]
    pub fn set_phase(phase: Phase) {
        let i = Phase::ALL.iter().position(|p| *p == phase).unwrap_or(0);
        CURRENT.store(i, std::sync::atomic::Ordering::SeqCst);
    }

    /// Kills the process here if the failpoint names the inside of the
    /// current phase's action.
    #[cfg(debug_assertions)]
    pub fn inside() {
        let i = CURRENT.load(std::sync::atomic::Ordering::SeqCst);
        let phase = Phase::ALL.get(i).copied().unwrap_or(Phase::Plan);
        hit(&format!("{}:inside", phase.as_str()));
    }

    /// Kills the process here if the failpoint names this place.
    #[cfg(debug_assertions)]
    pub fn at(phase: Phase, mid: bool) {
        set_phase(phase);
        let place = if mid {
            format!("{}:mid", phase.as_str())
        } else {
            phase.as_str().to_string()
        };
        hit(&place);
    }

    #[cfg(debug_assertions)]
    fn hit(place: &str) {
        if std::env::var("GATES_CRASH_AT").ok().as_deref() == Some(place) {
            let pid = std::process::id().to_string();
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
            // SIGKILL cannot be caught: nothing runs after it.
            loop {
                std::thread::park();
            }
        }
    }

    /// Release builds: no failpoint.
    #[cfg(not(debug_assertions))]
    pub fn set_phase(_phase: Phase) {}

    /// Release builds: no failpoint.
    #[cfg(not(debug_assertions))]
    pub fn inside() {}

    /// Release builds: no failpoint.
    #[cfg(not(debug_assertions))]
    pub fn at(_phase: Phase, _mid: bool) {}
}
