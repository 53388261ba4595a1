//! The `Gate` glue: configuration, flags, `collect` (run the load, or read
//! shards for `merge`) and the pure `evaluate`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use gate_core::report::{
    Chart, Finding, Metric, Rule, Series, SeriesKind, Severity, format_number,
};
use gate_core::{Context, Gate, GateError, Report, Verdict};
use http::{HeaderName, HeaderValue, Method};
use hyper::body::Bytes;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::engine::{Cancel, Live, run_scenario_observed};
use crate::result::{EndpointStats, LoadResult};
use crate::scenario::{Endpoint, Model, Scenario, Stage, StatusSet, parse_duration};
use crate::threshold::{self, Expr, Stat};

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
    pub headers: Vec<String>,
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
    /// e.g. `30s`, `2m`, `0s` for a step.
    pub duration: String,
    /// Users (closed model) or requests per second (open model).
    #[schemars(range(min = 0.0))]
    pub target: f64,
}

/// The `load` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct LoadConfig {
    /// Base URL that relative endpoint URLs resolve against, e.g. `http://127.0.0.1:8080`.
    pub target: Option<String>,
    /// URLs to GET with equal weights (shorthand for `endpoints`).
    pub urls: Vec<String>,
    /// The request mix.
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
    /// Length of the run, e.g. `30s`, `5m`.
    pub duration: Option<String>,
    /// Closed model: time to go from 0 to `users` (sustained profile).
    pub ramp_up: Option<String>,
    /// Stop after this many requests (smoke default: 10).
    #[schemars(range(min = 1))]
    pub requests: Option<u64>,
    /// Burst profile: the burst's multiple of the base rate or users.
    #[schemars(range(min = 1.0, max = 1000.0))]
    pub burst_factor: f64,
    /// Burst profile: how long the burst lasts.
    pub burst_duration: String,
    /// Ramps (profile `stages`).
    pub stages: Vec<StageConfig>,
    /// Open model: most requests in flight (connections); an arrival with none free is dropped (default: the peak rate, at least 10).
    #[schemars(range(min = 1, max = 100000))]
    pub max_connections: Option<u32>,
    /// Reuse connections (HTTP/1.1 keep-alive); false opens one per request.
    pub keep_alive: bool,
    /// Timeout of a whole request.
    pub timeout: String,
    /// How long requests in flight at the end may finish; later ones are `interrupted` (not errors).
    pub graceful_stop: String,
    /// Statuses that count as success: codes, ranges or classes (`200-399`, `404`, `2xx`).
    pub expected_statuses: Vec<String>,
    /// Headers sent with every request, `Name: value`.
    pub headers: Vec<String>,
    /// Thresholds on the whole run, k6-style: `p(95) < 200ms`, `error_rate < 1%`, `warn: error_rate < 0.5%`, `rps > 100`, `dropped == 0`.
    pub thresholds: Vec<String>,
    /// PEM file of CA certificates trusted for `https://` endpoints besides the Mozilla roots (a private CA, a self-signed certificate); relative to the repository.
    pub ca_file: Option<String>,
    /// Accept any certificate for `https://` endpoints (testing only: the connection is not authenticated).
    pub insecure: bool,
    /// HTTP method of the `urls` requests (default GET; `endpoints` have their own).
    pub method: Option<String>,
    /// Request body of the `urls` requests (sent with a Content-Length; `endpoints` have their own).
    pub body: Option<String>,
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
            burst_duration: "5s".into(),
            stages: Vec::new(),
            max_connections: None,
            keep_alive: true,
            timeout: "10s".into(),
            graceful_stop: "5s".into(),
            expected_statuses: vec!["200-399".into()],
            headers: Vec::new(),
            thresholds: vec!["error_rate < 1%".into()],
            ca_file: None,
            insecure: false,
            method: None,
            body: None,
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

