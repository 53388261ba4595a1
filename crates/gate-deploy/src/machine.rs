//! The deploy machine: phases, the events that move it, and the actions it
//! asks for. [`step`] is pure: the executor (`flow.rs`) performs the actions
//! it returns, in order, and feeds what happened back as the next event.
//!
//! Deploy and rollback are two plans over this one machine ([`Operation`]).
//! Write-ahead: every action that touches the world outside the process
//! (a hook, a switch, a stop) is preceded in the returned list by the
//! ledger mark that says it may have happened, so a run killed at any point
//! leaves a ledger that a later run can read and reconcile. The one
//! exception is on purpose: when a started slot is given up, it is stopped
//! first, so that a ledger that cannot be written never leaves it running.

use gate_core::ledger::DeploymentState;

use crate::config::Slot;

/// A phase of a deploy or rollback. Its ledger token is [`Phase::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Read the ledger and the proxy, reconcile them, check the proxy's
    /// configuration, create the ledger deployment.
    Plan,
    /// The start hook, in the idle slot.
    Start,
    /// Wait until the started slot passes its health probes.
    Wait,
    /// The optional load smoke on the idle slot.
    Smoke,
    /// User journeys on the idle slot (none configured today: passed through).
    Journeys,
    /// Arm the old slot as the proxy's backup (no switch kind does yet:
    /// passed through).
    Backup,
    /// Move traffic.
    Switch,
    /// The circuit breaker watches the new slot.
    Watch,
    /// Traffic back to the old slot after a trip.
    Rollback,
    /// Probe the slot that now takes traffic.
    Verify,
    /// Stop the old slot (after `keep-old`).
    Stop,
    /// The end.
    Done,
}

impl Phase {
    /// Every phase, in the order a deploy goes through them.
    pub const ALL: [Phase; 12] = [
        Phase::Plan,
        Phase::Start,
        Phase::Wait,
        Phase::Smoke,
        Phase::Journeys,
        Phase::Backup,
        Phase::Switch,
        Phase::Watch,
        Phase::Rollback,
        Phase::Verify,
        Phase::Stop,
        Phase::Done,
    ];

    /// The ledger token.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Start => "start",
            Phase::Wait => "wait",
            Phase::Smoke => "smoke",
            Phase::Journeys => "journeys",
            Phase::Backup => "backup",
            Phase::Switch => "switch",
            Phase::Watch => "watch",
            Phase::Rollback => "rollback",
            Phase::Verify => "verify",
            Phase::Stop => "stop",
            Phase::Done => "done",
        }
    }

    /// Reads a ledger token, the tokens of earlier versions included:
    /// `check` (gate-rollback's first status) is `plan`, `trip` is
    /// `watch`, `rolled-back` and the resolution markers `interrupted` and
    /// `lock-lost` are `done`, `created` (no status yet) is `plan`.
    pub fn parse(token: &str) -> Option<Phase> {
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == token)
            .or(match token {
                "check" | "created" => Some(Phase::Plan),
                "trip" => Some(Phase::Watch),
                "rolled-back" | "interrupted" | "lock-lost" => Some(Phase::Done),
                _ => None,
            })
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conclusion {
    /// The new release is live and passed the watch.
    Deployed,
    /// The release was already live; nothing changed.
    AlreadyLive,
    /// The start hook failed; traffic untouched.
    StartFailed,
    /// The new slot never became healthy; traffic untouched.
    NeverHealthy,
    /// The pre-switch load smoke crossed a threshold; traffic untouched.
    SmokeFailed,
    /// The watch tripped; traffic is back on the old slot, verified.
    RolledBack,
    /// The watch tripped and going back failed: traffic may be on a failing slot.
    RollbackFailed,
    /// gate-rollback put traffic on the last known-good slot, verified.
    Restored,
    /// gate-rollback could not make the known-good slot healthy; traffic untouched.
    RestoreFailed,
}

