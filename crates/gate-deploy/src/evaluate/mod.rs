//! The pure reports of gate-deploy, shared with gate-rollback: a run
//! ([`evaluate_outcome`]), a dry run ([`evaluate_plan`]), a refused
//! rollback ([`evaluate_refusal`]) and `status` ([`evaluate_status`]).

mod outcome;
mod plan;
mod status;

use gate_core::report::Report;

use crate::collect::DeployInput;

pub use outcome::{evaluate_outcome, probe_charts};
pub use plan::{evaluate_plan, evaluate_refusal};
pub use status::evaluate_status;

/// gate-deploy's report of its input.
pub fn evaluate(input: &DeployInput) -> Report {
    match input {
        DeployInput::Run(o) => evaluate_outcome("deploy", o),
        DeployInput::Status(s) => evaluate_status(s),
        DeployInput::Plan(p) => evaluate_plan("deploy", p),
    }
}