/// Flags of gate-load (each overrides the `gates.yml` key of the same name).
#[derive(Debug, Clone, clap::Args)]
#[command(args_conflicts_with_subcommands = false)]
pub struct LoadArgs {
    #[command(subcommand)]
    pub command: Option<LoadCommand>,
    /// URL to GET (repeatable; shorthand for endpoints)
    #[arg(long = "url", id = "urls", value_name = "URL")]
    pub urls: Vec<String>,
    /// Base URL for relative endpoint URLs
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// smoke, sustained, burst or stages
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// closed or open
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Concurrent users (closed model)
    #[arg(long, value_name = "N")]
    pub users: Option<String>,
    /// Arrival rate, requests/s (open model)
    #[arg(long, value_name = "RPS")]
    pub rate: Option<String>,
    /// Length of the run, e.g. 30s
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Ramp-up time (closed model)
    #[arg(long = "ramp-up", id = "ramp_up", value_name = "DURATION")]
    pub ramp_up: Option<String>,
    /// Stop after N requests
    #[arg(long, value_name = "N")]
    pub requests: Option<String>,
    /// Burst multiple of the base load
    #[arg(long = "burst-factor", id = "burst_factor", value_name = "X")]
    pub burst_factor: Option<String>,
    /// Burst length
    #[arg(
        long = "burst-duration",
        id = "burst_duration",
        value_name = "DURATION"
    )]
    pub burst_duration: Option<String>,
    /// Most requests in flight (open model)
    #[arg(long = "max-connections", id = "max_connections", value_name = "N")]
    pub max_connections: Option<String>,
    /// Reuse connections: true or false
    #[arg(long = "keep-alive", id = "keep_alive", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub keep_alive: Option<String>,
    /// PEM file of extra CA certificates for https:// endpoints
    #[arg(long = "ca-file", id = "ca_file", value_name = "PATH")]
    pub ca_file: Option<String>,
    /// Accept any certificate for https:// endpoints (testing only)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub insecure: Option<String>,
    /// Timeout of a request
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Time for requests in flight to finish at the end
    #[arg(long = "graceful-stop", id = "graceful_stop", value_name = "DURATION")]
    pub graceful_stop: Option<String>,
    /// Statuses that count as success (repeatable): 200-399, 404, 2xx
    #[arg(
        long = "expected-statuses",
        id = "expected_statuses",
        value_name = "STATUSES"
    )]
    pub expected_statuses: Vec<String>,
    /// Header sent with every request, "Name: value" (repeatable)
    #[arg(long = "header", id = "headers", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// HTTP method of the --url requests (default GET)
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// Request body of the --url requests
    #[arg(long, value_name = "TEXT")]
    pub body: Option<String>,
    /// k6-style threshold expression on the whole run (repeatable): [warn:|fail:] METRIC OP VALUE, METRIC one of p(N), avg, min, max, error_rate, rps, dropped, requests, errors; e.g. "p(95) < 200ms", "error_rate < 1%". (gate-health's thresholds are --success-threshold/--failure-threshold, round counts)
    #[arg(
        long = "threshold",
        id = "thresholds",
        value_name = "EXPR",
        global = true
    )]
    pub thresholds: Vec<String>,
}

/// A threshold and where it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoped {
    /// `None`: the whole run; else the endpoint's name.
    pub endpoint: Option<String>,
    pub expr: Expr,
}

/// What `collect` hands to `evaluate`.
#[derive(Debug, Clone)]
pub struct LoadInput {
    pub result: LoadResult,
    pub thresholds: Vec<Scoped>,
    /// The shard files of a merge (empty for a run).
    pub merged: Vec<String>,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "threshold-breached",
        summary: "A load threshold was not met",
        help: "Find the cause (the endpoint, the error classes, the latency chart) or, if the load was unrealistic, change the threshold in gates.yml.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "request-errors",
        summary: "Some requests failed (by class)",
        help: "The classes say where: status-5xx (the service), connect-refused (nothing listening), reset/closed (the connection broke), timeout, tls. Thresholds on error_rate decide the verdict.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "rate-not-met",
        summary: "Open model: arrivals were dropped (no free connection)",
        help: "The service answered too slowly for the rate with max-connections in flight. Raise max-connections, or treat it as a failure with the threshold `dropped == 0`.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "generator-saturated",
        summary: "The load generator was the bottleneck: results are unreliable",
        help: "Lower the load per runner and scale out across a matrix (`gate-load merge`), or give the generator more cores.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "interrupted-requests",
        summary: "Requests were still in flight when the run ended",
        help: "They are not errors. Raise graceful-stop to let them finish.",
        default_severity: Severity::Note,
    },
];

/// The load gate.
#[derive(Debug)]
pub struct LoadGate;

