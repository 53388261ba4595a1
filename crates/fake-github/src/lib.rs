//! An in-process fake of the GitHub REST API, for tests.
//!
//! [`FakeGitHub::start`] serves on `127.0.0.1:0` (a free port) and answers
//! the routes gates uses with the JSON shapes GitHub returns (recorded in
//! `fixtures/`, from octocrab's test data):
//!
//! | route | |
//! |---|---|
//! | `POST /repos/{o}/{r}/check-runs` | create (status 201) |
//! | `PATCH /repos/{o}/{r}/check-runs/{id}` | update; annotations are appended, as on GitHub |
//! | `GET /repos/{o}/{r}/check-runs/{id}` | one check run |
//! | `GET /repos/{o}/{r}/check-runs/{id}/annotations` | paginated |
//! | `GET /repos/{o}/{r}/commits/{sha}/check-runs` | `check_name` and `filter` (`latest`, the default: the newest run of each name; `all`), newest first, paginated, in a `total_count`/`check_runs` envelope |
//! | `POST /repos/{o}/{r}/deployments` | create (201) |
//! | `GET /repos/{o}/{r}/deployments` | `environment`/`sha`/`ref`/`task` filters (each optional: no `environment` lists every environment), newest first, paginated |
//! | `GET /repos/{o}/{r}/deployments/{id}` | one deployment |
//! | `POST /repos/{o}/{r}/deployments/{id}/statuses` | create (201); `auto_inactive` honoured |
//! | `GET /repos/{o}/{r}/deployments/{id}/statuses` | newest first, paginated |
//! | `GET /repos/{o}/{r}/issues/{n}/comments` | oldest first, paginated |
//! | `POST /repos/{o}/{r}/issues/{n}/comments` | create (201); `body` required, at most 65,536 characters |
//! | `GET /repos/{o}/{r}/issues/comments/{id}` | one comment |
//! | `PATCH /repos/{o}/{r}/issues/comments/{id}` | update the body |
//!
//! Every JSON answer carries an `ETag` (a hash of its body); a `GET` whose
//! `If-None-Match` names the current tag is answered `304 Not Modified` with
//! no body, as GitHub does (and a 304 does not count against GitHub's rate
//! limit: [`FakeGitHub::rate_limit_used`] counts every other request, and
//! answers carry GitHub's `x-ratelimit-*` headers).
//!
//! A path prefix `/api/v3` (GitHub Enterprise) is accepted and ignored.
//! Pagination follows GitHub: `per_page` (default 30, max 100) and `page`,
//! with a `Link` header (`next`, `last`, `first`, `prev`).
//!
//! Like GitHub, it validates what gates could get wrong: a check run's
//! `output.summary`/`output.text` over 65,535 characters, or more than 50
//! annotations in one request, is a `422`.
//!
//! Every request is recorded ([`FakeGitHub::requests`]: method, path, query,
//! headers without `Authorization`, JSON body), and failures can be injected
//! per route for the next N matching requests ([`FakeGitHub::fail_next`]).

#![allow(clippy::expect_used)] // test support: a poisoned lock or a port that cannot bind is a bug in the test

use gates_report::text::percent_encode;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, TimeZone, Utc};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use serde_json::{Map, Value, json};

/// Largest `output.summary` / `output.text` GitHub accepts, in characters.
pub const MAX_OUTPUT_CHARS: usize = 65_535;
/// Most annotations GitHub accepts in one create/update request.
pub const MAX_ANNOTATIONS_PER_REQUEST: usize = 50;
/// Largest issue comment body GitHub accepts, in characters.
pub const MAX_COMMENT_CHARS: usize = 65_536;
/// Login of the author of comments the fake creates (the Actions token's bot).
pub const COMMENT_AUTHOR: &str = "github-actions[bot]";

const CHECK_RUNS_FIXTURE: &str = include_str!("../fixtures/commit_check_runs.json");
const ANNOTATIONS_FIXTURE: &str = include_str!("../fixtures/check_run_annotations.json");
const DEPLOYMENT_FIXTURE: &str = include_str!("../fixtures/repo_deployment.json");
const STATUS_FIXTURE: &str = include_str!("../fixtures/repo_deployment_status.json");
/// The recorded list shapes, for tests comparing the fake's answers with GitHub's.
pub const DEPLOYMENTS_LIST_FIXTURE: &str = include_str!("../fixtures/repo_deployments.json");
pub const STATUSES_LIST_FIXTURE: &str = include_str!("../fixtures/repo_deployment_statuses.json");
pub const CHECK_RUNS_LIST_FIXTURE: &str = CHECK_RUNS_FIXTURE;
pub const ANNOTATIONS_LIST_FIXTURE: &str = ANNOTATIONS_FIXTURE;

/// One request the fake received.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the GitHub Enterprise prefix and without the query.
    pub path: String,
    /// Raw query string (empty when none).
    pub query: String,
    /// Lower-case header names; `authorization` is never recorded.
    pub headers: BTreeMap<String, String>,
    /// Whether an `Authorization` header was sent (its value is not kept).
    pub authorized: bool,
    /// JSON body, `Value::Null` when none.
    pub body: Value,
    /// Status the fake answered with.
    pub status: u16,
}

