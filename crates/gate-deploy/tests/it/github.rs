//! gate-deploy and gate-rollback with the GitHub ledger (the in-process fake
//! GitHub): deployments and statuses, `log_url`, and an `in_progress`
//! deployment acting as the lock.

use crate::common;

use common::*;
use gate_core::ledger::{DeploymentState, NewDeployment, NewStatus};

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");
const TOKEN: &str = "ghs_faketokenforthetests0001";
const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn run_gh(w: &World, url: &str, bin: &str, args: &[&str]) -> (i32, String, String) {
    let out = w
        .command_on(bin, &["--ledger", "github"], args)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", url)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "octo/demo")
        .env("GITHUB_SHA", SHA)
        .env("GITHUB_RUN_ID", "42")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_EVENT_PATH")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[allow(clippy::too_many_lines)]
#[test]
fn deployments_and_statuses_go_to_github_and_in_progress_is_the_lock() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let gh = rt.block_on(fake_github::FakeGitHub::start());
    gh.require_token(TOKEN);
    let url = gh.url();
    let w = World::new();
    for slot in ["blue", "green"] {
        std::fs::create_dir_all(w.path().join("releases").join(slot)).unwrap();
    }
    // The fake's clock starts in 2024: a lock-timeout of ten years makes its
    // in_progress deployments count as running.
    let config = |lock_timeout: &str| {
        w.base_config(
            "deploy",
            &format!("  switch: symlink\n  symlink: current\n  blue-target: releases/blue\n  green-target: releases/green\n  lock-timeout: {lock_timeout}\n"),
        )
        .replace("deploy:\n", "deploy: &d\n")
            + "rollback: *d\n"
    };
    w.write_config(&config("3650d"));

    // First deploy: nothing live, so blue.
    let (code, out, err) = run_gh(&w, &url, DEPLOY, &["--release", "v1", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let ds = gh.deployments();
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(ds[0]["environment"], "production");
    assert_eq!(ds[0]["sha"], SHA);
    assert_eq!(ds[0]["payload"]["data"]["slot"], "blue");
    assert_eq!(ds[0]["payload"]["data"]["release"], "v1");
    let id = ds[0]["id"].as_u64().unwrap();
    let statuses = gh.statuses(id);
    let states: Vec<_> = statuses
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states.first().map(String::as_str), Some("in_progress"));
    assert_eq!(states.last().map(String::as_str), Some("success"));
    let last = statuses.last().unwrap();
    assert!(
        last["description"]
            .as_str()
            .unwrap()
            .contains("live=blue release=v1"),
        "{last}"
    );
    assert!(
        last["log_url"]
            .as_str()
            .unwrap()
            .ends_with("/octo/demo/actions/runs/42"),
        "{last}"
    );

    // Another run holds the environment: an in_progress deployment.
    let _ctx = rt.enter();
    let ledger = gate_core::ledger::github::GitHubLedger::new(
        &gate_core::context::GithubEnv {
            repository: "octo/demo".into(),
            api_url: url.clone(),
            server_url: "https://github.example".into(),
            ..Default::default()
        },
        gate_core::secret::Secret::new(TOKEN),
    )
    .unwrap();
    let other = rt
        .block_on(ledger.create_deployment(&NewDeployment {
            environment: "production".into(),
            commit: SHA.into(),
            git_ref: "main".into(),
            description: None,
            payload: serde_json::json!({"kind": "deploy", "slot": "green", "release": "v9", "switch": "symlink"}),
            transient: false,
            production: true,
        }))
        .unwrap();
    rt.block_on(ledger.add_status(
        other.id,
        &NewStatus {
            state: DeploymentState::InProgress,
            description: Some("phase=watch live=green release=v9".into()),
            log_url: None,
            environment_url: None,
            auto_inactive: false,
        },
    ))
    .unwrap();
    let before = gh.deployments().len();
    let (code, _, err) = run_gh(&w, &url, DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains(&format!("deployment {} of `production`", other.id))
            && err.contains("in progress"),
        "{err}"
    );
    let (code, _, err) = run_gh(&w, &url, &rollback_bin(), &["--format", "json"]);
    assert_eq!(code, 4, "{err}");
    assert_eq!(
        gh.deployments().len(),
        before,
        "nothing created while locked"
    );

    // status reads the same records.
    let (code, out, err) = run_gh(
        &w,
        &url,
        DEPLOY,
        &["status", "--no-record", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let s = report(&out);
    assert_eq!(s["details"]["state"]["live"]["slot"], "blue");
    assert_eq!(s["details"]["state"]["unfinished"][0]["id"], other.id);
    assert_eq!(s["details"]["lock_held"], serde_json::Value::Null);
    assert_eq!(s["details"]["running"], serde_json::json!([other.id]));
    assert_eq!(s["verdict"], "pass", "a running deploy is no warning");

    // Older than lock-timeout: interrupted. The next deploy resolves it.
    w.write_config(&config("60s"));
    let (code, out, err) = run_gh(&w, &url, DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(
        report(&out)["details"]["resolved"],
        serde_json::json!([other.id])
    );
    let st = gh.statuses(other.id);
    let last = st.last().unwrap();
    assert_eq!(last["state"], "error");
    assert!(
        last["description"]
            .as_str()
            .unwrap()
            .contains("phase=interrupted"),
        "{last}"
    );
}
