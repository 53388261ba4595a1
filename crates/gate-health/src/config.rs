//! The `health` section of `gates.yml` and turning it into [`Probe`]s.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gate_core::secret::{Masker, Secret};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::expr::{Condition, parse_duration};
use crate::probe::{HttpTarget, HttpVersion, Probe, Target, tls_config};

/// An expected status: a code (`200`) or a class (`"2xx"`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StatusSpec {
    Code(#[schemars(range(min = 100, max = 599))] u16),
    /// `1xx` … `5xx`.
    Class(#[schemars(regex(pattern = r"^[1-5]xx$"))] String),
}

/// A command: one string run by `sh -c`, or a list (program and arguments).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CommandSpec {
    Shell(String),
    Argv(Vec<String>),
}

/// One probe. Exactly one of `url`, `tcp`, `dns`, `command`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ProbeConfig {
    /// Name in reports and annotations (default: the target).
    pub name: Option<String>,
    /// HTTP(S) URL to request. `${VAR}` is replaced by the environment variable's value (masked). A path (`/health`) is joined to the deployment URL with `target-from-deployment`.
    pub url: Option<String>,
    /// `host:port` to open a TCP connection to.
    pub tcp: Option<String>,
    /// Host name to resolve.
    pub dns: Option<String>,
    /// Command that must exit 0: a string (run by `sh -c`) or a list.
    pub command: Option<CommandSpec>,
    /// HTTP method (default GET).
    pub method: Option<String>,
    /// HTTP request headers. `${VAR}` in a value is replaced by the environment variable's value, which is masked in every output.
    pub headers: BTreeMap<String, String>,
    /// HTTP request body.
    pub body: Option<String>,
    /// Follow redirects (up to 10). Default true.
    pub follow_redirects: Option<bool>,
    /// Expected status codes or classes, e.g. `[200, 204]` or `["2xx", 301]` (default `2xx` unless a condition reads `[STATUS]`).
    pub expect_status: Vec<StatusSpec>,
    /// `auto` (HTTP/2 when TLS offers it), `1.1` or `2`.
    pub http_version: Option<String>,
    /// Time limit of one attempt (default: the section's `probe-timeout`).
    pub timeout: Option<String>,
    /// Conditions that must all hold, gatus style: `[STATUS] == 200`, `[BODY].status == UP`, `[RESPONSE_TIME] < 300`, `[CERTIFICATE_EXPIRATION] > 72h`.
    pub conditions: Vec<String>,
    /// Over this total latency the probe is degraded (a warning), e.g. `300ms`.
    pub latency_budget: Option<String>,
    /// A certificate expiring sooner than this degrades the probe (default: the section's).
    pub cert_expiry_warning: Option<String>,
    /// Accept any TLS certificate (still measures its expiry).
    pub insecure: bool,
    /// Extra CA certificates (PEM file) trusted besides the Mozilla roots.
    pub ca_file: Option<String>,
    /// DNS probes: addresses the name must resolve to (all of them).
    pub expect_addresses: Vec<String>,
}

