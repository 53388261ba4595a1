//! `collect`: the deploy, status or dry-run flow (all I/O), into a
//! [`DeployInput`].

use gate_core::{Context, GateError};

use crate::config::{DeployArgs, DeployCommand, DeployConfig};
use crate::flow::{self, Outcome, Plan, StatusView};

/// What `collect` hands to `evaluate`.
#[derive(Debug, Clone, PartialEq)]
pub enum DeployInput {
    Run(Box<Outcome>),
    Status(Box<StatusView>),
    /// `--dry-run`: what a run would do.
    Plan(Box<Plan>),
}

/// Runs the flow the command asks for: `status`, a dry run, or a deploy.
pub async fn collect(
    ctx: &Context,
    config: &DeployConfig,
    args: &DeployArgs,
) -> Result<DeployInput, GateError> {
    match &args.command {
        Some(DeployCommand::Status { limit }) => Ok(DeployInput::Status(Box::new(
            flow::status(ctx, config, *limit).await?,
        ))),
        None if args.dry_run => Ok(DeployInput::Plan(Box::new(flow::plan(ctx, config).await?))),
        None => Ok(DeployInput::Run(Box::new(flow::deploy(ctx, config).await?))),
    }
}
