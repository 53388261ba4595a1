//! The reading API (`gates_github::read`) and conditional GETs against the
//! in-process fake GitHub (crates/fake-github).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use chrono::{DateTime, Utc};
use fake_github::{Failure, FakeGitHub, Matcher};
use gates_github::api::{GitHubClient, Permission};
use gates_github::ledger::{GitHubLedger, REPORT_MARKER, conclusion};
use gates_github::read::{self, DeploymentQuery, newest_per_name};
use gates_report::exit::ExitCode;
use gates_report::records::{DeploymentState, NewDeployment, NewStatus};
use gates_report::report::{Finding, Location, Report, RunnerRule, Severity};
use gates_report::secret::Secret;
use serde_json::json;

const TOKEN: &str = "ghs_TopSecretTokenValue0123456789";
const SHA: &str = "c3b93769f009d1738363041806908cb3739c88d9";
const OTHER_SHA: &str = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d";

async fn start(page_size: u32) -> (FakeGitHub, GitHubLedger) {
    let gh = FakeGitHub::start().await;
    let client = GitHubClient::new(&gh.url(), "octo/demo", Secret::new(TOKEN))
        .unwrap()
        .with_sleeper(std::sync::Arc::new(|_| Box::pin(async {})))
        .with_page_size(page_size);
    (gh, GitHubLedger::with_client(client, None))
}

fn report(gate: &str) -> Report {
    let mut r = Report::new(gate);
    r.summary = "1 warning".into();
    r.checked = 3;
    r.commit = Some(SHA.into());
    r.findings.push(
        Finding::new(RunnerRule::NothingChecked, Severity::Warning, "a warning")
            .at(Location::lines("src/lib.rs", 3, 4)),
    );
    r.finish()
}

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked into: {text}");
    assert!(!text.contains("TopSecret"), "token leaked into: {text}");
}

#[tokio::test]
async fn check_runs_of_a_commit_span_pages_and_apps_with_gates_reports_parsed() {
    let (gh, ledger) = start(2).await;
    let coverage = report("coverage");
    ledger.record_result(SHA, &coverage).await.unwrap();
    gh.seed_check_run_from_app("octo/demo", SHA, "codecov/patch", "codecov", None);
    gh.seed_check_run("octo/demo", SHA, "gates/audit", Some("made by hand"));
    let corrupt = format!("{REPORT_MARKER}\n```json\n{{\"gate\": 3\n```");
    gh.seed_check_run("octo/demo", SHA, "gates/load/api", Some(&corrupt));
    gh.seed_check_run("octo/demo", OTHER_SHA, "gates/coverage", None);
    gh.clear_requests();

    let runs = read::check_runs(ledger.client(), SHA).await.unwrap();
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gates/load/api",
            "gates/audit",
            "codecov/patch",
            "gates/coverage"
        ],
        "every run of the commit, newest first, no other commit's"
    );
    let pages: Vec<_> = gh
        .requests_to("GET", "/check-runs")
        .iter()
        .map(|r| {
            (
                r.query_param("page"),
                r.query_param("per_page"),
                r.query_param("filter"),
            )
        })
        .collect();
    let page = |p: &str| {
        (
            Some(p.to_string()),
            Some("2".to_string()),
            Some("all".to_string()),
        )
    };
    assert_eq!(pages, [page("1"), page("2")]);

    let codecov = &runs[2];
    assert_eq!(codecov.app_slug.as_deref(), Some("codecov"));
    assert_eq!(
        (codecov.gate.as_deref(), codecov.report.as_ref()),
        (None, None)
    );
    assert_eq!(codecov.status, "completed");
    assert_eq!(codecov.conclusion.as_deref(), Some("success"));

    let gates = &runs[3];
    assert_eq!(gates.app_slug.as_deref(), Some("github-actions"));
    assert_eq!(gates.gate.as_deref(), Some("coverage"));
    assert_eq!(gates.report, Some(Ok(coverage.clone())));
    assert_eq!(gates.status, "completed");
    assert_eq!(
        gates.conclusion.as_deref(),
        Some(conclusion(coverage.verdict))
    );
    let raw = &gh.check_runs()[0];
    assert_eq!(gates.id, raw["id"].as_u64().unwrap());
    assert_eq!(gates.html_url.as_deref(), raw["html_url"].as_str());
    let time = |k: &str| raw[k].as_str().map(|t| t.parse::<DateTime<Utc>>().unwrap());
    assert_eq!(gates.started_at, time("started_at"));
    assert_eq!(gates.completed_at, time("completed_at"));
    assert!(gates.completed_at.is_some());

    // A gates run without a report has none; a corrupt one says why.
    assert_eq!(runs[1].gate.as_deref(), Some("audit"));
    assert_eq!(runs[1].report, None);
    assert_eq!(runs[0].gate.as_deref(), Some("load/api"));
    assert!(
        matches!(runs[0].report, Some(Err(_))),
        "{:?}",
        runs[0].report
    );
}

