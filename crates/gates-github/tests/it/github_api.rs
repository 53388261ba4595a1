//! The GitHub ledger against an in-process fake GitHub (crates/fake-github).
//! No test sleeps: the client's sleeper is replaced by one that records the
//! delays it is asked for and returns at once.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fake_github::{Failure, FakeGitHub, Matcher};
use gates_github::api::{GitHubClient, Sleeper};
use gates_github::ledger::{GitHubLedger, REPORT_MARKER};
use gates_report::error::GateError;
use gates_report::exit::ExitCode;
use gates_report::records::{DeploymentState, NewDeployment, NewStatus, RecordOutcome};
use gates_report::report::{Comparison, Finding, Location, Metric, Report, Severity, Threshold};
use gates_report::secret::Secret;
use http::Method;
use serde_json::json;

gates_report::rules! {
    /// Rules the reports of these tests carry.
    enum TestRule {
        UncoveredChangedLines {
            id: "uncovered-changed-lines",
            summary: "A test rule",
            help: "None.",
            severity: Error,
        },
        StaleBaseline {
            id: "stale-baseline",
            summary: "A test rule",
            help: "None.",
            severity: Error,
        },
        RuleX {
            id: "rule-x",
            summary: "A test rule",
            help: "None.",
            severity: Error,
        },
        VulnerableDependency {
            id: "vulnerable-dependency",
            summary: "A test rule",
            help: "None.",
            severity: Error,
        },
    }
}

const TOKEN: &str = "ghs_TopSecretTokenValue0123456789";
const SHA: &str = "c3b93769f009d1738363041806908cb3739c88d9";
const OTHER_SHA: &str = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d";
const RUN_URL: &str = "https://github.com/octo/demo/actions/runs/42";

struct Harness {
    gh: FakeGitHub,
    sleeps: Arc<Mutex<Vec<Duration>>>,
    ledger: GitHubLedger,
}

impl Harness {
    async fn new() -> Self {
        Self::with_page_size(100).await
    }

    async fn with_page_size(page_size: u32) -> Self {
        let gh = FakeGitHub::start().await;
        let url = gh.url();
        Self::over(gh, &url, page_size)
    }

    fn over(gh: FakeGitHub, api_url: &str, page_size: u32) -> Self {
        let sleeps = Arc::new(Mutex::new(Vec::new()));
        let log = sleeps.clone();
        let sleeper: Sleeper = Arc::new(move |d| {
            log.lock().unwrap().push(d);
            Box::pin(async {})
        });
        let client = GitHubClient::new(api_url, "octo/demo", Secret::new(TOKEN))
            .unwrap()
            .with_sleeper(sleeper)
            .with_page_size(page_size);
        let ledger = GitHubLedger::with_client(client, Some(RUN_URL.to_string()));
        Harness { gh, sleeps, ledger }
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

fn report(gate: &str) -> Report {
    let mut r = Report::new(gate);
    r.summary = "diff coverage 91% (min 80%)".into();
    r.checked = 12;
    r.commit = Some(SHA.into());
    r.metrics.push(
        Metric::info("diff-coverage", 91.0, "%")
            .with_threshold(Threshold::new(Comparison::AtLeast, 80.0)),
    );
    r.findings.push(
        Finding::new(
            TestRule::UncoveredChangedLines,
            Severity::Warning,
            "lines 3-4 are not covered",
        )
        .at(Location::lines("src/lib.rs", 3, 4)),
    );
    r.findings.push(Finding::new(
        TestRule::StaleBaseline,
        Severity::Note,
        "no baseline on the base commit",
    ));
    r.details = json!({ "files": [{ "path": "src/lib.rs", "covered": 10, "total": 12 }] });
    r.finish()
}

fn report_with_findings(gate: &str, n: u32) -> Report {
    let mut r = Report::new(gate);
    r.summary = format!("{n} findings");
    r.checked = u64::from(n);
    for i in 0..n {
        let severity = match i % 3 {
            0 => Severity::Note,
            1 => Severity::Warning,
            _ => Severity::Error,
        };
        r.findings.push(
            Finding::new(TestRule::RuleX, severity, format!("finding {i}")).at(Location::lines(
                format!("src/f{i}.rs"),
                i + 1,
                i + 1,
            )),
        );
    }
    r.finish()
}

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked into: {text}");
    assert!(!text.contains("TopSecret"), "token leaked into: {text}");
}

#[tokio::test]
async fn check_run_is_patched_in_place_until_it_carries_annotations() {
    let h = Harness::new().await;
    // A first run with no located finding: no annotations.
    let mut clean = report("coverage");
    clean.findings.retain(|f| f.location.is_none());
    let clean = clean.finish();
    h.ledger.record_result(SHA, &clean).await.unwrap();
    let runs = h.gh.check_runs();
    assert_eq!(runs.len(), 1);
    let id = runs[0]["id"].as_u64().unwrap();
    assert_eq!(runs[0]["output"]["annotations_count"], 0);

    // A re-run patches that run in place.
    let first = h
        .ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap();
    let runs = h.gh.check_runs();
    assert_eq!(
        runs.len(),
        1,
        "a re-run must not duplicate a run without annotations"
    );
    assert_eq!(runs[0]["id"].as_u64().unwrap(), id);
    assert_eq!(runs[0]["name"], "gates/coverage");
    assert_eq!(runs[0]["head_sha"], SHA);
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["conclusion"], "neutral"); // warn
    assert_eq!(runs[0]["details_url"], RUN_URL);
    assert_eq!(runs[0]["output"]["title"], "diff coverage 91% (min 80%)");
    assert_eq!(runs[0]["output"]["annotations_count"], 1);
    assert_eq!(
        first,
        RecordOutcome::Recorded {
            url: runs[0]["html_url"].as_str().map(String::from)
        }
    );
    let patches = h.gh.requests_to("PATCH", &format!("/check-runs/{id}"));
    assert_eq!(patches.len(), 1);
    assert!(patches[0].body.get("head_sha").is_none());