impl RecordedRequest {
    /// Value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        parse_query(&self.query).remove(name)
    }
}

/// A failure to inject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A 5xx (500, 502, 503, ...) with GitHub's error body.
    Server(u16),
    /// 429 with `Retry-After: secs`.
    TooManyRequests { retry_after: u64 },
    /// 403 "You have exceeded a secondary rate limit", with `Retry-After`
    /// when given.
    SecondaryRateLimit { retry_after: Option<u64> },
    /// 403 primary rate limit: `x-ratelimit-remaining: 0` and
    /// `x-ratelimit-reset: reset_epoch` (Unix seconds).
    RateLimitExhausted { reset_epoch: u64 },
    /// 401 "Bad credentials".
    Unauthorized,
    /// 403 "Resource not accessible by integration" (a read-only token, as
    /// in pull requests from forks).
    NotAccessible,
    /// Any status with this `message` in GitHub's error body: an answer that
    /// echoes what it was sent (a title, a token) back into the error.
    Message { status: u16, message: String },
}

/// Which requests a failure applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matcher {
    /// `None`: any method.
    pub method: Option<Method>,
    /// Substring of the path (without query); empty matches every path.
    pub path_contains: String,
}

impl Matcher {
    pub fn any() -> Self {
        Matcher {
            method: None,
            path_contains: String::new(),
        }
    }

    pub fn path(path_contains: &str) -> Self {
        Matcher {
            method: None,
            path_contains: path_contains.to_string(),
        }
    }

    pub fn route(method: Method, path_contains: &str) -> Self {
        Matcher {
            method: Some(method),
            path_contains: path_contains.to_string(),
        }
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method) && path.contains(&self.path_contains)
    }
}

#[derive(Debug)]
struct Injection {
    matcher: Matcher,
    remaining: usize,
    failure: Failure,
}

#[derive(Debug, Default)]
struct StateInner {
    next_id: u64,
    clock: i64,
    check_runs: Vec<Value>,
    /// check run id → annotations, in the order received.
    annotations: BTreeMap<u64, Vec<Value>>,
    deployments: Vec<Value>,
    /// deployment id → statuses, oldest first.
    statuses: BTreeMap<u64, Vec<Value>>,
    /// Issue (pull request) comments, in creation order, with their issue number.
    comments: Vec<(u64, Value)>,
    requests: Vec<RecordedRequest>,
    /// Requests counted against the primary rate limit (every one but a 304).
    rate_used: u64,
    injections: Vec<Injection>,
    token: Option<String>,
}

#[derive(Debug)]
struct Templates {
    check_run: Value,
    annotation: Value,
    deployment: Value,
    status: Value,
}

#[derive(Clone, Debug)]
struct Shared {
    inner: Arc<Mutex<StateInner>>,
    templates: Arc<Templates>,
}

