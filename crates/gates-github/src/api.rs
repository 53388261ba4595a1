//! GitHub REST client, built on octocrab.
//!
//! Requests go through octocrab's raw `_get`/`_post`/`_patch` rather than its
//! typed builders: the typed builders turn an error response into
//! `octocrab::Error::GitHub`, which drops the response headers, and retrying
//! well needs them (`Retry-After`, `x-ratelimit-remaining`,
//! `x-ratelimit-reset`). Bodies are deserialised into the small structs below,
//! which name only the fields gates reads, so a GitHub Enterprise version that
//! lacks some field of octocrab's full models still works.
//!
//! Every request is retried with backoff on network errors, 5xx, 429 and
//! secondary rate limits (a 403 with `Retry-After` or a body saying "secondary
//! rate limit"), honouring `Retry-After` (seconds) and, when the primary rate
//! limit is exhausted, `x-ratelimit-reset`; attempts and total waiting are
//! bounded by [`RetryPolicy`]. The sleep is injectable ([`Sleeper`]) so tests
//! can assert the delays without waiting.
//!
//! GETs through [`GitHubClient::get_cached`] (and listings with
//! [`Listing::cached`]) are conditional: the client keeps the last answer of
//! each URL with its `ETag` in a small in-memory cache, sends
//! `If-None-Match`, and on `304 Not Modified` returns the cached answer
//! (marked [`ApiResponse::not_modified`]). GitHub does not count a 304
//! against the primary rate limit, which is what makes polling cheap.
//!
//! Errors never contain the token: messages are built from the method, the
//! path and GitHub's `message`, and are scrubbed of the token's value anyway.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use octocrab::Octocrab;
use serde::Deserialize;
use serde_json::Value;

use crate::env::GithubEnv;
use gates_report::error::{GateError, Result};
use gates_report::secret::Secret;

/// The permission a request needs, as written in a workflow's `permissions:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    ChecksRead,
    ChecksWrite,
    DeploymentsRead,
    DeploymentsWrite,
    PullRequestsWrite,
}

impl Permission {
    /// `checks: write`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ChecksRead => "checks: read",
            Permission::ChecksWrite => "checks: write",
            Permission::DeploymentsRead => "deployments: read",
            Permission::DeploymentsWrite => "deployments: write",
            Permission::PullRequestsWrite => "pull-requests: write",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Permission::ChecksRead => "read check runs",
            Permission::ChecksWrite => "create or update check runs",
            Permission::DeploymentsRead => "read deployments",
            Permission::DeploymentsWrite => "create deployments or deployment statuses",
            Permission::PullRequestsWrite => "comment on pull requests",
        }
    }
}

/// How hard to retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// First backoff delay; doubled at each retry.
    pub base_delay: Duration,
    /// Largest backoff delay (a `Retry-After` is honoured up to the budget).
    pub max_delay: Duration,
    /// Total time spent waiting across retries of one request; a wait that
    /// would exceed it is not done and the request fails instead.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(120),
        }
    }
}

/// Waits for a duration. The default is `tokio::time::sleep`.
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The real sleeper.
pub fn tokio_sleeper() -> Sleeper {
    Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}

/// A failed API request. The message is ready for people and free of the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// 401: the token was rejected.
    Unauthorized(String),
    /// 403 "Resource not accessible by integration": the token lacks a
    /// permission (always the case for pull requests from forks).
    NotAccessible {
        permission: Permission,
        message: String,
    },
    /// Any other 403.
    Forbidden(String),
    NotFound(String),
    /// Rate limited and the wait would exceed the budget.
    RateLimited(String),
    /// Any other unexpected status, after retries for 5xx.
    Status {
        status: u16,
        message: String,
    },
    /// Network, TLS, proxy, timeout.
    Transport(String),
    /// A 2xx whose body is not what GitHub documents.
    Decode(String),
}

