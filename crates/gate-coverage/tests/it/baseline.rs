//! `max-drop`: the base commit's recorded report is the baseline. Through the
//! binary with the local ledger (a real git repository, `.gates/`), and
//! through `collect` with the GitHub ledger against crates/fake-github.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::Arc;

use common::*;
use fake_github::FakeGitHub;
use gate_core::context::GithubEnv;
use gate_core::github::api::{GitHubClient, Sleeper};
use gate_core::ledger::Ledger;
use gate_core::ledger::github::{GitHubLedger, embed_report};
use gate_core::report::{Metric, Report, Verdict};
use gate_core::secret::{Masker, Secret};
use gate_core::types::Percent;
use gate_core::{Context, Gate};
use gate_coverage::collect::BaselineState;
use gate_coverage::config::{CoverageArgs, CoverageConfig};
use gate_coverage::gate::CoverageGate;

/// Records the base's report (18/20 lines) with the gate itself on main.
fn record_base(r: &Repo) {
    git(r.path(), &["checkout", "-q", "main"]);
    lcov(
        &r.path().join("base.lcov"),
        &[("src/a.py", &lines(10, 10)), ("src/b.py", &lines(10, 8))],
    );
    let run = run(r.path(), &["--report", "base.lcov", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(metric(&run.json(), "line-coverage"), Some(pct(18, 20)));
    git(r.path(), &["checkout", "-q", "feature"]);
}

/// The head's report: 14 of 22 lines.
fn head_report(r: &Repo) {
    lcov(
        &r.path().join("head.lcov"),
        &[("src/a.py", &lines(12, 6)), ("src/b.py", &lines(10, 8))],
    );
}

#[test]
fn drop_beyond_tolerance_fails_against_the_local_ledger() {
    let r = repo();
    record_base(&r);
    head_report(&r);
    let args = [
        "--report",
        "head.lcov",
        "--base",
        "main",
        "--format",
        "json",
    ];
    let strict = run(r.path(), &[&args[..], &["--max-drop", "1"]].concat());
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    let j = strict.json();
    let change = pct(14, 22) - pct(18, 20);
    assert!((metric(&j, "line-coverage-change").unwrap() - change).abs() < 1e-6);
    assert_eq!(metric(&j, "base-line-coverage"), Some(pct(18, 20)));
    let f = finding(&j, "coverage-dropped").expect("coverage-dropped");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains(&r.base[..12]), "{msg}");
    assert!(msg.contains("26.36 points"), "{msg}");
    assert_eq!(j["details"]["baseline"]["commit"], r.base.as_str());

    let lenient = run(r.path(), &[&args[..], &["--max-drop", "30"]].concat());
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
    let j = lenient.json();
    assert!(finding(&j, "coverage-dropped").is_none());
    assert!(j["summary"].as_str().unwrap().contains("-26.36 pp versus"));
}

#[test]
fn an_instance_reads_its_own_baseline() {
    // Two instances on the base: the default (18/20) and `frontend`
    // (20/20). The head's `frontend` run compares with `frontend`'s base.
    let r = repo();
    record_base(&r);
    git(r.path(), &["checkout", "-q", "main"]);
    lcov(&r.path().join("fe.lcov"), &[("src/a.py", &lines(20, 20))]);
    let fe = run(r.path(), &["--report", "fe.lcov", "--instance", "frontend"]);
    assert_eq!(fe.code, 0, "{}", fe.stderr);
    git(r.path(), &["checkout", "-q", "feature"]);
    head_report(&r);
    let head = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            "main",
            "--format",
            "json",
            "--max-drop",
            "100",
            "--instance",
            "frontend",
        ],
    );
    let j = head.json();
    assert_eq!(
        metric(&j, "base-line-coverage"),
        Some(pct(20, 20)),
        "{}",
        head.stderr
    );
    assert_eq!(j["instance"], "frontend");
    let default = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            "main",
            "--format",
            "json",
            "--max-drop",
            "100",
        ],
    );
    assert_eq!(
        metric(&default.json(), "base-line-coverage"),
        Some(pct(18, 20))
    );
}