fn cfg_err(key: &str, msg: impl std::fmt::Display) -> GateError {
    GateError::Config(vec![format!("load.{key}: {msg}")])
}

/// Parses every threshold of the configuration; all problems at once, each
/// with its key path and column.
pub fn parse_thresholds(cfg: &LoadConfig) -> Result<Vec<Scoped>, GateError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut one = |key: String, text: &str, endpoint: Option<String>| match threshold::parse(text) {
        Ok(expr) => out.push(Scoped { endpoint, expr }),
        Err(e) => problems.push(format!("load.{key}: `{text}`: {e}")),
    };
    for (i, t) in cfg.thresholds.iter().enumerate() {
        one(format!("thresholds[{i}]"), t, None);
    }
    for (j, ep) in cfg.endpoints.iter().enumerate() {
        for (i, t) in ep.thresholds.iter().enumerate() {
            one(
                format!("endpoints[{j}].thresholds[{i}]"),
                t,
                Some(endpoint_name(ep)),
            );
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(GateError::Config(problems))
    }
}

fn endpoint_name(ep: &EndpointConfig) -> String {
    ep.name.clone().unwrap_or_else(|| {
        let path = url::Url::parse(&ep.url)
            .map(|u| u.path().to_string())
            .unwrap_or_else(|_| ep.url.clone());
        format!("{} {path}", ep.method.to_ascii_uppercase())
    })
}

fn duration_key(key: &str, text: &str) -> Result<Duration, GateError> {
    parse_duration(text).map_err(|e| cfg_err(key, e))
}

fn parse_header(key: &str, text: &str) -> Result<(HeaderName, HeaderValue), GateError> {
    let (n, v) = text
        .split_once(':')
        .ok_or_else(|| cfg_err(key, format!("`{text}` is not `Name: value`")))?;
    let name = HeaderName::from_bytes(n.trim().as_bytes())
        .map_err(|_| cfg_err(key, format!("`{}` is not a header name", n.trim())))?;
    let value = HeaderValue::from_str(v.trim()).map_err(|_| {
        cfg_err(
            key,
            format!(
                "the value of `{}` has characters a header cannot hold",
                n.trim()
            ),
        )
    })?;
    Ok((name, value))
}

fn parse_url(key: &str, base: Option<&url::Url>, text: &str) -> Result<url::Url, GateError> {
    let parsed = match url::Url::parse(text) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => match base {
            Some(b) => b
                .join(text)
                .map_err(|e| cfg_err(key, format!("`{text}`: {e}")))?,
            None => {
                return Err(cfg_err(
                    key,
                    format!(
                        "`{text}` is relative: give an absolute http:// URL or set load.target"
                    ),
                ));
            }
        },
        Err(e) => return Err(cfg_err(key, format!("`{text}` is not a URL: {e}"))),
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(cfg_err(
            key,
            format!("`{text}`: only http:// and https:// URLs with a host are supported"),
        ));
    }
    Ok(parsed)
}

