//! The `Gate` impl: gate-sarif's identity and its parts put together.

use gate_core::report::{Report, Rule};
use gate_core::{Context, Gate};

use crate::collect::{self, SarifInput};
use crate::config::{SarifArgs, SarifConfig};

/// The sarif gate.
#[derive(Debug)]
pub struct SarifGate;

impl Gate for SarifGate {
    const ID: &'static str = "sarif";
    const ABOUT: &'static str =
        "Judge SARIF findings from any tool by severity, with a new-only mode against the base";
    const RULES: &'static [Rule] = crate::rules::RULES;
    const WORKER_THREADS: usize = 0;
    type Config = SarifConfig;
    type Args = SarifArgs;
    type Input = SarifInput;

    async fn collect(
        ctx: &Context,
        config: &SarifConfig,
        _args: &SarifArgs,
    ) -> gate_core::Result<SarifInput> {
        collect::collect(ctx, config)
    }

    fn evaluate(input: &SarifInput, config: &SarifConfig) -> Report {
        crate::evaluate::evaluate(input, config)
    }
}
