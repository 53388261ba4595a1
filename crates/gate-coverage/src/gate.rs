//! The `Gate` glue: the coverage gate's id, rules and types, delegating to
//! [`collect`](crate::collect), [`evaluate`](crate::evaluate) and
//! [`comment`](crate::comment).

use std::path::Path;

use gate_core::report::{Report, Rule};
use gate_core::{Context, Gate};

use crate::collect::CoverageInput;
use crate::config::{CoverageArgs, CoverageConfig};

/// The coverage gate.
#[derive(Debug)]
pub struct CoverageGate;

impl Gate for CoverageGate {
    const ID: &'static str = crate::config::ID;
    const ABOUT: &'static str = "Total, per-file and diff coverage from LCOV, Cobertura, JaCoCo, Clover, Go, Istanbul and llvm-cov reports";
    const RULES: &'static [Rule] = crate::rules::RULES;
    type Config = CoverageConfig;
    type Args = CoverageArgs;
    type Input = CoverageInput;

    async fn collect(
        ctx: &Context,
        config: &Self::Config,
        _args: &Self::Args,
    ) -> gate_core::Result<Self::Input> {
        crate::collect::collect(ctx, config).await
    }

    fn evaluate(input: &Self::Input, config: &Self::Config) -> Report {
        crate::evaluate::evaluate(input, config)
    }

    async fn publish(
        ctx: &Context,
        config: &Self::Config,
        report: &Report,
    ) -> gate_core::Result<()> {
        if config.comment {
            crate::comment::publish(ctx, report).await?;
        }
        Ok(())
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(m) = report.metric("line-coverage") {
            out.push(("total".to_string(), format!("{:.2}", m.value)));
        }
        if let Some(m) = report.metric("diff-coverage") {
            out.push(("diff".to_string(), format!("{:.2}", m.value)));
        }
        out
    }
}

/// Used by tests: evaluate reports and a diff file without a git repository.
pub fn evaluate_files(
    reports: &[&Path],
    diff: Option<&Path>,
    config: &CoverageConfig,
) -> gate_core::Result<Report> {
    Ok(crate::evaluate::evaluate(
        &crate::collect::from_files(reports, diff, config)?,
        config,
    ))
}
