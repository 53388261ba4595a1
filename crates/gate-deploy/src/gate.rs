//! The `Gate` glue of gate-deploy: its id, rules and types, delegating to
//! [`collect`](crate::collect), [`evaluate`](crate::evaluate) and
//! [`outputs`](crate::outputs).

use gate_core::report::{Report, Rule};
use gate_core::{Context, Gate, GateError};

use crate::collect::DeployInput;
use crate::config::{DeployArgs, DeployCommand, DeployConfig};

/// The deploy gate.
#[derive(Debug)]
pub struct DeployGate;

impl Gate for DeployGate {
    const ID: &'static str = "deploy";
    const ABOUT: &'static str = "Blue-green deploy behind a real traffic switch, with a post-switch circuit breaker and automatic rollback";
    const RULES: &'static [Rule] = crate::rules::RULES;
    type Config = DeployConfig;
    type Args = DeployArgs;
    type Input = DeployInput;

    /// `status` and `--dry-run` only read: their reports must not replace
    /// the deploy's own result for the commit.
    fn record(args: &DeployArgs) -> bool {
        !matches!(args.command, Some(DeployCommand::Status { .. })) && !args.dry_run
    }

    async fn collect(
        ctx: &Context,
        config: &DeployConfig,
        args: &DeployArgs,
    ) -> Result<DeployInput, GateError> {
        crate::collect::collect(ctx, config, args).await
    }

    fn evaluate(input: &DeployInput, _config: &DeployConfig) -> Report {
        crate::evaluate::evaluate(input)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        crate::outputs::outputs(report)
    }
}
