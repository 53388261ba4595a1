//! The `health` section of `gates.yml` ([`HealthConfig`], [`ProbeConfig`])
//! and the flags of gate-health ([`HealthArgs`]). Turning them into probes is
//! [`crate::build`]'s job.

use std::collections::BTreeMap;

use gate_core::types::{Duration, Header, HttpUrl};
use schemars::JsonSchema;
use serde::Deserialize;

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
    #[schemars(extend("x-gates-value-name" = "HOST:PORT"))]
    pub tcp: Option<String>,
    /// Host name to resolve.
    #[schemars(extend("x-gates-value-name" = "HOST"))]
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
    #[schemars(extend("x-gates-value-name" = "STATUS"))]
    pub expect_status: Vec<StatusSpec>,
    /// `auto` (HTTP/2 when TLS offers it), `1.1` or `2`.
    pub http_version: Option<String>,
    /// Time limit of one attempt (default: the section's `probe-timeout`).
    pub timeout: Option<Duration>,
    /// Conditions that must all hold, gatus style: `[STATUS] == 200`, `[BODY].status == UP`, `[RESPONSE_TIME] < 300`, `[CERTIFICATE_EXPIRATION] > 72h`.
    pub conditions: Vec<String>,
    /// Over this total latency the probe is degraded (a warning), e.g. `300ms`.
    pub latency_budget: Option<Duration>,
    /// A certificate expiring sooner than this degrades the probe (default: the section's).
    pub cert_expiry_warning: Option<Duration>,
    /// Accept any TLS certificate (still measures its expiry).
    pub insecure: bool,
    /// Extra CA certificates (PEM file) trusted besides the Mozilla roots.
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub ca_file: Option<String>,
    /// DNS probes: addresses the name must resolve to (all of them).
    pub expect_addresses: Vec<String>,
    /// DNS probes: ask this server over UDP (`8.8.8.8`, `127.0.0.1:5353`) instead of the system resolver; `[DNS_RCODE]` is then the server's response code.
    pub dns_server: Option<String>,
    /// DNS probes with `dns-server`: A (default), AAAA, CNAME, MX, NS, PTR or TXT; `[BODY]` is the first record.
    pub query_type: Option<String>,
}

/// The `health` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct HealthConfig {
    /// The probes.
    pub probes: Vec<ProbeConfig>,
    /// Probe this HTTP(S) URL (repeatable), besides the configured probes. Each is checked with `conditions` and `headers` (default condition `[STATUS] == 2xx`); a path (`/healthz`) is joined to `base-url`.
    #[schemars(extend("x-gates-flag" = "url", "x-gates-separator" = "newline"))]
    pub urls: Vec<String>,
    /// Probe a TCP connection to HOST:PORT (repeatable, or comma-separated).
    #[schemars(extend("x-gates-separator" = ","))]
    pub tcp: Vec<String>,
    /// Probe that NAME resolves (repeatable, or comma-separated).
    #[schemars(extend("x-gates-separator" = ","))]
    pub dns: Vec<String>,
    /// Condition for the `url`, `tcp` and `dns` probes (repeatable), in gatus syntax: `[BODY].status == UP`. A condition may hold commas (`any(200, 201)`).
    #[schemars(extend("x-gates-flag" = "condition", "x-gates-separator" = "newline"))]
    pub conditions: Vec<String>,
    /// Header for the `url` probes, `Name: value` (repeatable; `${VAR}` reads a variable, masked). A value may hold commas.
    #[schemars(extend("x-gates-flag" = "header", "x-gates-separator" = "newline"))]
    pub headers: Vec<Header>,
    /// Accept any TLS certificate for the `url` probes (the expiry is still measured).
    pub insecure: bool,
    /// PEM file of CA certificates trusted for the `url` probes besides the Mozilla roots.
    pub ca_file: Option<String>,
    /// HTTP method of the `url` probes (default GET).
    pub method: Option<String>,
    /// Expected status of the `url` probes: codes or classes (repeatable, or comma-separated): `200,204`, `2xx`. Default `2xx` unless a condition reads `[STATUS]`.
    #[schemars(extend("x-gates-separator" = ","))]
    pub expect_status: Vec<StatusSpec>,
    /// Read probes from a gatus configuration file's `endpoints:`.
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub gatus_file: Option<String>,
    /// Probe until healthy (`success-threshold` passing rounds in a row) or `timeout`.
    pub wait: bool,
    /// Watch for this long (`5m`), failing as soon as a probe fails `failure-threshold` rounds in a row.
    pub watch: Option<Duration>,
    /// Time between rounds (watch) or between passing rounds (wait).
    pub interval: Duration,
    /// Give up waiting after this long.
    pub timeout: Duration,
    /// First pause after a failing round when waiting (doubles up to `max-backoff`).
    pub backoff: Duration,
    /// Longest pause between failing rounds when waiting.
    pub max_backoff: Duration,
    /// Passing rounds in a row each probe needs when waiting.
    #[schemars(range(min = 1, max = 1000))]
    pub success_threshold: u32,
    /// Failing rounds in a row that trip the watch.
    #[schemars(range(min = 1, max = 1000))]
    pub failure_threshold: u32,
    /// Probes in flight at once.
    #[schemars(range(min = 1, max = 4096))]
    pub concurrency: u32,
    /// Time limit of one probe attempt (default of every probe).
    pub probe_timeout: Duration,
    /// Latency budget of every probe without its own (over it: degraded), such as `300ms`.
    pub latency_budget: Option<Duration>,
    /// A TLS certificate expiring sooner than this degrades its probe.
    pub cert_expiry_warning: Duration,
    /// Base URL that relative probe URLs (`/healthz`) are joined to, such as `http://127.0.0.1:8080`.
    pub base_url: Option<HttpUrl>,
    /// Probe the `environment_url` of this environment's latest successful deployment (from the ledger). Relative probe URLs are joined to it.
    #[schemars(extend("x-gates-value-name" = "ENVIRONMENT"))]
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
            ca_file: None,
            method: None,
            expect_status: Vec::new(),
            gatus_file: None,
            wait: false,
            watch: None,
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(120),
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            success_threshold: 2,
            failure_threshold: 3,
            concurrency: 32,
            probe_timeout: Duration::from_secs(10),
            latency_budget: None,
            cert_expiry_warning: Duration::from_secs(14 * 86_400),
            base_url: None,
            target_from_deployment: None,
        }
    }
}

/// Flags of gate-health that are not `gates.yml` keys: none. Every key
/// that is not a mapping has its flag, generated from [`HealthConfig`]'s
/// schema (`urls`, `conditions` and `headers` keep their published
/// spellings `--url`, `--condition`, `--header`).
#[derive(Debug, Clone, clap::Args)]
pub struct HealthArgs {}