    // The run now carries an annotation GitHub cannot delete: the next
    // re-run is a new check run, and the newest is the one read back.
    let mut failing = report("coverage");
    failing.findings.push(
        Finding::new(TestRule::UncoveredChangedLines, Severity::Error, "bad")
            .at(Location::file("a.rs")),
    );
    let failing = failing.finish();
    h.ledger.record_result(SHA, &failing).await.unwrap();
    let runs = h.gh.check_runs();
    assert_eq!(runs.len(), 2, "an annotated run is superseded, not patched");
    let newest = runs.iter().find(|r| r["id"].as_u64() != Some(id)).unwrap();
    assert_eq!(newest["conclusion"], "failure");
    assert_eq!(newest["output"]["annotations_count"], 2);
    assert_eq!(
        h.gh.annotations(id).len(),
        1,
        "the old run kept only its own"
    );
    assert_eq!(h.gh.requests_to("POST", "/check-runs").len(), 2);
    let back = h.ledger.result_for(SHA, "coverage").await.unwrap().unwrap();
    assert_eq!(back.report.verdict, failing.verdict);

    // Every request was authenticated, and the token never recorded.
    let requests = h.gh.requests();
    assert!(requests.iter().all(|r| r.authorized));
    for r in &requests {
        assert_no_token(&format!("{r:?}"));
        assert_eq!(
            r.headers.get("x-github-api-version").map(String::as_str),
            Some("2022-11-28")
        );
    }
    // Another gate on the same commit gets its own check run.
    h.ledger.record_result(SHA, &report("audit")).await.unwrap();
    assert_eq!(h.gh.check_runs().len(), 3);
}

#[tokio::test]
async fn annotations_are_sent_fifty_per_request_worst_first() {
    let h = Harness::new().await;
    let r = report_with_findings("lint", 120);
    h.ledger.record_result(SHA, &r).await.unwrap();
    let id = h.gh.check_runs()[0]["id"].as_u64().unwrap();

    let stored = h.gh.annotations(id);
    assert_eq!(stored.len(), 120);
    assert_eq!(h.gh.check_runs()[0]["output"]["annotations_count"], 120);
    // 40 errors first, then 40 warnings, then 40 notices.
    let levels: Vec<&str> = stored
        .iter()
        .map(|a| a["annotation_level"].as_str().unwrap())
        .collect();
    assert!(levels[..40].iter().all(|l| *l == "failure"));
    assert!(levels[40..80].iter().all(|l| *l == "warning"));
    assert!(levels[80..].iter().all(|l| *l == "notice"));
    assert_eq!(stored[0]["title"], "rule-x");
    assert!(stored[0]["path"].as_str().unwrap().starts_with("src/f"));

    let writes: Vec<usize> =
        h.gh.requests()
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| {
                r.body
                    .pointer("/output/annotations")
                    .and_then(|a| a.as_array())
                    .map_or(0, Vec::len)
            })
            .collect();
    assert_eq!(
        writes,
        vec![50, 50, 20],
        "one create and two follow-up PATCHes"
    );
    assert_eq!(h.gh.requests_to("POST", "/check-runs").len(), 1);
    assert_eq!(h.gh.requests_to("PATCH", "/check-runs/").len(), 2);
    // Follow-up PATCHes keep the output whole.
    for p in h.gh.requests_to("PATCH", "/check-runs/") {
        assert_eq!(p.body["output"]["title"], "120 findings");
        assert!(
            p.body["output"]["text"]
                .as_str()
                .unwrap()
                .contains(REPORT_MARKER)
        );
    }
}

