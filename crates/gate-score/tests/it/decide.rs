//! gate-score over real reports made by this repository's gates
//! (`tests/data/make.sh`), through the local ledger and `--report` files:
//! the decision, every veto, recency and staleness, `--explain`.

use crate::common;

use common::*;
use gate_core::ExitCode;

/// Linear interpolation through `points`, flat beyond the ends: the
/// documented curves (docs/gates/score.md), computed here independently.
fn curve(points: &[(f64, f64)], x: f64) -> f64 {
    if x <= points[0].0 {
        return points[0].1;
    }
    for w in points.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if x <= x1 {
            return y0 + (x - x0) / (x1 - x0) * (y1 - y0);
        }
    }
    points[points.len() - 1].1
}

const COVERAGE: &[(f64, f64)] = &[(0.0, 0.0), (50.0, 30.0), (80.0, 80.0), (100.0, 100.0)];

#[test]
fn the_whole_pipeline_recorded_is_a_go_with_the_gates_warnings() {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    let run = score(dir.path(), &[]);
    assert_eq!(run.code, ExitCode::Pass, "{}", run.stderr);
    let j = run.json();
    assert_eq!(j["details"]["decision"], "go-with-warnings");
    assert_eq!(j["verdict"], "warn");
    assert!(rules(&j, "error").is_empty(), "{j:#}");
    // The examples' coverage and audit warn (an uncovered changed line,
    // unmaintained crates): each is a reason, nothing else is.
    let mut warned = messages(&j, "gate-warned");
    warned.sort();
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert!(warned[0].starts_with("gate-audit warned"), "{warned:?}");
    assert!(warned[1].starts_with("gate-coverage warned"), "{warned:?}");

    // Quality and security from the reports' own metrics, by the curves.
    let cov = report("coverage");
    let quality = (curve(COVERAGE, value(&cov, "line-coverage"))
        + 2.0 * curve(COVERAGE, value(&cov, "diff-coverage")))
        / 3.0;
    let sbom = report("sbom");
    let security = (3.0 * value(&report("audit"), "security-score")
        + value(&sbom, "hash-coverage")
        + value(&sbom, "license-coverage")
        + value(&sbom, "purl-coverage"))
        / 6.0;
    let round = |v: f64| (v * 10.0).round() / 10.0;
    assert_eq!(metric(&j, "quality-score"), Some(round(quality)));
    assert_eq!(metric(&j, "security-score"), Some(round(security)));
    assert!(metric(&j, "performance-score").unwrap() > 75.0);
    // No deploy yet: reliability has no evidence and is left out.
    assert_eq!(metric(&j, "reliability-score"), None);
    let contributions: f64 = j["details"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["contribution"].as_f64().unwrap())
        .sum();
    assert!(
        (contributions - metric(&j, "score").unwrap()).abs() < 0.1,
        "{j:#}"
    );
    assert_eq!(j["checked"], 5);
}

#[test]
fn a_missing_required_gate_is_a_no_go_never_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), &report("coverage"), 0);
    record(dir.path(), &report("sbom"), 1);
    let run = score(dir.path(), &[]);
    assert_eq!(run.code, ExitCode::Fail, "{}", run.stderr);
    let j = run.json();
    assert_eq!(j["details"]["decision"], "no-go");
    let missing = messages(&j, "required-missing");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("no report of gate-audit"),
        "{missing:?}"
    );

    // An empty ledger: nothing at all is a no-go too.
    let empty = tempfile::tempdir().unwrap();
    let run = score(empty.path(), &[]);
    assert_eq!(run.code, ExitCode::Fail);
    assert_eq!(messages(&run.json(), "required-missing").len(), 3);
}

