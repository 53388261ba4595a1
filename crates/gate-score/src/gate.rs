//! The `Gate` impl: gate-score's identity and its parts put together.

use gate_core::report::{Report, Rule, format_number};
use gate_core::{Context, Gate};

use crate::collect::{self, ScoreInput};
use crate::config::{ScoreArgs, ScoreConfig};

/// The score gate.
#[derive(Debug)]
pub struct ScoreGate;

impl Gate for ScoreGate {
    const ID: &'static str = "score";
    const ABOUT: &'static str = "One go/no-go decision from the evidence of a commit";
    const RULES: &'static [Rule] = crate::rules::RULES;
    const WORKER_THREADS: usize = 0;
    type Config = ScoreConfig;
    type Args = ScoreArgs;
    type Input = ScoreInput;

    async fn collect(
        ctx: &Context,
        config: &ScoreConfig,
        args: &ScoreArgs,
    ) -> gate_core::Result<ScoreInput> {
        collect::collect(ctx, config, args).await
    }

    fn evaluate(input: &ScoreInput, config: &ScoreConfig) -> Report {
        crate::evaluate::evaluate(input, config)
    }

    /// `decision`, `score`, `security-score`, `performance-score`.
    fn outputs(report: &Report) -> Vec<(String, String)> {
        let mut out = vec![(
            "decision".to_string(),
            crate::evaluate::decision(report.verdict).to_string(),
        )];
        for (metric, name) in [
            ("score", "score"),
            ("security-score", "security-score"),
            ("performance-score", "performance-score"),
        ] {
            let v = report.metric(metric).map(|m| format_number(m.value));
            out.push((name.to_string(), v.unwrap_or_default()));
        }
        out
    }

    /// The breakdown table goes to the job summary after the runner's own.
    async fn publish(
        ctx: &Context,
        _config: &ScoreConfig,
        report: &Report,
    ) -> gate_core::Result<()> {
        if let Some(file) = &ctx.github.summary_file {
            let table = crate::summary::breakdown(report);
            if !table.is_empty() {
                gate_core::github::sinks::append_summary(file, &table)?;
            }
        }
        Ok(())
    }
}