impl ApiError {
    pub fn message(&self) -> &str {
        match self {
            ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::RateLimited(m)
            | ApiError::Transport(m)
            | ApiError::Decode(m) => m,
            ApiError::NotAccessible { message, .. } | ApiError::Status { message, .. } => message,
        }
    }

    /// Whether the token lacks a write permission (the fork pull request case).
    pub fn is_not_accessible(&self) -> bool {
        matches!(self, ApiError::NotAccessible { .. })
    }

    fn map_message(self, f: impl Fn(&str) -> String) -> Self {
        match self {
            ApiError::Unauthorized(m) => ApiError::Unauthorized(f(&m)),
            ApiError::Forbidden(m) => ApiError::Forbidden(f(&m)),
            ApiError::NotFound(m) => ApiError::NotFound(f(&m)),
            ApiError::RateLimited(m) => ApiError::RateLimited(f(&m)),
            ApiError::Transport(m) => ApiError::Transport(f(&m)),
            ApiError::Decode(m) => ApiError::Decode(f(&m)),
            ApiError::NotAccessible {
                permission,
                message,
            } => ApiError::NotAccessible {
                permission,
                message: f(&message),
            },
            ApiError::Status { status, message } => ApiError::Status {
                status,
                message: f(&message),
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for GateError {
    fn from(e: ApiError) -> Self {
        GateError::Upstream(e.message().to_string())
    }
}

/// A successful response.
#[derive(Clone, Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: HeaderMap,
    /// JSON body; `Value::Null` when empty.
    pub body: Value,
    /// GitHub answered `304 Not Modified` to a conditional GET: this is the
    /// cached answer (status, headers and body of the earlier 200).
    pub not_modified: bool,
}

impl ApiResponse {
    /// Whether the `Link` header has a `rel="next"`.
    pub fn has_next_page(&self) -> bool {
        self.headers
            .get_all(http::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|part| part.split(';').skip(1).any(|p| p.trim() == "rel=\"next\""))
    }
}

/// Most pages read by one paginated listing.
pub const MAX_PAGES: u32 = 50;

/// Most answers the ETag cache of a client keeps (the oldest goes first).
pub const ETAG_CACHE_ENTRIES: usize = 128;
/// Most bytes of JSON the ETag cache of a client keeps (check runs embed
/// reports of up to 64 KiB each, so pages can be large); a larger answer
/// is not kept.
pub const ETAG_CACHE_BYTES: usize = 16 << 20;

/// The last answer of each URL with its `ETag`, for conditional GETs.
#[derive(Debug, Default)]
struct EtagCache {
    seq: u64,
    /// Sum of the entries' sizes.
    bytes: usize,
    /// URL (path and query) → (insertion order, ETag, answer).
    entries: HashMap<String, CacheEntry>,
}

#[derive(Debug)]
struct CacheEntry {
    seq: u64,
    size: usize,
    etag: String,
    resp: ApiResponse,
}

impl EtagCache {
    fn get(&self, uri: &str) -> Option<(String, ApiResponse)> {
        self.entries
            .get(uri)
            .map(|e| (e.etag.clone(), e.resp.clone()))
    }

    fn put(&mut self, uri: &str, etag: &str, resp: &ApiResponse) {
        self.remove(uri);
        let size = uri.len() + etag.len() + resp.body.to_string().len();
        if size > ETAG_CACHE_BYTES {
            return;
        }
        self.seq += 1;
        self.bytes += size;
        let entry = CacheEntry {
            seq: self.seq,
            size,
            etag: etag.to_string(),
            resp: resp.clone(),
        };
        self.entries.insert(uri.to_string(), entry);
        while self.entries.len() > ETAG_CACHE_ENTRIES || self.bytes > ETAG_CACHE_BYTES {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.seq)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.remove(&k),
                None => break,
            }
        }
    }

    fn remove(&mut self, uri: &str) {
        if let Some(e) = self.entries.remove(uri) {
            self.bytes -= e.size;
        }
    }
}

/// One paginated listing to read (see [`GitHubClient::list`]).
#[derive(Clone, Copy, Debug)]
pub struct Listing<'a> {
    /// Path relative to the API root, without query.
    pub path: &'a str,
    pub query: &'a [(&'a str, &'a str)],
    /// The array's key in an envelope such as `{"total_count", "check_runs"}`;
    /// `None`: the body is the array.
    pub items_key: Option<&'a str>,
    /// Most items read.
    pub limit: usize,
    pub permission: Permission,
    /// Conditional GETs through the client's ETag cache.
    pub cached: bool,
}

