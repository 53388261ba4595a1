//! Issue (pull-request) comments: create, list with pagination, update in
//! place, validation, through the GitHub client gates uses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fake_github::{COMMENT_AUTHOR, FakeGitHub, MAX_COMMENT_CHARS};
use http::Method;
use serde_json::{Value, json};

async fn send(gh: &FakeGitHub, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
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
        _ => panic!("unsupported method"),
    }
    .unwrap();
    let status = resp.status().as_u16();
    let text = octo.body_to_string(resp).await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn comments_are_created_listed_paginated_and_updated() {
    let gh = FakeGitHub::start().await;
    let seeded = gh.seed_issue_comment("octo/demo", 7, "alice", "LGTM");
    let (status, c) = send(
        &gh,
        Method::POST,
        "/repos/octo/demo/issues/7/comments",
        Some(json!({"body": "hello"})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(c["body"], "hello");
    assert_eq!(c["user"]["login"], COMMENT_AUTHOR);
    assert_eq!(c["user"]["type"], "Bot");
    let id = c["id"].as_u64().unwrap();
    assert_ne!(id, seeded);
    for key in [
        "id",
        "node_id",
        "url",
        "html_url",
        "body",
        "user",
        "created_at",
        "updated_at",
        "issue_url",
        "author_association",
    ] {
        assert!(c.get(key).is_some(), "comment lacks {key}");
    }
    // Other pull requests' comments are not listed.
    gh.seed_issue_comment("octo/demo", 8, "bob", "elsewhere");
    let (status, list) = send(
        &gh,
        Method::GET,
        "/repos/octo/demo/issues/7/comments?per_page=1&page=2",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        list[0]["id"],
        json!(id),
        "oldest first: page 2 of 1 per page is the second comment"
    );

    let (status, c) = send(
        &gh,
        Method::PATCH,
        &format!("/repos/octo/demo/issues/comments/{id}"),
        Some(json!({"body": "edited"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(c["body"], "edited");
    assert_ne!(c["updated_at"], c["created_at"]);
    let (status, one) = send(
        &gh,
        Method::GET,
        &format!("/repos/octo/demo/issues/comments/{id}"),
        None,
    )
    .await;
    assert_eq!((status, one["body"].as_str()), (200, Some("edited")));
    let bodies: Vec<String> = gh
        .issue_comments(7)
        .iter()
        .map(|c| c["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, ["LGTM", "edited"]);
}

#[tokio::test]
async fn comments_are_validated_like_github() {
    let gh = FakeGitHub::start().await;
    let octo = octocrab::Octocrab::builder()
        .personal_token("t".to_string())
        .base_uri(gh.url())
        .unwrap()
        .build()
        .unwrap();
    let too_long = "x".repeat(MAX_COMMENT_CHARS + 1);
    for body in [json!({}), json!({"body": too_long})] {
        let resp = octo
            ._post("/repos/octo/demo/issues/7/comments", Some(&body))
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 422);
    }
    let resp = octo
        ._patch(
            "/repos/octo/demo/issues/comments/999999",
            Some(&json!({"body": "x"})),
        )
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert!(gh.issue_comments(7).is_empty());
}
