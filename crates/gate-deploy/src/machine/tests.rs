//! Every transition of both plans: a table over Phase × Event, for every
//! combination of the plan's flags.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use Action as A;
use Conclusion as C;
use Event as E;
use Live as L;
use Phase as P;

const B: Slot = Slot::Blue;
const G: Slot = Slot::Green;

fn events() -> Vec<Event> {
    vec![
        E::Planned,
        E::HookDone,
        E::HookFailed,
        E::Refused,
        E::Healthy,
        E::NeverHealthy,
        E::Exited,
        E::SmokeJudged(true),
        E::SmokeJudged(false),
        E::Switched,
        E::SwitchFailed(None),
        E::SwitchFailed(Some(B)),
        E::Passed,
        E::Tripped,
        E::Verified,
        E::VerifyFailed,
        E::Done,
    ]
}

fn plans(operation: Operation) -> Vec<Plan> {
    let mut v = Vec::new();
    for bits in 0..32u8 {
        v.push(Plan {
            operation,
            target: G,
            from: (bits & 1 != 0).then_some(B),
            start: bits & 2 != 0,
            smoke: bits & 4 != 0,
            stop: bits & 8 != 0,
            keep_old: bits & 16 != 0,
        });
    }
    v
}

fn m(state: DeploymentState, phase: Phase, live: Live, required: bool) -> Action {
    Action::Mark(Mark {
        state,
        phase,
        live,
        required,
    })
}

/// The deploy plan, written out: `None` for an event the phase does not
/// expect.
fn deploy_expected(p: &Plan, phase: Phase, e: &Event) -> Option<(Phase, Vec<Action>)> {
    let pre_switch = |next: Phase| -> (Phase, Vec<Action>) {
        let (live, act) = match next {
            P::Start => (L::From, A::Start(G)),
            P::Wait => (L::From, A::Wait(G)),
            P::Smoke => (L::From, A::Smoke(G)),
            _ => (L::Unknown, A::Switch(G)),
        };
        (next, vec![m(InProgress, next, live, true), act])
    };
    let give_up = |phase: Phase, end: Action, stop: bool| -> (Phase, Vec<Action>) {
        let mut v = if stop { vec![A::Stop(G)] } else { vec![] };
        v.extend([m(Failure, phase, L::From, true), end]);
        (P::Done, v)
    };
    Some(match (phase, e) {
        (P::Plan, E::Planned) => pre_switch(if p.start { P::Start } else { P::Wait }),
        (P::Start, E::HookDone) => pre_switch(P::Wait),
        (P::Start, E::HookFailed) => give_up(P::Start, A::End(C::StartFailed), true),
        (P::Start, E::Refused) => give_up(P::Start, A::Abort, false),
        (P::Wait, E::Healthy) => pre_switch(if p.smoke { P::Smoke } else { P::Switch }),
        (P::Smoke, E::SmokeJudged(true)) => pre_switch(P::Switch),
        (P::Wait, E::NeverHealthy) => give_up(P::Wait, A::End(C::NeverHealthy), true),
        (P::Wait | P::Switch, E::Exited) => give_up(P::Start, A::End(C::StartFailed), true),
        (P::Smoke, E::SmokeJudged(false)) => give_up(P::Smoke, A::End(C::SmokeFailed), true),
        (P::Switch, E::Switched) => (
            P::Watch,
            vec![m(InProgress, P::Watch, L::Target, false), A::Watch(G)],
        ),
        (P::Switch, E::SwitchFailed(now)) => (
            P::Done,
            vec![
                m(Failure, P::Switch, L::Observed(*now), false),
                A::Stop(G),
                A::Abort,
            ],
        ),
        (P::Watch, E::Passed) => {
            let mut v = vec![m(Success, P::Done, L::Target, true)];
            if p.from.is_some() {
                if p.stop && p.keep_old {
                    v.push(A::KeepWarm(B));
                }
                v.push(A::Stop(B));
            }
            v.push(A::End(C::Deployed));
            (P::Stop, v)
        }
        (P::Watch, E::Tripped) if p.from.is_some() => (
            P::Rollback,
            vec![m(InProgress, P::Rollback, L::Unknown, false), A::Switch(B)],
        ),
        (P::Watch, E::Tripped) => (
            P::Done,
            vec![
                m(Errored, P::Watch, L::Target, false),
                A::End(C::RollbackFailed),
            ],
        ),
        (P::Rollback, E::Switched) => (
            P::Verify,
            vec![m(InProgress, P::Verify, L::From, false), A::Verify(B)],
        ),
        (P::Rollback, E::SwitchFailed(_)) => (
            P::Done,
            vec![
                m(Errored, P::Rollback, L::Unknown, false),
                A::End(C::RollbackFailed),
            ],
        ),
        (P::Verify, E::Verified) => (
            P::Done,
            vec![m(Failure, P::Done, L::From, false), A::End(C::RolledBack)],
        ),
        (P::Verify, E::VerifyFailed) => (
            P::Done,
            vec![
                m(Errored, P::Verify, L::From, false),
                A::End(C::RollbackFailed),
            ],
        ),
        _ => return None,
    })
}

