//! The report's `details`: the figures behind the metrics, for readers of
//! the JSON report.

use crate::collect::{BaselineState, CoverageInput};
use crate::config::CoverageConfig;

/// Totals, matching, worst files, groups, baseline, diff and diff-cover figures.
pub fn details(input: &CoverageInput, config: &CoverageConfig) -> serde_json::Value {
    serde_json::json!({
        "totals": {
            "lines_measured": input.totals.lines_measured,
            "lines_covered": input.totals.lines_covered,
            "branches_total": input.totals.branches_total,
            "branches_covered": input.totals.branches_covered,
        },
        "report_files": input.matches.report_files,
        "matched_files": input.matches.matched,
        "unmatched_examples": input.matches.unmatched_examples,
        "worst_files": input.files.iter().take(20).map(|f| serde_json::json!({
            "path": f.summary.path, "line_percent": f.summary.line_percent(),
            "lines_measured": f.summary.counts.lines_measured, "lines_covered": f.summary.counts.lines_covered,
        })).collect::<Vec<_>>(),
        "groups": config.groups.iter().zip(&input.groups).map(|(g, t)| serde_json::json!({
            "name": g.name, "files": t.files, "line_percent": t.counts.line_percent(),
            "lines_measured": t.counts.lines_measured, "lines_covered": t.counts.lines_covered,
        })).collect::<Vec<_>>(),
        "baseline": match &input.baseline {
            BaselineState::Found { commit, line_coverage, url } => serde_json::json!({
                "commit": commit, "line_coverage": line_coverage, "url": url,
            }),
            _ => serde_json::Value::Null,
        },
        "diff": input.diff.as_ref().map(|d| serde_json::json!({
            "measured": d.measured, "covered": d.covered, "changed": d.changed,
            "report_measured": d.report_measured, "unmeasured": d.unmeasured,
            "absent_files": d.absent_files.iter().map(|a| a.path.clone()).collect::<Vec<_>>(),
            "absent_lines": d.absent_files.iter().map(|a| serde_json::json!({
                "path": a.path, "lines": a.lines,
            })).collect::<Vec<_>>(),
            "files": d.files.iter().map(|f| serde_json::json!({
                "path": f.path, "measured": f.measured, "covered": f.covered,
                "in_report": f.in_report,
            })).collect::<Vec<_>>(),
        })),
        "diff_cover": input.compat.as_ref().map(|c| serde_json::json!({
            "total_num_lines": c.total_num_lines,
            "total_num_violations": c.total_num_violations,
            "total_percent_covered": c.total_percent_covered,
            "num_changed_lines": c.num_changed_lines,
            "src_stats": c.src_stats.iter().map(|(p, f)| (p.clone(), serde_json::json!({
                "percent_covered": f.percent_covered,
                "violation_lines": f.violation_lines,
                "covered_lines": f.covered_lines,
            }))).collect::<serde_json::Map<_, _>>(),
        })),
    })
}