#[tokio::test]
async fn check_run_lookup_follows_pagination_and_updates_the_newest() {
    let h = Harness::with_page_size(2).await;
    let mut seeded = Vec::new();
    for _ in 0..5 {
        seeded.push(h.gh.seed_check_run("octo/demo", SHA, "gates/coverage", None));
    }
    h.gh.seed_check_run("octo/demo", SHA, "build", None);
    h.gh.seed_check_run("octo/demo", OTHER_SHA, "gates/coverage", None);

    h.ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap();

    let lookups =
        h.gh.requests_to("GET", &format!("/commits/{SHA}/check-runs"));
    let pages: Vec<String> = lookups
        .iter()
        .map(|r| r.query_param("page").unwrap())
        .collect();
    assert_eq!(pages, ["1", "2", "3"]);
    assert!(
        lookups
            .iter()
            .all(|r| r.query_param("check_name").as_deref() == Some("gates/coverage"))
    );
    assert!(h.gh.requests_to("POST", "/check-runs").is_empty());
    let newest = *seeded.iter().max().unwrap();
    let patches = h.gh.requests_to("PATCH", "/check-runs/");
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0].path,
        format!("/repos/octo/demo/check-runs/{newest}")
    );
    assert_eq!(h.gh.check_runs().len(), 7);
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let h = Harness::new().await;
    h.gh.fail_next(
        Matcher::route(Method::POST, "/check-runs"),
        2,
        Failure::Server(502),
    );
    let out = h
        .ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap();
    assert!(matches!(out, RecordOutcome::Recorded { url: Some(_) }));
    assert_eq!(h.gh.check_runs().len(), 1);
    let posts = h.gh.requests_to("POST", "/check-runs");
    assert_eq!(
        posts.iter().map(|r| r.status).collect::<Vec<_>>(),
        [502, 502, 201]
    );
    assert_eq!(h.sleeps(), [Duration::from_secs(1), Duration::from_secs(2)]);
}

#[tokio::test]
async fn retries_are_bounded_and_map_to_upstream() {
    let h = Harness::new().await;
    h.gh.fail_next(Matcher::path("/check-runs"), 10, Failure::Server(503));
    let err = h
        .ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap_err();
    assert!(matches!(err, GateError::Upstream(_)));
    assert_eq!(err.exit_code(), ExitCode::Upstream);
    let msg = err.to_string();
    assert!(msg.contains("503"), "{msg}");
    assert!(msg.contains("gave up after 4 attempts"), "{msg}");
    assert_no_token(&msg);
    assert_eq!(h.gh.requests().len(), 4);
    assert_eq!(h.sleeps().len(), 3);
}

#[tokio::test]
async fn retry_after_is_honoured_on_429_and_secondary_rate_limits() {
    let h = Harness::new().await;
    h.gh.fail_next(
        Matcher::route(Method::GET, "/check-runs"),
        1,
        Failure::TooManyRequests { retry_after: 7 },
    );
    h.gh.fail_next(
        Matcher::route(Method::POST, "/check-runs"),
        1,
        Failure::SecondaryRateLimit {
            retry_after: Some(3),
        },
    );
    h.ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap();
    assert_eq!(h.sleeps(), [Duration::from_secs(7), Duration::from_secs(3)]);
    assert_eq!(h.gh.check_runs().len(), 1);

    // A secondary rate limit without Retry-After waits a minute, as GitHub asks.
    let h = Harness::new().await;
    h.gh.fail_next(
        Matcher::route(Method::POST, "/deployments"),
        1,
        Failure::SecondaryRateLimit { retry_after: None },
    );
    h.ledger
        .create_deployment(&new_deployment("staging"))
        .await
        .unwrap();
    assert_eq!(h.sleeps(), [Duration::from_secs(60)]);
}

