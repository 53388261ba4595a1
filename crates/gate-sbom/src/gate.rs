//! The `Gate` glue: gate-sbom's id, rules and types, delegating to
//! [`crate::collect`], [`crate::evaluate`] and [`crate::outputs`].

use gate_core::report::{Report, Rule};
use gate_core::{Context, Gate};

use crate::collect::SbomInput;
use crate::config::{SbomArgs, SbomCommand, SbomConfig};

/// The gate.
#[derive(Debug)]
pub struct SbomGate;

impl Gate for SbomGate {
    const ID: &'static str = "sbom";
    const ABOUT: &'static str = "Reproducible CycloneDX SBOMs from Cargo, npm, yarn, pnpm, Python, Go, Ruby and PHP lockfiles, validated (official schemas + semantic checks) and held to a quality policy; attestation subjects for release files";
    const RULES: &'static [Rule] = crate::rules::RULES;
    type Config = SbomConfig;
    type Args = SbomArgs;
    type Input = SbomInput;

    /// `check` and `diff` judge other documents than the generated SBOM:
    /// each keeps its own record (`gates/sbom/check`, `gates/sbom/diff`),
    /// so the three never overwrite one another.
    fn default_instance(args: &SbomArgs) -> Option<&'static str> {
        match args.command {
            Some(SbomCommand::Check { .. }) => Some("check"),
            Some(SbomCommand::Diff { .. }) => Some("diff"),
            None => None,
        }
    }

    async fn collect(
        ctx: &Context,
        config: &Self::Config,
        args: &Self::Args,
    ) -> gate_core::Result<Self::Input> {
        crate::collect::collect(ctx, config, args)
    }

    fn evaluate(input: &Self::Input, config: &Self::Config) -> Report {
        crate::evaluate::evaluate_input(input, config)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        crate::outputs::outputs(report)
    }
}
