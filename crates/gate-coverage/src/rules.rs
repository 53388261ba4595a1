//! The rules of gate-coverage: every rule id a finding of this gate can carry.

use gate_core::report::{Rule, Rules};

gate_core::rules! {
    /// Rules of gate-coverage, in the order of the published `RULES`.
    pub enum CoverageRule {
        /// Changed lines that no test executes.
        UncoveredChangedLines {
            id: "uncovered-changed-lines",
            summary: "Changed lines that no test executes",
            help: "Add tests that run these lines, or exclude generated files with `exclude`.",
            severity: Warning,
        },
        /// A changed source file is absent from every coverage report.
        ChangedFileNotInReport {
            id: "changed-file-not-in-report",
            summary: "A changed source file is absent from every coverage report",
            help: "Make the coverage tool measure this file (its include/source settings), or set `absent-files: ignore`.",
            severity: Warning,
        },
        /// A file's line coverage is below `min-file`.
        FileBelowMinimum {
            id: "file-below-minimum",
            summary: "A file's line coverage is below `min-file`",
            help: "Add tests for this file or lower its threshold.",
            severity: Error,
        },
        /// Few report paths match files tracked in the repository.
        ReportPathsUnmatched {
            id: "report-paths-unmatched",
            summary: "Few report paths match files tracked in the repository",
            help: "Map the report's paths with `--path-map FROM=TO` (e.g. /app/=src/).",
            severity: Error,
        },
        /// Total line coverage fell more than `max-drop` points below the base commit's.
        CoverageDropped {
            id: "coverage-dropped",
            summary: "Total line coverage fell more than `max-drop` points below the base commit's",
            help: "Add tests for the code this change adds or stops testing, or raise `max-drop` deliberately.",
            severity: Error,
        },
        /// No coverage report is recorded for the base commit, so the drop check was skipped.
        BaselineMissing {
            id: "baseline-missing",
            summary: "No coverage report is recorded for the base commit, so the drop check was skipped",
            help: "Run the gate on the base branch (push builds) so it records a report there; the check run `gates/coverage` keeps it.",
            severity: Note,
        },
        /// A path group's line coverage is below its `min-total`.
        GroupBelowMinimum {
            id: "group-below-minimum",
            summary: "A path group's line coverage is below its `min-total`",
            help: "Add tests for the group's files or lower the group's threshold.",
            severity: Error,
        },
        /// No measured line matches a path group's globs.
        GroupNotMeasured {
            id: "group-not-measured",
            summary: "No measured line matches a path group's globs",
            help: "Check the group's `paths` globs against repository paths (e.g. `services/api/**`).",
            severity: Warning,
        },
        /// Total line, branch or diff coverage is below its minimum (`min-total`, `min-branch`, `min-diff`).
        CoverageBelowMinimum {
            id: "coverage-below-minimum",
            summary: "Total line, branch or diff coverage is below its minimum (`min-total`, `min-branch`, `min-diff`)",
            help: "Add tests for the uncovered lines the other findings list, or lower the threshold deliberately.",
            severity: Error,
        },
        /// One of the files with the lowest line coverage.
        WorstFile {
            id: "worst-file",
            summary: "One of the files with the lowest line coverage",
            help: "Information for the summary: the files where tests would add the most.",
            severity: Note,
        },
        /// Too few measured changed lines for the diff threshold.
        DiffTooSmall {
            id: "diff-too-small",
            summary: "Too few measured changed lines for the diff threshold",
            help: "Nothing to do: the diff threshold applies from `minimum-changed-lines` measured lines.",
            severity: Note,
        },
    }
}

/// Every rule of the gate, as the runner, SARIF and the docs list them.
pub const RULES: &[Rule] = <CoverageRule as Rules>::ALL;
