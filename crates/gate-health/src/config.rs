//! The `health` section of `gates.yml` ([`HealthConfig`], [`ProbeConfig`])
//! and the flags of gate-health ([`HealthArgs`]). Turning them into probes is
//! [`crate::build`]'s job.

use std::collections::BTreeMap;

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
    /// Extra CA certificates (PEM file) trusted for the `urls` probes besides the Mozilla roots.
    pub ca_file: Option<String>,
    /// HTTP method of the `urls` probes (default GET).
    pub method: Option<String>,
    /// Expected status codes or classes of the `urls` probes, e.g. `[200, 204]` or `["2xx", 301]` (default `2xx` unless a condition reads `[STATUS]`).
    pub expect_status: Vec<StatusSpec>,
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
            ca_file: None,
            method: None,
            expect_status: Vec::new(),
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

/// Flags of gate-health; each overrides the `gates.yml` key of the same name.
#[derive(Debug, Clone, clap::Args)]
pub struct HealthArgs {
    /// Probe this HTTP(S) URL (repeatable), besides the configured probes
    #[arg(long = "url", id = "urls", value_name = "URL")]
    pub urls: Vec<String>,
    /// Probe a TCP connection to HOST:PORT (repeatable)
    #[arg(long = "tcp", id = "tcp", value_name = "HOST:PORT")]
    pub tcp: Vec<String>,
    /// Probe that NAME resolves (repeatable)
    #[arg(long = "dns", id = "dns", value_name = "NAME")]
    pub dns: Vec<String>,
    /// Condition for the --url/--tcp/--dns probes (repeatable), e.g. '[BODY].status == UP'
    #[arg(long = "condition", id = "conditions", value_name = "EXPR")]
    pub conditions: Vec<String>,
    /// Header for the --url probes, 'Name: value' (repeatable; ${VAR} reads a masked variable)
    #[arg(long = "header", id = "headers", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Accept any TLS certificate for the --url probes
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub insecure: Option<String>,
    /// PEM file of CA certificates trusted for the --url probes besides the Mozilla roots
    #[arg(long = "ca-file", id = "ca_file", value_name = "PATH")]
    pub ca_file: Option<String>,
    /// HTTP method of the --url probes (default GET)
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// Expected status of the --url probes: codes or classes (repeatable or comma-separated), e.g. 200,204 or 2xx
    #[arg(
        long = "expect-status",
        id = "expect_status",
        value_name = "STATUS",
        value_delimiter = ','
    )]
    pub expect_status: Vec<String>,
    /// Latency budget of every probe without its own, e.g. 300ms
    #[arg(
        long = "latency-budget",
        id = "latency_budget",
        value_name = "DURATION"
    )]
    pub latency_budget: Option<String>,
    /// Probe until healthy (success-threshold passing rounds in a row) or --timeout
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub wait: Option<String>,
    /// Watch for DURATION, failing on failure-threshold consecutive failures
    #[arg(long, value_name = "DURATION")]
    pub watch: Option<String>,
    /// Time between rounds (watch) or between passing rounds (wait)
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Give up waiting after DURATION
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// First pause after a failing round when waiting (doubles up to --max-backoff)
    #[arg(long, value_name = "DURATION")]
    pub backoff: Option<String>,
    /// Longest pause between failing rounds when waiting
    #[arg(long = "max-backoff", id = "max_backoff", value_name = "DURATION")]
    pub max_backoff: Option<String>,
    /// Passing rounds in a row each probe needs when waiting
    #[arg(long = "success-threshold", id = "success_threshold", value_name = "N")]
    pub success_threshold: Option<String>,
    /// Failing rounds in a row that trip the watch
    #[arg(long = "failure-threshold", id = "failure_threshold", value_name = "N")]
    pub failure_threshold: Option<String>,
    /// Probes in flight at once
    #[arg(long, value_name = "N")]
    pub concurrency: Option<String>,
    /// Time limit of one probe attempt
    #[arg(long = "probe-timeout", id = "probe_timeout", value_name = "DURATION")]
    pub probe_timeout: Option<String>,
    /// Probe the environment_url of ENV's latest successful deployment
    #[arg(
        long = "target-from-deployment",
        id = "target_from_deployment",
        value_name = "ENV"
    )]
    pub target_from_deployment: Option<String>,
    /// Base URL that relative probe URLs (/healthz) are joined to
    #[arg(long = "base-url", id = "base_url", value_name = "URL")]
    pub base_url: Option<String>,
    /// Read probes from a gatus configuration file's endpoints
    #[arg(long = "gatus-file", id = "gatus_file", value_name = "PATH")]
    pub gatus_file: Option<String>,
}