impl Conclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Deployed => "deployed",
            Conclusion::AlreadyLive => "already-live",
            Conclusion::StartFailed => "start-failed",
            Conclusion::NeverHealthy => "never-healthy",
            Conclusion::SmokeFailed => "smoke-failed",
            Conclusion::RolledBack => "rolled-back",
            Conclusion::RollbackFailed => "rollback-failed",
            Conclusion::Restored => "restored",
            Conclusion::RestoreFailed => "restore-failed",
        }
    }
}

/// The two plans over the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A new release into the idle slot, switched to, watched.
    Deploy,
    /// Traffic back to the last verified slot and release.
    Rollback,
}

/// What the machine knows of the run, fixed at the plan phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub operation: Operation,
    /// The slot this run puts live.
    pub target: Slot,
    /// What took traffic when the run began (deploy: the slot to go back
    /// to after a trip; `None` on a first deploy).
    pub from: Option<Slot>,
    /// A start hook is configured.
    pub start: bool,
    /// A load smoke is configured.
    pub smoke: bool,
    /// A stop hook is configured.
    pub stop: bool,
    /// `keep-old` is above zero.
    pub keep_old: bool,
}

/// What a status says takes traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// What took traffic when the run began (`plan.from`).
    From,
    /// The run's target.
    Target,
    /// Unknown: a switch is under way.
    Unknown,
    /// What the switch reported after a failed switch (`None`: it could
    /// not tell, so what took traffic before).
    Observed(Option<Slot>),
}

/// A ledger status to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub state: DeploymentState,
    pub phase: Phase,
    pub live: Live,
    /// A failure to write it stops the run (before traffic moved); after
    /// that, it is a warning: stopping would leave traffic in a worse place.
    pub required: bool,
}

/// What the executor is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write a status on the run's ledger deployment.
    Mark(Mark),
    /// Probe the slot once (rollback: is the known-good slot up?).
    Check(Slot),
    /// Make room on the slot's address, then run the start hook.
    Start(Slot),
    /// Wait until the slot passes its health probes.
    Wait(Slot),
    /// The load smoke on the slot.
    Smoke(Slot),
    /// Move traffic to the slot (the executor first checks that what the
    /// start hook left running still runs).
    Switch(Slot),
    /// The circuit breaker's watch of the slot.
    Watch(Slot),
    /// Probe the slot that takes traffic until it passes.
    Verify(Slot),
    /// Keep the old slot warm for `keep-old`.
    KeepWarm(Slot),
    /// Run the stop hook on the slot.
    Stop(Slot),
    /// Mark the interrupted deployments found at the plan phase resolved.
    Resolve,
    /// The run is over.
    End(Conclusion),
    /// The run is over with the error the last action reported.
    Abort,
}

/// What happened, fed back to [`step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The plan phase is done: ledger deployment created.
    Planned,
    /// The start hook succeeded.
    HookDone,
    /// The start hook failed (or timed out).
    HookFailed,
    /// The slot's address is taken by something else, or the hook could
    /// not be run at all: an error (exit 4).
    Refused,
    /// The slot passed its probes.
    Healthy,
    /// The slot never passed them.
    NeverHealthy,
    /// Everything the start hook left running exited.
    Exited,
    /// The load smoke judged (true: passed).
    SmokeJudged(bool),
    /// Traffic moved.
    Switched,
    /// The switch failed; what it says takes traffic now.
    SwitchFailed(Option<Slot>),
    /// The watch window ended without a trip.
    Passed,
    /// The circuit breaker tripped.
    Tripped,
    /// The slot that takes traffic passed its probes.
    Verified,
    /// It did not.
    VerifyFailed,
    /// An action with no outcome of its own finished (a stop, keeping warm).
    Done,
}

/// The machine: a plan and the phase it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Machine {
    pub plan: Plan,
    pub phase: Phase,
}

fn mark(state: DeploymentState, phase: Phase, live: Live, required: bool) -> Action {
    Action::Mark(Mark {
        state,
        phase,
        live,
        required,
    })
}

use DeploymentState::{Error as Errored, Failure, InProgress, Success};

