//! gate-rollback: traffic back on the last known-good slot recorded in the
//! ledger (restarting it through the `start` hook if it was stopped),
//! verified and recorded. Works from the ledger alone: from a laptop with
//! the local ledger, or from a `workflow_dispatch` with the GitHub ledger.
//!
//! It reads the same keys as gate-deploy, from its own `rollback` section.

use gate_core::report::{Report, Rule};
use gate_core::{Context, Gate, GateError};
use gate_deploy::config::DeployConfig;
use gate_deploy::flow::{self, Outcome};

/// Flags of gate-rollback.
#[derive(Debug, Clone, clap::Args)]
pub struct RollbackArgs {
    /// Environment to roll back
    #[arg(long, value_name = "NAME")]
    pub environment: Option<String>,
    /// Traffic switch: haproxy, nginx, caddy, symlink, command
    #[arg(long, value_name = "KIND")]
    pub switch: Option<String>,
    /// Command that starts a slot (used if the known-good slot was stopped)
    #[arg(long, value_name = "COMMAND")]
    pub start: Option<String>,
    /// Seconds to wait for the known-good slot to become healthy
    #[arg(long = "wait-timeout", id = "wait_timeout", value_name = "SECS")]
    pub wait_timeout: Option<String>,
}

/// The rollback gate.
#[derive(Debug)]
pub struct RollbackGate;

impl Gate for RollbackGate {
    const ID: &'static str = "rollback";
    const ABOUT: &'static str =
        "Put traffic back on the last known-good slot from the ledger, verify it, record it";
    const RULES: &'static [Rule] = gate_deploy::gate::RULES;
    type Config = DeployConfig;
    type Args = RollbackArgs;
    type Input = Outcome;

    async fn collect(
        ctx: &Context,
        config: &DeployConfig,
        _args: &RollbackArgs,
    ) -> Result<Outcome, GateError> {
        flow::rollback(ctx, config).await
    }

    fn evaluate(input: &Outcome, _config: &DeployConfig) -> Report {
        gate_deploy::gate::evaluate_outcome("rollback", input)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        gate_deploy::gate::outputs(report)
    }
}
