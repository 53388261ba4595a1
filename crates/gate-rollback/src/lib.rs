//! gate-rollback: traffic back on the last known-good slot recorded in the
//! ledger (restarting it through the `start` hook if it was stopped),
//! verified and recorded. Works from the ledger alone: from a laptop with
//! the local ledger, or from a `workflow_dispatch` with the GitHub ledger.
//!
//! It reads gate-deploy's keys: the `deploy` section of `gates.yml`, with
//! a `rollback` section, when there is one, overriding key by key (then
//! `GATES_ROLLBACK_*` and the flags, as for every gate): its
//! [`Gate::BASE_SECTION`] is `deploy`. A mistake in an inherited key is
//! reported as `deploy.<key>` with its line.

use gate_core::report::{Report, Rule};
use gate_core::{Context, Gate, GateError};
use gate_deploy::config::DeployConfig;
use gate_deploy::flow::{self, Plan, RollbackRun};

/// Flags of gate-rollback that are not `gates.yml` keys. Every deploy key
/// has its flag, generated from [`DeployConfig`]'s schema.
#[derive(Debug, Clone, clap::Args)]
pub struct RollbackArgs {
    /// Print the plan (target, hooks and their environment, switch, probes) and change nothing
    #[arg(long = "dry-run", id = "dry_run", visible_alias = "plan")]
    pub dry_run: bool,
}

/// What `collect` hands to `evaluate`.
#[derive(Debug, Clone, PartialEq)]
pub enum RollbackInput {
    Run(RollbackRun),
    Plan(Box<Plan>),
}

/// The rollback gate.
#[derive(Debug)]
pub struct RollbackGate;

impl Gate for RollbackGate {
    const ID: &'static str = "rollback";
    const ABOUT: &'static str =
        "Put traffic back on the last known-good slot from the ledger, verify it, record it";
    const RULES: &'static [Rule] = gate_deploy::rules::RULES;
    const BASE_SECTION: Option<&'static str> = Some("deploy");
    type Config = DeployConfig;
    type Args = RollbackArgs;
    type Input = RollbackInput;

    /// A dry run only reads: its report is not a result.
    fn record(args: &RollbackArgs) -> bool {
        !args.dry_run
    }

    async fn collect(
        ctx: &Context,
        config: &DeployConfig,
        args: &RollbackArgs,
    ) -> Result<RollbackInput, GateError> {
        if args.dry_run {
            return Ok(RollbackInput::Plan(Box::new(
                flow::plan_rollback(ctx, config).await?,
            )));
        }
        Ok(RollbackInput::Run(flow::rollback(ctx, config).await?))
    }

    fn evaluate(input: &RollbackInput, _config: &DeployConfig) -> Report {
        match input {
            RollbackInput::Run(RollbackRun::Ran(o)) => {
                gate_deploy::evaluate::evaluate_outcome("rollback", o)
            }
            RollbackInput::Run(RollbackRun::Refused(f)) => {
                gate_deploy::evaluate::evaluate_refusal(f)
            }
            RollbackInput::Plan(p) => gate_deploy::evaluate::evaluate_plan("rollback", p),
        }
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        gate_deploy::outputs::outputs(report)
    }
}