#[tokio::test]
async fn exhausted_rate_limit_waits_until_reset_within_budget() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let h = Harness::new().await;
    h.gh.fail_next(
        Matcher::any(),
        1,
        Failure::RateLimitExhausted {
            reset_epoch: now + 20,
        },
    );
    h.ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap();
    let sleeps = h.sleeps();
    assert_eq!(sleeps.len(), 1);
    assert!((19..=23).contains(&sleeps[0].as_secs()), "{sleeps:?}");

    // A wait beyond the budget (2 minutes by default) is not done.
    let h = Harness::new().await;
    h.gh.fail_next(
        Matcher::any(),
        1,
        Failure::TooManyRequests { retry_after: 3600 },
    );
    let err = h
        .ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap_err();
    assert!(h.sleeps().is_empty());
    assert!(err.to_string().contains("retry budget"), "{err}");
    assert_eq!(err.exit_code(), ExitCode::Upstream);
}

#[tokio::test]
async fn rejected_token_gives_a_clear_message_without_the_token() {
    let h = Harness::new().await;
    h.gh.require_token("some-other-token");
    let err = h
        .ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("token was rejected"), "{msg}");
    assert!(
        msg.contains("GITHUB_TOKEN") && msg.contains("--token-env"),
        "{msg}"
    );
    assert_eq!(err.exit_code(), ExitCode::Upstream);
    assert_no_token(&msg);
    assert_no_token(&format!("{err:?}"));
    assert_eq!(h.gh.requests().len(), 1, "a 401 is not retried");
    assert_no_token(&format!("{:?}", h.ledger));
}

#[tokio::test]
async fn missing_permissions_are_named() {
    let h = Harness::new().await;
    h.gh.fail_next(
        Matcher::route(Method::POST, "/deployments"),
        1,
        Failure::NotAccessible,
    );
    let err = h
        .ledger
        .create_deployment(&new_deployment("prod"))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("deployments: write"), "{msg}");
    assert_eq!(err.exit_code(), ExitCode::Upstream);
    assert_no_token(&msg);

    h.gh.fail_next(
        Matcher::route(Method::GET, "/deployments"),
        1,
        Failure::NotAccessible,
    );
    let err = h.ledger.deployments("prod", 5).await.unwrap_err();
    assert!(err.to_string().contains("deployments: read"), "{err}");
}

#[tokio::test]
async fn fork_pull_request_falls_back_to_skipped() {
    let h = Harness::new().await;
    h.gh.fail_next(
        Matcher::route(Method::POST, "/check-runs"),
        1,
        Failure::NotAccessible,
    );
    let out = h
        .ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap();
    let RecordOutcome::Skipped { reason } = out else {
        panic!("expected Skipped, got {out:?}");
    };
    assert!(reason.contains("checks: write"), "{reason}");
    assert!(reason.contains("annotations"), "{reason}");
    assert_no_token(&reason);
    assert!(h.gh.check_runs().is_empty());
    assert_eq!(
        h.gh.requests_to("POST", "/check-runs").len(),
        1,
        "not retried"
    );
}

#[tokio::test]
async fn report_round_trips_through_the_check_run() {
    let h = Harness::new().await;
    let original = report("coverage");
    h.ledger.record_result(SHA, &original).await.unwrap();
    let text = h.gh.check_runs()[0]["output"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.starts_with(REPORT_MARKER));
    assert!(text.contains("<details>") && text.contains("```json"));

    let record = h.ledger.result_for(SHA, "coverage").await.unwrap().unwrap();
    assert_eq!(record.report, original);
    assert_eq!(record.gate, "coverage");
    assert_eq!(record.commit, SHA);
    assert_eq!(
        record.url.as_deref(),
        h.gh.check_runs()[0]["html_url"].as_str()
    );

    assert!(
        h.ledger
            .result_for(OTHER_SHA, "coverage")
            .await
            .unwrap()
            .is_none()
    );
    assert!(h.ledger.result_for(SHA, "audit").await.unwrap().is_none());
    // A check run with that name but no embedded report is no report.
    h.gh.seed_check_run("octo/demo", OTHER_SHA, "gates/audit", Some("made by hand"));
    assert!(
        h.ledger
            .result_for(OTHER_SHA, "audit")
            .await
            .unwrap()
            .is_none()
    );
    // A corrupt embedded report is an error, not a silent miss.
    let corrupt = format!("{REPORT_MARKER}\n```json\n{{\"gate\": 3\n```");
    h.gh.seed_check_run("octo/demo", OTHER_SHA, "gates/load", Some(&corrupt));
    let err = h.ledger.result_for(OTHER_SHA, "load").await.unwrap_err();
    assert_eq!(err.exit_code(), ExitCode::Upstream);
}