/// Client for one repository.
#[derive(Clone)]
pub struct GitHubClient {
    octo: Octocrab,
    api_url: String,
    owner: String,
    repo: String,
    token: Secret,
    policy: RetryPolicy,
    sleeper: Sleeper,
    page_size: u32,
    /// Shared by the clones of a client.
    etags: Arc<Mutex<EtagCache>>,
}

impl fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubClient")
            .field("api_url", &self.api_url)
            .field("repository", &format!("{}/{}", self.owner, self.repo))
            .field("token", &self.token)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl GitHubClient {
    /// A client for `repository` (`owner/name`) at `api_url` (e.g.
    /// `https://api.github.com`, or `https://ghe.example.com/api/v3`).
    pub fn new(api_url: &str, repository: &str, token: Secret) -> Result<Self> {
        let env = GithubEnv {
            repository: repository.to_string(),
            api_url: api_url.to_string(),
            ..GithubEnv::default()
        };
        Self::from_env(&env, token)
    }

    /// A client for the repository and API of `env`.
    pub fn from_env(env: &GithubEnv, token: Secret) -> Result<Self> {
        let (owner, repo) = env.owner_repo()?;
        let api_url = env.api_url.trim_end_matches('/').to_string();
        if token.expose().trim().is_empty() {
            return Err(GateError::Usage(
                "no GitHub token: set `GITHUB_TOKEN` (or name another variable with --token-env)"
                    .into(),
            ));
        }
        // octocrab unwraps `Bearer <token>` into a header value and would
        // panic on a token with a newline or other control character.
        if http::HeaderValue::from_str(&format!("Bearer {}", token.expose())).is_err() {
            return Err(GateError::Usage(
                "the GitHub token contains characters that cannot be sent in a header \
                 (a trailing newline?): check `GITHUB_TOKEN`/--token-env"
                    .into(),
            ));
        }
        let builder = Octocrab::builder()
            .personal_token(token.expose().to_string())
            .base_uri(api_url.as_str())
            .map_err(|_| {
                GateError::Usage(format!("GITHUB_API_URL is not a valid URL: `{api_url}`"))
            })?
            // octocrab already sends `X-GitHub-Api-Version: 2022-11-28`.
            .add_header(
                http::header::ACCEPT,
                "application/vnd.github+json".to_string(),
            )
            .set_connect_timeout(Some(Duration::from_secs(15)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .set_write_timeout(Some(Duration::from_secs(60)));
        let octo = builder.build().map_err(|e| {
            GateError::Upstream(scrub(
                &format!("cannot set up the GitHub client: {}", error_chain(&e)),
                &token,
            ))
        })?;
        Ok(GitHubClient {
            octo,
            api_url,
            owner: owner.to_string(),
            repo: repo.to_string(),
            token,
            policy: RetryPolicy::default(),
            sleeper: tokio_sleeper(),
            page_size: 100,
            etags: Arc::default(),
        })
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn with_sleeper(mut self, sleeper: Sleeper) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// Items per page in listings (1 to 100; default 100).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, 100);
        self
    }

    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// `/repos/{owner}/{repo}{rest}`.
    pub fn repo_path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}{rest}",
            encode_component(&self.owner),
            encode_component(&self.repo)
        )
    }

    /// Sends one request (`path` relative to the API root, query included),
    /// retrying as [`RetryPolicy`] allows.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        permission: Permission,
    ) -> Result<ApiResponse, ApiError> {
        self.request_with(method, path, body, &HeaderMap::new(), permission)
            .await
    }

    /// [`Self::request`] with extra request headers. A `304` is an answer,
    /// not an error, when `headers` hold `If-None-Match`.
    async fn request_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &HeaderMap,
        permission: Permission,
    ) -> Result<ApiResponse, ApiError> {
        let conditional = headers.contains_key(http::header::IF_NONE_MATCH);
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (error, wait) = match self.send_once(&method, path, body, headers).await {
                Ok(resp) if (200..300).contains(&resp.status) => return Ok(resp),
                Ok(resp) if conditional && resp.status == 304 => return Ok(resp),
                Ok(resp) => match self.classify(&method, path, &resp, permission) {
                    Disposition::Fail(e) => return Err(self.scrubbed(e)),
                    Disposition::Retry(e, wait) => (e, wait),
                },
                Err(e) => (e, None),
            };
            if attempt >= self.policy.max_attempts.max(1) {
                let e = error.map_message(|m| format!("{m} (gave up after {attempt} attempts)"));
                return Err(self.scrubbed(e));
            }
            let wait = wait.unwrap_or_else(|| self.backoff(attempt));
            if waited + wait > self.policy.max_total_wait {
                let e = ApiError::RateLimited(format!(
                    "{} (GitHub asked to wait {}s more, beyond the {}s retry budget)",
                    error.message(),
                    wait.as_secs(),
                    self.policy.max_total_wait.as_secs()
                ));
                return Err(self.scrubbed(e));
            }
            (self.sleeper)(wait).await;
            waited += wait;
        }
    }

    /// A conditional GET: sends `If-None-Match` with the ETag stored for
    /// `path` (query included), and on `304 Not Modified` returns the stored
    /// answer with [`ApiResponse::not_modified`] set, costing no rate limit.
    /// A 200 carrying an `ETag` replaces the stored answer.
    pub async fn get_cached(
        &self,
        path: &str,
        permission: Permission,
    ) -> Result<ApiResponse, ApiError> {
        let cached = self.etag_cache().get(path);
        let mut headers = HeaderMap::new();
        if let Some(v) = cached
            .as_ref()
            .and_then(|(etag, _)| HeaderValue::from_str(etag).ok())
        {
            headers.insert(http::header::IF_NONE_MATCH, v);
        }
        let resp = self
            .request_with(Method::GET, path, None, &headers, permission)
            .await?;
        if resp.status == 304 {
            let (_, mut stored) = cached.ok_or_else(|| ApiError::Status {
                status: 304,
                message: format!("GitHub API GET {path}: 304 Not Modified, with nothing stored"),
            })?;
            stored.not_modified = true;
            return Ok(stored);
        }
        if let Some(etag) = resp
            .headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
        {
            self.etag_cache().put(path, etag, &resp);
        }
        Ok(resp)
    }

    fn etag_cache(&self) -> std::sync::MutexGuard<'_, EtagCache> {
        // The cache holds only finished answers: a panic elsewhere cannot
        // leave it half-written.
        self.etags.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// GETs every page of a listing (`items_key`: the array's key in an
    /// envelope such as `{"total_count", "check_runs"}`; `None`: the body is
    /// the array), up to `limit` items and [`MAX_PAGES`] pages.
    pub async fn get_paginated(
        &self,
        path: &str,
        query: &[(&str, &str)],
        items_key: Option<&str>,
        limit: usize,
        permission: Permission,
    ) -> Result<Vec<Value>, ApiError> {
        let listing = Listing {
            path,
            query,
            items_key,
            limit,
            permission,
            cached: false,
        };
        self.list(&listing, |_| false).await
    }

    /// Reads a listing page by page, up to `limit` items and [`MAX_PAGES`]
    /// pages, stopping at the first item for which `past_end` holds (that
    /// item is not kept): a listing that is newest first can so be read back
    /// in time only as far as needed.
    pub async fn list(
        &self,
        listing: &Listing<'_>,
        mut past_end: impl FnMut(&Value) -> bool,
    ) -> Result<Vec<Value>, ApiError> {
        let Listing {
            path,
            items_key,
            limit,
            ..
        } = *listing;
        let per_page = (self.page_size as usize).min(limit.max(1));
        let mut items = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut qs: Vec<String> = listing
                .query
                .iter()
                .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
                .collect();
            qs.push(format!("per_page={per_page}"));
            qs.push(format!("page={page}"));
            let uri = format!("{path}?{}", qs.join("&"));
            let resp = if listing.cached {
                self.get_cached(&uri, listing.permission).await?
            } else {
                self.request(Method::GET, &uri, None, listing.permission)
                    .await?
            };
            let list = match items_key {
                Some(key) => resp.body.get(key),
                None => Some(&resp.body),
            }
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ApiError::Decode(format!(
                    "GitHub API GET {path}: the answer is not a list{}",
                    items_key
                        .map(|k| format!(" under `{k}`"))
                        .unwrap_or_default()
                ))
            })?;
            let before = items.len();
            items.extend(list.iter().take_while(|item| !past_end(item)).cloned());
            let ended = items.len() - before < list.len();
            if items.len() >= limit {
                items.truncate(limit);
                break;
            }
            if ended || list.is_empty() || !resp.has_next_page() {
                break;
            }
        }
        Ok(items)
    }

    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        headers: &HeaderMap,
    ) -> Result<ApiResponse, ApiError> {
        let sent = match *method {
            Method::GET if !headers.is_empty() => {
                self.octo
                    ._get_with_headers(path, Some(headers.clone()))
                    .await
            }
            Method::GET => self.octo._get(path).await,
            Method::POST => self.octo._post(path, body).await,
            Method::PATCH => self.octo._patch(path, body).await,
            Method::PUT => self.octo._put(path, body).await,
            _ => {
                return Err(ApiError::Transport(format!(
                    "unsupported method {method} for {path}"
                )));
            }
        };
        let transport = |e: &dyn std::error::Error| {
            ApiError::Transport(format!(
                "cannot reach the GitHub API at {} ({method} {path}): {}",
                self.api_url,
                error_chain(e)
            ))
        };
        let resp = sent.map_err(|e| transport(&e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = self
            .octo
            .body_to_string(resp)
            .await
            .map_err(|e| transport(&e))?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            match serde_json::from_str(&text) {
                Ok(v) => v,
                // Scrubbed before it is cut: a cut must not keep part of the token.
                Err(_) if !(200..300).contains(&status) => {
                    Value::String(cut(&scrub(&text, &self.token), 300))
                }
                Err(e) => {
                    return Err(ApiError::Decode(format!(
                        "GitHub API {method} {path}: the answer is not JSON: {e}"
                    )));
                }
            }
        };
        Ok(ApiResponse {
            status,
            headers,
            body,
            not_modified: false,
        })
    }

    fn classify(
        &self,
        method: &Method,
        path: &str,
        resp: &ApiResponse,
        permission: Permission,
    ) -> Disposition {
        let status = resp.status;
        let gh_message = github_message(&resp.body, &self.token);
        let what = format!("GitHub API {method} {path}: {status} {gh_message}");
        let header = |name: &str| resp.headers.get(name).and_then(|v| v.to_str().ok());
        let retry_after = header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let exhausted = header("x-ratelimit-remaining").map(str::trim) == Some("0");
        let lower = gh_message.to_ascii_lowercase();

        if status == 401 {
            return Disposition::Fail(ApiError::Unauthorized(format!(
                "the token was rejected (401 {gh_message}) on {method} {path}: check `GITHUB_TOKEN`/--token-env"
            )));
        }
        if (status == 403 || status == 429) && exhausted {
            let wait = retry_after.or_else(|| {
                let reset = header("x-ratelimit-reset")?.trim().parse::<u64>().ok()?;
                let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
                Some(Duration::from_secs(reset.saturating_sub(now) + 1))
            });
            return Disposition::Retry(
                ApiError::RateLimited(format!("{what} (the API rate limit is exhausted)")),
                wait,
            );
        }
        if status == 429 {
            return Disposition::Retry(
                ApiError::RateLimited(format!("{what} (rate limited)")),
                retry_after,
            );
        }
        if status == 403 && (retry_after.is_some() || lower.contains("secondary rate limit")) {
            // GitHub: without `Retry-After`, wait at least a minute.
            return Disposition::Retry(
                ApiError::RateLimited(format!("{what} (secondary rate limit)")),
                Some(retry_after.unwrap_or(Duration::from_secs(60))),
            );
        }
        if status == 403 && lower.contains("resource not accessible") {
            return Disposition::Fail(ApiError::NotAccessible {
                permission,
                message: format!(
                    "the token may not {} (403 {gh_message} on {method} {path}): the job needs `permissions: {}` \
                     (pull requests from forks only get a read-only token)",
                    permission.action(),
                    permission.as_str()
                ),
            });
        }
        if status == 403 {
            return Disposition::Fail(ApiError::Forbidden(format!(
                "{what}: the token may not {}; the job needs `permissions: {}`",
                permission.action(),
                permission.as_str()
            )));
        }
        if status == 404 {
            return Disposition::Fail(ApiError::NotFound(format!(
                "{what}: check GITHUB_REPOSITORY and that the token can see the repository \
                 (a GITHUB_TOKEN needs `permissions: {}`)",
                permission.as_str()
            )));
        }
        if status >= 500 || status == StatusCode::REQUEST_TIMEOUT.as_u16() {
            return Disposition::Retry(
                ApiError::Status {
                    status,
                    message: what,
                },
                retry_after,
            );
        }
        Disposition::Fail(ApiError::Status {
            status,
            message: what,
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.policy
            .base_delay
            .saturating_mul(factor)
            .min(self.policy.max_delay)
    }

    fn scrubbed(&self, e: ApiError) -> ApiError {
        e.map_message(|m| scrub(m, &self.token))
    }
}

enum Disposition {
    Fail(ApiError),
    Retry(ApiError, Option<Duration>),
}

/// `text` with the token masked in every form it can be printed in, and
/// every prefix of it of 8 characters or more (see [`crate::secret`]).
/// Always scrub *before* cutting a text short.
fn scrub(text: &str, token: &Secret) -> String {
    let m = gates_report::secret::Masker::new(false);
    m.add(token);
    m.redact(text)
}

/// At most `max` characters of `text`, with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// An error and its sources, `: `-separated.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}

/// GitHub's `message` (and `errors`) from an error body, scrubbed, then
/// shortened.
fn github_message(body: &Value, token: &Secret) -> String {
    let mut msg = match body {
        Value::Object(o) => o
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("(no message)")
            .to_string(),
        Value::String(s) => s.clone(),
        _ => "(no message)".to_string(),
    };
    if let Some(errors) = body.get("errors").filter(|e| !e.is_null()) {
        msg.push_str(&format!(" {errors}"));
    }
    let msg = scrub(&msg, token).replace(['\n', '\r'], " ");
    cut(&msg, 500)
}

/// Percent-encodes a path segment or query component (RFC 3986 unreserved kept).
pub fn encode_component(s: &str) -> String {
    gates_report::text::percent_encode(s)
}

// ---- The parts of GitHub's objects that gates reads. ----

/// A check run (`GET /repos/{o}/{r}/check-runs/{id}`).
#[derive(Clone, Debug, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub head_sha: String,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub output: CheckRunOutput,
    /// The GitHub App that made the run (`null` for some old runs).
    #[serde(default)]
    pub app: Option<CheckRunApp>,
}

/// The app of a check run.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CheckRunApp {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CheckRunOutput {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub annotations_count: u64,
}

