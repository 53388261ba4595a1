//! `--compat diff-cover` reproduces diff-cover 11.0.1's JSON figures on the
//! real fixtures in `../shared/fixtures/coverage/` (per file and in total).

#![allow(clippy::unwrap_used)] // test helpers

use std::path::PathBuf;

use gate_coverage::compat::{DcReport, diff_cover};
use gate_coverage::diff::parse_diff_cover;
use gate_coverage::parse_file;
use gate_coverage::paths::PathMapper;

/// The coverage fixtures: present, or the test ends (skipped off CI, failed
/// under CI) before it asserts anything.
fn coverage(dirs: &[&str]) -> Option<PathBuf> {
    for d in dirs {
        testkit::fixture(&format!("coverage/{d}"))?;
    }
    Some(testkit::fixtures_root().join("coverage"))
}

fn run(dir: &str, report: &str, diff: &str) -> DcReport {
    let base = testkit::fixtures_root().join("coverage").join(dir);
    let r = parse_file(&base.join(report)).unwrap();
    let text = std::fs::read(base.join(diff)).unwrap();
    let changes = parse_diff_cover(&base.join(diff), &text).unwrap();
    let mapper = PathMapper::new(vec![], None, vec![]);
    diff_cover(&[r], &mapper, &changes)
}

fn check(dir: &str, report: &str, diff: &str, expected_json: &str) -> (u64, u64, u64) {
    let base = testkit::fixtures_root().join("coverage").join(dir);
    assert!(
        base.exists(),
        "fixture {} (../shared) is required",
        base.display()
    );
    let got = run(dir, report, diff);
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(base.join(expected_json)).unwrap()).unwrap();
    let ctx = format!("{dir}/{report} vs {expected_json}");
    assert_eq!(
        got.total_num_lines,
        want["total_num_lines"].as_u64().unwrap(),
        "{ctx}: total_num_lines"
    );
    assert_eq!(
        got.total_num_violations,
        want["total_num_violations"].as_u64().unwrap(),
        "{ctx}: total_num_violations"
    );
    assert_eq!(
        got.total_percent_covered,
        want["total_percent_covered"].as_u64().unwrap(),
        "{ctx}: total_percent_covered"
    );
    assert_eq!(
        got.num_changed_lines,
        want["num_changed_lines"].as_u64().unwrap(),
        "{ctx}: num_changed_lines"
    );
    let stats = want["src_stats"].as_object().unwrap();
    let mut want_paths: Vec<&String> = stats.keys().collect();
    want_paths.sort();
    let got_paths: Vec<&String> = got.src_stats.keys().collect();
    assert_eq!(got_paths, want_paths, "{ctx}: files");
    for (path, w) in stats {
        let g = &got.src_stats[path];
        assert_eq!(
            g.percent_covered,
            w["percent_covered"].as_f64().unwrap(),
            "{ctx}: {path} percent"
        );
        let lines = |v: &serde_json::Value| -> Vec<u32> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| u32::try_from(x.as_u64().unwrap()).unwrap())
                .collect()
        };
        assert_eq!(
            g.violation_lines,
            lines(&w["violation_lines"]),
            "{ctx}: {path} violations"
        );
        if let Some(c) = w.get("covered_lines") {
            assert_eq!(g.covered_lines, lines(c), "{ctx}: {path} covered lines");
        }
    }
    (
        got.total_num_lines,
        got.total_num_violations,
        got.total_percent_covered,
    )
}

#[test]
fn click_cobertura_matches_diff_cover() {
    let Some(_) = coverage(&["click"]) else {
        return;
    };
    let t = check(
        "click",
        "coverage.xml",
        "click-8.1.3..8.1.7.U0.diff",
        "dc_difffile.json",
    );
    assert_eq!(t, (202, 22, 89));
    check(
        "click",
        "coverage.xml",
        "click-8.1.3..8.1.7.U0.diff",
        "dc_coverage.xml.json",
    );
}

#[test]
fn click_lcov_matches_diff_cover() {
    let Some(_) = coverage(&["click"]) else {
        return;
    };
    let t = check(
        "click",
        "coverage.lcov",
        "click-8.1.3..8.1.7.U0.diff",
        "dc_coverage.lcov.json",
    );
    assert_eq!(t, (202, 22, 89));
}

const JS: &[&str] = &[
    "js-semver-c8",
    "js-semver-nyc",
    "js-commander-jest-babel",
    "js-commander-jest-v8",
];

