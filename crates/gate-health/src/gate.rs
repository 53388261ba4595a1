//! The `Gate` glue: [`HealthGate`] delegates to [`crate::collect`] and
//! [`crate::evaluate`].

use gate_core::report::Rule;
use gate_core::{Context, Gate, Report};

pub use crate::collect::HealthInput;
pub use crate::config::{HealthArgs, HealthConfig};

pub use crate::collect::{Mode, ProbeInfo, build_probes};
pub use crate::evaluate::{evaluate, failure_reason, metric_ids, slug};
pub use crate::rules::RULES;

/// The health gate.
#[derive(Debug)]
pub struct HealthGate;

impl Gate for HealthGate {
    const ID: &'static str = "health";
    const ABOUT: &'static str = "Probe HTTP(S), TCP, DNS and commands with gatus-style conditions and latency budgets; once, until healthy (--wait), or watching (--watch)";
    const RULES: &'static [Rule] = RULES;
    type Config = HealthConfig;
    type Args = HealthArgs;
    type Input = HealthInput;

    async fn collect(
        ctx: &Context,
        config: &HealthConfig,
        args: &HealthArgs,
    ) -> gate_core::Result<HealthInput> {
        crate::collect::collect(ctx, config, args).await
    }

    fn evaluate(input: &HealthInput, _config: &HealthConfig) -> Report {
        evaluate(input)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        let failing: Vec<String> = report
            .details
            .get("probes")
            .and_then(|p| p.as_array())
            .map(|list| {
                list.iter()
                    .filter(|p| p.get("health").and_then(|h| h.as_str()) == Some("failing"))
                    .filter_map(|p| p.get("name").and_then(|n| n.as_str()).map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let p95 = report
            .metric("p95-ms")
            .map(|m| gate_core::report::format_number(m.value))
            .unwrap_or_default();
        vec![
            ("healthy".into(), failing.is_empty().to_string()),
            ("failing".into(), failing.join(",")),
            ("p95-ms".into(), p95),
        ]
    }
}