/// The rollback plan, written out.
fn rollback_expected(p: &Plan, phase: Phase, e: &Event) -> Option<(Phase, Vec<Action>)> {
    let failed = |phase: Phase, end: Action| (P::Done, vec![m(Failure, phase, L::From, true), end]);
    Some(match (phase, e) {
        (P::Plan, E::Planned) => (
            P::Plan,
            vec![m(InProgress, P::Plan, L::From, true), A::Check(G)],
        ),
        (P::Plan, E::Healthy) | (P::Start, E::HookDone) => (
            P::Wait,
            vec![m(InProgress, P::Wait, L::From, true), A::Wait(G)],
        ),
        (P::Plan, E::NeverHealthy) if p.start => (
            P::Start,
            vec![m(InProgress, P::Start, L::From, true), A::Start(G)],
        ),
        (P::Plan, E::NeverHealthy) | (P::Start, E::HookFailed) => {
            failed(P::Start, A::End(C::RestoreFailed))
        }
        (P::Start, E::Refused) => failed(P::Start, A::Abort),
        (P::Wait, E::Healthy) => (
            P::Switch,
            vec![m(InProgress, P::Switch, L::Unknown, true), A::Switch(G)],
        ),
        (P::Wait, E::NeverHealthy) => failed(P::Wait, A::End(C::RestoreFailed)),
        (P::Wait | P::Switch, E::Exited) => failed(P::Start, A::End(C::RestoreFailed)),
        (P::Switch, E::Switched) => (
            P::Verify,
            vec![m(InProgress, P::Verify, L::Target, false), A::Verify(G)],
        ),
        (P::Switch, E::SwitchFailed(now)) => (
            P::Done,
            vec![m(Failure, P::Switch, L::Observed(*now), false), A::Abort],
        ),
        (P::Verify, E::Verified) => (
            P::Done,
            vec![
                m(Success, P::Done, L::Target, true),
                A::Resolve,
                A::End(C::Restored),
            ],
        ),
        (P::Verify, E::VerifyFailed) => (
            P::Done,
            vec![
                m(Errored, P::Verify, L::Target, false),
                A::End(C::RestoreFailed),
            ],
        ),
        _ => return None,
    })
}

/// A plan written out: the phase and actions after an event, `None` when
/// the phase does not expect it.
type Expected = fn(&Plan, Phase, &Event) -> Option<(Phase, Vec<Action>)>;

fn check_table(operation: Operation, expected: Expected) -> usize {
    let mut transitions = 0;
    for plan in plans(operation) {
        for phase in Phase::ALL {
            for e in events() {
                let mut machine = Machine { plan, phase };
                let got = step(&mut machine, &e);
                let want = expected(&plan, phase, &e)
                    .unwrap_or_else(|| (Phase::Done, vec![Action::Abort]));
                assert_eq!(
                    (machine.phase, &got),
                    (want.0, &want.1),
                    "{operation:?} {plan:?} in {phase} on {e:?}"
                );
                if want.1 != [Action::Abort] {
                    transitions += 1;
                }
                write_ahead(&got, &format!("{operation:?} {phase} {e:?}"));
            }
        }
    }
    transitions
}

/// Every action list: a run ends with its last action, and every action on
/// the world outside follows a mark, except the stop of a slot given up
/// before the switch (it comes first, so that a ledger failure never leaves
/// that slot running).
fn write_ahead(actions: &[Action], what: &str) {
    let ends = |a: &Action| matches!(a, A::End(_) | A::Abort);
    for (i, a) in actions.iter().enumerate() {
        assert!(!ends(a) || i + 1 == actions.len(), "{what}: {actions:?}");
        let external = matches!(
            a,
            A::Start(_) | A::Switch(_) | A::Smoke(_) | A::Watch(_) | A::Check(_) | A::Wait(_)
        );
        if external {
            assert!(
                actions[..i].iter().any(|b| matches!(b, A::Mark(_))),
                "{what}: {a:?} without a mark before it: {actions:?}"
            );
        }
    }
}

#[test]
fn every_deploy_transition_matches_the_table() {
    let n = check_table(Operation::Deploy, deploy_expected);
    assert!(n > 0);
}

#[test]
fn every_rollback_transition_matches_the_table() {
    let n = check_table(Operation::Rollback, rollback_expected);
    assert!(n > 0);
}

#[test]
fn a_deploy_walks_every_phase_it_names_in_order() {
    let plan = Plan {
        operation: Operation::Deploy,
        target: G,
        from: Some(B),
        start: true,
        smoke: true,
        stop: true,
        keep_old: true,
    };
    let mut machine = Machine::new(plan);
    let mut seen = vec![machine.phase];
    for e in [
        E::Planned,
        E::HookDone,
        E::Healthy,
        E::SmokeJudged(true),
        E::Switched,
        E::Tripped,
        E::Switched,
        E::Verified,
    ] {
        let actions = step(&mut machine, &e);
        assert!(!actions.contains(&A::Abort), "{e:?}");
        seen.push(machine.phase);
    }
    assert_eq!(
        seen,
        [
            P::Plan,
            P::Start,
            P::Wait,
            P::Smoke,
            P::Switch,
            P::Watch,
            P::Rollback,
            P::Verify,
            P::Done
        ]
    );
}

#[test]
fn tokens_round_trip_and_old_ones_still_read() {
    for p in Phase::ALL {
        assert_eq!(Phase::parse(p.as_str()), Some(p));
    }
    assert_eq!(Phase::parse("check"), Some(P::Plan));
    assert_eq!(Phase::parse("trip"), Some(P::Watch));
    assert_eq!(Phase::parse("rolled-back"), Some(P::Done));
    assert_eq!(Phase::parse("interrupted"), Some(P::Done));
    assert_eq!(Phase::parse("nonsense"), None);
}