/// Builds the scenario a configuration describes (validating it whole).
pub fn scenario_from_config(cfg: &LoadConfig) -> Result<Scenario, GateError> {
    let base = match &cfg.target {
        Some(t) if !t.trim().is_empty() => Some(parse_url("target", None, t.trim())?),
        _ => None,
    };
    let mut common_headers = Vec::new();
    for (i, h) in cfg.headers.iter().enumerate() {
        common_headers.push(parse_header(&format!("headers[{i}]"), h)?);
    }
    let mut endpoints = Vec::new();
    let urls_method = match &cfg.method {
        None => Method::GET,
        Some(m) => Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| cfg_err("method", format!("`{m}` is not an HTTP method")))?,
    };
    for (i, u) in cfg.urls.iter().enumerate() {
        let url = parse_url(&format!("urls[{i}]"), base.as_ref(), u.trim())?;
        let mut e = Endpoint::get(url);
        e.method = urls_method.clone();
        e.body = Bytes::from(cfg.body.clone().unwrap_or_default());
        e.headers = common_headers.clone();
        endpoints.push(e);
    }
    for (i, ep) in cfg.endpoints.iter().enumerate() {
        let key = format!("endpoints[{i}]");
        let url = parse_url(&format!("{key}.url"), base.as_ref(), ep.url.trim())?;
        let method =
            Method::from_bytes(ep.method.trim().to_ascii_uppercase().as_bytes()).map_err(|_| {
                cfg_err(
                    &format!("{key}.method"),
                    format!("`{}` is not an HTTP method", ep.method),
                )
            })?;
        let mut headers = common_headers.clone();
        for (j, h) in ep.headers.iter().enumerate() {
            headers.push(parse_header(&format!("{key}.headers[{j}]"), h)?);
        }
        if ep.weight == 0 {
            return Err(cfg_err(&format!("{key}.weight"), "must be at least 1"));
        }
        endpoints.push(Endpoint {
            name: endpoint_name(ep),
            method,
            url,
            headers,
            body: Bytes::from(ep.body.clone().unwrap_or_default()),
            weight: ep.weight,
        });
    }
    if endpoints.is_empty() {
        if let Some(b) = base.clone() {
            endpoints.push(Endpoint::get(b));
        } else {
            return Err(cfg_err(
                "urls",
                "nothing to load: give --url URL, load.urls, load.endpoints or load.target",
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for e in &endpoints {
        if !seen.insert(e.name.clone()) {
            return Err(cfg_err(
                "endpoints",
                format!(
                    "two endpoints are named `{}`: give each a distinct `name`",
                    e.name
                ),
            ));
        }
    }
    let expected =
        StatusSet::parse(&cfg.expected_statuses).map_err(|e| cfg_err("expected-statuses", e))?;
    let timeout = duration_key("timeout", &cfg.timeout)?;
    if timeout.is_zero() {
        return Err(cfg_err("timeout", "must be more than 0"));
    }
    let graceful_stop = duration_key("graceful-stop", &cfg.graceful_stop)?;
    let duration = cfg
        .duration
        .as_deref()
        .map(|d| duration_key("duration", d))
        .transpose()?;
    if duration.is_some_and(|d| d.is_zero()) {
        return Err(cfg_err("duration", "must be more than 0"));
    }
    let ramp_up = cfg
        .ramp_up
        .as_deref()
        .map(|d| duration_key("ramp-up", d))
        .transpose()?
        .unwrap_or_default();
    let profile = cfg.profile.unwrap_or(if !cfg.stages.is_empty() {
        Profile::Stages
    } else if cfg.users.is_some() || cfg.rate.is_some() || cfg.duration.is_some() {
        Profile::Sustained
    } else {
        Profile::Smoke
    });
    let open = match cfg.model {
        Some(ModelChoice::Open) => true,
        Some(ModelChoice::Closed) => false,
        None => cfg.rate.is_some(),
    };
    if open && profile != Profile::Stages && cfg.rate.is_none() {
        return Err(cfg_err(
            "rate",
            "the open model needs a rate (requests per second)",
        ));
    }
    if let Some(r) = cfg.rate
        && !(r.is_finite() && r > 0.0)
    {
        return Err(cfg_err("rate", "must be more than 0"));
    }
    let base_load = if open {
        cfg.rate.unwrap_or(0.0)
    } else {
        f64::from(cfg.users.unwrap_or(match profile {
            Profile::Smoke => 1,
            _ => 50,
        }))
    };
    let mut max_requests = cfg.requests;
    let (start, stages) = match profile {
        Profile::Smoke => {
            if max_requests.is_none() {
                max_requests = Some(10);
            }
            let d = duration.unwrap_or(Duration::from_secs(30));
            (
                base_load,
                vec![Stage {
                    duration: d,
                    target: base_load,
                }],
            )
        }
        Profile::Sustained => {
            let d = duration.unwrap_or(Duration::from_secs(300));
            if open || ramp_up.is_zero() {
                (
                    base_load,
                    vec![Stage {
                        duration: d,
                        target: base_load,
                    }],
                )
            } else {
                (
                    0.0,
                    vec![
                        Stage {
                            duration: ramp_up,
                            target: base_load,
                        },
                        Stage {
                            duration: d,
                            target: base_load,
                        },
                    ],
                )
            }
        }
        Profile::Burst => {
            let d = duration.unwrap_or(Duration::from_secs(30));
            let b = duration_key("burst-duration", &cfg.burst_duration)?;
            if b >= d {
                return Err(cfg_err(
                    "burst-duration",
                    format!(
                        "the burst ({}) must be shorter than the run ({})",
                        cfg.burst_duration,
                        cfg.duration.as_deref().unwrap_or("30s")
                    ),
                ));
            }
            let before = (d - b) / 2;
            let after = d - b - before;
            let peak = base_load * cfg.burst_factor;
            (
                base_load,
                vec![
                    Stage {
                        duration: before,
                        target: base_load,
                    },
                    Stage {
                        duration: Duration::ZERO,
                        target: peak,
                    },
                    Stage {
                        duration: b,
                        target: peak,
                    },
                    Stage {
                        duration: Duration::ZERO,
                        target: base_load,
                    },
                    Stage {
                        duration: after,
                        target: base_load,
                    },
                ],
            )
        }
        Profile::Stages => {
            if cfg.stages.is_empty() {
                return Err(cfg_err(
                    "stages",
                    "profile `stages` needs at least one stage",
                ));
            }
            let mut st = Vec::new();
            for (i, s) in cfg.stages.iter().enumerate() {
                if !(s.target.is_finite() && s.target >= 0.0) {
                    return Err(cfg_err(&format!("stages[{i}].target"), "must be 0 or more"));
                }
                st.push(Stage {
                    duration: duration_key(&format!("stages[{i}].duration"), &s.duration)?,
                    target: s.target,
                });
            }
            let start = if open { cfg.rate.unwrap_or(0.0) } else { 0.0 };
            (start, st)
        }
    };
    let model = if open {
        let peak = stages.iter().map(|s| s.target).fold(start, f64::max);
        let max_connections = cfg
            .max_connections
            .map(|m| m as usize)
            .unwrap_or_else(|| (peak.ceil() as usize).clamp(10, 100_000));
        Model::Open {
            start,
            stages,
            max_connections,
            pre_allocated: max_connections.min((start.ceil() as usize).clamp(1, 100)),
        }
    } else {
        Model::Closed { start, stages }
    };
    let scenario = Scenario {
        endpoints,
        model,
        keep_alive: cfg.keep_alive,
        timeout,
        graceful_stop,
        expected,
        max_requests,
        // The CA file is read by `collect`, relative to the repository.
        extra_ca: Vec::new(),
        insecure: cfg.insecure,
    };
    if scenario.model.duration().is_zero() {
        return Err(cfg_err("stages", "the stages add up to no time at all"));
    }
    if scenario.model.peak() <= 0.0 {
        return Err(cfg_err(
            "stages",
            "every target is 0: nothing would be sent",
        ));
    }
    Ok(scenario)
}

/// Reads shard reports and merges their results.
pub fn read_shards(ctx_dir: &std::path::Path, files: &[PathBuf]) -> Result<LoadResult, GateError> {
    let mut parts = Vec::new();
    for f in files {
        let path = if f.is_absolute() {
            f.clone()
        } else {
            ctx_dir.join(f)
        };
        let text = std::fs::read_to_string(&path).map_err(|e| GateError::read(&path, e))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            GateError::malformed(
                &path,
                Some(e.line() as u64),
                format!("not a JSON report: {e}"),
            )
        })?;
        if v.get("gate").and_then(|g| g.as_str()) != Some("load") {
            return Err(GateError::malformed(
                &path,
                None,
                "not a gate-load JSON report (`gate` is not `load`): write shards with `gate-load --output json=PATH`",
            ));
        }
        let details = v.get("details").cloned().unwrap_or_default();
        let r: LoadResult = serde_json::from_value(details).map_err(|e| {
            GateError::malformed(
                &path,
                None,
                format!("`details` is not a gate-load result: {e}"),
            )
        })?;
        parts.push(r);
    }
    LoadResult::merge(&parts)
        .ok_or_else(|| GateError::Usage("merge: give at least one report".into()))
}

impl Gate for LoadGate {
    const ID: &'static str = "load";
    const ABOUT: &'static str = "Load test with k6-style thresholds: closed and open models (no coordinated omission), HDR histograms that merge exactly across shards";
    const RULES: &'static [Rule] = RULES;
    type Config = LoadConfig;
    type Args = LoadArgs;
    type Input = LoadInput;

    async fn collect(
        ctx: &Context,
        config: &LoadConfig,
        args: &LoadArgs,
    ) -> gate_core::Result<LoadInput> {
        let thresholds = parse_thresholds(config)?;
        if let Some(LoadCommand::Merge { files }) = &args.command {
            // Relative to the working directory, else to the repository root.
            let cwd = std::env::current_dir().unwrap_or_else(|_| ctx.repo_root.clone());
            let files: Vec<PathBuf> = files
                .iter()
                .map(|f| {
                    if f.is_absolute() || cwd.join(f).exists() {
                        cwd.join(f)
                    } else {
                        ctx.resolve(f)
                    }
                })
                .collect();
            let result = read_shards(&cwd, &files)?;
            return Ok(LoadInput {
                result,
                thresholds,
                merged: files.iter().map(|f| f.display().to_string()).collect(),
            });
        }
        let mut scenario = scenario_from_config(config)?;
        if let Some(f) = &config.ca_file {
            let p = ctx.resolve(f);
            let pem = std::fs::read(&p).map_err(|e| GateError::read(&p, e))?;
            // Refused now, with the file named, rather than as a TLS error
            // on every request.
            gate_core::tls::client_config(std::slice::from_ref(&pem), false)
                .map_err(|e| GateError::malformed(&p, None, format!("load.ca-file: {e}")))?;
            scenario.extra_ca.push(pem);
        }
        let live = Arc::new(Live::default());
        let cancel = Cancel::new();
        let progress = gate_core::out::stderr_is_tty().then(|| {
            let live = live.clone();
            let total = scenario.model.duration();
            tokio::spawn(async move {
                let start = tokio::time::Instant::now();
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let el = start.elapsed();
                    gate_core::out::stderr(&format!(
                        "\r\x1b[2Kgate-load: {:>4}s/{}s  {} requests  {} rps  p95 {} ms  {} errors  {} dropped",
                        el.as_secs(),
                        total.as_secs(),
                        live.completed.load(Ordering::Relaxed),
                        live.last_rps.load(Ordering::Relaxed),
                        format_number(live.last_p95_us.load(Ordering::Relaxed) as f64 / 1000.0),
                        live.errors.load(Ordering::Relaxed),
                        live.dropped.load(Ordering::Relaxed),
                    ));
                }
            })
        });
        let result = run_scenario_observed(&scenario, &cancel, live).await;
        if let Some(p) = progress {
            p.abort();
            gate_core::out::stderr("\r\x1b[2K");
        }
        let result = result.map_err(|e| GateError::Config(vec![format!("load: {e}")]))?;
        Ok(LoadInput {
            result,
            thresholds,
            merged: Vec::new(),
        })
    }

    fn evaluate(input: &LoadInput, _config: &LoadConfig) -> Report {
        evaluate(input)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        let get = |n: &str| {
            report
                .metric(n)
                .map(|m| format_number(m.value))
                .unwrap_or_default()
        };
        vec![
            ("rps".into(), get("rps")),
            ("p95-ms".into(), get("latency-p95")),
            ("error-rate".into(), get("error-rate")),
        ]
    }
}

