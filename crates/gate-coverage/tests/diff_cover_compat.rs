//! `--compat diff-cover` reproduces diff-cover 11.0.1's JSON figures on the
//! real fixtures in `../shared/fixtures/coverage/` (per file and in total).

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers

use std::path::{Path, PathBuf};

use gate_coverage::compat::{DcReport, diff_cover};
use gate_coverage::diff::parse_diff_cover;
use gate_coverage::parse_file;
use gate_coverage::paths::PathMapper;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/coverage")
}

fn run(dir: &str, report: &str, diff: &str) -> DcReport {
    let base = fixtures().join(dir);
    let r = parse_file(&base.join(report)).unwrap();
    let text = std::fs::read(base.join(diff)).unwrap();
    let changes = parse_diff_cover(&base.join(diff), &text).unwrap();
    let mapper = PathMapper::new(vec![], None, vec![]);
    diff_cover(&[r], &mapper, &changes)
}

fn check(dir: &str, report: &str, diff: &str, expected_json: &str) -> (u64, u64, u64) {
    let base = fixtures().join(dir);
    if !base.exists() {
        eprintln!("skipping: {} not found", base.display());
        return (0, 0, 0);
    }
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
    let t = check(
        "click",
        "coverage.xml",
        "click-8.1.3..8.1.7.U0.diff",
        "dc_difffile.json",
    );
    if t != (0, 0, 0) {
        assert_eq!(t, (202, 22, 89));
    }
    check(
        "click",
        "coverage.xml",
        "click-8.1.3..8.1.7.U0.diff",
        "dc_coverage.xml.json",
    );
}

#[test]
fn click_lcov_matches_diff_cover() {
    let t = check(
        "click",
        "coverage.lcov",
        "click-8.1.3..8.1.7.U0.diff",
        "dc_coverage.lcov.json",
    );
    if t != (0, 0, 0) {
        assert_eq!(t, (202, 22, 89));
    }
}

const JS: &[&str] = &[
    "js-semver-c8",
    "js-semver-nyc",
    "js-commander-jest-babel",
    "js-commander-jest-v8",
];

#[test]
fn js_lcov_matches_diff_cover() {
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
    for d in JS {
        check(d, "clover.xml", "feature.U0.diff", "diff-cover.clover.json");
    }
}