#[test]
fn a_report_from_another_commit_never_counts() {
    let dir = tempfile::tempdir().unwrap();
    let stale = report("coverage-other-commit");
    assert_ne!(stale.commit, Some(commit()), "made on another commit");
    record(dir.path(), &report("audit"), 0);
    record(dir.path(), &report("sbom"), 1);
    let run = score(
        dir.path(),
        &[
            "--report",
            data("coverage-other-commit.json").to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, ExitCode::Fail, "{}", run.stderr);
    let j = run.json();
    let ignored = messages(&j, "report-ignored");
    assert_eq!(ignored.len(), 1, "{ignored:?}");
    assert!(ignored[0].contains("it is about commit"), "{ignored:?}");
    assert!(messages(&j, "required-missing")[0].contains("gate-coverage"));
    assert_eq!(
        metric(&j, "quality-score"),
        None,
        "the stale coverage is not scored"
    );

    // A report that does not say which commit it is about does not count either.
    let mut unknown = report("coverage");
    unknown.commit = None;
    std::fs::write(
        dir.path().join("unknown.json"),
        serde_json::to_string(&unknown).unwrap(),
    )
    .unwrap();
    let j = score(dir.path(), &["--report", "unknown.json"]).json();
    assert!(
        messages(&j, "report-ignored")[0].contains("does not say which commit"),
        "{j:#}"
    );
    assert_eq!(messages(&j, "required-missing").len(), 1);
}

#[test]
fn a_re_run_replaces_the_earlier_report() {
    // Ledger: the failed coverage first, the re-run after it.
    let dir = tempfile::tempdir().unwrap();
    record(dir.path(), &report("coverage-failed"), 0);
    record(dir.path(), &report("audit"), 1);
    record(dir.path(), &report("sbom"), 2);
    // Same key in the ledger: the re-run overwrote the failed one.
    record(dir.path(), &report("coverage"), 3);
    let run = score(dir.path(), &[]);
    assert_eq!(run.code, ExitCode::Pass, "{}", run.stderr);
    assert!(messages(&run.json(), "gate-failed").is_empty());

    // Files: the later one on the command line wins, both ways.
    let (failed, passed) = (data("coverage-failed.json"), data("coverage.json"));
    let (failed, passed) = (failed.to_str().unwrap(), passed.to_str().unwrap());
    let later_pass = score(dir.path(), &["--report", failed, "--report", passed]);
    assert_eq!(later_pass.code, ExitCode::Pass, "{}", later_pass.stderr);
    let later_fail = score(dir.path(), &["--report", passed, "--report", failed]);
    assert_eq!(later_fail.code, ExitCode::Fail);
    assert_eq!(messages(&later_fail.json(), "gate-failed").len(), 1);
}

#[test]
fn a_failed_gate_is_a_veto_and_explain_says_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    record(dir.path(), &report("coverage-failed"), 9);
    let run = score(dir.path(), &["--explain"]);
    assert_eq!(run.code, ExitCode::Fail);
    let j = run.json();
    assert_eq!(j["details"]["decision"], "no-go");
    let failed = messages(&j, "gate-failed");
    assert!(failed[0].starts_with("gate-coverage failed"), "{failed:?}");
    // The score alone would pass: only the veto stops it.
    assert!(metric(&j, "score").unwrap() >= 80.0, "{j:#}");
    // The threshold the coverage report itself failed, from its metrics.
    let min = report("coverage-failed")
        .metric("line-coverage")
        .unwrap()
        .thresholds
        .iter()
        .map(|t| t.value)
        .fold(0.0, f64::max);
    let explain = messages(&j, "smallest-change");
    assert!(
        explain
            .iter()
            .any(|l| l.starts_with("gate-coverage: line-coverage")
                && l.ends_with(&format!(">= {min}%"))),
        "{explain:?}"
    );
}

#[test]
fn a_critical_finding_is_a_no_go_under_a_high_score() {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    record(dir.path(), &report("audit-critical"), 9);
    // Score without the audit's own score: every other sub-score is high.
    write_config(
        dir.path(),
        "score:\n  critical-cap: 100\n  categories:\n    security: {weight: 30, min: 0}\n  inputs:\n    - {gate: coverage, metric: line-coverage, category: quality, curve: [[0, 0], [100, 100]]}\n    - {gate: sbom, metric: hash-coverage, category: security, curve: [[0, 0], [100, 100]]}\n",
    );
    let run = score(dir.path(), &["--explain"]);
    assert_eq!(run.code, ExitCode::Fail);
    let j = run.json();
    assert!(metric(&j, "score").unwrap() >= 95.0, "{j:#}");
    assert_eq!(j["details"]["decision"], "no-go");
    // Every critical finding of the audit report, counted independently.
    let audit = report("audit-critical");
    let criticals: Vec<_> = audit
        .findings
        .iter()
        .filter(|f| f.security_severity.is_some_and(|s| s >= 9.0))
        .collect();
    assert!(!criticals.is_empty());
    let vetoes = messages(&j, "critical-vulnerability");
    assert_eq!(vetoes.len(), criticals.len().min(10), "{vetoes:?}");
    assert!(
        vetoes.iter().any(|m| m.contains("RUSTSEC-2019-0009")),
        "{vetoes:?}"
    );
    let explain = messages(&j, "smallest-change");
    assert!(
        explain.contains(&"RUSTSEC-2019-0009 in smallvec 0.6.5 → upgrade to >=0.6.10".to_string()),
        "{explain:?}"
    );

    // With the default cap, the security score is capped at 40.
    std::fs::remove_file(dir.path().join("gates.yml")).unwrap();
    let j = score(dir.path(), &[]).json();
    assert!(metric(&j, "security-score").unwrap() <= 40.0, "{j:#}");
}