#[tokio::test]
async fn long_summary_and_text_are_cut_to_githubs_limit() {
    let h = Harness::new().await;
    let mut r = Report::new("audit");
    r.summary = "many advisories".into();
    r.checked = 3000;
    r.details = json!({ "raw": "y".repeat(80_000) });
    for i in 0..3000 {
        r.findings.push(Finding::new(
            TestRule::VulnerableDependency,
            Severity::Warning,
            format!(
                "package-{i} is affected by an advisory with a long description: {}",
                "é".repeat(40)
            ),
        ));
    }
    let r = r.finish();
    assert!(gates_report::render::markdown::render(&r).chars().count() > 65_535);

    // The fake answers 422 if either field exceeds 65,535 characters.
    let out = h.ledger.record_result(SHA, &r).await.unwrap();
    assert!(matches!(out, RecordOutcome::Recorded { .. }));
    let run = &h.gh.check_runs()[0];
    let summary = run["output"]["summary"].as_str().unwrap();
    assert!(summary.len() <= 65_535, "{}", summary.len());
    assert!(summary.contains("65,535-character limit"));
    let text = run["output"]["text"].as_str().unwrap();
    assert!(text.len() <= 65_535);

    let back = h
        .ledger
        .result_for(SHA, "audit")
        .await
        .unwrap()
        .unwrap()
        .report;
    let t = &back.details["gates_truncated"];
    assert_eq!(t["details_dropped"], true);
    assert_eq!(t["findings_total"], 3000);
    assert_eq!(t["warnings"], 3000);
    assert!(back.findings.len() < 3000);
    assert_eq!(t["findings_dropped"], 3000 - back.findings.len());
    assert_eq!(back.verdict, r.verdict);
    assert_eq!(back.metrics, r.metrics);
}

fn new_deployment(env: &str) -> NewDeployment {
    NewDeployment {
        environment: env.to_string(),
        commit: SHA.to_string(),
        git_ref: "refs/heads/main".to_string(),
        description: Some("deploy by gates".into()),
        payload: json!({ "slot": "blue", "digest": "sha256:abc" }),
        transient: false,
        production: env == "production",
    }
}

fn status(state: DeploymentState) -> NewStatus {
    NewStatus {
        state,
        description: Some(format!("{} {}", state.as_str(), "x".repeat(200))),
        log_url: None,
        environment_url: Some("https://staging.example.com".into()),
        auto_inactive: true,
    }
}

