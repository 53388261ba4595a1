//! The rules of gate-deploy, shared with gate-rollback: every rule id a
//! finding of either gate can carry.

use gate_core::report::{Rule, Rules};

gate_core::rules! {
    /// Rules of gate-deploy and gate-rollback, in the order of the published `RULES`.
    pub enum DeployRule {
        /// The new release failed after the switch; traffic went back to the old slot.
        RolledBack {
            id: "rolled-back",
            summary: "The new release failed after the switch; traffic went back to the old slot",
            help: "Read the incident timeline and probe results; fix the release and deploy again. The old slot is live and verified.",
            severity: Error,
        },
        /// The circuit breaker tripped and traffic could not be put back on a healthy slot.
        RollbackFailed {
            id: "rollback-failed",
            summary: "The circuit breaker tripped and traffic could not be put back on a healthy slot",
            help: "Traffic may be on a failing slot: run gate-rollback, or fix the proxy by hand; `gate-deploy status` shows what the ledger and the proxy say.",
            severity: Error,
        },
        /// The start hook failed; traffic was not touched.
        StartFailed {
            id: "start-failed",
            summary: "The start hook failed; traffic was not touched",
            help: "Run the start command by hand with GATES_SLOT, GATES_VERSION and GATES_PORT set to see why.",
            severity: Error,
        },
        /// The new slot never became healthy; traffic was not switched.
        NeverHealthy {
            id: "never-healthy",
            summary: "The new slot never became healthy; traffic was not switched",
            help: "Check the slot's health URL and logs; raise wait-timeout if it starts slowly.",
            severity: Error,
        },
        /// The pre-switch load smoke on the new slot crossed a threshold; traffic was not switched.
        SmokeFailed {
            id: "smoke-failed",
            summary: "The pre-switch load smoke on the new slot crossed a threshold; traffic was not switched",
            help: "The report's smoke details give the error classes and latency; fix the release, or tune `smoke:` (rate, max-error-rate, max-p99) if the thresholds are wrong.",
            severity: Error,
        },
        /// gate-rollback could not make the known-good slot healthy and live.
        RestoreFailed {
            id: "restore-failed",
            summary: "gate-rollback could not make the known-good slot healthy and live",
            help: "Start the known-good release by hand (its slot and version are in the report), then run gate-rollback again.",
            severity: Error,
        },
        /// gate-rollback found no release verified live to go back to; it changed nothing.
        NoRollbackTarget {
            id: "no-rollback-target",
            summary: "gate-rollback found no release verified live to go back to; it changed nothing",
            help: "A rollback target is a slot and release a deployment verified live (a `success` status in the ledger). `gate-deploy status` shows the history; deploy a known-good release instead.",
            severity: Error,
        },
        /// One step a run would take (`--dry-run`); nothing was done.
        Plan {
            id: "plan",
            summary: "One step a run would take (`--dry-run`); nothing was done",
            help: "Informational: run without `--dry-run` to do it.",
            severity: Note,
        },
        /// A deploy or rollback stopped before it finished (runner killed).
        InterruptedDeploy {
            id: "interrupted-deploy",
            summary: "A deploy or rollback stopped before it finished (runner killed)",
            help: "Run gate-rollback to restore the last known-good slot, or re-run the deploy: both resolve it.",
            severity: Warning,
        },
        /// The proxy sends traffic to another slot than the ledger records.
        ProxyDisagrees {
            id: "proxy-disagrees",
            summary: "The proxy sends traffic to another slot than the ledger records",
            help: "Someone changed the proxy by hand, or a run was interrupted mid-switch: run gate-rollback or re-deploy.",
            severity: Warning,
        },
        /// A non-fatal step failed (stop hook, a ledger status update).
        DeployWarning {
            id: "deploy-warning",
            summary: "A non-fatal step failed (stop hook, a ledger status update)",
            help: "The deploy itself stands; fix the step named in the message.",
            severity: Warning,
        },
        /// One step of the run, in time.
        Timeline {
            id: "timeline",
            summary: "One step of the run, in time",
            help: "Informational.",
            severity: Note,
        },
        /// One recorded deployment of the environment.
        History {
            id: "history",
            summary: "One recorded deployment of the environment",
            help: "Informational.",
            severity: Note,
        },
    }
}

/// Every rule of the gate, as the runner, SARIF and the docs list them.
pub const RULES: &[Rule] = <DeployRule as Rules>::ALL;
