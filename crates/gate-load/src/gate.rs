//! The `Gate` glue: [`LoadGate`] delegates to [`crate::collect`] and
//! [`crate::evaluate`].

use gate_core::report::{Rule, format_number};
use gate_core::{Context, Gate, Report};

pub use crate::build::{parse_thresholds, scenario_from_config};
pub use crate::collect::{LoadInput, read_shards};
pub use crate::config::{
    EndpointConfig, LoadArgs, LoadCommand, LoadConfig, ModelChoice, Profile, StageConfig,
};
pub use crate::evaluate::{evaluate, slug};
pub use crate::rules::RULES;
pub use crate::threshold::Scoped;

/// The load gate.
#[derive(Debug)]
pub struct LoadGate;

impl Gate for LoadGate {
    const ID: &'static str = "load";
    const ABOUT: &'static str = "Load test with k6-style thresholds: closed and open models (no coordinated omission), HDR histograms that merge exactly across shards";
    const RULES: &'static [Rule] = RULES;
    type Config = LoadConfig;
    type Args = LoadArgs;
    type Input = LoadInput;

    async fn collect(
        ctx: &Context,
        config: &LoadConfig,
        args: &LoadArgs,
    ) -> gate_core::Result<LoadInput> {
        crate::collect::collect(ctx, config, args).await
    }

    fn evaluate(input: &LoadInput, _config: &LoadConfig) -> Report {
        evaluate(input)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        let get = |n: &str| {
            report
                .metric(n)
                .map(|m| format_number(m.value))
                .unwrap_or_default()
        };
        vec![
            ("rps".into(), get("rps")),
            ("p95-ms".into(), get("latency-p95")),
            ("error-rate".into(), get("error-rate")),
        ]
    }
}