#[test]
fn js_lcov_matches_diff_cover() {
    let Some(_) = coverage(JS) else { return };
    for d in JS {
        check(d, "lcov.info", "feature.U0.diff", "diff-cover.lcov.json");
        check(
            d,
            "lcov.abs.info",
            "feature.U0.diff",
            "diff-cover.lcov.json",
        );
    }
}

#[test]
fn js_cobertura_matches_diff_cover() {
    let Some(_) = coverage(JS) else { return };
    for d in JS {
        check(
            d,
            "cobertura-coverage.xml",
            "feature.U0.diff",
            "diff-cover.cobertura.json",
        );
    }
}

#[test]
fn js_clover_matches_diff_cover() {
    let Some(_) = coverage(JS) else { return };
    for d in JS {
        check(d, "clover.xml", "feature.U0.diff", "diff-cover.clover.json");
    }
}

/// Every real case through the gate's evaluation: the headline, the metrics,
/// the annotated lines and the per-file figures are diff-cover's.
#[test]
fn compat_outputs_show_diff_covers_figures_and_lines() {
    use gate_coverage::config::{Compat, CoverageConfig};
    use gate_coverage::gate::evaluate_files;
    let Some(_) = coverage(&[&["click"][..], JS].concat()) else {
        return;
    };
    let mut cases = vec![
        (
            "click",
            "coverage.xml",
            "click-8.1.3..8.1.7.U0.diff",
            "dc_difffile.json",
        ),
        (
            "click",
            "coverage.xml",
            "click-8.1.3..8.1.7.U0.diff",
            "dc_coverage.xml.json",
        ),
        (
            "click",
            "coverage.lcov",
            "click-8.1.3..8.1.7.U0.diff",
            "dc_coverage.lcov.json",
        ),
    ];
    for d in JS {
        cases.push((d, "lcov.info", "feature.U0.diff", "diff-cover.lcov.json"));
        cases.push((
            d,
            "lcov.abs.info",
            "feature.U0.diff",
            "diff-cover.lcov.json",
        ));
        cases.push((
            d,
            "cobertura-coverage.xml",
            "feature.U0.diff",
            "diff-cover.cobertura.json",
        ));
        cases.push((d, "clover.xml", "feature.U0.diff", "diff-cover.clover.json"));
    }
    for (dir, report, diff, expected) in cases {
        let base = testkit::fixtures_root().join("coverage").join(dir);
        let want: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(base.join(expected)).unwrap()).unwrap();
        let ctx = format!("{dir}/{report} vs {expected}");
        let cfg = CoverageConfig {
            compat: Compat::DiffCover,
            ..CoverageConfig::default()
        };
        let r = evaluate_files(&[&base.join(report)], Some(&base.join(diff)), &cfg).unwrap();
        let measured = want["total_num_lines"].as_u64().unwrap();
        let violations = want["total_num_violations"].as_u64().unwrap();
        let pct = want["total_percent_covered"].as_f64().unwrap();
        assert_eq!(r.metric("diff-coverage").unwrap().value, pct, "{ctx}");
        assert_eq!(
            r.metric("changed-lines-measured").unwrap().value,
            measured as f64,
            "{ctx}"
        );
        assert!(
            r.summary.contains(&format!(
                "({}/{measured} changed lines",
                measured - violations
            )),
            "{ctx}: {}",
            r.summary
        );
        // Annotated lines = diff-cover's violation lines, file by file.
        let mut annotated: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
        for f in r
            .findings
            .iter()
            .filter(|f| f.rule == "uncovered-changed-lines")
        {
            let l = f.location.as_ref().unwrap();
            annotated
                .entry(l.path.clone())
                .or_default()
                .extend(l.start_line.unwrap()..=l.end_line.unwrap());
        }
        let mut expected_lines: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
        for (path, w) in want["src_stats"].as_object().unwrap() {
            let v: Vec<u32> = w["violation_lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| u32::try_from(x.as_u64().unwrap()).unwrap())
                .collect();
            if !v.is_empty() {
                expected_lines.insert(path.clone(), v);
            }
            // Per-file figures are in the output (JSON details).
            let got = &r.details["diff_cover"]["src_stats"][path];
            assert_eq!(
                got["percent_covered"], w["percent_covered"],
                "{ctx}: {path}"
            );
        }
        assert_eq!(annotated, expected_lines, "{ctx}: annotated lines");
    }
}
