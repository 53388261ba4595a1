//! The fake answers like GitHub: recorded shapes, pagination, validation,
//! failure injection and the request log.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::collections::BTreeSet;
use std::path::Path;

use fake_github::{Failure, FakeGitHub, Matcher, keys};
use http::Method;
use serde_json::{Value, json};

struct Resp {
    status: u16,
    link: Option<String>,
    headers: http::HeaderMap,
    body: Value,
}

async fn call(gh: &FakeGitHub, method: Method, path: &str, body: Option<Value>) -> Resp {
    let octo = octocrab::Octocrab::builder()
        .personal_token("t0ken-for-tests".to_string())
        .base_uri(gh.url())
        .unwrap()
        .build()
        .unwrap();
    let resp = match method {
        Method::GET => octo._get(path).await,
        Method::POST => octo._post(path, body.as_ref()).await,
        Method::PATCH => octo._patch(path, body.as_ref()).await,
        _ => unreachable!(),
    }
    .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let link = headers.get("link").map(|v| v.to_str().unwrap().to_string());
    let text = octo.body_to_string(resp).await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Resp {
        status,
        link,
        headers,
        body,
    }
}

fn key_set(v: &Value) -> BTreeSet<String> {
    keys(v).into_iter().collect()
}

#[test]
fn fixtures_are_byte_identical_to_shared_copies() {
    let shared = testkit::fixture!("github/octocrab");
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut compared = 0;
    for entry in std::fs::read_dir(&ours).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path.file_name().unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(shared.join(name)).unwrap(),
            "{name:?} differs from ../shared"
        );
        compared += 1;
    }
    assert_eq!(compared, 6);
}

#[tokio::test]
async fn answers_have_githubs_recorded_shapes() {
    let gh = FakeGitHub::start().await;
    let created = call(
        &gh,
        Method::POST,
        "/repos/o/r/check-runs",
        Some(json!({ "name": "gates/x", "head_sha": "abc", "status": "completed", "conclusion": "success",
                     "output": { "title": "t", "summary": "s", "annotations": [
                        { "path": "a.rs", "start_line": 1, "end_line": 2, "annotation_level": "warning", "message": "m", "title": "r" }
                     ] } })),
    )
    .await;
    assert_eq!(created.status, 201);
    let recorded: Value = serde_json::from_str(fake_github::CHECK_RUNS_LIST_FIXTURE).unwrap();
    assert_eq!(key_set(&created.body), key_set(&recorded["check_runs"][0]));
    assert_eq!(
        key_set(&created.body["output"]),
        key_set(&recorded["check_runs"][0]["output"])
    );
    assert_eq!(created.body["output"]["annotations_count"], 1);

    let id = created.body["id"].as_u64().unwrap();
    let anns = call(
        &gh,
        Method::GET,
        &format!("/repos/o/r/check-runs/{id}/annotations"),
        None,
    )
    .await;
    let recorded: Value = serde_json::from_str(fake_github::ANNOTATIONS_LIST_FIXTURE).unwrap();
    assert_eq!(key_set(&anns.body[0]), key_set(&recorded[0]));
    assert_eq!(anns.body[0]["annotation_level"], "warning");

    let list = call(&gh, Method::GET, "/repos/o/r/commits/abc/check-runs", None).await;
    assert_eq!(
        key_set(&list.body),
        key_set(&json!({ "total_count": 0, "check_runs": [] }))
    );
    assert_eq!(list.body["total_count"], 1);

    let dep = call(
        &gh,
        Method::POST,
        "/repos/o/r/deployments",
        Some(json!({ "ref": "main", "environment": "staging", "payload": { "a": 1 } })),
    )
    .await;
    assert_eq!(dep.status, 201);
    let recorded: Value = serde_json::from_str(fake_github::DEPLOYMENTS_LIST_FIXTURE).unwrap();
    assert_eq!(key_set(&dep.body), key_set(&recorded[0]));
    assert_eq!(dep.body["payload"], json!({ "a": 1 }));

    let dep_id = dep.body["id"].as_u64().unwrap();
    let st = call(
        &gh,
        Method::POST,
        &format!("/repos/o/r/deployments/{dep_id}/statuses"),
        Some(json!({ "state": "success", "log_url": "https://l", "environment_url": "https://e" })),
    )
    .await;
    assert_eq!(st.status, 201);
    let recorded: Value = serde_json::from_str(fake_github::STATUSES_LIST_FIXTURE).unwrap();
    let recorded_keys = key_set(&recorded[0]);
    // The fake's status also carries `node_id`/`log_url`/`environment_url`, as
    // GitHub's current API does; everything the recording has is there.
    assert!(
        key_set(&st.body).is_superset(&recorded_keys),
        "{:?}",
        key_set(&st.body)
    );
    assert_eq!(st.body["log_url"], "https://l");
}

