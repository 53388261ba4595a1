//! The `load` section of `gates.yml` ([`LoadConfig`]) and the flags of
//! gate-load ([`LoadArgs`], [`LoadCommand`]). Turning them into a
//! [`crate::Scenario`] is [`crate::build`]'s job.

use std::path::PathBuf;

use gate_core::types::{Duration, Header, HttpUrl};
use schemars::JsonSchema;
use serde::Deserialize;

/// Load profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// A few requests from one user (default: 10 requests): does it answer at all?
    Smoke,
    /// Constant load: `users` users (default 50), or `rate` requests/s, for `duration` (default 5m).
    Sustained,
    /// `rate` (or `users`), a step to `burst-factor`× for `burst-duration`, then back.
    Burst,
    /// The ramps in `stages`.
    Stages,
}

/// Closed or open model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ModelChoice {
    /// N users, each waits for a response before the next request.
    Closed,
    /// Requests arrive at a rate whatever the server does (latency from the intended send time).
    Open,
}

/// One request of the mix.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EndpointConfig {
    /// Name in the report (default: `METHOD path`).
    #[serde(default)]
    pub name: Option<String>,
    /// Absolute URL, or a path resolved against `target`.
    pub url: String,
    /// HTTP method.
    #[serde(default = "default_method")]
    pub method: String,
    /// Extra headers, `Name: value`.
    #[serde(default)]
    pub headers: Vec<Header>,
    /// Request body (sent with a Content-Length).
    #[serde(default)]
    pub body: Option<String>,
    /// Relative weight in the mix.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 1000000))]
    pub weight: u32,
    /// Thresholds on this endpoint alone, e.g. `p(95) < 200ms`.
    #[serde(default)]
    pub thresholds: Vec<String>,
}

fn default_method() -> String {
    "GET".into()
}
fn one() -> u32 {
    1
}

/// A ramp: from the previous target to `target` over `duration` (0s: a step).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StageConfig {
    /// How long the ramp lasts: `30s`, `2m`, `0s` for a step.
    pub duration: Duration,
    /// Users (closed model) or requests per second (open model).
    #[schemars(range(min = 0.0))]
    pub target: f64,
}

/// The `load` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct LoadConfig {
    /// Base URL that relative endpoint URLs resolve against, such as `http://127.0.0.1:8080`.
    pub target: Option<HttpUrl>,
    /// URL to GET (repeatable; shorthand for `endpoints`, equal weights). Absolute, or a path resolved against `target`.
    #[schemars(extend("x-gates-flag" = "url", "x-gates-separator" = "newline"))]
    pub urls: Vec<String>,
    /// The request mix: `{name, url, method, headers, body, weight, thresholds}` each.
    pub endpoints: Vec<EndpointConfig>,
    /// `smoke`, `sustained`, `burst` or `stages` (default: `stages` when stages are given, `sustained` when users, rate or duration are, else `smoke`).
    pub profile: Option<Profile>,
    /// `closed` or `open` (default: open when `rate` is set).
    pub model: Option<ModelChoice>,
    /// Closed model: concurrent users (connections).
    #[schemars(range(min = 1, max = 100000))]
    pub users: Option<u32>,
    /// Open model: arrival rate, requests per second.
    #[schemars(range(min = 0.001))]
    pub rate: Option<f64>,
    /// Length of the run, such as `30s` or `5m`.
    pub duration: Option<Duration>,
    /// Closed model: time to go from 0 to `users` (sustained profile).
    pub ramp_up: Option<Duration>,
    /// Stop after this many requests (smoke default: 10).
    #[schemars(range(min = 1))]
    pub requests: Option<u64>,
    /// Burst profile: the burst's multiple of the base rate or users.
    #[schemars(range(min = 1.0, max = 1000.0))]
    pub burst_factor: f64,
    /// Burst profile: how long the burst lasts.
    pub burst_duration: Duration,
    /// Ramps (profile `stages`).
    pub stages: Vec<StageConfig>,
    /// Open model: most requests in flight (connections); an arrival with none free is dropped (default: the peak rate, at least 10).
    #[schemars(range(min = 1, max = 100000))]
    pub max_connections: Option<u32>,
    /// Reuse connections (HTTP/1.1 keep-alive); false opens one per request (`Connection: close`).
    pub keep_alive: bool,
    /// Timeout of a whole request (past it: a `timeout` error).
    pub timeout: Duration,
    /// How long requests in flight at the end may finish; later ones are `interrupted` (not errors).
    pub graceful_stop: Duration,
    /// Statuses that count as success (repeatable, or comma-separated): codes, ranges or classes (`200-399`, `404`, `2xx`).
    #[schemars(extend("x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "CODE"))]
    pub expected_statuses: Vec<String>,
    /// Header sent with every request, `Name: value` (repeatable). A value may hold commas.
    #[schemars(extend("x-gates-flag" = "header", "x-gates-separator" = "newline"))]
    pub headers: Vec<Header>,
    /// Thresholds on the whole run, k6-style: `p(95) < 200ms`, `error_rate < 1%`, `warn: error_rate < 0.5%`, `rps > 100`, `dropped == 0`.
    #[schemars(extend("x-gates-flag" = "threshold", "x-gates-separator" = "newline"))]
    pub thresholds: Vec<String>,
    /// PEM file of CA certificates trusted for `https://` endpoints besides the Mozilla roots (a private CA, a self-signed certificate); relative to the repository. A file with no certificate is exit 4 before anything is sent.
    pub ca_file: Option<String>,
    /// Accept any certificate for `https://` endpoints (testing only: the connection is not authenticated).
    pub insecure: bool,
    /// HTTP method of the `urls` requests (default GET; `endpoints` have their own).
    pub method: Option<String>,
    /// Request body of the `urls` requests (sent with a Content-Length; `endpoints` have their own).
    pub body: Option<String>,
    /// Compare p50/p95/p99 and throughput with the base's run of the same scenario (the ledger's record for the base commit, or a file); a regression beyond the noise allowance fails.
    pub baseline: Option<BaselineConfig>,
}

