//! The `Gate` impl: gate-tests's identity and its parts put together.

use gate_core::report::{Report, Rule};
use gate_core::{Context, Gate};

use crate::collect::{self, TestsInput};
use crate::config::{TestsArgs, TestsConfig};

/// The tests gate.
#[derive(Debug)]
pub struct TestsGate;

impl Gate for TestsGate {
    const ID: &'static str = "tests";
    const ABOUT: &'static str =
        "Gate on test results: JUnit XML reports, failures, flaky and quarantined tests";
    const RULES: &'static [Rule] = crate::rules::RULES;
    const WORKER_THREADS: usize = 0;
    type Config = TestsConfig;
    type Args = TestsArgs;
    type Input = TestsInput;

    async fn collect(
        ctx: &Context,
        config: &TestsConfig,
        _args: &TestsArgs,
    ) -> gate_core::Result<TestsInput> {
        collect::collect(ctx, config)
    }

    /// `passed`, `failed`, `flaky` and `skipped`: counts of testcases.
    fn outputs(report: &Report) -> Vec<(String, String)> {
        ["passed", "failed", "flaky", "skipped"]
            .into_iter()
            .map(|k| {
                let v = report.details.get(k).and_then(|v| v.as_u64());
                (k.to_owned(), v.map(|n| n.to_string()).unwrap_or_default())
            })
            .collect()
    }

    fn evaluate(input: &TestsInput, config: &TestsConfig) -> Report {
        crate::evaluate::evaluate(input, config)
    }
}