/// The `health` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct HealthConfig {
    /// The probes.
    pub probes: Vec<ProbeConfig>,
    /// Quick HTTP(S) probes: URLs, each checked with `conditions` and `headers` (default condition `[STATUS] == 2xx`).
    pub urls: Vec<String>,
    /// Quick TCP probes: `host:port`.
    pub tcp: Vec<String>,
    /// Quick DNS probes: names that must resolve.
    pub dns: Vec<String>,
    /// Conditions of the `urls`, `tcp` and `dns` probes (one per line in an action input).
    pub conditions: Vec<String>,
    /// Headers of the `urls` probes, `Name: value`; `${VAR}` reads an environment variable, masked.
    pub headers: Vec<String>,
    /// Accept any TLS certificate for the `urls` probes (the expiry is still measured).
    pub insecure: bool,
    /// A gatus configuration file whose `endpoints:` become probes too.
    pub gatus_file: Option<String>,
    /// Probe until every probe passes `success-threshold` rounds in a row, or `timeout` elapses.
    pub wait: bool,
    /// Watch for this long (e.g. `5m`), failing as soon as a probe fails `failure-threshold` rounds in a row.
    pub watch: Option<String>,
    /// Time between rounds when watching, and between passing rounds when waiting.
    pub interval: String,
    /// Give up waiting after this long.
    pub timeout: String,
    /// First pause after a failing round when waiting; doubles up to `max-backoff`.
    pub backoff: String,
    /// Longest pause between failing rounds when waiting.
    pub max_backoff: String,
    /// Consecutive passing rounds each probe needs in wait mode.
    #[schemars(range(min = 1, max = 1000))]
    pub success_threshold: u32,
    /// Consecutive failing rounds that trip the watch.
    #[schemars(range(min = 1, max = 1000))]
    pub failure_threshold: u32,
    /// Probes in flight at once.
    #[schemars(range(min = 1, max = 4096))]
    pub concurrency: u32,
    /// Default time limit of one probe attempt.
    pub probe_timeout: String,
    /// Default latency budget of every probe (over it: degraded), e.g. `500ms`.
    pub latency_budget: Option<String>,
    /// A TLS certificate expiring sooner than this degrades its probe.
    pub cert_expiry_warning: String,
    /// Base URL that relative probe URLs (`/healthz`) are joined to, e.g. `http://127.0.0.1:8080`.
    pub base_url: Option<String>,
    /// Probe the `environment_url` of this environment's latest successful deployment (from the ledger); relative probe URLs are joined to it.
    pub target_from_deployment: Option<String>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            probes: Vec::new(),
            urls: Vec::new(),
            tcp: Vec::new(),
            dns: Vec::new(),
            conditions: Vec::new(),
            headers: Vec::new(),
            insecure: false,
            gatus_file: None,
            wait: false,
            watch: None,
            interval: "5s".into(),
            timeout: "2m".into(),
            backoff: "500ms".into(),
            max_backoff: "8s".into(),
            success_threshold: 2,
            failure_threshold: 3,
            concurrency: 32,
            probe_timeout: "10s".into(),
            latency_budget: None,
            cert_expiry_warning: "14d".into(),
            base_url: None,
            target_from_deployment: None,
        }
    }
}

/// Replaces `${VAR}` with the environment variable's value; every value
/// used is registered with the masker. Returns (text, used a variable).
pub fn expand_env(
    text: &str,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
) -> Result<(String, bool), String> {
    let mut out = String::new();
    let mut rest = text;
    let mut used = false;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "unclosed `${` (write ${NAME})".to_string())?;
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`${{{name}}}` is not a variable name"));
        }
        let value = get(name).ok_or_else(|| {
            format!("environment variable `{name}` is not set (export it, or pass it in the step's `env:`)")
        })?;
        masker.add(&Secret::new(value.clone()));
        out.push_str(&value);
        used = true;
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, used))
}

/// Settings shared by probes built from config.
#[derive(Debug)]
pub struct Defaults<'a> {
    pub probe_timeout: Duration,
    pub latency_budget: Option<Duration>,
    pub cert_expiry_warning: Duration,
    pub base_url: Option<&'a url::Url>,
    pub repo_root: &'a Path,
}

fn dur(key: &str, v: &str) -> Result<Duration, String> {
    parse_duration(v).map_err(|e| format!("`{key}`: {e}"))
}

