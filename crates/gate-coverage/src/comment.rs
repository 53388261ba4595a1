//! The sticky pull-request comment (`comment: true`): one comment per pull
//! request, found again by a hidden marker and updated in place.
//!
//! Only in GitHub Actions, on a pull request, with a token. A token that may
//! not comment (403: pull requests from forks, or no `pull-requests: write`)
//! is a warning, never a failure: the verdict stands in the check run, the
//! job summary and the exit code.

use gate_core::github::api::{ApiError, GitHubClient, Permission};
use gate_core::github::escape;
use gate_core::ledger::Ledger;
use gate_core::report::Report;
use gate_core::{Context, GateError, out};
use http::Method;
use serde_json::{Value, json};

/// Hidden marker that identifies the gate's comment among a pull request's comments.
pub const MARKER: &str = "<!-- gates:coverage:sticky-comment -->";

/// GitHub refuses comment bodies over 65,536 characters; stay under in bytes.
const MAX_BODY_BYTES: usize = 65_000;

/// Most comments read to find ours (GitHub pages of 100).
const MAX_COMMENTS: usize = 5_000;

/// What happened to the comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created { id: u64, url: Option<String> },
    Updated { id: u64, url: Option<String> },
}

/// The comment's text: the marker, then the report as Markdown (gate-core's
/// renderer, which escapes every untrusted string), masked.
pub fn body(report: &Report, ctx: &Context) -> String {
    let md = ctx
        .masker
        .redact(&gate_core::render::markdown::render(report));
    let text = format!("{MARKER}\n{md}");
    gate_core::ledger::github::cut_bytes(
        &text,
        MAX_BODY_BYTES,
        "\n\n_The comment was cut at GitHub's size limit; the job summary and the check run have everything._\n",
    )
}

/// Creates the comment, or updates the one carrying [`MARKER`].
pub async fn upsert(client: &GitHubClient, pr: u64, body: &str) -> Result<Outcome, ApiError> {
    let list_path = client.repo_path(&format!("/issues/{pr}/comments"));
    let comments = client
        .get_paginated(
            &list_path,
            &[],
            None,
            MAX_COMMENTS,
            Permission::PullRequestsWrite,
        )
        .await?;
    let ours = comments.iter().find_map(|c| {
        let text = c.get("body").and_then(Value::as_str)?;
        // The marker opens the body; a comment quoting it further down is someone else's.
        text.starts_with(MARKER)
            .then(|| c.get("id").and_then(Value::as_u64))
            .flatten()
    });
    let payload = json!({ "body": body });
    let url_of = |v: &Value| v.get("html_url").and_then(Value::as_str).map(String::from);
    match ours {
        Some(id) => {
            let path = client.repo_path(&format!("/issues/comments/{id}"));
            let resp = client
                .request(
                    Method::PATCH,
                    &path,
                    Some(&payload),
                    Permission::PullRequestsWrite,
                )
                .await?;
            Ok(Outcome::Updated {
                id,
                url: url_of(&resp.body),
            })
        }
        None => {
            let resp = client
                .request(
                    Method::POST,
                    &list_path,
                    Some(&payload),
                    Permission::PullRequestsWrite,
                )
                .await?;
            let id = resp.body.get("id").and_then(Value::as_u64).ok_or_else(|| {
                ApiError::Decode(format!(
                    "GitHub API POST {list_path}: the answer has no comment id"
                ))
            })?;
            Ok(Outcome::Created {
                id,
                url: url_of(&resp.body),
            })
        }
    }
}

fn warn(ctx: &Context, message: &str) {
    out::diag("coverage", "warning", message);
    if ctx.github.in_actions {
        out::workflow_command(&escape::command(
            "warning",
            &[(
                "title",
                "gate-coverage: no pull-request comment".to_string(),
            )],
            message,
        ));
    }
}

/// The `publish` hook: posts or updates the comment when it can, says why
/// when it cannot. Returns the outcome, `None` when nothing was posted.
pub async fn publish(ctx: &Context, report: &Report) -> gate_core::Result<Option<Outcome>> {
    if !ctx.github.in_actions {
        out::diag(
            "coverage",
            "note",
            "comment: the pull-request comment is only posted in GitHub Actions",
        );
        return Ok(None);
    }
    let Some(pr) = ctx.github.pr_number else {
        out::diag(
            "coverage",
            "note",
            "comment: not a pull request event, no comment to post",
        );
        return Ok(None);
    };
    let Some(token) = &ctx.token else {
        warn(
            ctx,
            "comment: no GitHub token, so no pull-request comment (pass `token`, with `permissions: pull-requests: write`)",
        );
        return Ok(None);
    };
    let owned;
    let client = match &ctx.ledger {
        Ledger::GitHub(g) => g.client(),
        Ledger::Local(_) => {
            owned = GitHubClient::from_env(&ctx.github, token.clone())?;
            &owned
        }
    };
    match upsert(client, pr, &body(report, ctx)).await {
        Ok(outcome) => {
            let (verb, url) = match &outcome {
                Outcome::Created { url, .. } => ("posted", url),
                Outcome::Updated { url, .. } => ("updated", url),
            };
            let at = url.as_deref().map(|u| format!(": {u}")).unwrap_or_default();
            out::diag(
                "coverage",
                "note",
                &format!("pull-request comment {verb}{at}"),
            );
            Ok(Some(outcome))
        }
        Err(e @ (ApiError::NotAccessible { .. } | ApiError::Forbidden(_))) => {
            warn(
                ctx,
                &format!(
                    "comment: the token may not comment on pull request #{pr} ({}); it needs `permissions: {}`, which pull requests from forks never get. The verdict stands in the check run, the job summary and the exit code",
                    e.message(),
                    Permission::PullRequestsWrite.as_str()
                ),
            );
            Ok(None)
        }
        Err(e) => Err(GateError::Upstream(format!(
            "pull-request comment: {}",
            e.message()
        ))),
    }
}