#[tokio::test]
async fn lists_paginate_with_link_headers() {
    let gh = FakeGitHub::start().await;
    for _ in 0..5 {
        gh.seed_check_run("o/r", "abc", "gates/x", None);
    }
    let p1 = call(
        &gh,
        Method::GET,
        "/repos/o/r/commits/abc/check-runs?per_page=2&filter=all",
        None,
    )
    .await;
    assert_eq!(p1.body["check_runs"].as_array().unwrap().len(), 2);
    assert_eq!(p1.body["total_count"], 5);
    let link = p1.link.unwrap();
    assert!(
        link.contains("page=2") && link.contains("rel=\"next\""),
        "{link}"
    );
    assert!(
        link.contains("page=3") && link.contains("rel=\"last\""),
        "{link}"
    );
    let p3 = call(
        &gh,
        Method::GET,
        "/repos/o/r/commits/abc/check-runs?per_page=2&page=3&filter=all",
        None,
    )
    .await;
    assert_eq!(p3.body["check_runs"].as_array().unwrap().len(), 1);
    assert!(!p3.link.unwrap().contains("rel=\"next\""));
    // Newest first.
    let ids: Vec<u64> = p1.body["check_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert!(ids[0] > ids[1]);
    // GitHub's default filter, `latest`, keeps the newest run of a name.
    let latest = call(&gh, Method::GET, "/repos/o/r/commits/abc/check-runs", None).await;
    assert_eq!(latest.body["total_count"], 1);
    assert_eq!(latest.body["check_runs"][0]["id"], json!(ids[0]));
}

#[tokio::test]
async fn validates_like_github() {
    let gh = FakeGitHub::start().await;
    let annotations: Vec<Value> = (0..51)
        .map(|i| json!({ "path": "a", "start_line": i + 1, "end_line": i + 1, "annotation_level": "notice", "message": "m" }))
        .collect();
    let too_many = call(
        &gh,
        Method::POST,
        "/repos/o/r/check-runs",
        Some(json!({ "name": "n", "head_sha": "s", "output": { "title": "t", "summary": "s", "annotations": annotations } })),
    )
    .await;
    assert_eq!(too_many.status, 422);
    let too_long = call(
        &gh,
        Method::POST,
        "/repos/o/r/check-runs",
        Some(json!({ "name": "n", "head_sha": "s", "output": { "title": "t", "summary": "x".repeat(65_536) } })),
    )
    .await;
    assert_eq!(too_long.status, 422);
    assert!(gh.check_runs().is_empty());
}

#[tokio::test]
async fn failures_are_injected_per_route_and_requests_recorded() {
    let gh = FakeGitHub::start().await;
    gh.fail_next(
        Matcher::route(Method::GET, "/deployments"),
        1,
        Failure::TooManyRequests { retry_after: 9 },
    );
    gh.fail_next(Matcher::path("/check-runs"), 1, Failure::NotAccessible);
    let r = call(&gh, Method::GET, "/repos/o/r/deployments", None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers.get("retry-after").unwrap(), "9");
    let r = call(&gh, Method::GET, "/repos/o/r/deployments", None).await;
    assert_eq!(r.status, 200, "only the next one failed");
    let r = call(&gh, Method::GET, "/repos/o/r/commits/x/check-runs", None).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["message"], "Resource not accessible by integration");

    gh.fail_next(
        Matcher::any(),
        1,
        Failure::SecondaryRateLimit { retry_after: None },
    );
    let r = call(&gh, Method::GET, "/repos/o/r/deployments", None).await;
    assert_eq!(r.status, 403);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("secondary rate limit")
    );
    gh.fail_next(Matcher::any(), 1, Failure::Server(503));
    assert_eq!(
        call(&gh, Method::GET, "/repos/o/r/deployments", None)
            .await
            .status,
        503
    );

    gh.require_token("another");
    assert_eq!(
        call(&gh, Method::GET, "/repos/o/r/deployments", None)
            .await
            .status,
        401
    );

    let log = gh.requests();
    assert_eq!(log.len(), 6);
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 200, 403, 403, 503, 401]
    );
    assert!(
        log.iter()
            .all(|r| r.authorized && !r.headers.contains_key("authorization"))
    );
    assert!(
        log.iter()
            .all(|r| !format!("{r:?}").contains("t0ken-for-tests"))
    );
}