#[tokio::test]
async fn newest_run_of_each_name_is_kept() {
    let (gh, ledger) = start(100).await;
    gh.seed_check_run("octo/demo", SHA, "gates/coverage", Some("old"));
    gh.seed_check_run("octo/demo", SHA, "build", None);
    gh.seed_check_run("octo/demo", SHA, "gates/coverage", Some("new"));
    let runs = read::check_runs(ledger.client(), SHA).await.unwrap();
    let newest = newest_per_name(&runs);
    assert_eq!(newest.len(), 2);
    assert_eq!(newest[0].name, "gates/coverage");
    assert_eq!(newest[0].id, runs.iter().map(|r| r.id).max().unwrap());
    assert_eq!(newest[1].name, "build");
}

fn deployment(env: &str, git_ref: &str) -> NewDeployment {
    NewDeployment {
        environment: env.to_string(),
        commit: SHA.to_string(),
        git_ref: git_ref.to_string(),
        description: None,
        payload: json!({}),
        transient: false,
        production: env == "production",
    }
}

fn status(state: DeploymentState) -> NewStatus {
    NewStatus {
        state,
        description: Some(state.as_str().to_string()),
        log_url: None,
        environment_url: None,
        auto_inactive: false,
    }
}

/// Deploys to staging, production, staging, production; each gets an
/// in-progress then a final status (the third fails).
async fn four_deployments(ledger: &GitHubLedger) -> Vec<u64> {
    let mut ids = Vec::new();
    for (i, env) in ["staging", "production", "staging", "production"]
        .iter()
        .enumerate()
    {
        let d = ledger
            .create_deployment(&deployment(env, &format!("refs/tags/v{i}")))
            .await
            .unwrap();
        ledger
            .add_status(d.id, &status(DeploymentState::InProgress))
            .await
            .unwrap();
        let last = if i == 2 {
            DeploymentState::Failure
        } else {
            DeploymentState::Success
        };
        ledger.add_status(d.id, &status(last)).await.unwrap();
        ids.push(d.id);
    }
    ids
}

#[tokio::test]
async fn deployments_with_statuses_across_environments_newest_first() {
    let (gh, ledger) = start(2).await;
    let ids = four_deployments(&ledger).await;

    let all = read::deployments(ledger.client(), &DeploymentQuery::all(10))
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|d| d.id).collect::<Vec<_>>(),
        [ids[3], ids[2], ids[1], ids[0]]
    );
    let envs: Vec<&str> = all.iter().map(|d| d.environment.as_str()).collect();
    assert_eq!(envs, ["production", "staging", "production", "staging"]);
    assert!(all.windows(2).all(|w| w[0].created_at > w[1].created_at));
    for (d, i) in all.iter().zip([3, 2, 1, 0]) {
        assert_eq!(d.commit, SHA);
        assert_eq!(d.git_ref, format!("refs/tags/v{i}"));
        let states: Vec<_> = d.statuses.iter().map(|s| s.state).collect();
        let last = if i == 2 {
            DeploymentState::Failure
        } else {
            DeploymentState::Success
        };
        assert_eq!(states, [DeploymentState::InProgress, last], "oldest first");
        assert!(d.statuses[0].created_at >= d.created_at);
    }
    let listing = gh.requests_to("GET", "/deployments");
    assert!(
        listing
            .iter()
            .all(|r| r.query_param("environment").is_none())
    );

    // One environment, and a limit.
    let q = DeploymentQuery {
        environment: Some("staging".into()),
        since: None,
        limit: 1,
    };
    let staging = read::deployments(ledger.client(), &q).await.unwrap();
    assert_eq!(staging.iter().map(|d| d.id).collect::<Vec<_>>(), [ids[2]]);
}

#[tokio::test]
async fn deployments_since_stop_paging_at_the_first_older_one() {
    let (gh, ledger) = start(1).await;
    let ids = four_deployments(&ledger).await;
    let all = read::deployments(ledger.client(), &DeploymentQuery::all(10))
        .await
        .unwrap();
    let since = all[1].created_at;
    gh.clear_requests();

    let q = DeploymentQuery {
        environment: None,
        since: Some(since),
        limit: 10,
    };
    let recent = read::deployments(ledger.client(), &q).await.unwrap();
    assert_eq!(
        recent.iter().map(|d| d.id).collect::<Vec<_>>(),
        [ids[3], ids[2]]
    );
    let pages: Vec<_> = gh
        .requests()
        .iter()
        .filter(|r| r.path == "/repos/octo/demo/deployments")
        .map(|r| r.query_param("page").unwrap())
        .collect();
    assert_eq!(
        pages,
        ["1", "2", "3"],
        "page 3 holds the first older one; page 4 is never read"
    );
}

