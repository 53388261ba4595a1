//! Per-file checks: the per-file minimums and the worst files.

use gate_core::report::{Finding, Location, Report, Severity};

use crate::collect::CoverageInput;
use crate::config::CoverageConfig;
use crate::rules::CoverageRule;

/// How many of the worst files the report lists (notes, for the summary table).
pub const WORST_FILES: usize = 10;

/// `file-below-minimum`: each judged file against the strictest of its
/// groups' `min-file` and the top-level `min-file`.
pub fn below_minimum(r: &mut Report, input: &CoverageInput, config: &CoverageConfig) {
    for e in input.files.iter().filter(|e| e.judged) {
        // The strictest group minimum wins over the top-level `min-file`.
        let group_min = e
            .groups
            .iter()
            .filter_map(|&g| {
                let group = config.groups.get(g)?;
                group.min_file.map(|m| (m.get(), group.name.as_str()))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let (min, group) = match group_min {
            Some((m, name)) => (m, Some(name)),
            None => match config.per_file.map(|p| p.get()) {
                Some(m) => (m, None),
                None => continue,
            },
        };
        let f = &e.summary;
        if let Some(p) = f.line_percent().filter(|p| *p < min) {
            let whose = group.map(|g| format!(" (group {g})")).unwrap_or_default();
            r.findings.push(
                Finding::new(
                    CoverageRule::FileBelowMinimum,
                    Severity::Error,
                    format!(
                        "line coverage {p:.2}% ({}/{} lines) is below the minimum {min}%{whose}",
                        f.counts.lines_covered, f.counts.lines_measured
                    ),
                )
                .at(Location::file(f.path.clone())),
            );
        }
    }
}

/// The files with the lowest line coverage, as notes (the summary's table).
pub fn worst(r: &mut Report, input: &CoverageInput) {
    let worst = input
        .files
        .iter()
        .filter(|e| e.judged)
        .filter(|e| e.summary.line_percent().is_some_and(|p| p < 100.0))
        .take(WORST_FILES);
    for (rank, e) in worst.enumerate() {
        let f = &e.summary;
        let p = f.line_percent().unwrap_or(0.0);
        r.findings.push(
            Finding::new(
                CoverageRule::WorstFile,
                Severity::Note,
                format!(
                    "#{}: {} has line coverage {p:.2}% ({}/{} lines)",
                    rank + 1,
                    f.path,
                    f.counts.lines_covered,
                    f.counts.lines_measured
                ),
            )
            // Findings sort by key among notes without a location: the rank
            // first keeps them worst first (then by path, as ranked).
            .with_key(format!("{:02}:{}", rank + 1, f.path)),
        );
    }
}
