//! The sticky pull-request comment against crates/fake-github: created once,
//! found again by its marker (across pages) and updated in place; a 403 is a
//! warning, never a failure; nothing is posted off Actions or off a PR.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use fake_github::{COMMENT_AUTHOR, Failure, FakeGitHub, Matcher};
use gate_core::context::GithubEnv;
use gate_core::github::api::{GitHubClient, Sleeper};
use gate_core::ledger::Ledger;
use gate_core::ledger::github::GitHubLedger;
use gate_core::ledger::local::LocalLedger;
use gate_core::report::{Comparison, Metric, Report, Threshold};
use gate_core::secret::{Masker, Secret};
use gate_core::{Context, Gate};
use gate_coverage::comment::{MARKER, Outcome, publish};
use gate_coverage::config::CoverageConfig;
use gate_coverage::gate::CoverageGate;
use http::Method;

fn no_sleep() -> Sleeper {
    Arc::new(|_| Box::pin(async {}))
}

fn ctx(gh: &FakeGitHub, page_size: u32, pr: Option<u64>, in_actions: bool) -> Context {
    let client = GitHubClient::new(&gh.url(), "octo/demo", Secret::new("ghs_test"))
        .unwrap()
        .with_sleeper(no_sleep())
        .with_page_size(page_size);
    Context {
        repo_root: std::env::temp_dir(),
        commit: Some("c3b93769f009d1738363041806908cb3739c88d9".into()),
        github: GithubEnv {
            repository: "octo/demo".into(),
            in_actions,
            pr_number: pr,
            api_url: gh.url(),
            ..GithubEnv::default()
        },
        token: Some(Secret::new("ghs_test")),
        ledger: Ledger::GitHub(Box::new(GitHubLedger::with_client(client, None))),
        masker: Masker::new(false),
        instance: None,
    }
}

fn report(line: f64) -> Report {
    let mut r = Report::new("coverage");
    r.checked = 3;
    r.summary = format!("line coverage {line:.2}%");
    r.metrics.push(
        Metric::info("line-coverage", line, "%")
            .with_threshold(Threshold::new(Comparison::AtLeast, 80.0)),
    );
    r.finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_comment_found_by_marker_across_pages_and_updated_in_place() {
    let gh = FakeGitHub::start().await;
    // Other people's comments, one quoting the marker mid-text, spread over pages of 2.
    gh.seed_issue_comment("octo/demo", 7, "alice", "first!");
    gh.seed_issue_comment("octo/demo", 7, "bob", &format!("see {MARKER} above"));
    gh.seed_issue_comment("octo/demo", 7, "carol", "LGTM");
    gh.seed_issue_comment(
        "octo/demo",
        8,
        COMMENT_AUTHOR,
        &format!("{MARKER}\nother PR"),
    );
    let ctx = ctx(&gh, 2, Some(7), true);

    let first = publish(&ctx, &report(71.25)).await.unwrap();
    let Some(Outcome::Created { id, url }) = first else {
        panic!("expected a new comment, got {first:?}");
    };
    assert!(url.unwrap().ends_with(&format!("#issuecomment-{id}")));
    gh.seed_issue_comment("octo/demo", 7, "dave", "more talk");

    let second = publish(&ctx, &report(92.5)).await.unwrap();
    assert!(
        matches!(second, Some(Outcome::Updated { id: same, .. }) if same == id),
        "{second:?}"
    );
    let comments = gh.issue_comments(7);
    assert_eq!(
        comments.len(),
        5,
        "updated in place, never a second comment"
    );
    let ours: Vec<_> = comments
        .iter()
        .filter(|c| c["body"].as_str().unwrap().starts_with(MARKER))
        .collect();
    assert_eq!(ours.len(), 1);
    let body = ours[0]["body"].as_str().unwrap();
    assert!(body.contains("92.5%") && !body.contains("71.25"), "{body}");
    assert!(body.contains("gate-coverage"), "{body}");
    // Listing walked the pages (2 per page, 4 comments before ours was posted).
    let lists = gh.requests_to("GET", "/repos/octo/demo/issues/7/comments");
    assert!(
        lists
            .iter()
            .any(|r| r.query_param("page").as_deref() == Some("3"))
    );
    assert_eq!(gh.requests_to("POST", "/issues/7/comments").len(), 1);
    assert_eq!(
        gh.requests_to("PATCH", &format!("/issues/comments/{id}"))
            .len(),
        1
    );
    // The other pull request's comment is untouched.
    assert_eq!(
        gh.issue_comments(8)[0]["body"].as_str().unwrap(),
        format!("{MARKER}\nother PR")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_may_not_comment_is_a_warning_not_a_failure() {
    let gh = FakeGitHub::start().await;
    gh.fail_next(
        Matcher::route(Method::POST, "/issues/7/comments"),
        1,
        Failure::NotAccessible,
    );
    let ctx = ctx(&gh, 100, Some(7), true);
    let (result, _, stderr) = gate_core::out::capture(|| {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(publish(&ctx, &report(90.0)))
        })
    });
    assert_eq!(result.unwrap(), None);
    assert!(
        stderr.contains("warning") && stderr.contains("pull-requests: write"),
        "{stderr}"
    );
    assert!(gh.issue_comments(7).is_empty());
    // Any other API failure is an upstream error (exit 5).
    gh.fail_next(
        Matcher::path("/issues/7/comments"),
        10,
        Failure::Server(500),
    );
    let e = publish(&ctx, &report(90.0)).await.unwrap_err();
    assert_eq!(e.exit_code(), gate_core::ExitCode::Upstream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_posted_off_actions_off_a_pr_or_when_not_asked() {
    let gh = FakeGitHub::start().await;
    assert_eq!(
        publish(&ctx(&gh, 100, Some(7), false), &report(90.0))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        publish(&ctx(&gh, 100, None, true), &report(90.0))
            .await
            .unwrap(),
        None
    );
    // Through the Gate hook: `comment` is off by default.
    let c = ctx(&gh, 100, Some(7), true);
    CoverageGate::publish(&c, &CoverageConfig::default(), &report(90.0))
        .await
        .unwrap();
    assert!(gh.requests().is_empty(), "{:?}", gh.requests());
    let on = CoverageConfig {
        comment: true,
        ..CoverageConfig::default()
    };
    CoverageGate::publish(&c, &on, &report(90.0)).await.unwrap();
    assert_eq!(gh.issue_comments(7).len(), 1);
    // With the local ledger (no GitHub ledger), the token still reaches the API.
    let mut local = ctx(&gh, 100, Some(9), true);
    local.ledger = Ledger::Local(LocalLedger::new(&std::env::temp_dir()));
    CoverageGate::publish(&local, &on, &report(90.0))
        .await
        .unwrap();
    assert_eq!(gh.issue_comments(9).len(), 1);
}