impl Machine {
    pub fn new(plan: Plan) -> Machine {
        Machine {
            plan,
            phase: Phase::Plan,
        }
    }

    fn to(&mut self, phase: Phase, mut actions: Vec<Action>) -> Vec<Action> {
        self.phase = phase;
        actions.shrink_to_fit();
        actions
    }

    /// Before the switch: enter `phase` with its write-ahead mark.
    fn enter(&mut self, phase: Phase, then: Action) -> Vec<Action> {
        let live = if phase == Phase::Switch {
            Live::Unknown
        } else {
            Live::From
        };
        self.to(phase, vec![mark(InProgress, phase, live, true), then])
    }

    /// Gives up before traffic moved: a deploy stops what it started
    /// (first), then records the failure in `phase`.
    fn untouched(&mut self, phase: Phase, end: Action, stop: bool) -> Vec<Action> {
        let mut v = Vec::new();
        if stop && self.plan.operation == Operation::Deploy {
            v.push(Action::Stop(self.plan.target));
        }
        v.push(mark(Failure, phase, Live::From, true));
        v.push(end);
        self.to(Phase::Done, v)
    }

    /// What follows a healthy started slot.
    fn after_wait(&mut self) -> Vec<Action> {
        let t = self.plan.target;
        if self.phase == Phase::Wait && self.plan.operation == Operation::Deploy && self.plan.smoke
        {
            return self.enter(Phase::Smoke, Action::Smoke(t));
        }
        self.enter(Phase::Switch, Action::Switch(t))
    }

    /// One step: the actions to perform after `event` in the current
    /// phase. An event the phase does not expect ends the run as an error
    /// (it never happens with the executor; the table tests show it).
    pub fn step(&mut self, event: &Event) -> Vec<Action> {
        match self.plan.operation {
            Operation::Deploy => self.deploy(event),
            Operation::Rollback => self.rollback(event),
        }
    }

    fn deploy(&mut self, event: &Event) -> Vec<Action> {
        use Event as E;
        use Phase as P;
        let t = self.plan.target;
        match (self.phase, event) {
            (P::Plan, E::Planned) if self.plan.start => self.enter(P::Start, Action::Start(t)),
            (P::Plan, E::Planned) | (P::Start, E::HookDone) => self.enter(P::Wait, Action::Wait(t)),
            (P::Start, E::HookFailed) => {
                self.untouched(P::Start, Action::End(Conclusion::StartFailed), true)
            }
            (P::Start, E::Refused) => self.untouched(P::Start, Action::Abort, false),
            (P::Wait, E::Healthy) | (P::Smoke, E::SmokeJudged(true)) => self.after_wait(),
            (P::Wait, E::NeverHealthy) => {
                self.untouched(P::Wait, Action::End(Conclusion::NeverHealthy), true)
            }
            (P::Wait | P::Switch, E::Exited) => {
                self.untouched(P::Start, Action::End(Conclusion::StartFailed), true)
            }
            (P::Smoke, E::SmokeJudged(false)) => {
                self.untouched(P::Smoke, Action::End(Conclusion::SmokeFailed), true)
            }
            (P::Switch, E::Switched) => self.to(
                P::Watch,
                vec![
                    mark(InProgress, P::Watch, Live::Target, false),
                    Action::Watch(t),
                ],
            ),
            (P::Switch, E::SwitchFailed(now)) => self.to(
                P::Done,
                vec![
                    mark(Failure, P::Switch, Live::Observed(*now), false),
                    Action::Stop(t),
                    Action::Abort,
                ],
            ),
            (P::Watch, E::Passed) => {
                let mut v = vec![mark(Success, P::Done, Live::Target, true)];
                if let Some(old) = self.plan.from {
                    if self.plan.stop && self.plan.keep_old {
                        v.push(Action::KeepWarm(old));
                    }
                    v.push(Action::Stop(old));
                }
                v.push(Action::End(Conclusion::Deployed));
                self.to(P::Stop, v)
            }
            (P::Watch, E::Tripped) => match self.plan.from {
                Some(old) => self.to(
                    P::Rollback,
                    vec![
                        mark(InProgress, P::Rollback, Live::Unknown, false),
                        Action::Switch(old),
                    ],
                ),
                None => self.to(
                    P::Done,
                    vec![
                        mark(Errored, P::Watch, Live::Target, false),
                        Action::End(Conclusion::RollbackFailed),
                    ],
                ),
            },
            (P::Rollback, E::Switched) => {
                let old = self.plan.from.unwrap_or(t.other());
                self.to(
                    P::Verify,
                    vec![
                        mark(InProgress, P::Verify, Live::From, false),
                        Action::Verify(old),
                    ],
                )
            }
            (P::Rollback, E::SwitchFailed(_)) => self.to(
                P::Done,
                vec![
                    mark(Errored, P::Rollback, Live::Unknown, false),
                    Action::End(Conclusion::RollbackFailed),
                ],
            ),
            (P::Verify, E::Verified) => self.to(
                P::Done,
                vec![
                    mark(Failure, P::Done, Live::From, false),
                    Action::End(Conclusion::RolledBack),
                ],
            ),
            (P::Verify, E::VerifyFailed) => self.to(
                P::Done,
                vec![
                    mark(Errored, P::Verify, Live::From, false),
                    Action::End(Conclusion::RollbackFailed),
                ],
            ),
            _ => self.to(P::Done, vec![Action::Abort]),
        }
    }

