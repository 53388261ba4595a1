//! The binary as GitHub Actions runs it, against crates/fake-github: the
//! pull request's base comes from the event, the baseline from the check run
//! on the base SHA, the result goes to a check run on the head and to one
//! sticky comment, updated in place on the next run; a token that may not
//! comment is a warning.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;
use fake_github::{Failure, FakeGitHub, Matcher};
use gate_core::ledger::github::{embed_report, parse_embedded_report};
use gate_core::report::{Metric, Report};
use gate_coverage::comment::MARKER;
use http::Method;

async fn run_in_actions(r: &Repo, gh: &FakeGitHub, extra: &[&str]) -> Run {
    let event = r.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({
            "pull_request": {
                "number": 7,
                "base": { "sha": r.base, "repo": { "full_name": "octo/demo" } },
                "head": { "sha": r.head, "repo": { "full_name": "octo/demo" } },
            }
        })
        .to_string(),
    )
    .unwrap();
    let (std_cmd, _home) = gate(r.path()).into_parts();
    let mut cmd = tokio::process::Command::from(std_cmd);
    cmd.args(["--report", "head.lcov"])
        .args(extra)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "octo/demo")
        .env("GITHUB_API_URL", gh.url())
        .env("GITHUB_TOKEN", "ghs_fakeTokenForTests")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_SHA", &r.head);
    finish(cmd.output().await.unwrap())
}

fn setup() -> Repo {
    let r = repo();
    lcov(
        &r.path().join("head.lcov"),
        &[("src/a.py", &lines(12, 6)), ("src/b.py", &lines(10, 8))],
    );
    r
}

fn seed_base(gh: &FakeGitHub, r: &Repo, line: f64) {
    let mut base = Report::new("coverage");
    base.checked = 2;
    base.metrics.push(Metric::info("line-coverage", line, "%"));
    gh.seed_check_run(
        "octo/demo",
        &r.base,
        "gates/coverage",
        Some(&embed_report(&base.finish())),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_request_run_reads_the_base_records_the_head_and_keeps_one_comment() {
    let r = setup();
    let gh = FakeGitHub::start().await;
    gh.require_token("ghs_fakeTokenForTests");
    seed_base(&gh, &r, 90.0);

    let first = run_in_actions(&r, &gh, &["--max-drop", "1", "--comment"]).await;
    assert_eq!(first.code, 1, "{}\n{}", first.stdout, first.stderr);
    // The token appears only in the runner's add-mask command.
    for line in first.stdout.lines().chain(first.stderr.lines()) {
        assert!(
            !line.contains("ghs_fakeTokenForTests") || line == "::add-mask::ghs_fakeTokenForTests",
            "{line}"
        );
    }
    // The head's check run holds the report, with the drop.
    let runs: Vec<_> = gh
        .check_runs()
        .into_iter()
        .filter(|c| c["head_sha"] == r.head.as_str())
        .collect();
    assert_eq!(runs.len(), 1);
    let report = parse_embedded_report(runs[0]["output"]["text"].as_str().unwrap())
        .unwrap()
        .unwrap();
    let change = report.metric("line-coverage-change").unwrap().value;
    assert!((change - (pct(14, 22) - 90.0)).abs() < 1e-6, "{change}");
    assert!(report.findings.iter().any(|f| f.rule == "coverage-dropped"));
    // One comment, with the marker and the finding.
    let comments = gh.issue_comments(7);
    assert_eq!(comments.len(), 1);
    let body = comments[0]["body"].as_str().unwrap();
    assert!(
        body.starts_with(MARKER) && body.contains("coverage-dropped"),
        "{body}"
    );

    // The next push: same check run and comment, updated in place.
    lcov(
        &r.path().join("head.lcov"),
        &[("src/a.py", &lines(12, 12)), ("src/b.py", &lines(10, 8))],
    );
    let second = run_in_actions(&r, &gh, &["--max-drop", "1", "--comment"]).await;
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    let comments = gh.issue_comments(7);
    assert_eq!(comments.len(), 1, "updated, not added");
    let body = comments[0]["body"].as_str().unwrap();
    assert!(
        !body.contains("coverage-dropped") && body.contains("base-line-coverage"),
        "{body}"
    );
    assert_eq!(gh.requests_to("PATCH", "/issues/comments/").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_comment_is_a_warning_and_the_verdict_stands() {
    let r = setup();
    let gh = FakeGitHub::start().await;
    gh.fail_next(
        Matcher::route(Method::POST, "/issues/7/comments"),
        1,
        Failure::NotAccessible,
    );
    let run = run_in_actions(&r, &gh, &["--comment", "--max-drop", "1"]).await;
    // No baseline recorded: skipped, said; the uncovered lines are warnings: exit 0.
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("::warning title=gate-coverage%3A no pull-request comment::"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("pull-requests: write"),
        "{}",
        run.stderr
    );
    assert!(gh.issue_comments(7).is_empty());
    assert!(
        run.stdout.contains("baseline-missing") || run.stdout.contains("drop check is skipped"),
        "{}",
        run.stdout
    );
}
