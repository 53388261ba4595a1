//! The rules gate-score can emit. Ids are a contract: never rename or
//! remove one (`xtask/published-rules.txt`).
//!
//! Every error is a reason for a no-go, every warning a reason for a
//! go-with-warnings; notes say what was left out and why.

use gate_core::report::{Rule, Rules};

gate_core::rules! {
    /// Rules of gate-score.
    pub enum ScoreRule {
        /// A required gate has no report for this commit.
        RequiredMissing {
            id: "required-missing",
            summary: "A required gate has no report for this commit",
            help: "Run the gate on this commit (a missing report is a no-go, never a pass), or remove it from `score.required`.",
            severity: Error,
        },
        /// A gate's report for this commit failed.
        GateFailed {
            id: "gate-failed",
            summary: "A gate failed on this commit",
            help: "Fix what the gate reported, and run it again; no score outweighs a failed gate.",
            severity: Error,
        },
        /// A report holds a critical vulnerability.
        CriticalVulnerability {
            id: "critical-vulnerability",
            summary: "A critical vulnerability is reported",
            help: "Upgrade or remove the affected package; no score outweighs a critical vulnerability (security severity 9.0 or more).",
            severity: Error,
        },
        /// A gate's report says it checked nothing.
        GateCheckedNothing {
            id: "gate-checked-nothing",
            summary: "A gate checked nothing on this commit",
            help: "Point the gate at real inputs; evidence about nothing is no evidence.",
            severity: Error,
        },
        /// A metric misses its `go` target.
        BelowTarget {
            id: "below-target",
            summary: "A metric misses its go target",
            help: "Improve the metric to its target, or change the input's `go` in `score.inputs`.",
            severity: Error,
        },
        /// A category scores under its minimum.
        CategoryBelowMinimum {
            id: "category-below-minimum",
            summary: "A category scores under its minimum",
            help: "Improve the category's metrics (`--explain` says the smallest change), or lower `score.categories.<name>.min`.",
            severity: Error,
        },
        /// The overall score is under `min-score`.
        ScoreBelowMinimum {
            id: "score-below-minimum",
            summary: "The overall score is under the minimum",
            help: "Improve the evidence (`--explain` says the smallest change), or lower `score.min-score`.",
            severity: Error,
        },
        /// A metric misses its `warn` target.
        BelowWarnTarget {
            id: "below-warn-target",
            summary: "A metric misses its warn target",
            help: "Improve the metric to its target, or change the input's `warn` in `score.inputs`.",
            severity: Warning,
        },
        /// The overall score is under `warn-score`.
        ScoreLow {
            id: "score-low",
            summary: "The overall score is under the warning level",
            help: "Improve the evidence, or lower `score.warn-score`.",
            severity: Warning,
        },
        /// A gate's report for this commit warned.
        GateWarned {
            id: "gate-warned",
            summary: "A gate warned on this commit",
            help: "Read the gate's warnings; they do not stop the release.",
            severity: Warning,
        },
        /// A report was left out: another commit's, or unreadable, or not finished.
        ReportIgnored {
            id: "report-ignored",
            summary: "A report was left out of the decision",
            help: "A report from another commit never counts; run the gate on this commit.",
            severity: Note,
        },
        /// A report lacks a metric an input scores.
        MetricMissing {
            id: "metric-missing",
            summary: "A report lacks a scored metric",
            help: "The input is left out of the score; check `score.inputs[].metric` against the gate's report.",
            severity: Note,
        },
        /// `--explain`: the smallest change that would turn the no-go into a go.
        SmallestChange {
            id: "smallest-change",
            summary: "What would turn this no-go into a go",
            help: "Make the change, run the gates again, and decide again.",
            severity: Note,
        },
    }
}

/// Every rule, for SARIF and the docs.
pub const RULES: &[Rule] = <ScoreRule as Rules>::ALL;
