//! The gate's evaluation on the real click fixture, without git.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test helpers

use std::path::{Path, PathBuf};

use gate_core::report::Verdict;
use gate_coverage::gate::{Compat, CoverageConfig, evaluate_files};

fn click() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/coverage/click")
}

#[test]
fn click_gate_figures_and_verdicts() {
    let dir = click();
    if !dir.exists() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let diff = dir.join("click-8.1.3..8.1.7.U0.diff");
    for report in ["coverage.xml", "coverage.lcov"] {
        let mut cfg = CoverageConfig {
            diff: Some(80.0),
            total: Some(85.0),
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