/// Kebab-case slug of an endpoint name, for metric names.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            s.push(ch.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "root".into() } else { s }
}

fn stat_value(stat: Stat, e: &EndpointStats, r: &LoadResult) -> f64 {
    let h = &e.latency;
    match stat {
        Stat::Percentile(p) => h.percentile_ms(p),
        Stat::Avg => round3(h.mean_ms()),
        Stat::Min => h.min_ms(),
        Stat::Max => h.max_ms(),
        Stat::ErrorRate => round3(e.error_rate() * 100.0),
        Stat::Rps => {
            if r.duration_s > 0.0 {
                round3(e.ok as f64 / r.duration_s)
            } else {
                0.0
            }
        }
        Stat::Dropped => r.dropped as f64,
        Stat::Requests => e.requests as f64,
        Stat::Errors => e.error_count() as f64,
    }
}

/// A latency statistic, which only successful requests have.
fn is_latency(stat: Stat) -> bool {
    matches!(
        stat,
        Stat::Percentile(_) | Stat::Avg | Stat::Min | Stat::Max
    )
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

const DEFAULT_STATS: &[Stat] = &[
    Stat::Requests,
    Stat::Rps,
    Stat::Percentile(50.0),
    Stat::Percentile(95.0),
    Stat::Percentile(99.0),
    Stat::Max,
    Stat::ErrorRate,
];

/// The pure evaluation of a result against thresholds.
pub fn evaluate(input: &LoadInput) -> Report {
    let r = &input.result;
    let mut report = Report::new("load");
    report.checked = r.overall.requests;

    // Metrics: the default set per scope, plus any thresholded stat.
    let mut scopes: Vec<(Option<&EndpointStats>, String)> = vec![(None, String::new())];
    if r.endpoints.len() > 1 || input.thresholds.iter().any(|t| t.endpoint.is_some()) {
        for e in &r.endpoints {
            scopes.push((Some(e), format!("{}.", slug(&e.name))));
        }
    }
    for (scope, prefix) in &scopes {
        let stats = scope.unwrap_or(&r.overall);
        let name_of = |s: &Option<&EndpointStats>| s.map(|e| e.name.clone());
        let mine: Vec<&Scoped> = input
            .thresholds
            .iter()
            .filter(|t| t.endpoint == name_of(scope))
            .collect();
        let mut wanted: Vec<Stat> = DEFAULT_STATS.to_vec();
        if scope.is_none() && r.model != "closed" {
            wanted.push(Stat::Dropped);
        }
        for t in &mine {
            if !wanted.contains(&t.expr.stat) {
                wanted.push(t.expr.stat);
            }
        }
        for stat in wanted {
            if is_latency(stat) && stats.latency.count() == 0 {
                // No request succeeded: there is no latency, not a 0 ms one.
                for t in mine.iter().filter(|t| t.expr.stat == stat) {
                    let scope_text = match scope {
                        Some(e) => format!(" on `{}`", e.name),
                        None => String::new(),
                    };
                    report.findings.push(
                        Finding::new(
                            "threshold-breached",
                            if t.expr.level == Verdict::Warn {
                                Severity::Warning
                            } else {
                                Severity::Error
                            },
                            format!(
                                "`{}`{scope_text}: no request succeeded, so there is no latency to judge",
                                t.expr.text
                            ),
                        )
                        .with_key(format!("{prefix}{}", t.expr.text)),
                    );
                }
                continue;
            }
            let value = stat_value(stat, stats, r);
            let mut m = Metric::info(
                format!("{prefix}{}", stat.metric_name()),
                value,
                stat.unit(),
            );
            for t in mine.iter().filter(|t| t.expr.stat == stat) {
                m = m.with_threshold(t.expr.threshold());
                let v = t.expr.threshold().judge(value);
                if v != Verdict::Pass {
                    let scope_text = match scope {
                        Some(e) => format!(" on `{}`", e.name),
                        None => String::new(),
                    };
                    report.findings.push(
                        Finding::new(
                            "threshold-breached",
                            if v == Verdict::Fail {
                                Severity::Error
                            } else {
                                Severity::Warning
                            },
                            format!(
                                "`{}`{scope_text}: {} is {}",
                                t.expr.text,
                                stat.metric_name(),
                                m.display_value()
                            ),
                        )
                        .with_key(format!("{prefix}{}", t.expr.text)),
                    );
                }
            }
            report.metrics.push(m);
        }
    }
    // Thresholds on an endpoint that the result does not have.
    for t in &input.thresholds {
        if let Some(name) = &t.endpoint
            && !r.endpoints.iter().any(|e| &e.name == name)
        {
            report.findings.push(
                Finding::new(
                    "threshold-breached",
                    Severity::Error,
                    format!(
                        "`{}` on `{name}`: the results have no such endpoint",
                        t.expr.text
                    ),
                )
                .with_key(format!("{name}.{}", t.expr.text)),
            );
        }
    }

    // Errors by class, each with an example.
    let classes_of = |e: &EndpointStats| -> Vec<String> {
        e.errors
            .iter()
            .map(|(k, v)| match e.examples.get(k) {
                Some(x) => format!("{k}: {v}, e.g. \"{x}\""),
                None => format!("{k}: {v}"),
            })
            .collect()
    };
    if r.overall.error_count() > 0 {
        let classes = classes_of(&r.overall);
        report.findings.push(
            Finding::new(
                "request-errors",
                Severity::Note,
                format!(
                    "{} of {} requests failed ({})",
                    r.overall.error_count(),
                    r.overall.requests,
                    classes.join(", ")
                ),
            )
            .with_key("overall"),
        );
        if r.endpoints.len() > 1 {
            for e in r.endpoints.iter().filter(|e| e.error_count() > 0) {
                let classes = classes_of(e);
                report.findings.push(
                    Finding::new(
                        "request-errors",
                        Severity::Note,
                        format!(
                            "`{}`: {} of {} requests failed ({})",
                            e.name,
                            e.error_count(),
                            e.requests,
                            classes.join(", ")
                        ),
                    )
                    .with_key(e.name.clone()),
                );
            }
        }
    }
    if r.dropped > 0 {
        report.findings.push(Finding::new(
            "rate-not-met",
            Severity::Warning,
            format!(
                "{} arrivals were dropped: no free connection (the service was too slow for the rate with the connections allowed); they count as failures in error_rate",
                r.dropped
            ),
        ));
    }
    if r.overall.interrupted > 0 {
        report.findings.push(Finding::new(
            "interrupted-requests",
            Severity::Note,
            format!(
                "{} requests were still in flight at the end of the run (not counted as errors)",
                r.overall.interrupted
            ),
        ));
    }
    if r.generator.unreliable {
        report.findings.push(Finding::new(
            "generator-saturated",
            Severity::Warning,
            format!("results are unreliable: {}", r.generator.reasons.join("; ")),
        ));
    }

    // Charts: per-second p95 and throughput.
    if !r.timeline.is_empty() {
        let x: Vec<String> = r.timeline.iter().map(|s| s.t.to_string()).collect();
        report.charts.push(Chart {
            y_max: None,
            title: "p95 latency per second".into(),
            x_label: "second".into(),
            y_label: "ms".into(),
            x: x.clone(),
            series: vec![Series {
                name: "p95".into(),
                kind: SeriesKind::Line,
                values: r
                    .timeline
                    .iter()
                    .map(|s| s.latency.percentile_ms(95.0))
                    .collect(),
            }],
        });
        report.charts.push(Chart {
            y_max: None,
            title: "Requests per second".into(),
            x_label: "second".into(),
            y_label: "requests".into(),
            x,
            series: {
                let mut series = vec![Series {
                    name: "completed".into(),
                    kind: SeriesKind::Bar,
                    values: r.timeline.iter().map(|s| s.requests as f64).collect(),
                }];
                if r.timeline.iter().any(|s| s.errors > 0) {
                    series.push(Series {
                        name: "errors".into(),
                        kind: SeriesKind::Line,
                        values: r.timeline.iter().map(|s| s.errors as f64).collect(),
                    });
                }
                series
            },
        });
    }

    let shards = if input.merged.is_empty() {
        String::new()
    } else {
        format!(" ({} shards merged)", input.merged.len())
    };
    let latency = if r.overall.latency.count() == 0 {
        "no request succeeded (no latency)".to_string()
    } else {
        format!(
            "p95 {} ms, p99 {} ms",
            format_number(r.overall.latency.percentile_ms(95.0)),
            format_number(r.overall.latency.percentile_ms(99.0)),
        )
    };
    report.summary = format!(
        "{}{} requests in {}s, {} ok/s, {latency}, errors {}%{}{}{}",
        if r.dropped > 0 {
            format!("{} arrivals dropped, ", r.dropped)
        } else {
            String::new()
        },
        r.overall.requests,
        format_number(r.duration_s),
        format_number(round3(r.rps())),
        format_number(round3(r.overall.error_rate() * 100.0)),
        if r.dropped > 0 {
            " (dropped arrivals included)"
        } else {
            ""
        },
        if r.generator.unreliable {
            " (unreliable: generator saturated)"
        } else {
            ""
        },
        shards,
    );

    let mut details = serde_json::to_value(r).unwrap_or_default();
    if let Some(obj) = details.as_object_mut() {
        obj.insert("rps".into(), serde_json::json!(round3(r.rps())));
        obj.insert(
            "thresholds".into(),
            serde_json::Value::Array(
                input
                    .thresholds
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "endpoint": t.endpoint,
                            "expression": t.expr.text,
                            "level": t.expr.level.as_str(),
                        })
                    })
                    .collect(),
            ),
        );
        if !input.merged.is_empty() {
            obj.insert("merged_from".into(), serde_json::json!(input.merged));
        }
    }
    report.details = details;
    report.finish()
}
