//! gate-score on GitHub: the commit's check runs read through the fake
//! GitHub (crates/fake-github, recorded response shapes), over pages, with
//! other apps' runs and re-runs; a 5xx storm is retried, then exit 5 (an
//! upstream problem is never a go).

use crate::common;

use std::sync::Arc;

use common::*;
use fake_github::{Failure, FakeGitHub, Matcher};
use gate_core::context::GithubEnv;
use gate_core::github::api::{GitHubClient, Sleeper};
use gate_core::ledger::Ledger;
use gate_core::ledger::github::{GitHubLedger, embed_report};
use gate_core::secret::{Masker, Secret};
use gate_core::{Context, ExitCode, Gate};
use gate_score::ScoreGate;
use gate_score::config::{ScoreArgs, ScoreConfig};

const REPO: &str = "octo/demo";
const TOKEN: &str = "ghs_ScoreTestToken0123456789";

/// 120 check runs on the commit: the pipeline's five gates (coverage run
/// twice, failed then passed), and 114 runs of other apps and jobs.
fn seed(gh: &FakeGitHub, sha: &str) {
    gh.seed_check_run(
        REPO,
        sha,
        "gates/coverage",
        Some(&embed_report(&report("coverage-failed"))),
    );
    for i in 0..57 {
        gh.seed_check_run_from_app(
            REPO,
            sha,
            &format!("ci / test ({i})"),
            "github-actions",
            None,
        );
        gh.seed_check_run_from_app(REPO, sha, &format!("lint-{i}"), "codecov", None);
    }
    for name in ["audit", "sbom", "health", "load", "coverage"] {
        gh.seed_check_run(
            REPO,
            sha,
            &format!("gates/{name}"),
            Some(&embed_report(&report(name))),
        );
    }
    assert_eq!(gh.check_runs().len(), 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_with_120_check_runs_is_read_over_pages_newest_run_first() {
    let gh = FakeGitHub::start().await;
    let sha = commit();
    seed(&gh, &sha);
    gh.clear_requests();
    let url = gh.url();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let out = dir.path().join("score.json").display().to_string();
    let sha2 = sha.clone();
    let run = tokio::task::spawn_blocking(move || {
        gate_core::run::testing::run::<ScoreGate>(
            &path,
            &["--output", &format!("json={out}")],
            &[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_REPOSITORY", REPO),
                ("GITHUB_API_URL", &url),
                ("GITHUB_SHA", &sha2),
                ("GITHUB_TOKEN", TOKEN),
            ],
        )
    })
    .await
    .unwrap();
    let (code, cap) = run;
    assert_eq!(code, ExitCode::Pass, "{}", cap.stderr);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("score.json")).unwrap())
            .unwrap();
    assert_eq!(j["details"]["decision"], "go-with-warnings", "{j:#}");
    assert!(
        messages(&j, "gate-failed").is_empty(),
        "the re-run replaced the failed run"
    );
    assert_eq!(j["checked"], 5);
    // Two pages of 100, every app's runs (then the runner looks up its own
    // `gates/score` run to record the decision).
    let pages: Vec<_> = gh
        .requests_to("GET", "/check-runs")
        .iter()
        .filter(|r| r.query_param("check_name").is_none())
        .map(|r| r.query_param("page"))
        .collect();
    assert_eq!(pages, [Some("1".to_string()), Some("2".to_string())]);
    // The decision is the check run `gates/score`, with its report.
    let score_run = gh
        .check_runs()
        .into_iter()
        .find(|r| r["name"] == "gates/score")
        .expect("gates/score check run");
    assert_eq!(score_run["head_sha"], sha.as_str());
    // The token appears only where the runner is told to mask it.
    let printed = format!("{}\n{}", cap.stdout, cap.stderr);
    let leaks: Vec<&str> = printed
        .lines()
        .filter(|l| l.contains(TOKEN) && !l.starts_with("::add-mask::"))
        .collect();
    assert!(leaks.is_empty(), "{leaks:?}");
}

fn no_sleep() -> Sleeper {
    Arc::new(|_| Box::pin(async {}))
}

fn github_ctx(gh: &FakeGitHub, sha: &str) -> Context {
    let client = GitHubClient::new(&gh.url(), REPO, Secret::new(TOKEN))
        .unwrap()
        .with_sleeper(no_sleep());
    Context {
        repo_root: std::env::temp_dir(),
        commit: Some(sha.to_string()),
        github: GithubEnv {
            repository: REPO.into(),
            in_actions: true,
            sha: Some(sha.to_string()),
            api_url: gh.url(),
            ..GithubEnv::default()
        },
        token: Some(Secret::new(TOKEN)),
        ledger: Ledger::GitHub(Box::new(GitHubLedger::with_client(client, None))),
        masker: Masker::new(false),
        instance: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_storm_is_retried_then_an_upstream_error_never_a_go() {
    let gh = FakeGitHub::start().await;
    let sha = commit();
    seed(&gh, &sha);
    gh.clear_requests();
    gh.fail_next(Matcher::path("/check-runs"), 1000, Failure::Server(502));
    let ctx = github_ctx(&gh, &sha);
    let args = ScoreArgs { explain: false };
    let err = ScoreGate::collect(&ctx, &ScoreConfig::default(), &args)
        .await
        .expect_err("a 5xx storm cannot be evidence");
    assert_eq!(err.exit_code(), ExitCode::Upstream, "{err}");
    let attempts = gh.requests_to("GET", "/check-runs").len();
    assert!(attempts > 1, "retried: {attempts} attempts");
    assert!(!err.to_string().contains(TOKEN));

    // A short storm is ridden out: the same evidence, the same decision.
    gh.clear_requests();
    let gh2 = FakeGitHub::start().await;
    seed(&gh2, &sha);
    gh2.fail_next(Matcher::path("/check-runs"), 2, Failure::Server(503));
    let ctx = github_ctx(&gh2, &sha);
    let input = ScoreGate::collect(&ctx, &ScoreConfig::default(), &args)
        .await
        .unwrap();
    let report = ScoreGate::evaluate(&input, &ScoreConfig::default());
    assert_eq!(
        gate_score::evaluate::decision(report.verdict),
        "go-with-warnings"
    );
}