/// Builds a probe from its config; `at` names it in messages
/// (`health.probes[2]`). All problems are returned at once.
pub fn build_probe(
    pc: &ProbeConfig,
    at: &str,
    defaults: &Defaults<'_>,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
) -> Result<Probe, Vec<String>> {
    let mut problems = Vec::new();
    let set: Vec<&str> = [
        ("url", pc.url.is_some()),
        ("tcp", pc.tcp.is_some()),
        ("dns", pc.dns.is_some()),
        ("command", pc.command.is_some()),
    ]
    .iter()
    .filter(|(_, s)| *s)
    .map(|(k, _)| *k)
    .collect();
    let label = match &pc.name {
        Some(n) => format!("{at} (`{n}`)"),
        None => at.to_string(),
    };
    if set.len() != 1 {
        return Err(vec![format!(
            "{label}: a probe needs exactly one of `url`, `tcp`, `dns`, `command`{}",
            if set.is_empty() {
                String::new()
            } else {
                format!(" (found {})", set.join(", "))
            }
        )]);
    }
    let mut conditions = Vec::new();
    for (i, c) in pc.conditions.iter().enumerate() {
        match Condition::parse(c) {
            Ok(c) => conditions.push(c),
            Err(e) => problems.push(format!("{label}.conditions[{i}] `{c}`: {e}")),
        }
    }
    if !pc.expect_status.is_empty() {
        let list: Vec<String> = pc
            .expect_status
            .iter()
            .map(|s| match s {
                StatusSpec::Code(c) => c.to_string(),
                StatusSpec::Class(c) => c.clone(),
            })
            .collect();
        let text = if list.len() == 1 {
            format!("[STATUS] == {}", list[0])
        } else {
            format!("[STATUS] == any({})", list.join(", "))
        };
        match Condition::parse(&text) {
            Ok(c) => conditions.insert(0, c),
            Err(e) => problems.push(format!("{label}.expect-status: {e}")),
        }
    }
    let timeout = match &pc.timeout {
        Some(t) => dur(&format!("{label}.timeout"), t).unwrap_or_else(|e| {
            problems.push(e);
            defaults.probe_timeout
        }),
        None => defaults.probe_timeout,
    };
    let latency_budget = match &pc.latency_budget {
        Some(t) => match dur(&format!("{label}.latency-budget"), t) {
            Ok(d) => Some(d),
            Err(e) => {
                problems.push(e);
                None
            }
        },
        None => defaults.latency_budget,
    };
    let cert_warn = match &pc.cert_expiry_warning {
        Some(t) => dur(&format!("{label}.cert-expiry-warning"), t).unwrap_or_else(|e| {
            problems.push(e);
            defaults.cert_expiry_warning
        }),
        None => defaults.cert_expiry_warning,
    };
    let http_only = [
        ("method", pc.method.is_some()),
        ("headers", !pc.headers.is_empty()),
        ("body", pc.body.is_some()),
        ("follow-redirects", pc.follow_redirects.is_some()),
        ("expect-status", !pc.expect_status.is_empty()),
        ("http-version", pc.http_version.is_some()),
        ("insecure", pc.insecure),
        ("ca-file", pc.ca_file.is_some()),
    ];
    let (target, default_name) = if let Some(raw) = &pc.url {
        let t = build_http(pc, raw, &label, defaults, get, masker, &mut problems);
        // Default name: host[:port]/path[?query], without scheme or credentials.
        let name = match &t {
            Some(Target::Http(h)) => format!(
                "{}{}{}{}",
                h.url.host_str().unwrap_or_default(),
                h.url.port().map(|p| format!(":{p}")).unwrap_or_default(),
                h.url.path(),
                h.url.query().map(|q| format!("?{q}")).unwrap_or_default()
            ),
            _ => masker.redact(raw),
        };
        (t, name)
    } else {
        for (k, s) in http_only {
            if s {
                problems.push(format!("{label}.{k}: only HTTP probes (`url`) take `{k}`"));
            }
        }
        if let Some(t) = &pc.tcp {
            let parsed = t
                .rsplit_once(':')
                .and_then(|(h, p)| {
                    Some((
                        h.trim_matches(['[', ']']).to_string(),
                        p.parse::<u16>().ok()?,
                    ))
                })
                .filter(|(h, _)| !h.is_empty());
            match parsed {
                Some((host, port)) => (Some(Target::Tcp { host, port }), t.clone()),
                None => {
                    problems.push(format!(
                        "{label}.tcp: `{t}` is not host:port (e.g. 127.0.0.1:5432)"
                    ));
                    (None, t.clone())
                }
            }
        } else if let Some(name) = &pc.dns {
            let mut expect = Vec::new();
            for (i, a) in pc.expect_addresses.iter().enumerate() {
                match a.parse::<IpAddr>() {
                    Ok(ip) => expect.push(ip),
                    Err(_) => problems.push(format!(
                        "{label}.expect-addresses[{i}]: `{a}` is not an IP address"
                    )),
                }
            }
            (
                Some(Target::Dns {
                    name: name.clone(),
                    expect,
                }),
                name.clone(),
            )
        } else {
            let argv = match &pc.command {
                Some(CommandSpec::Shell(s)) => vec!["sh".into(), "-c".into(), s.clone()],
                Some(CommandSpec::Argv(v)) => v.clone(),
                None => Vec::new(),
            };
            if argv.first().is_none_or(|p| p.trim().is_empty()) {
                problems.push(format!("{label}.command: empty command"));
            }
            let name = match &pc.command {
                Some(CommandSpec::Shell(s)) => s.clone(),
                _ => argv.join(" "),
            };
            (
                Some(Target::Command {
                    argv,
                    cwd: Some(defaults.repo_root.to_path_buf()),
                }),
                name,
            )
        }
    };
    if !pc.expect_addresses.is_empty() && pc.dns.is_none() {
        problems.push(format!(
            "{label}.expect-addresses: only DNS probes (`dns`) take `expect-addresses`"
        ));
    }
    match target {
        Some(target) if problems.is_empty() => {
            let mut p = Probe::new(pc.name.clone().unwrap_or(default_name), target, conditions);
            p.timeout = timeout;
            p.latency_budget = latency_budget;
            p.cert_expiry_warning = Some(cert_warn);
            Ok(p)
        }
        _ => Err(problems),
    }
}

