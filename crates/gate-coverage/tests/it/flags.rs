//! Flags generated from the `coverage` schema: a bad value is a usage error
//! naming the flag, `--report` keeps its spelling and splits on commas, and
//! glob lists given through `GATES_COVERAGE_*` are split on lines only (a
//! `{a,b}` glob holds a comma).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

fn head_report(r: &Repo) {
    lcov(
        &r.path().join("head.lcov"),
        &[("src/a.py", &lines(12, 6)), ("src/b.py", &lines(10, 8))],
    );
}

fn below_minimum_paths(j: &serde_json::Value) -> Vec<String> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "file-below-minimum")
        .map(|f| f["location"]["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_percent_flag_above_100_exits_2_naming_the_flag() {
    let r = repo();
    head_report(&r);
    let out = run(r.path(), &["--report", "head.lcov", "--min-total", "120"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--min-total"), "{}", out.stderr);
    assert!(out.stderr.contains("coverage.min-total"), "{}", out.stderr);
}

#[test]
fn max_drop_is_percentage_points_from_0_to_100() {
    let r = repo();
    head_report(&r);
    let out = run(r.path(), &["--report", "head.lcov", "--max-drop", "101"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--max-drop"), "{}", out.stderr);
}

#[test]
fn a_bad_min_matched_files_in_gates_yml_is_a_located_config_error() {
    let r = repo();
    head_report(&r);
    std::fs::write(
        r.path().join("gates.yml"),
        "coverage:\n  min-matched-files: 150\n",
    )
    .unwrap();
    let out = run(r.path(), &["--report", "head.lcov"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("gates.yml:2:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("coverage.min-matched-files"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_percent_flag_accepts_a_percent_sign() {
    let r = repo();
    head_report(&r);
    let out = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            "main",
            "--format",
            "json",
            "--min-file",
            "85%",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(below_minimum_paths(&out.json()), ["src/a.py", "src/b.py"]);
}

#[test]
fn report_flag_keeps_its_spelling_and_splits_on_commas() {
    let r = repo();
    head_report(&r);
    lcov(&r.path().join("more.lcov"), &[("src/a.py", &lines(12, 12))]);
    let out = run(
        r.path(),
        &[
            "--report",
            "head.lcov,more.lcov",
            "--base",
            "main",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // src/a.py fully covered by the second report: 12/12 + 8/10.
    assert_eq!(metric(&out.json(), "line-coverage"), Some(pct(20, 22)));
}

#[test]
fn include_from_the_environment_keeps_a_brace_glob_with_a_comma_whole() {
    let r = repo();
    head_report(&r);
    let out = finish(
        gate(r.path())
            .args([
                "--report",
                "head.lcov",
                "--base",
                "main",
                "--format",
                "json",
                "--min-file",
                "85",
            ])
            .env("GATES_COVERAGE_INCLUDE", "src/{b,c}.py")
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(below_minimum_paths(&out.json()), ["src/b.py"]);
}

#[test]
fn exclude_from_the_environment_is_split_on_lines() {
    let r = repo();
    head_report(&r);
    let out = finish(
        gate(r.path())
            .args([
                "--report",
                "head.lcov",
                "--base",
                "main",
                "--format",
                "json",
                "--min-file",
                "85",
            ])
            .env("GATES_COVERAGE_EXCLUDE", "src/{a,c}.py\nsrc/z.py")
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(below_minimum_paths(&out.json()), ["src/b.py"]);
}
