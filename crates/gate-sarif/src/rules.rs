//! The rules gate-sarif can emit. Ids are a contract: never rename or
//! remove one (`xtask/published-rules.txt`).

use gate_core::report::{Rule, Rules};

gate_core::rules! {
    /// Rules of gate-sarif.
    pub enum SarifRule {
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
        /// A SARIF result from a tool, at its mapped severity.
        Result {
            id: "result",
            summary: "A tool reported a SARIF result",
            help: "Fix the code the tool points at, or suppress the result in the tool.",
            severity: Warning,
        },
    }
}

/// Every rule, for SARIF and the docs.
pub const RULES: &[Rule] = <SarifRule as Rules>::ALL;