fn build_http(
    pc: &ProbeConfig,
    raw: &str,
    label: &str,
    defaults: &Defaults<'_>,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
    problems: &mut Vec<String>,
) -> Option<Target> {
    let expanded = match expand_env(raw, get, masker) {
        Ok((s, _)) => s,
        Err(e) => {
            problems.push(format!("{label}.url: {e}"));
            return None;
        }
    };
    let parsed = match (defaults.base_url, url::Url::parse(&expanded)) {
        (_, Ok(u)) => Ok(u),
        (Some(base), Err(url::ParseError::RelativeUrlWithoutBase)) => base.join(&expanded),
        (None, Err(url::ParseError::RelativeUrlWithoutBase)) => {
            problems.push(format!(
                "{label}.url: `{}` is relative; give a full http(s):// URL or set `base-url` or `target-from-deployment`",
                masker.redact(raw)
            ));
            return None;
        }
        (_, Err(e)) => Err(e),
    };
    let url = match parsed {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        Ok(u) => {
            problems.push(format!(
                "{label}.url: `{}`: only http:// and https:// URLs with a host can be probed",
                masker.redact(u.as_str())
            ));
            return None;
        }
        Err(e) => {
            problems.push(format!(
                "{label}.url: `{}` is not a valid URL: {e}",
                masker.redact(raw)
            ));
            return None;
        }
    };
    let method = match &pc.method {
        None => http::Method::GET,
        Some(m) => match http::Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                problems.push(format!("{label}.method: `{m}` is not an HTTP method"));
                http::Method::GET
            }
        },
    };
    let mut headers = Vec::new();
    for (k, v) in &pc.headers {
        let name = match http::HeaderName::from_bytes(k.as_bytes()) {
            Ok(n) => n,
            Err(_) => {
                problems.push(format!("{label}.headers.{k}: not a valid header name"));
                continue;
            }
        };
        let (value, secret) = match expand_env(v, get, masker) {
            Ok(x) => x,
            Err(e) => {
                problems.push(format!("{label}.headers.{k}: {e}"));
                continue;
            }
        };
        match http::HeaderValue::from_str(&value) {
            Ok(mut hv) => {
                hv.set_sensitive(secret);
                headers.push((name, hv));
            }
            Err(_) => problems.push(format!(
                "{label}.headers.{k}: the value has characters a header cannot carry (newline, control)"
            )),
        }
    }
    let version = match pc.http_version.as_deref().map(str::trim) {
        None | Some("auto") => HttpVersion::Auto,
        Some("1.1") | Some("1") | Some("http1") => HttpVersion::Http1,
        Some("2") | Some("2.0") | Some("h2") => HttpVersion::Http2,
        Some(other) => {
            problems.push(format!(
                "{label}.http-version: `{other}`; use auto, 1.1 or 2"
            ));
            HttpVersion::Auto
        }
    };
    let mut extra_ca = Vec::new();
    if let Some(f) = &pc.ca_file {
        let p = if Path::new(f).is_absolute() {
            Path::new(f).to_path_buf()
        } else {
            defaults.repo_root.join(f)
        };
        match std::fs::read(&p) {
            Ok(b) => extra_ca.push(b),
            Err(e) => problems.push(format!("{label}.ca-file: cannot read {}: {e}", p.display())),
        }
    }
    let tls = match tls_config(&extra_ca, pc.insecure) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            problems.push(format!("{label}.ca-file: {e}"));
            return None;
        }
    };
    Some(Target::Http(Box::new(HttpTarget {
        url,
        method,
        headers,
        body: pc.body.clone(),
        follow_redirects: pc.follow_redirects.unwrap_or(true),
        version,
        tls,
    })))
}
