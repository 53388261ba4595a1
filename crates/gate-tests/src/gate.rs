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

    fn evaluate(input: &TestsInput, config: &TestsConfig) -> Report {
        crate::evaluate::evaluate(input, config)
    }
}