/// A deployment.
#[derive(Clone, Debug, Deserialize)]
pub struct RawDeployment {
    pub id: u64,
    #[serde(default)]
    pub sha: String,
    #[serde(rename = "ref", default)]
    pub git_ref: String,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub description: Option<String>,
    /// An object, or for old deployments sometimes a string.
    #[serde(default)]
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

/// A deployment status.
#[derive(Clone, Debug, Deserialize)]
pub struct RawDeploymentStatus {
    pub id: u64,
    pub state: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub log_url: Option<String>,
    #[serde(default)]
    pub target_url: Option<String>,
    #[serde(default)]
    pub environment_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Deserialises a response body into `T`, with a message naming the request.
pub fn decode<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| {
        ApiError::Decode(format!(
            "unexpected answer from the GitHub API ({what}): {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_next_detected() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static(
                "<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=5>; rel=\"last\"",
            ),
        );
        let resp = ApiResponse {
            status: 200,
            headers,
            body: Value::Null,
            not_modified: false,
        };
        assert!(resp.has_next_page());
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LINK,
            http::HeaderValue::from_static("<https://api.github.com/x?page=1>; rel=\"prev\""),
        );
        let resp = ApiResponse {
            status: 200,
            headers,
            body: Value::Null,
            not_modified: false,
        };
        assert!(!resp.has_next_page());
    }