#[test]
fn without_a_recorded_base_the_check_is_skipped_and_said() {
    let r = repo();
    head_report(&r);
    let run1 = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            "main",
            "--max-drop",
            "0",
            "--format",
            "json",
        ],
    );
    assert_eq!(run1.code, 0, "{}", run1.stderr);
    let j = run1.json();
    assert!(
        metric(&j, "line-coverage-change").is_none(),
        "never guessed"
    );
    let note = finding(&j, "baseline-missing").expect("baseline-missing note");
    assert_eq!(note["severity"], "note");
    let msg = note["message"].as_str().unwrap();
    assert!(
        msg.contains(&r.base[..12]) && msg.contains("local ledger"),
        "{msg}"
    );

    // No base at all: a diff file, no --base, no pull request.
    std::fs::write(
        r.path().join("c.diff"),
        git(r.path(), &["diff", "-U0", "main", "HEAD"]) + "\n",
    )
    .unwrap();
    let run2 = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--diff-file",
            "c.diff",
            "--max-drop",
            "0",
            "--format",
            "json",
        ],
    );
    assert_eq!(run2.code, 0, "{}", run2.stderr);
    let msg = finding(&run2.json(), "baseline-missing").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("no base commit is known"), "{msg}");

    // A branch's first push: `github.event.before` is forty zeros, no base.
    let zeros = "0".repeat(40);
    let run3 = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            &zeros,
            "--max-drop",
            "0",
            "--format",
            "json",
        ],
    );
    assert_eq!(run3.code, 0, "{}", run3.stderr);
    let j = run3.json();
    let msg = finding(&j, "baseline-missing").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("no base commit is known"), "{msg}");
    assert!(
        j["summary"]
            .as_str()
            .unwrap()
            .contains("diff coverage skipped")
    );
}

fn no_sleep() -> Sleeper {
    Arc::new(|_| Box::pin(async {}))
}

fn github_ctx(gh: &FakeGitHub, r: &Repo) -> Context {
    let client = GitHubClient::new(&gh.url(), "octo/demo", Secret::new("ghs_test"))
        .unwrap()
        .with_sleeper(no_sleep());
    Context {
        repo_root: r.path().to_path_buf(),
        commit: Some(r.head.clone()),
        github: GithubEnv {
            repository: "octo/demo".into(),
            in_actions: true,
            pr_number: Some(7),
            base_sha: Some(r.base.clone()),
            head_sha: Some(r.head.clone()),
            api_url: gh.url(),
            ..GithubEnv::default()
        },
        token: Some(Secret::new("ghs_test")),
        ledger: Ledger::GitHub(Box::new(GitHubLedger::with_client(client, None))),
        masker: Masker::new(false),
        instance: None,
    }
}

fn config(max_drop: f64) -> CoverageConfig {
    CoverageConfig {
        reports: vec!["head.lcov".into()],
        max_drop: Some(Percent(max_drop)),
        ..CoverageConfig::default()
    }
}

fn args() -> CoverageArgs {
    CoverageArgs {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baseline_is_read_from_the_check_run_on_the_base_sha() {
    let r = repo();
    head_report(&r);
    let gh = FakeGitHub::start().await;
    // What the gate recorded on the base commit (a push build of main).
    let mut base = Report::new("coverage");
    base.checked = 2;
    base.metrics.push(Metric::info("line-coverage", 87.5, "%"));
    let base = base.finish();
    gh.seed_check_run(
        "octo/demo",
        &r.base,
        "gates/coverage",
        Some(&embed_report(&base)),
    );
    // Another gate's run on the same commit is not a baseline.
    gh.seed_check_run("octo/demo", &r.base, "gates/audit", Some("x"));
    let ctx = github_ctx(&gh, &r);
    let input = CoverageGate::collect(&ctx, &config(2.0), &args())
        .await
        .unwrap();
    assert_eq!(
        input.baseline,
        BaselineState::Found {
            commit: r.base.clone(),
            line_coverage: 87.5,
            url: Some(format!(
                "{}/octo/demo/runs/{}",
                gh.url(),
                gh.check_runs()[0]["id"]
            )),
        }
    );
    let report = CoverageGate::evaluate(&input, &config(2.0));
    assert_eq!(report.verdict, Verdict::Fail);
    let change = report.metric("line-coverage-change").unwrap();
    assert!((change.value - (pct(14, 22) - 87.5)).abs() < 1e-6);
    assert_eq!(change.verdict, Verdict::Fail);
    // It looked the check run up by name on the base SHA.
    let gets = gh.requests_to("GET", &format!("/commits/{}/check-runs", r.base));
    assert!(!gets.is_empty());
    assert_eq!(
        gets[0].query_param("check_name").as_deref(),
        Some("gates/coverage")
    );
    let report = CoverageGate::evaluate(&input, &config(30.0));
    assert_eq!(
        report.metric("line-coverage-change").unwrap().verdict,
        Verdict::Pass
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_check_run_on_the_base_means_skipped_not_guessed() {
    let r = repo();
    head_report(&r);
    let gh = FakeGitHub::start().await;
    let ctx = github_ctx(&gh, &r);
    let input = CoverageGate::collect(&ctx, &config(0.0), &args())
        .await
        .unwrap();
    assert_eq!(
        input.baseline,
        BaselineState::Missing {
            tried: vec![r.base.clone()]
        }
    );
    let report = CoverageGate::evaluate(&input, &config(0.0));
    // Warn: the two new lines are uncovered; the missing baseline never fails.
    assert_eq!(report.verdict, Verdict::Warn);
    let note = report
        .findings
        .iter()
        .find(|f| f.rule == "baseline-missing")
        .unwrap();
    assert!(note.message.contains("github ledger"), "{}", note.message);
    assert!(report.metric("line-coverage-change").is_none());
}