    fn rollback(&mut self, event: &Event) -> Vec<Action> {
        use Event as E;
        use Phase as P;
        let t = self.plan.target;
        let failed = |m: &mut Machine, phase: Phase, end: Action| {
            m.to(P::Done, vec![mark(Failure, phase, Live::From, true), end])
        };
        match (self.phase, event) {
            (P::Plan, E::Planned) => self.to(
                P::Plan,
                vec![
                    mark(InProgress, P::Plan, Live::From, true),
                    Action::Check(t),
                ],
            ),
            (P::Plan, E::Healthy) | (P::Start, E::HookDone) => self.enter(P::Wait, Action::Wait(t)),
            (P::Plan, E::NeverHealthy) if self.plan.start => self.enter(P::Start, Action::Start(t)),
            (P::Plan, E::NeverHealthy) | (P::Start, E::HookFailed) => {
                failed(self, P::Start, Action::End(Conclusion::RestoreFailed))
            }
            (P::Start, E::Refused) => failed(self, P::Start, Action::Abort),
            (P::Wait, E::Healthy) => self.after_wait(),
            (P::Wait, E::NeverHealthy) => {
                failed(self, P::Wait, Action::End(Conclusion::RestoreFailed))
            }
            (P::Wait | P::Switch, E::Exited) => {
                failed(self, P::Start, Action::End(Conclusion::RestoreFailed))
            }
            (P::Switch, E::Switched) => self.to(
                P::Verify,
                vec![
                    mark(InProgress, P::Verify, Live::Target, false),
                    Action::Verify(t),
                ],
            ),
            (P::Switch, E::SwitchFailed(now)) => self.to(
                P::Done,
                vec![
                    mark(Failure, P::Switch, Live::Observed(*now), false),
                    Action::Abort,
                ],
            ),
            (P::Verify, E::Verified) => self.to(
                P::Done,
                vec![
                    mark(Success, P::Done, Live::Target, true),
                    Action::Resolve,
                    Action::End(Conclusion::Restored),
                ],
            ),
            (P::Verify, E::VerifyFailed) => self.to(
                P::Done,
                vec![
                    mark(Errored, P::Verify, Live::Target, false),
                    Action::End(Conclusion::RestoreFailed),
                ],
            ),
            _ => self.to(P::Done, vec![Action::Abort]),
        }
    }
}

/// [`Machine::step`] as a function of the state.
pub fn step(machine: &mut Machine, event: &Event) -> Vec<Action> {
    machine.step(event)
}

#[cfg(test)]
mod tests;