    #[test]
    fn scrub_removes_token() {
        let t = Secret::new("ghs_secretvalue");
        assert_eq!(scrub("x ghs_secretvalue y", &t), "x *** y");
        // A token cut short by a body limit is still masked.
        let long = Secret::new("ghs_0123456789abcdefghijklmnopqrstuvwx");
        let body = Value::String(format!("{}{}", "x".repeat(467), long.expose()));
        let msg = github_message(&body, &long);
        assert!(!msg.contains("ghs_0123"), "{msg}");
        assert!(msg.ends_with("***"), "{msg}");
        let body =
            serde_json::json!({ "message": format!("{} {}", "y".repeat(480), long.expose()) });
        let msg = github_message(&body, &long);
        assert!(!msg.contains("ghs_0123"), "{msg}");
    }

    #[test]
    fn etag_cache_is_bounded_oldest_out() {
        let resp = |n: usize| ApiResponse {
            status: 200,
            headers: HeaderMap::new(),
            body: Value::String("x".repeat(n)),
            not_modified: false,
        };
        let mut cache = EtagCache::default();
        for i in 0..=ETAG_CACHE_ENTRIES {
            cache.put(&format!("/u{i}"), "\"e\"", &resp(1));
        }
        assert_eq!(cache.entries.len(), ETAG_CACHE_ENTRIES);
        assert!(cache.get("/u0").is_none() && cache.get("/u1").is_some());
        // Replacing an entry does not count it twice.
        let before = cache.bytes;
        cache.put("/u1", "\"e\"", &resp(1));
        assert_eq!(cache.bytes, before);
        // Too large to keep at all; large ones push the oldest out.
        cache.put("/huge", "\"e\"", &resp(ETAG_CACHE_BYTES));
        assert!(cache.get("/huge").is_none());
        cache.put("/big", "\"e\"", &resp(ETAG_CACHE_BYTES - 100));
        assert!(cache.get("/big").is_some());
        assert!(cache.bytes <= ETAG_CACHE_BYTES);
        assert!(cache.entries.len() < 20, "the oldest went out to make room");
        assert!(cache.get("/u2").is_none() && cache.get("/u1").is_some());
    }

    #[test]
    fn encodes_check_names() {
        assert_eq!(encode_component("gates/coverage x"), "gates%2Fcoverage%20x");
    }
}