#[test]
fn a_report_that_checked_nothing_is_no_evidence() {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    let nothing = report("coverage-checked-nothing");
    assert_eq!(nothing.checked, 0);
    record(dir.path(), &nothing, 9);
    let run = score(dir.path(), &["--explain"]);
    assert_eq!(run.code, ExitCode::Fail);
    let j = run.json();
    assert_eq!(messages(&j, "gate-checked-nothing").len(), 1);
    assert!(
        messages(&j, "smallest-change")
            .contains(&"point gate-coverage at real inputs: it checked nothing".to_string())
    );
}

#[test]
fn a_metric_under_its_target_is_a_no_go_and_explain_names_the_value_needed() {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    // The examples' diff coverage is exactly 80 %: a 90 % target misses it.
    write_config(
        dir.path(),
        "score:\n  inputs:\n    - {gate: coverage, metric: diff-coverage, category: quality, curve: [[0, 0], [100, 100]], go: 90}\n",
    );
    let run = score(dir.path(), &["--explain"]);
    assert_eq!(run.code, ExitCode::Fail);
    let j = run.json();
    let diff = value(&report("coverage"), "diff-coverage");
    assert_eq!(
        messages(&j, "below-target"),
        [format!(
            "gate-coverage diff-coverage is {diff}%: needs >= 90%"
        )]
    );
}

#[test]
fn outputs_and_summary_carry_the_decision_and_the_breakdown() {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    let c = commit();
    let (code, cap, extra) = gate_core::run::testing::sweep::<gate_score::ScoreGate>(
        dir.path(),
        &["--ledger", "local"],
        &[("GITHUB_SHA", &c)],
    );
    // Recorded under its own key, which never counts as evidence.
    assert!(
        dir.path()
            .join(format!(".gates/results/{c}/score.json"))
            .is_file()
    );
    assert_eq!(code, ExitCode::Pass, "{}", cap.stderr);
    assert!(extra.is_empty(), "{extra:?}");
    let outputs = std::fs::read_to_string(dir.path().join(".gh-output")).unwrap();
    for name in ["decision", "score", "security-score", "performance-score"] {
        assert!(outputs.contains(&format!("{name}<<")), "{name}: {outputs}");
    }
    assert!(outputs.contains("\ngo-with-warnings\n"), "{outputs}");
    let summary = std::fs::read_to_string(dir.path().join(".gh-summary")).unwrap();
    assert!(summary.contains("xychart-beta"), "{summary}");
    assert!(
        summary
            .contains("| Input | Category | Metric | Value | Sub-score | Weight | Contribution |"),
        "{summary}"
    );
    assert!(
        summary.contains("| gate-coverage | quality | `line-coverage` |"),
        "{summary}"
    );
}

#[test]
fn the_same_evidence_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    record(dir.path(), &report("audit-critical"), 9);
    let a = score(dir.path(), &["--explain"]).stdout;
    let b = score(dir.path(), &["--explain"]).stdout;
    assert_eq!(a, b);
}

#[test]
fn explain_finds_the_one_input_whose_smallest_change_lifts_a_category() {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    write_config(
        dir.path(),
        "score:\n  categories:\n    quality: {weight: 30, min: 95}\n",
    );
    let run = score(dir.path(), &["--explain"]);
    assert_eq!(run.code, ExitCode::Fail);
    let j = run.json();
    // Quality = (line + 2 × diff) / 3 through the coverage curve, which is
    // the identity from 80 to 100. Line coverage alone cannot reach 95 (it
    // would need a sub-score over 100); diff coverage needs
    // (3 × 95 − line) / 2.
    let cov = report("coverage");
    let line = curve(COVERAGE, value(&cov, "line-coverage"));
    let quality = (line + 2.0 * curve(COVERAGE, value(&cov, "diff-coverage"))) / 3.0;
    let needed = (3.0 * 95.0 - line) / 2.0;
    let show = |v: f64| gate_core::report::format_number(v);
    let expected = format!(
        "gate-coverage diff-coverage 80% → {}% lifts quality from {} to 95",
        show(needed),
        show((quality * 10.0).round() / 10.0)
    );
    assert!(
        messages(&j, "smallest-change").contains(&expected),
        "{expected}\n{:?}",
        messages(&j, "smallest-change")
    );
}