#[tokio::test]
async fn enterprise_prefix_is_accepted() {
    let gh = FakeGitHub::start().await;
    gh.seed_check_run("o/r", "abc", "gates/x", None);
    let r = call(
        &gh,
        Method::GET,
        "/api/v3/repos/o/r/commits/abc/check-runs?per_page=1",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(gh.requests()[0].path, "/repos/o/r/commits/abc/check-runs");
}

async fn get_if_none_match(gh: &FakeGitHub, path: &str, etag: &str) -> (u16, http::HeaderMap) {
    let octo = octocrab::Octocrab::builder()
        .personal_token("t0ken-for-tests".to_string())
        .base_uri(gh.url())
        .unwrap()
        .build()
        .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::IF_NONE_MATCH, etag.parse().unwrap());
    let resp = octo._get_with_headers(path, Some(headers)).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = octo.body_to_string(resp).await.unwrap();
    assert!(
        text.is_empty() || status != 304,
        "a 304 has no body: {text}"
    );
    (status, headers)
}

#[tokio::test]
async fn gets_carry_an_etag_and_a_matching_if_none_match_gets_304() {
    let gh = FakeGitHub::start().await;
    gh.seed_check_run("o/r", "abc", "gates/x", None);
    let path = "/repos/o/r/commits/abc/check-runs";
    let first = call(&gh, Method::GET, path, None).await;
    assert_eq!(first.status, 200);
    let etag = first.headers["etag"].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
        "{etag}"
    );
    assert_eq!(
        etag,
        call(&gh, Method::GET, path, None).await.headers["etag"],
        "the same answer has the same tag"
    );

    let (status, headers) = get_if_none_match(&gh, path, &etag).await;
    assert_eq!(status, 304);
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    // Weak comparison and lists, as GitHub compares.
    assert_eq!(
        get_if_none_match(&gh, path, &format!("\"x\", W/{etag}"))
            .await
            .0,
        304
    );
    assert_eq!(get_if_none_match(&gh, path, "\"other\"").await.0, 200);

    // A change gives a new tag: the old one no longer matches.
    gh.seed_check_run("o/r", "abc", "build", None);
    let (status, headers) = get_if_none_match(&gh, path, &etag).await;
    assert_eq!(status, 200);
    assert_ne!(headers["etag"].to_str().unwrap(), etag);

    let log = gh.requests_to("GET", path);
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 200, 304, 304, 200, 200]
    );
    assert_eq!(gh.rate_limit_used(), 4, "a 304 costs no rate limit");
    assert_eq!(log[2].headers["if-none-match"], etag);
}

#[tokio::test]
async fn check_runs_of_other_apps_and_deployments_of_every_environment() {
    let gh = FakeGitHub::start().await;
    gh.seed_check_run_from_app("o/r", "abc", "codecov/patch", "codecov", None);
    gh.seed_check_run("o/r", "abc", "gates/x", None);
    let runs = call(
        &gh,
        Method::GET,
        "/repos/o/r/commits/abc/check-runs?per_page=1",
        None,
    )
    .await;
    assert_eq!(runs.body["total_count"], json!(2));
    assert_eq!(
        runs.body["check_runs"][0]["app"]["slug"],
        json!("github-actions")
    );
    assert!(runs.link.unwrap().contains("rel=\"next\""));
    let page2 = call(
        &gh,
        Method::GET,
        "/repos/o/r/commits/abc/check-runs?per_page=1&page=2",
        None,
    )
    .await;
    assert_eq!(page2.body["check_runs"][0]["app"]["slug"], json!("codecov"));
    assert_eq!(page2.body["check_runs"][0]["name"], json!("codecov/patch"));

    for env in ["staging", "production"] {
        let body = json!({ "ref": "main", "environment": env });
        assert_eq!(
            call(&gh, Method::POST, "/repos/o/r/deployments", Some(body))
                .await
                .status,
            201
        );
    }
    let all = call(&gh, Method::GET, "/repos/o/r/deployments", None).await;
    let envs: Vec<_> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["environment"].clone())
        .collect();
    assert_eq!(
        envs,
        [json!("production"), json!("staging")],
        "newest first"
    );
}
