//! Cross-format checks on the real JS fixtures: the Istanbul JSON, LCOV,
//! Cobertura and Clover files written by one test run give the same line
//! coverage once paths are mapped.

#![allow(clippy::unwrap_used)] // test helpers

use std::path::Path;

use gate_coverage::model::Counts;
use gate_coverage::parse_file;
use gate_coverage::paths::{PathMapper, map_reports};

fn totals(dir: &Path, name: &str) -> (Counts, gate_coverage::Format) {
    let r = parse_file(&dir.join(name)).unwrap();
    let f = r.format;
    let (map, stats) = map_reports(vec![r], &PathMapper::new(vec![], None, vec![]));
    assert_eq!(stats.matched, stats.report_files);
    (map.totals(), f)
}

#[test]
fn js_formats_agree_on_line_coverage() {
    for d in [
        "js-semver-c8",
        "js-semver-nyc",
        "js-commander-jest-babel",
        "js-commander-jest-v8",
    ] {
        let dir = testkit::fixture!(&format!("coverage/{d}"));
        let (lcov, f) = totals(&dir, "lcov.info");
        assert_eq!(f, gate_coverage::Format::Lcov);
        let (abs, _) = totals(&dir, "lcov.abs.info");
        let (cob, f) = totals(&dir, "cobertura-coverage.xml");
        assert_eq!(f, gate_coverage::Format::Cobertura);
        let (clo, f) = totals(&dir, "clover.xml");
        assert_eq!(f, gate_coverage::Format::Clover);
        let (ist, f) = totals(&dir, "coverage-final.json");
        assert_eq!(f, gate_coverage::Format::Istanbul);
        let lines = |c: &Counts| (c.lines_measured, c.lines_covered);
        assert_eq!(lines(&lcov), lines(&abs), "{d}");
        assert_eq!(lines(&lcov), lines(&cob), "{d} cobertura");
        assert_eq!(lines(&lcov), lines(&clo), "{d} clover");
        assert_eq!(lines(&lcov), lines(&ist), "{d} istanbul");
        assert_eq!(
            (lcov.branches_total, lcov.branches_covered),
            (ist.branches_total, ist.branches_covered),
            "{d} branches"
        );
        // Istanbul's Clover output: each `cond` line's truecount/falsecount
        // are its branches taken/not taken (summed here from the text).
        let text = std::fs::read_to_string(dir.join("clover.xml")).unwrap();
        let attr = |line: &str, k: &str| -> Option<u64> {
            let at = line.find(&format!(" {k}=\""))? + k.len() + 3;
            line[at..].split('"').next()?.parse().ok()
        };
        let (mut total, mut taken) = (0, 0);
        for l in text.lines().filter(|l| l.contains("type=\"cond\"")) {
            let t = attr(l, "truecount").unwrap();
            total += t + attr(l, "falsecount").unwrap();
            taken += t;
        }
        assert_eq!(
            (clo.branches_total, clo.branches_covered),
            (total, taken),
            "{d} clover branches"
        );
        // Where every branch sits on a statement line (c8, V8), that is the
        // file's own project metrics and the same run's LCOV.
        if d == "js-semver-c8" || d == "js-commander-jest-v8" {
            let project = text
                .lines()
                .find(|l| l.trim_start().starts_with("<metrics"))
                .unwrap();
            let own = (
                attr(project, "conditionals").unwrap(),
                attr(project, "coveredconditionals").unwrap(),
            );
            assert_eq!((total, taken), own, "{d}");
            assert_eq!((lcov.branches_total, lcov.branches_covered), own, "{d}");
        }
        // Istanbul's own summary.
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("coverage-summary.json")).unwrap(),
        )
        .unwrap();
        let t = &summary["total"]["lines"];
        assert_eq!(
            lines(&ist),
            (t["total"].as_u64().unwrap(), t["covered"].as_u64().unwrap()),
            "{d} summary"
        );
        let b = &summary["total"]["branches"];
        assert_eq!(
            (ist.branches_total, ist.branches_covered),
            (b["total"].as_u64().unwrap(), b["covered"].as_u64().unwrap()),
            "{d} summary branches"
        );
    }
}

/// The command: Istanbul's Clover output of semver (c8) holds its
/// branch minimum like the same run's LCOV does (974/976, not 726/1452).
#[test]
fn istanbul_clover_branch_minimum_through_the_binary() {
    let dir = testkit::fixture!("coverage/js-semver-c8");
    let run = |report: &str| {
        let out = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-coverage"))
            .current_dir(&dir)
            .args(["--report", report, "--min-branch", "80", "--no-record"])
            .args(["--format", "json"])
            .output()
            .unwrap();
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let branch = j["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "branch-coverage")
            .unwrap()["value"]
            .as_f64()
            .unwrap();
        (out.status.code(), branch)
    };
    let (code, clover) = run("clover.xml");
    let (lcov_code, lcov) = run("lcov.info");
    assert_eq!(clover, lcov);
    assert_eq!(clover, 974.0 / 976.0 * 100.0);
    assert_eq!((code, lcov_code), (Some(0), Some(0)));
}
