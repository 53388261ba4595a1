//! The gate's evaluation on the real click fixture, without git.

#![allow(clippy::unwrap_used)] // test helpers

use gate_core::report::Verdict;
use gate_core::types::Percent;
use gate_coverage::config::{Compat, CoverageConfig};
use gate_coverage::gate::evaluate_files;

#[test]
fn click_gate_figures_and_verdicts() {
    let dir = testkit::fixture!("coverage/click");
    let diff = dir.join("click-8.1.3..8.1.7.U0.diff");
    for report in ["coverage.xml", "coverage.lcov"] {
        let mut cfg = CoverageConfig {
            diff: Some(Percent(80.0)),
            total: Some(Percent(85.0)),
            compat: Compat::DiffCover,
            ..CoverageConfig::default()
        };
        let r = evaluate_files(&[&dir.join(report)], Some(&diff), &cfg).unwrap();
        assert_eq!(r.metric("diff-coverage").unwrap().value, 89.0, "{report}");
        assert_eq!(r.metric("changed-lines-measured").unwrap().value, 202.0);
        assert_eq!(r.metric("diff-coverage").unwrap().verdict, Verdict::Pass);
        assert_eq!(
            r.metric("line-coverage").unwrap().verdict,
            Verdict::Fail,
            "81% < 85%"
        );
        assert_eq!(r.verdict, Verdict::Fail);
        // Own figure: same lines as diff-cover on this real diff (tests/ is not measured, so not counted).
        cfg.compat = Compat::None;
        cfg.total = None;
        let r = evaluate_files(&[&dir.join(report)], Some(&diff), &cfg).unwrap();
        let d = r.metric("changed-lines-measured").unwrap().value;
        assert_eq!(d, 202.0, "{report}");
        assert_eq!(
            r.verdict,
            Verdict::Warn,
            "uncovered changed lines are warnings"
        );
        let uncovered: usize = r
            .findings
            .iter()
            .filter(|f| f.rule == "uncovered-changed-lines")
            .map(|f| {
                let l = f.location.as_ref().unwrap();
                (l.end_line.unwrap() - l.start_line.unwrap() + 1) as usize
            })
            .sum();
        assert_eq!(uncovered, 22);
    }
}

#[test]
fn bad_report_is_an_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("empty.xml");
    std::fs::write(&p, "").unwrap();
    let e = evaluate_files(&[&p], None, &CoverageConfig::default()).unwrap_err();
    assert_eq!(e.exit_code(), gate_core::ExitCode::Input);
    assert!(e.to_string().contains("empty"), "{e}");
}

/// Without groups, the summary charts line coverage per top-level directory
/// (semver: the root, bin/, classes/, functions/, internal/, ranges/),
/// figures summed independently from the LCOV file's own LF/LH lines.
#[test]
fn directory_chart_on_semver() {
    let lcov = testkit::fixture!("coverage/js-semver-c8/lcov.info");
    let click = testkit::fixture!("coverage/click/coverage.lcov");
    let text = std::fs::read_to_string(&lcov).unwrap();
    let mut want: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut dir = String::new();
    for l in text.lines() {
        if let Some(p) = l.strip_prefix("SF:") {
            dir = p.split_once('/').map_or("(root)", |(t, _)| t).to_string();
        } else if let Some(n) = l.strip_prefix("LF:") {
            want.entry(dir.clone()).or_default().0 += n.parse::<u64>().unwrap();
        } else if let Some(n) = l.strip_prefix("LH:") {
            want.entry(dir.clone()).or_default().1 += n.parse::<u64>().unwrap();
        }
    }
    want.retain(|_, (lf, _)| *lf > 0);
    assert!(want.len() >= 2);
    let r = evaluate_files(&[&lcov], None, &CoverageConfig::default()).unwrap();
    let chart = r
        .charts
        .iter()
        .find(|c| c.title == "Line coverage per top-level directory")
        .expect("a directory chart");
    let x: Vec<&String> = want.keys().collect();
    assert_eq!(chart.x.iter().collect::<Vec<_>>(), x);
    for ((d, (lf, lh)), v) in want.iter().zip(&chart.series[0].values) {
        let p = (*lh as f64 / *lf as f64 * 100.0 * 100.0).round() / 100.0;
        assert_eq!(*v, p, "{d}");
    }
    // With groups configured, the group chart replaces it.
    let cfg: CoverageConfig = serde_json::from_value(serde_json::json!({
        "groups": [{"name": "ranges", "paths": ["ranges/**"]}]
    }))
    .unwrap();
    let r = evaluate_files(&[&lcov], None, &cfg).unwrap();
    let titles: Vec<&str> = r.charts.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles, ["Line coverage per group"]);
    // One directory (click: src/ only): no chart.
    let r = evaluate_files(&[&click], None, &CoverageConfig::default()).unwrap();
    assert!(r.charts.is_empty());
}