#[tokio::test]
async fn deployments_are_created_with_statuses_and_listed_newest_first() {
    let h = Harness::with_page_size(2).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let d = h
            .ledger
            .create_deployment(&new_deployment("staging"))
            .await
            .unwrap();
        assert_eq!(d.environment, "staging");
        assert_eq!(d.commit, SHA);
        assert_eq!(d.git_ref, "refs/heads/main");
        assert_eq!(d.payload, json!({ "slot": "blue", "digest": "sha256:abc" }));
        let s = h
            .ledger
            .add_status(d.id, &status(DeploymentState::InProgress))
            .await
            .unwrap();
        assert_eq!(s.state, DeploymentState::InProgress);
        assert_eq!(
            s.log_url.as_deref(),
            Some(RUN_URL),
            "log_url defaults to the run"
        );
        let s = h
            .ledger
            .add_status(d.id, &status(DeploymentState::Success))
            .await
            .unwrap();
        assert_eq!(
            s.environment_url.as_deref(),
            Some("https://staging.example.com")
        );
        ids.push(d.id);
    }
    h.ledger
        .create_deployment(&new_deployment("production"))
        .await
        .unwrap();

    let post = &h.gh.requests_to("POST", "/deployments")[0];
    assert_eq!(post.body["ref"], SHA);
    assert_eq!(post.body["auto_merge"], false);
    assert_eq!(post.body["required_contexts"], json!([]));
    assert_eq!(post.body["environment"], "staging");
    assert_eq!(post.body["production_environment"], false);
    assert_eq!(post.body["transient_environment"], false);
    let status_post = &h.gh.requests_to("POST", "/statuses")[1];
    assert_eq!(status_post.body["state"], "success");
    assert_eq!(status_post.body["auto_inactive"], true);
    assert_eq!(status_post.body["log_url"], RUN_URL);
    assert!(
        status_post.body["description"]
            .as_str()
            .unwrap()
            .chars()
            .count()
            <= 140
    );

    h.gh.clear_requests();
    let list = h.ledger.deployments("staging", 10).await.unwrap();
    assert_eq!(
        list.iter().map(|d| d.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>()
    );
    // Newest: in_progress then success. Older ones were made inactive by
    // auto_inactive when the next one succeeded.
    assert_eq!(list[0].state(), Some(DeploymentState::Success));
    let states: Vec<_> = list[1].statuses.iter().map(|s| s.state).collect();
    assert_eq!(
        states,
        [
            DeploymentState::InProgress,
            DeploymentState::Success,
            DeploymentState::Inactive
        ]
    );
    assert_eq!(list[2].state(), Some(DeploymentState::Inactive));
    // Pagination: 3 deployments at 2 per page; statuses of the oldest span 2 pages.
    let pages: Vec<String> =
        h.gh.requests_to("GET", "/deployments")
            .iter()
            .filter(|r| r.path.ends_with("/deployments"))
            .map(|r| r.query_param("page").unwrap())
            .collect();
    assert_eq!(pages, ["1", "2"]);
    assert!(
        h.gh.requests_to("GET", "/statuses")
            .iter()
            .any(|r| r.query_param("page").as_deref() == Some("2"))
    );

    let limited = h.ledger.deployments("staging", 1).await.unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].id, ids[2]);
    assert!(h.ledger.deployments("nowhere", 5).await.unwrap().is_empty());
}

#[tokio::test]
async fn github_enterprise_base_path_is_kept() {
    let gh = FakeGitHub::start().await;
    let api = format!("{}/api/v3/", gh.url());
    let h = Harness::over(gh, &api, 100);
    h.ledger
        .record_result(SHA, &report("coverage"))
        .await
        .unwrap();
    assert!(
        h.ledger
            .result_for(SHA, "coverage")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(h.gh.check_runs().len(), 1);
}

#[test]
fn bad_tokens_and_urls_are_usage_errors() {
    let e =
        GitHubClient::new("https://api.github.com", "octo/demo", Secret::new("abc\n")).unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::Usage);
    assert_no_token(&e.to_string());
    let e = GitHubClient::new("https://api.github.com", "octo/demo", Secret::new("")).unwrap_err();
    assert!(e.to_string().contains("GITHUB_TOKEN"));
    let e =
        GitHubClient::new("https://api.github.com", "not-a-repo", Secret::new(TOKEN)).unwrap_err();
    assert_eq!(e.exit_code(), ExitCode::Usage);
}

#[tokio::test]
async fn network_errors_are_retried_then_reported() {
    // A port nobody listens on: connection refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gh = FakeGitHub::start().await;
    let h = Harness::over(gh, &format!("http://127.0.0.1:{port}"), 100);
    let err = h.ledger.result_for(SHA, "coverage").await.unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.exit_code(), ExitCode::Upstream);
    assert!(
        msg.contains(&format!(
            "cannot reach the GitHub API at http://127.0.0.1:{port}"
        )),
        "{msg}"
    );
    assert!(msg.contains("gave up after 4 attempts"), "{msg}");
    assert_no_token(&msg);
    assert_eq!(h.sleeps().len(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let h = Harness::new().await;
    let client = h.ledger.client();
    let path = client.repo_path("/check-runs");
    let err = client
        .request(
            Method::POST,
            &path,
            Some(&json!({ "name": "gates/x" })),
            gates_github::api::Permission::ChecksWrite,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        gates_github::api::ApiError::Status { status: 422, .. }
    ));
    assert!(err.message().contains("head_sha"), "{err}");
    assert_eq!(h.gh.requests().len(), 1);
    assert!(h.sleeps().is_empty());
}
