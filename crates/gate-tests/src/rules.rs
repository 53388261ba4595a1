//! The rules gate-tests can emit. Ids are a contract: never rename or
//! remove one (`xtask/published-rules.txt`).

use gate_core::report::{Rule, Rules};

gate_core::rules! {
    /// Rules of gate-tests.
    pub enum TestsRule {
        /// An input file is missing.
        InputMissing {
            id: "input-missing",
            summary: "An input file is missing",
            help: "Create the file, or remove it from `inputs`.",
            severity: Error,
        },
        /// An input file is larger than `max-bytes`.
        InputTooLarge {
            id: "input-too-large",
            summary: "An input file is larger than allowed",
            help: "Shrink the file, or raise `max-bytes`.",
            severity: Error,
        },
        /// A test failed or errored.
        TestFailed {
            id: "test-failed",
            summary: "A test failed",
            help: "Fix the test or the code it tests; the message is the runner's.",
            severity: Error,
        },
        /// Fewer tests ran than `min-tests`.
        TooFewTests {
            id: "too-few-tests",
            summary: "Too few tests ran",
            help: "Check that the test step ran and wrote its JUnit report, or lower `min-tests`.",
            severity: Error,
        },
        /// More tests were skipped than `max-skipped-ratio` allows.
        TooManySkipped {
            id: "too-many-skipped",
            summary: "Too many tests were skipped",
            help: "Re-enable skipped tests, or raise `max-skipped-ratio`.",
            severity: Error,
        },
        /// A test passed only on a retry.
        FlakyTest {
            id: "flaky-test",
            summary: "A test passed only on a retry",
            help: "Make the test deterministic; `fail-on-flaky: true` makes this an error.",
            severity: Warning,
        },
    }
}

/// Every rule, for SARIF and the docs.
pub const RULES: &[Rule] = <TestsRule as Rules>::ALL;