#[tokio::test]
async fn a_second_read_is_a_304_and_returns_the_same_value() {
    let (gh, ledger) = start(100).await;
    ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap();
    gh.seed_check_run_from_app("octo/demo", SHA, "codecov/patch", "codecov", None);
    gh.clear_requests();

    let first = read::check_runs(ledger.client(), SHA).await.unwrap();
    let used = gh.rate_limit_used();
    let second = read::check_runs(ledger.client(), SHA).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(gh.rate_limit_used(), used, "a 304 costs no rate limit");
    let log = gh.requests_to("GET", "/check-runs");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, 200);
    assert!(!log[0].headers.contains_key("if-none-match"));
    assert_eq!(log[1].status, 304);
    let etag = gh.requests_to("GET", "/check-runs")[1].headers["if-none-match"].clone();
    assert!(etag.starts_with('"'), "{etag}");

    // A change is seen: the tag no longer matches, the answer is new.
    gh.seed_check_run("octo/demo", SHA, "build", None);
    let third = read::check_runs(ledger.client(), SHA).await.unwrap();
    assert_eq!(third.len(), 3);
    let log = gh.requests_to("GET", "/check-runs");
    assert_eq!(
        (log[2].headers["if-none-match"].as_str(), log[2].status),
        (etag.as_str(), 200)
    );

    // The raw client says when an answer came from the cache.
    let path = ledger
        .client()
        .repo_path(&format!("/commits/{SHA}/check-runs"));
    let fresh = ledger
        .client()
        .get_cached(&path, Permission::ChecksRead)
        .await
        .unwrap();
    let cached = ledger
        .client()
        .get_cached(&path, Permission::ChecksRead)
        .await
        .unwrap();
    assert!(!fresh.not_modified && cached.not_modified);
    assert_eq!((fresh.status, &fresh.body), (cached.status, &cached.body));
}

#[tokio::test]
async fn polling_deployments_costs_304s_for_the_list_and_every_status_list() {
    let (gh, ledger) = start(100).await;
    four_deployments(&ledger).await;
    let q = DeploymentQuery::all(10);
    let first = read::deployments(ledger.client(), &q).await.unwrap();
    gh.clear_requests();
    let again = read::deployments(ledger.client(), &q).await.unwrap();
    assert_eq!(first, again);
    let log = gh.requests();
    assert_eq!(log.len(), 5, "the list and four status lists");
    assert!(
        log.iter()
            .all(|r| r.status == 304 && r.headers.contains_key("if-none-match"))
    );
}

#[tokio::test]
async fn the_token_never_appears_in_errors_of_reads() {
    let (gh, ledger) = start(100).await;
    let path = ledger
        .client()
        .repo_path(&format!("/commits/{SHA}/check-runs"));
    ledger
        .client()
        .get_cached(&path, Permission::ChecksRead)
        .await
        .unwrap();
    // A conditional request whose error echoes the token.
    gh.fail_next(
        Matcher::path("/check-runs"),
        1,
        Failure::Message {
            status: 422,
            message: format!("bad token {TOKEN}"),
        },
    );
    let err = ledger
        .client()
        .get_cached(&path, Permission::ChecksRead)
        .await
        .unwrap_err();
    assert_no_token(&err.to_string());
    assert_no_token(&format!("{err:?}"));
    assert!(
        gh.requests()
            .last()
            .unwrap()
            .headers
            .contains_key("if-none-match")
    );

    gh.fail_next(
        Matcher::path("/deployments"),
        1,
        Failure::Message {
            status: 400,
            message: format!("echo {TOKEN}"),
        },
    );
    let err = read::deployments(ledger.client(), &DeploymentQuery::all(5))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::Upstream);
    assert_no_token(&err.to_string());
    assert_no_token(&format!("{err:?}"));

    gh.require_token("some-other-token");
    let err = read::check_runs(ledger.client(), SHA).await.unwrap_err();
    assert!(err.to_string().contains("token was rejected"), "{err}");
    assert_no_token(&err.to_string());
    assert_no_token(&format!("{err:?}"));
    assert_no_token(&format!("{:?}", ledger.client()));
}