/// `baseline:`: what to compare the run with, and the smallest regression that counts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct BaselineConfig {
    /// Base commit or ref whose recorded gate-load report is the baseline (default: the pull request's base).
    pub base: Option<String>,
    /// A previous gate-load JSON report (`--output json=PATH`) to compare with instead of the ledger; relative to the repository (the flag `--baseline-file` overrides it).
    pub file: Option<String>,
    /// Smallest regression that fails, in percent of the base's value; the allowance is the larger of this and the base's own sampling noise.
    #[schemars(range(min = 0.0, max = 1000.0))]
    pub floor: f64,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            base: None,
            file: None,
            floor: 20.0,
        }
    }
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            target: None,
            urls: Vec::new(),
            endpoints: Vec::new(),
            profile: None,
            model: None,
            users: None,
            rate: None,
            duration: None,
            ramp_up: None,
            requests: None,
            burst_factor: 5.0,
            burst_duration: Duration::from_secs(5),
            stages: Vec::new(),
            max_connections: None,
            keep_alive: true,
            timeout: Duration::from_secs(10),
            graceful_stop: Duration::from_secs(5),
            expected_statuses: vec!["200-399".into()],
            headers: Vec::new(),
            thresholds: vec!["error_rate < 1%".into()],
            ca_file: None,
            insecure: false,
            method: None,
            body: None,
            baseline: None,
        }
    }
}

/// `gate-load merge`: combine shard reports.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum LoadCommand {
    /// Merge the JSON reports of several runs (shards of a matrix) into one
    /// verdict: histograms add up exactly, thresholds are judged on the whole
    Merge {
        /// JSON reports written by `gate-load --output json=PATH`
        #[arg(required = true, value_name = "REPORT.json")]
        files: Vec<PathBuf>,
    },
}

/// Flags of gate-load that are not generated from [`LoadConfig`]'s schema:
/// the `merge` subcommand, and `--threshold`, which stays hand-written
/// because it is global (`gate-load merge A.json B.json --threshold ...`
/// judges the merged run) and generated flags are not. Every other key has
/// its generated flag (`urls` and `headers` keep their published spellings
/// `--url` and `--header`).
#[derive(Debug, Clone, clap::Args)]
#[command(args_conflicts_with_subcommands = false)]
pub struct LoadArgs {
    #[command(subcommand)]
    pub command: Option<LoadCommand>,
    /// k6-style threshold expression on the whole run (repeatable): [warn:|fail:] METRIC OP VALUE, METRIC one of p(N), avg, min, max, error_rate, rps, dropped, requests, errors; e.g. "p(95) < 200ms", "error_rate < 1%". (gate-health's thresholds are --success-threshold/--failure-threshold, round counts)
    #[arg(
        long = "threshold",
        id = "thresholds",
        value_name = "EXPR",
        global = true
    )]
    pub thresholds: Vec<String>,
    /// A previous gate-load JSON report (`--output json=PATH`) to compare p50/p95/p99 and throughput with (turns `baseline:` on; overrides `baseline.file`)
    #[arg(long = "baseline-file", value_name = "REPORT.json", global = true)]
    pub baseline_file: Option<PathBuf>,
}