/// The running fake server. Stops when dropped.
#[derive(Debug)]
pub struct FakeGitHub {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeGitHub {
    /// Starts the server on a free local port, on the current tokio runtime.
    pub async fn start() -> FakeGitHub {
        let templates = Templates {
            check_run: serde_json::from_str::<Value>(CHECK_RUNS_FIXTURE)
                .expect("fixture commit_check_runs.json")["check_runs"][0]
                .clone(),
            annotation: serde_json::from_str::<Value>(ANNOTATIONS_FIXTURE)
                .expect("fixture check_run_annotations.json")[0]
                .clone(),
            deployment: serde_json::from_str(DEPLOYMENT_FIXTURE)
                .expect("fixture repo_deployment.json"),
            status: serde_json::from_str(STATUS_FIXTURE)
                .expect("fixture repo_deployment_status.json"),
        };
        let shared = Shared {
            inner: Arc::new(Mutex::new(StateInner {
                next_id: 1000,
                ..StateInner::default()
            })),
            templates: Arc::new(templates),
        };
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeGitHub { addr, shared, task }
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (use as `GITHUB_API_URL`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Only accept `Authorization: Bearer <token>` or `token <token>`;
    /// anything else gets a 401. By default any request is accepted.
    pub fn require_token(&self, token: &str) {
        self.lock().token = Some(token.to_string());
    }

    /// The next `times` requests matching `matcher` fail with `failure`.
    /// Injections are consulted in the order they were added.
    pub fn fail_next(&self, matcher: Matcher, times: usize, failure: Failure) {
        self.lock().injections.push(Injection {
            matcher,
            remaining: times,
            failure,
        });
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Requests whose method is `method` and whose path contains `path_contains`.
    pub fn requests_to(&self, method: &str, path_contains: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.contains(path_contains))
            .collect()
    }

    /// Requests counted against the primary rate limit so far: every
    /// request but those answered `304 Not Modified`, as GitHub counts.
    pub fn rate_limit_used(&self) -> u64 {
        self.lock().rate_used
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// All check runs, in creation order.
    pub fn check_runs(&self) -> Vec<Value> {
        self.lock().check_runs.clone()
    }

    /// Annotations of a check run, in the order received.
    pub fn annotations(&self, check_run_id: u64) -> Vec<Value> {
        self.lock()
            .annotations
            .get(&check_run_id)
            .cloned()
            .unwrap_or_default()
    }

    /// All deployments, in creation order.
    pub fn deployments(&self) -> Vec<Value> {
        self.lock().deployments.clone()
    }

    /// Statuses of a deployment, oldest first.
    pub fn statuses(&self, deployment_id: u64) -> Vec<Value> {
        self.lock()
            .statuses
            .get(&deployment_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Adds a check run as if another job had created it; returns its id.
    pub fn seed_check_run(
        &self,
        owner_repo: &str,
        head_sha: &str,
        name: &str,
        output_text: Option<&str>,
    ) -> u64 {
        self.seed_check_run_from_app(owner_repo, head_sha, name, "github-actions", output_text)
    }

    /// Adds a check run as if the GitHub App `app_slug` (e.g. `codecov`)
    /// had created it; returns its id.
    pub fn seed_check_run_from_app(
        &self,
        owner_repo: &str,
        head_sha: &str,
        name: &str,
        app_slug: &str,
        output_text: Option<&str>,
    ) -> u64 {
        let body = json!({
            "name": name,
            "head_sha": head_sha,
            "status": "completed",
            "conclusion": "success",
            "output": { "title": "seeded", "summary": "seeded", "text": output_text },
        });
        let mut state = self.lock();
        let run = new_check_run(
            &mut state,
            &self.shared.templates,
            &self.url(),
            owner_repo,
            &body,
        );
        let id = run["id"].as_u64().unwrap_or_default();
        if let Some(run) = state.check_runs.iter_mut().find(|r| r["id"] == json!(id)) {
            run["app"]["slug"] = json!(app_slug);
            run["app"]["name"] = json!(app_slug);
        }
        id
    }

    /// Comments on issue (or pull request) `number`, oldest first.
    pub fn issue_comments(&self, number: u64) -> Vec<Value> {
        self.lock()
            .comments
            .iter()
            .filter(|(n, _)| *n == number)
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// Adds a comment as if `author` had written it; returns its id.
    pub fn seed_issue_comment(
        &self,
        owner_repo: &str,
        number: u64,
        author: &str,
        body: &str,
    ) -> u64 {
        let mut state = self.lock();
        let c = new_comment(&mut state, &self.url(), owner_repo, number, author, body);
        c["id"].as_u64().unwrap_or_default()
    }

    fn lock(&self) -> MutexGuard<'_, StateInner> {
        self.shared.inner.lock().expect("fake-github state lock")
    }
}

fn error_body(message: &str) -> Value {
    json!({ "message": message, "documentation_url": "https://docs.github.com/rest" })
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let text = body.to_string();
    let etag = etag_of(&text);
    let mut resp = (status, text).into_response();
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(http::header::ETAG, v);
    }
    resp
}

/// A strong ETag for a body, in GitHub's shape (`"<32 hex digits>"`): the
/// same body always gets the same tag, a changed body another.
pub fn etag_of(body: &str) -> String {
    use std::hash::{Hash, Hasher};
    let half = |salt: u8| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut h);
        body.hash(&mut h);
        h.finish()
    };
    format!("\"{:016x}{:016x}\"", half(0), half(1))
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, as
/// GitHub does: `W/` prefixes are ignored; `*` matches any tag).
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

/// Primary rate limit of the fake (GitHub's for an Actions token is 1,000
/// an hour per repository; a personal token's 5,000).
pub const RATE_LIMIT: u64 = 5_000;

/// Counts a request against the rate limit unless it is a 304, and sends
/// GitHub's `x-ratelimit-*` headers (an injected failure's own are kept).
fn count_rate_limit(state: &mut StateInner, resp: &mut Response) {
    if resp.status() != StatusCode::NOT_MODIFIED {
        state.rate_used += 1;
    }
    let used = state.rate_used;
    let values = [
        ("x-ratelimit-limit", RATE_LIMIT.to_string()),
        (
            "x-ratelimit-remaining",
            RATE_LIMIT.saturating_sub(used).to_string(),
        ),
        ("x-ratelimit-used", used.to_string()),
        ("x-ratelimit-resource", "core".to_string()),
    ];
    for (name, value) in values {
        if !resp.headers().contains_key(name)
            && let Ok(v) = HeaderValue::from_str(&value)
        {
            resp.headers_mut().insert(name, v);
        }
    }
}

/// `304 Not Modified` for a GET whose `If-None-Match` names the answer's
/// ETag: no body, the ETag repeated, as GitHub answers.
fn conditional(method: &Method, headers: &HeaderMap, resp: Response) -> Response {
    let Some(etag) = resp.headers().get(http::header::ETAG).cloned() else {
        return resp;
    };
    let matched = *method == Method::GET
        && resp.status() == StatusCode::OK
        && headers
            .get(http::header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| etag_matches(v, etag.to_str().unwrap_or_default()));
    if !matched {
        return resp;
    }
    let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
    not_modified.headers_mut().insert(http::header::ETAG, etag);
    not_modified
}

fn failure_response(failure: &Failure) -> Response {
    let (status, message, headers): (u16, &str, Vec<(&str, String)>) = match failure {
        Failure::Message { status, message } => (*status, message.as_str(), vec![]),
        Failure::Server(code) => (*code, "Server Error", vec![]),
        Failure::TooManyRequests { retry_after } => (
            429,
            "API rate limit exceeded",
            vec![("retry-after", retry_after.to_string())],
        ),
        Failure::SecondaryRateLimit { retry_after } => (
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
            retry_after
                .map(|s| vec![("retry-after", s.to_string())])
                .unwrap_or_default(),
        ),
        Failure::RateLimitExhausted { reset_epoch } => (
            403,
            "API rate limit exceeded for installation ID 1.",
            vec![
                ("x-ratelimit-limit", "1000".to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset", reset_epoch.to_string()),
            ],
        ),
        Failure::Unauthorized => (401, "Bad credentials", vec![]),
        Failure::NotAccessible => (403, "Resource not accessible by integration", vec![]),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = json_response(status, &error_body(message));
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// Form decoding of a query part: `+` is a space, then `%XX`.
fn percent_decode(s: &str) -> String {
    String::from_utf8_lossy(&gates_report::text::percent_decode_bytes(
        &s.replace('+', " "),
    ))
    .into_owned()
}

fn parse_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Slices `items` for `per_page`/`page` and builds GitHub's `Link` header.
fn paginate(
    items: Vec<Value>,
    base: &str,
    path: &str,
    query: &BTreeMap<String, String>,
) -> (Vec<Value>, Option<String>) {
    let per_page = query
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let link_to = |p: usize| {
        let mut q = query.clone();
        q.insert("page".into(), p.to_string());
        q.insert("per_page".into(), per_page.to_string());
        let qs: Vec<String> = q
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        format!("<{base}{path}?{}>", qs.join("&"))
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("{}; rel=\"next\"", link_to(page + 1)));
        links.push(format!("{}; rel=\"last\"", link_to(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", link_to(1)));
        links.push(format!("{}; rel=\"prev\"", link_to(page - 1)));
    }
    let link = (!links.is_empty()).then(|| links.join(", "));
    (slice, link)
}

fn with_link(mut resp: Response, link: Option<String>) -> Response {
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(http::header::LINK, link);
    }
    resp
}

fn timestamp(state: &mut StateInner) -> String {
    state.clock += 1;
    let base: DateTime<Utc> = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    (base + Duration::seconds(state.clock)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn new_id(state: &mut StateInner) -> u64 {
    state.next_id += 1;
    state.next_id
}

fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn new_check_run(
    state: &mut StateInner,
    t: &Templates,
    base: &str,
    owner_repo: &str,
    body: &Value,
) -> Value {
    let id = new_id(state);
    let now = timestamp(state);
    let mut run = t.check_run.clone();
    let api = format!("{base}/repos/{owner_repo}/check-runs/{id}");
    run["id"] = json!(id);
    run["node_id"] = json!(format!("CR_fake{id}"));
    run["url"] = json!(api);
    run["html_url"] = json!(format!("{base}/{owner_repo}/runs/{id}"));
    run["details_url"] = body.get("details_url").cloned().unwrap_or(Value::Null);
    run["external_id"] = body.get("external_id").cloned().unwrap_or(json!(""));
    run["name"] = body.get("name").cloned().unwrap_or(Value::Null);
    run["head_sha"] = body.get("head_sha").cloned().unwrap_or(Value::Null);
    run["status"] = json!("queued");
    run["conclusion"] = Value::Null;
    run["started_at"] = body.get("started_at").cloned().unwrap_or(json!(now));
    run["completed_at"] = Value::Null;
    run["output"] = json!({
        "title": null, "summary": null, "text": null,
        "annotations_count": 0,
        "annotations_url": format!("{api}/annotations"),
    });
    run["pull_requests"] = json!([]);
    state.check_runs.push(run);
    apply_check_run_update(state, t, id, body, &now);
    state
        .check_runs
        .iter()
        .find(|r| r["id"] == json!(id))
        .cloned()
        .unwrap_or(Value::Null)
}

fn apply_check_run_update(state: &mut StateInner, t: &Templates, id: u64, body: &Value, now: &str) {
    let mut new_annotations = Vec::new();
    if let Some(list) = body
        .pointer("/output/annotations")
        .and_then(Value::as_array)
    {
        for a in list {
            let mut ann = t.annotation.clone();
            for key in [
                "path",
                "start_line",
                "end_line",
                "start_column",
                "end_column",
                "annotation_level",
                "title",
                "message",
                "raw_details",
            ] {
                ann[key] = a.get(key).cloned().unwrap_or(Value::Null);
            }
            ann["blob_href"] = json!(format!(
                "https://example.invalid/blob/{}",
                a.get("path").and_then(Value::as_str).unwrap_or("")
            ));
            new_annotations.push(ann);
        }
    }
    let added = new_annotations.len() as u64;
    state
        .annotations
        .entry(id)
        .or_default()
        .extend(new_annotations);
    let Some(run) = state.check_runs.iter_mut().find(|r| r["id"] == json!(id)) else {
        return;
    };
    for key in [
        "name",
        "details_url",
        "external_id",
        "started_at",
        "status",
        "conclusion",
        "completed_at",
    ] {
        if let Some(v) = body.get(key) {
            run[key] = v.clone();
        }
    }
    if body.get("conclusion").is_some_and(|c| !c.is_null()) {
        run["status"] = json!("completed");
        if run["completed_at"].is_null() {
            run["completed_at"] = json!(now);
        }
    }
    if let Some(output) = body.get("output") {
        for key in ["title", "summary", "text"] {
            if let Some(v) = output.get(key) {
                run["output"][key] = v.clone();
            }
        }
    }
    let count = run["output"]["annotations_count"].as_u64().unwrap_or(0) + added;
    run["output"]["annotations_count"] = json!(count);
}

/// GitHub's 422 for what gates could get wrong in a check run body.
fn validate_check_run(body: &Value, creating: bool) -> Option<String> {
    if creating {
        for key in ["name", "head_sha"] {
            if str_field(body, key).is_none_or(str::is_empty) {
                return Some(format!("Invalid request.\n\n\"{key}\" wasn't supplied."));
            }
        }
    }
    if let Some(output) = body.get("output") {
        for key in ["title", "summary"] {
            if str_field(output, key).is_none() {
                return Some(format!("Invalid request.\n\n\"{key}\" wasn't supplied."));
            }
        }
        for key in ["summary", "text"] {
            if let Some(s) = str_field(output, key)
                && s.chars().count() > MAX_OUTPUT_CHARS
            {
                return Some(format!(
                    "Invalid request.\n\nOnly {MAX_OUTPUT_CHARS} characters are allowed; {} were supplied (output.{key}).",
                    s.chars().count()
                ));
            }
        }
        if let Some(list) = output.get("annotations").and_then(Value::as_array) {
            if list.len() > MAX_ANNOTATIONS_PER_REQUEST {
                return Some(format!(
                    "Invalid request.\n\nOnly {MAX_ANNOTATIONS_PER_REQUEST} annotations are allowed per request; {} were supplied.",
                    list.len()
                ));
            }
            for a in list {
                for key in [
                    "path",
                    "start_line",
                    "end_line",
                    "annotation_level",
                    "message",
                ] {
                    if a.get(key).is_none_or(Value::is_null) {
                        return Some(format!(
                            "Invalid request.\n\n\"{key}\" wasn't supplied (annotation)."
                        ));
                    }
                }
                if !matches!(
                    str_field(a, "annotation_level"),
                    Some("notice" | "warning" | "failure")
                ) {
                    return Some("Invalid request.\n\nannotation_level is not a member of [notice, warning, failure].".into());
                }
            }
        }
    }
    if let Some(c) = str_field(body, "conclusion")
        && !matches!(
            c,
            "action_required"
                | "cancelled"
                | "failure"
                | "neutral"
                | "success"
                | "skipped"
                | "stale"
                | "timed_out"
        )
    {
        return Some(format!(
            "Invalid request.\n\nconclusion `{c}` is not a member of the allowed values."
        ));
    }
    None
}

/// An issue comment in the shape GitHub documents for
/// `GET /repos/{owner}/{repo}/issues/comments/{comment_id}`.
fn new_comment(
    state: &mut StateInner,
    base: &str,
    owner_repo: &str,
    number: u64,
    author: &str,
    body: &str,
) -> Value {
    let id = new_id(state);
    let now = timestamp(state);
    let bot = author.ends_with("[bot]");
    let c = json!({
        "id": id,
        "node_id": format!("IC_fake{id}"),
        "url": format!("{base}/repos/{owner_repo}/issues/comments/{id}"),
        "html_url": format!("{base}/{owner_repo}/pull/{number}#issuecomment-{id}"),
        "body": body,
        "user": {
            "login": author,
            "id": 41_898_282,
            "node_id": "MDM6Qm90NDE4OTgyODI=",
            "type": if bot { "Bot" } else { "User" },
            "site_admin": false,
            "url": format!("{base}/users/{}", percent_encode(author)),
        },
        "created_at": now,
        "updated_at": now,
        "issue_url": format!("{base}/repos/{owner_repo}/issues/{number}"),
        "author_association": if bot { "NONE" } else { "MEMBER" },
        "performed_via_github_app": null,
        "reactions": {
            "url": format!("{base}/repos/{owner_repo}/issues/comments/{id}/reactions"),
            "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
            "confused": 0, "heart": 0, "rocket": 0, "eyes": 0
        },
    });
    state.comments.push((number, c.clone()));
    c
}

/// GitHub's 422 for a comment body that is missing or too long.
fn validate_comment(body: &Value) -> Option<String> {
    match str_field(body, "body") {
        None => Some("Invalid request.\n\n\"body\" wasn't supplied.".into()),
        Some(b) if b.chars().count() > MAX_COMMENT_CHARS => Some(format!(
            "Validation Failed: body is too long (maximum is {MAX_COMMENT_CHARS} characters)"
        )),
        Some(_) => None,
    }
}

const DEPLOYMENT_STATES: [&str; 7] = [
    "error",
    "failure",
    "inactive",
    "in_progress",
    "queued",
    "pending",
    "success",
];

fn new_deployment(
    state: &mut StateInner,
    t: &Templates,
    base: &str,
    owner_repo: &str,
    body: &Value,
) -> Value {
    let id = new_id(state);
    let now = timestamp(state);
    let mut d = t.deployment.clone();
    let api = format!("{base}/repos/{owner_repo}/deployments/{id}");
    let git_ref = str_field(body, "ref").unwrap_or_default().to_string();
    // GitHub resolves the ref to a SHA; here a 40-hex ref is its own SHA.
    let sha = if git_ref.len() == 40 && git_ref.chars().all(|c| c.is_ascii_hexdigit()) {
        git_ref.clone()
    } else {
        format!("{:0>40}", format!("{id:x}"))
    };
    let environment = str_field(body, "environment")
        .unwrap_or("production")
        .to_string();
    d["id"] = json!(id);
    d["node_id"] = json!(format!("DE_fake{id}"));
    d["url"] = json!(api);
    d["sha"] = json!(sha);
    d["ref"] = json!(git_ref);
    d["task"] = body.get("task").cloned().unwrap_or(json!("deploy"));
    d["payload"] = body.get("payload").cloned().unwrap_or(json!({}));
    d["original_environment"] = json!(environment);
    d["environment"] = json!(environment);
    d["description"] = body.get("description").cloned().unwrap_or(Value::Null);
    d["created_at"] = json!(now);
    d["updated_at"] = json!(now);
    d["statuses_url"] = json!(format!("{api}/statuses"));
    d["repository_url"] = json!(format!("{base}/repos/{owner_repo}"));
    d["transient_environment"] = body
        .get("transient_environment")
        .cloned()
        .unwrap_or(json!(false));
    d["production_environment"] = body
        .get("production_environment")
        .cloned()
        .unwrap_or(json!(environment == "production"));
    state.deployments.push(d.clone());
    d
}

fn new_status(
    state: &mut StateInner,
    t: &Templates,
    base: &str,
    owner_repo: &str,
    deployment_id: u64,
    body: &Value,
) -> Value {
    let id = new_id(state);
    let now = timestamp(state);
    let environment = state
        .deployments
        .iter()
        .find(|d| d["id"] == json!(deployment_id))
        .and_then(|d| d["environment"].as_str())
        .unwrap_or_default()
        .to_string();
    let mut s = t.status.clone();
    let dep_api = format!("{base}/repos/{owner_repo}/deployments/{deployment_id}");
    s["id"] = json!(id);
    s["node_id"] = json!(format!("DES_fake{id}"));
    s["url"] = json!(format!("{dep_api}/statuses/{id}"));
    s["state"] = body.get("state").cloned().unwrap_or(Value::Null);
    s["description"] = body.get("description").cloned().unwrap_or(json!(""));
    s["environment"] = json!(environment);
    let log_url = body
        .get("log_url")
        .or_else(|| body.get("target_url"))
        .cloned()
        .unwrap_or(json!(""));
    s["target_url"] = log_url.clone();
    s["log_url"] = log_url;
    s["environment_url"] = body.get("environment_url").cloned().unwrap_or(json!(""));
    s["created_at"] = json!(now);
    s["updated_at"] = json!(now);
    s["deployment_url"] = json!(dep_api);
    s["repository_url"] = json!(format!("{base}/repos/{owner_repo}"));
    state
        .statuses
        .entry(deployment_id)
        .or_default()
        .push(s.clone());

    // auto_inactive (default true): a success marks the environment's other
    // non-transient deployments whose latest status is success inactive.
    let success = str_field(body, "state") == Some("success");
    let auto_inactive = body
        .get("auto_inactive")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if success && auto_inactive {
        let others: Vec<u64> = state
            .deployments
            .iter()
            .filter(|d| d["environment"] == json!(environment) && d["id"] != json!(deployment_id))
            .filter_map(|d| d["id"].as_u64())
            .collect();
        for other in others {
            let latest = state.statuses.get(&other).and_then(|v| v.last()).cloned();
            if let Some(latest) = latest
                && latest["state"] == json!("success")
            {
                let inactive = json!({ "state": "inactive", "description": "superseded", "auto_inactive": false });
                let _ = new_status(state, t, base, owner_repo, other, &inactive);
            }
        }
    }
    s
}

fn token_ok(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {expected}") || v == format!("token {expected}"))
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let raw_path = uri.path().to_string();
    let path = raw_path
        .strip_prefix("/api/v3")
        .unwrap_or(&raw_path)
        .to_string();
    let query_str = uri.query().unwrap_or("").to_string();
    let query = parse_query(&query_str);
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let prefix = if raw_path.starts_with("/api/v3") {
        "/api/v3"
    } else {
        ""
    };
    let base = format!("http://{host}{prefix}");
    let json_body: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
    };

    let mut state = shared.inner.lock().expect("fake-github state lock");
    let response = route(
        &mut state,
        &shared.templates,
        &base,
        &method,
        &path,
        &query,
        &headers,
        &json_body,
    );
    let mut response = conditional(&method, &headers, response);
    count_rate_limit(&mut state, &mut response);
    let recorded_headers = headers
        .iter()
        .filter(|(k, _)| *k != http::header::AUTHORIZATION)
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                v.to_str().unwrap_or("<binary>").to_string(),
            )
        })
        .collect();
    state.requests.push(RecordedRequest {
        method: method.as_str().to_string(),
        path,
        query: query_str,
        headers: recorded_headers,
        authorized: headers.contains_key(http::header::AUTHORIZATION),
        body: json_body,
        status: response.status().as_u16(),
    });
    response
}

/// What a route reads of a request under `/repos/{owner}/{repo}/`.
struct Req<'a> {
    t: &'a Templates,
    base: &'a str,
    path: &'a str,
    query: &'a BTreeMap<String, String>,
    body: &'a Value,
    owner_repo: String,
}

fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &error_body("Not Found"))
}

fn unprocessable(m: String) -> Response {
    json_response(StatusCode::UNPROCESSABLE_ENTITY, &error_body(&m))
}

fn id_of(s: &str) -> Option<u64> {
    s.parse::<u64>().ok()
}

#[allow(clippy::too_many_arguments)]
fn route(
    state: &mut StateInner,
    t: &Templates,
    base: &str,
    method: &Method,
    path: &str,
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: &Value,
) -> Response {
    if let Some(expected) = &state.token
        && !token_ok(headers, expected)
    {
        return failure_response(&Failure::Unauthorized);
    }
    if let Some(inj) = state
        .injections
        .iter_mut()
        .find(|i| i.remaining > 0 && i.matcher.matches(method, path))
    {
        inj.remaining -= 1;
        return failure_response(&inj.failure);
    }

    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (owner_repo, rest) = match segs.as_slice() {
        ["repos", o, r, rest @ ..] => (format!("{o}/{r}"), rest.to_vec()),
        _ => return not_found(),
    };
    let r = Req {
        t,
        base,
        path,
        query,
        body,
        owner_repo,
    };
    let method = method.as_str();
    match rest.as_slice() {
        ["check-runs", ..] | ["commits", ..] => check_run_routes(state, &r, method, &rest),
        ["deployments", ..] => deployment_routes(state, &r, method, &rest),
        ["issues", ..] => comment_routes(state, &r, method, &rest),
        _ => not_found(),
    }
}

/// Check runs: create, update, get, annotations, and a commit's list.
fn check_run_routes(state: &mut StateInner, r: &Req<'_>, method: &str, rest: &[&str]) -> Response {
    match (method, rest) {
        ("POST", ["check-runs"]) => {
            if let Some(m) = validate_check_run(r.body, true) {
                return unprocessable(m);
            }
            let run = new_check_run(state, r.t, r.base, &r.owner_repo, r.body);
            json_response(StatusCode::CREATED, &run)
        }
        ("PATCH", ["check-runs", id]) => {
            let Some(id) =
                id_of(id).filter(|id| state.check_runs.iter().any(|r| r["id"] == json!(id)))
            else {
                return not_found();
            };
            if let Some(m) = validate_check_run(r.body, false) {
                return unprocessable(m);
            }
            let now = timestamp(state);
            apply_check_run_update(state, r.t, id, r.body, &now);
            let run = state
                .check_runs
                .iter()
                .find(|r| r["id"] == json!(id))
                .cloned()
                .unwrap_or(Value::Null);
            json_response(StatusCode::OK, &run)
        }
        ("GET", ["check-runs", id]) => {
            match id_of(id).and_then(|id| state.check_runs.iter().find(|r| r["id"] == json!(id))) {
                Some(run) => json_response(StatusCode::OK, run),
                None => not_found(),
            }
        }
        ("GET", ["check-runs", id, "annotations"]) => {
            let Some(id) =
                id_of(id).filter(|id| state.check_runs.iter().any(|r| r["id"] == json!(id)))
            else {
                return not_found();
            };
            let all = state.annotations.get(&id).cloned().unwrap_or_default();
            let (page, link) = paginate(all, r.base, r.path, r.query);
            with_link(json_response(StatusCode::OK, &Value::Array(page)), link)
        }
        ("GET", ["commits", sha, "check-runs"]) => {
            let name = r.query.get("check_name");
            // Newest first, as GitHub lists them.
            let mut all: Vec<Value> = state
                .check_runs
                .iter()
                .filter(|r| r["head_sha"] == json!(sha))
                .filter(|r| name.is_none_or(|n| r["name"] == json!(n)))
                .cloned()
                .collect();
            all.reverse();
            // `filter=latest` (GitHub's default) keeps the newest run of each
            // name; `filter=all` keeps re-runs too.
            if r.query.get("filter").is_none_or(|f| f != "all") {
                let mut seen = std::collections::BTreeSet::new();
                all.retain(|run| seen.insert(run["name"].to_string()));
            }
            let total = all.len();
            let (page, link) = paginate(all, r.base, r.path, r.query);
            with_link(
                json_response(
                    StatusCode::OK,
                    &json!({ "total_count": total, "check_runs": page }),
                ),
                link,
            )
        }
        _ => not_found(),
    }
}

/// Deployments and their statuses.
fn deployment_routes(state: &mut StateInner, r: &Req<'_>, method: &str, rest: &[&str]) -> Response {
    match (method, rest) {
        ("POST", ["deployments"]) => {
            if str_field(r.body, "ref").is_none_or(str::is_empty) {
                return unprocessable("Invalid request.\n\n\"ref\" wasn't supplied.".into());
            }
            let d = new_deployment(state, r.t, r.base, &r.owner_repo, r.body);
            json_response(StatusCode::CREATED, &d)
        }
        ("GET", ["deployments"]) => {
            let mut all: Vec<Value> = state
                .deployments
                .iter()
                .filter(|d| {
                    r.query
                        .get("environment")
                        .is_none_or(|e| d["environment"] == json!(e))
                })
                .filter(|d| r.query.get("sha").is_none_or(|s| d["sha"] == json!(s)))
                .filter(|d| r.query.get("ref").is_none_or(|s| d["ref"] == json!(s)))
                .filter(|d| r.query.get("task").is_none_or(|s| d["task"] == json!(s)))
                .cloned()
                .collect();
            all.reverse();
            let (page, link) = paginate(all, r.base, r.path, r.query);
            with_link(json_response(StatusCode::OK, &Value::Array(page)), link)
        }
        ("GET", ["deployments", id]) => {
            match id_of(id).and_then(|id| state.deployments.iter().find(|d| d["id"] == json!(id))) {
                Some(d) => json_response(StatusCode::OK, d),
                None => not_found(),
            }
        }
        ("POST", ["deployments", id, "statuses"]) => {
            let Some(id) =
                id_of(id).filter(|id| state.deployments.iter().any(|d| d["id"] == json!(id)))
            else {
                return not_found();
            };
            if !str_field(r.body, "state").is_some_and(|s| DEPLOYMENT_STATES.contains(&s)) {
                return unprocessable(
                    "Invalid request.\n\nstate is not a valid deployment state.".into(),
                );
            }
            if str_field(r.body, "description").is_some_and(|d| d.chars().count() > 140) {
                return unprocessable(
                    "Invalid request.\n\ndescription is too long (maximum is 140 characters)."
                        .into(),
                );
            }
            let s = new_status(state, r.t, r.base, &r.owner_repo, id, r.body);
            json_response(StatusCode::CREATED, &s)
        }
        ("GET", ["deployments", id, "statuses"]) => {
            let Some(id) =
                id_of(id).filter(|id| state.deployments.iter().any(|d| d["id"] == json!(id)))
            else {
                return not_found();
            };
            let mut all = state.statuses.get(&id).cloned().unwrap_or_default();
            all.reverse();
            let (page, link) = paginate(all, r.base, r.path, r.query);
            with_link(json_response(StatusCode::OK, &Value::Array(page)), link)
        }
        _ => not_found(),
    }
}

/// Issue and pull-request comments.
fn comment_routes(state: &mut StateInner, r: &Req<'_>, method: &str, rest: &[&str]) -> Response {
    match (method, rest) {
        ("GET", ["issues", n, "comments"]) => {
            let Some(n) = id_of(n) else {
                return not_found();
            };
            let all: Vec<Value> = state
                .comments
                .iter()
                .filter(|(num, _)| *num == n)
                .map(|(_, c)| c.clone())
                .collect();
            let (page, link) = paginate(all, r.base, r.path, r.query);
            with_link(json_response(StatusCode::OK, &Value::Array(page)), link)
        }
        ("POST", ["issues", n, "comments"]) => {
            let Some(n) = id_of(n) else {
                return not_found();
            };
            if let Some(m) = validate_comment(r.body) {
                return unprocessable(m);
            }
            let text = str_field(r.body, "body").unwrap_or_default().to_string();
            let c = new_comment(state, r.base, &r.owner_repo, n, COMMENT_AUTHOR, &text);
            json_response(StatusCode::CREATED, &c)
        }
        ("GET", ["issues", "comments", id]) => {
            match id_of(id).and_then(|id| state.comments.iter().find(|(_, c)| c["id"] == json!(id)))
            {
                Some((_, c)) => json_response(StatusCode::OK, c),
                None => not_found(),
            }
        }
        ("PATCH", ["issues", "comments", id]) => {
            if let Some(m) = validate_comment(r.body) {
                return unprocessable(m);
            }
            let now = timestamp(state);
            let Some((_, c)) = id_of(id).and_then(|id| {
                state
                    .comments
                    .iter_mut()
                    .find(|(_, c)| c["id"] == json!(id))
            }) else {
                return not_found();
            };
            c["body"] = r.body["body"].clone();
            c["updated_at"] = json!(now);
            json_response(StatusCode::OK, c)
        }
        _ => not_found(),
    }
}

/// Keys of a JSON object, for shape comparisons in tests.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|m: &Map<String, Value>| m.keys().cloned().collect())
        .unwrap_or_default()
}
