//! Cross-format checks on the real JS fixtures: the Istanbul JSON, LCOV,
//! Cobertura and Clover files written by one test run give the same line
//! coverage once paths are mapped.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers

use std::path::{Path, PathBuf};

use gate_coverage::model::Counts;
use gate_coverage::parse_file;
use gate_coverage::paths::{PathMapper, map_reports};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/coverage")
}

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
        let dir = fixtures().join(d);
        if !dir.exists() {
            eprintln!("skipping: {} not found", dir.display());
            return;
        }
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
