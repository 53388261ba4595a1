//! Path groups (monorepo components) and the per-directory chart.

use gate_core::report::{Chart, Finding, Metric, Report, Series, SeriesKind, Severity};

use super::threshold::at_least;
use crate::collect::{CoverageInput, group_slug};
use crate::config::CoverageConfig;
use crate::model::Counts;
use crate::rules::CoverageRule;

/// Group metrics: `group-<name>-line-coverage` against each group's
/// `min-total`, and a chart of them.
pub fn metrics(r: &mut Report, input: &CoverageInput, config: &CoverageConfig) {
    if config.groups.is_empty() {
        return;
    }
    let mut xs = Vec::new();
    let mut values = Vec::new();
    for (g, t) in config.groups.iter().zip(&input.groups) {
        let slug = group_slug(&g.name);
        let Some(p) = t.counts.line_percent() else {
            r.findings.push(Finding::new(
                CoverageRule::GroupNotMeasured,
                Severity::Warning,
                format!(
                    "group {}: no measured line in any file matching {}; check its `paths` globs",
                    g.name,
                    g.paths.join(", ")
                ),
            ).with_key(slug));
            continue;
        };
        let mut m = Metric::info(format!("group-{slug}-line-coverage"), p, "%");
        if let Some(min) = g.min_total.map(|p| p.get()) {
            m = m.with_threshold(at_least(min));
            if p < min {
                r.findings.push(Finding::new(
                    CoverageRule::GroupBelowMinimum,
                    Severity::Error,
                    format!(
                        "group {}: line coverage {p:.2}% ({}/{} lines in {} files) is below its minimum {min}%",
                        g.name, t.counts.lines_covered, t.counts.lines_measured, t.files
                    ),
                ).with_key(slug.clone()));
            }
        }
        r.metrics.push(m);
        xs.push(g.name.clone());
        values.push((p * 100.0).round() / 100.0);
    }
    if !xs.is_empty() {
        r.charts.push(Chart {
            y_max: Some(100.0),
            title: "Line coverage per group".into(),
            x_label: "group".into(),
            y_label: "line coverage (%)".into(),
            x: xs,
            series: vec![Series {
                name: "line coverage".into(),
                kind: SeriesKind::Bar,
                values,
            }],
        });
    }
}

/// Directories the per-directory chart shows at most (the largest by measured lines).
pub const CHART_DIRECTORIES: usize = 12;

/// Without configured groups, the top-level directories are the groups a
/// reader looks for: a bar chart of line coverage per top-level directory
/// (files at the root as `(root)`), when there are at least two.
pub fn directory_chart(r: &mut Report, input: &CoverageInput) {
    let mut dirs: std::collections::BTreeMap<&str, Counts> = std::collections::BTreeMap::new();
    for e in &input.files {
        let p = e.summary.path.as_str();
        let top = p.split_once('/').map_or("(root)", |(t, _)| t);
        dirs.entry(top).or_default().add(&e.summary.counts);
    }
    dirs.retain(|_, c| c.lines_measured > 0);
    if dirs.len() < 2 {
        return;
    }
    let mut largest: Vec<(&str, Counts)> = dirs.into_iter().collect();
    largest.sort_by(|a, b| {
        b.1.lines_measured
            .cmp(&a.1.lines_measured)
            .then(a.0.cmp(b.0))
    });
    largest.truncate(CHART_DIRECTORIES);
    largest.sort_by(|a, b| a.0.cmp(b.0));
    let values = largest
        .iter()
        .map(|(_, c)| (c.line_percent().unwrap_or(0.0) * 100.0).round() / 100.0)
        .collect();
    r.charts.push(Chart {
        y_max: Some(100.0),
        title: "Line coverage per top-level directory".into(),
        x_label: "directory".into(),
        y_label: "line coverage (%)".into(),
        x: largest.iter().map(|(d, _)| (*d).to_string()).collect(),
        series: vec![Series {
            name: "line coverage".into(),
            kind: SeriesKind::Bar,
            values,
        }],
    });
}
