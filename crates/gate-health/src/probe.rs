//! Probes: what to check, and one attempt at checking it.
//!
//! HTTP(S) probes connect by hand so that every phase is measured for real:
//! name resolution (`tokio::net::lookup_host`), TCP connect, the rustls
//! handshake, then hyper's connection-level handshake and request, the time
//! to the response head (TTFB) and the whole body.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout_at;

pub use crate::expr::human_secs;
use crate::expr::{Condition, ConditionOutcome, Observation};

/// Bodies are read up to this many bytes; the rest is ignored.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Command output kept in a result.
pub const MAX_OUTPUT: usize = 4 * 1024;
/// Redirects followed at most.
pub const MAX_REDIRECTS: u32 = 10;

/// HTTP version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersion {
    /// HTTP/2 when TLS negotiates it (ALPN), else HTTP/1.1.
    #[default]
    Auto,
    Http1,
    /// HTTP/2 (over TLS by ALPN, over plain TCP with prior knowledge).
    Http2,
}

/// An HTTP(S) target.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    pub url: url::Url,
    pub method: http::Method,
    /// Header values; `sensitive` ones come from secrets (hyper marks them).
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    pub body: Option<String>,
    pub follow_redirects: bool,
    pub version: HttpVersion,
    pub tls: Arc<rustls::ClientConfig>,
}

/// What a probe checks.
#[derive(Debug, Clone)]
pub enum Target {
    Http(Box<HttpTarget>),
    Tcp {
        host: String,
        port: u16,
    },
    Dns {
        name: String,
        expect: Vec<IpAddr>,
        /// Ask this server over UDP instead of the system resolver.
        server: Option<std::net::SocketAddr>,
        /// Query type code (1 = A), with `server`.
        qtype: u16,
    },
    Command {
        argv: Vec<String>,
        cwd: Option<PathBuf>,
    },
}

impl Target {
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Http(_) => "http",
            Target::Tcp { .. } => "tcp",
            Target::Dns { .. } => "dns",
            Target::Command { .. } => "command",
        }
    }

    /// The target for people (URL without credentials, host:port, ...).
    pub fn display(&self) -> String {
        match self {
            Target::Http(h) => {
                let mut u = h.url.clone();
                let _ = u.set_password(None);
                let _ = u.set_username("");
                format!("{} {u}", h.method)
            }
            Target::Tcp { host, port } => format!("{host}:{port}"),
            Target::Dns { name, .. } => name.clone(),
            Target::Command { argv, .. } => argv.join(" "),
        }
    }
}

/// A probe: a target, conditions, limits.
#[derive(Debug, Clone)]
pub struct Probe {
    pub name: String,
    pub target: Target,
    /// All must hold. Defaults are added by [`Probe::new`].
    pub conditions: Vec<Condition>,
    pub timeout: Duration,
    /// Over this total latency, a passing probe is `degraded`.
    pub latency_budget: Option<Duration>,
    /// A certificate expiring sooner than this makes a passing probe `degraded`.
    pub cert_expiry_warning: Option<Duration>,
}

impl Probe {
    /// A probe with the default conditions of its kind added when the given
    /// ones do not cover them: HTTP `[STATUS] == 2xx`, TCP `[CONNECTED] ==
    /// true`, command `[EXIT_CODE] == 0`.
    pub fn new(name: impl Into<String>, target: Target, mut conditions: Vec<Condition>) -> Self {
        let default = match &target {
            Target::Http(_) if !conditions.iter().any(Condition::reads_status) => {
                Some("[STATUS] == 2xx")
            }
            Target::Tcp { .. } if !conditions.iter().any(Condition::reads_connected) => {
                Some("[CONNECTED] == true")
            }
            Target::Command { .. } if !conditions.iter().any(Condition::reads_exit_code) => {
                Some("[EXIT_CODE] == 0")
            }
            _ => None,
        };
        if let Some(d) = default
            && let Ok(c) = Condition::parse(d)
        {
            conditions.insert(0, c);
        }
        Probe {
            name: name.into(),
            target,
            conditions,
            timeout: Duration::from_secs(10),
            latency_budget: None,
            cert_expiry_warning: None,
        }
    }
}

/// Three-level verdict of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    Healthy,
    /// Passes, but over its latency budget or near certificate expiry.
    Degraded,
    Failing,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Degraded => "degraded",
            Health::Failing => "failing",
        }
    }
    /// Passing means healthy or degraded.
    pub fn passing(self) -> bool {
        self != Health::Failing
    }
}

/// Timing phases in milliseconds (absent when the phase did not happen).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Phases {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<f64>,
    /// Request sent → response head received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttfb: Option<f64>,
    pub total: f64,
}

/// One attempt of one probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeResult {
    pub name: String,
    pub kind: &'static str,
    pub target: String,
    pub health: Health,
    /// Why the probe could not complete (resolve, connect, TLS, timeout, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub conditions: Vec<ConditionOutcome>,
    /// Why a passing probe is degraded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub degraded: Vec<String>,
    pub phases: Phases,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub redirects: u32,
    /// Seconds until the server certificate expires (negative: expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_expires_in_s: Option<f64>,
    /// Command probes: the first bytes of stdout then stderr.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// Runs one attempt of `probe`. Never fails: problems are a failing result.
/// Dropping the future cancels the attempt (child processes are killed).
pub async fn probe_once(probe: &Probe) -> ProbeResult {
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + probe.timeout;
    let mut obs = Observation::default();
    let mut phases = Phases::default();
    let mut extra = Extra::default();
    let error = match &probe.target {
        Target::Http(h) => http_probe(
            h,
            deadline,
            probe.timeout,
            &mut obs,
            &mut phases,
            &mut extra,
        )
        .await
        .err(),
        Target::Tcp { host, port } => {
            tcp_probe(host, *port, deadline, probe.timeout, &mut obs, &mut phases)
                .await
                .err()
        }
        Target::Dns {
            name,
            expect,
            server: Some(server),
            qtype,
        } => dns_query_probe(
            name,
            expect,
            *server,
            *qtype,
            deadline,
            probe.timeout,
            &mut obs,
            &mut phases,
        )
        .await
        .err(),
        Target::Dns { name, expect, .. } => {
            dns_probe(name, expect, deadline, probe.timeout, &mut obs, &mut phases)
                .await
                .err()
        }
        Target::Command { argv, cwd } => command_probe(argv, cwd.as_ref(), probe.timeout, &mut obs)
            .await
            .err(),
    };
    let elapsed = start.elapsed();
    phases.total = ms(elapsed);
    if obs.response_time.is_none() && error.is_none() {
        obs.response_time = Some(elapsed);
    }
    let conditions: Vec<ConditionOutcome> =
        probe.conditions.iter().map(|c| c.evaluate(&obs)).collect();
    let judged_by_connected = probe
        .conditions
        .iter()
        .any(|c| c.reads_connected() || c.reads_dns_rcode());
    let failing = conditions.iter().any(|c| !c.passed) || (error.is_some() && !judged_by_connected);
    let degraded = if failing {
        Vec::new()
    } else {
        degradation(probe, elapsed, &extra)
    };
    let health = if failing {
        Health::Failing
    } else if degraded.is_empty() {
        Health::Healthy
    } else {
        Health::Degraded
    };
    ProbeResult {
        name: probe.name.clone(),
        kind: probe.target.kind(),
        target: probe.target.display(),
        health,
        error,
        conditions,
        degraded,
        phases,
        status: obs.status,
        http_version: extra.http_version,
        ip: obs.ip.clone(),
        redirects: extra.redirects,
        certificate_expires_in_s: extra.cert_expires_in_s,
        output: obs.output.clone(),
    }
}

/// Why a passing attempt is degraded: over its latency budget, or a
/// certificate close to expiry.
fn degradation(probe: &Probe, elapsed: Duration, extra: &Extra) -> Vec<String> {
    let mut degraded = Vec::new();
    if let Some(b) = probe.latency_budget
        && elapsed > b
    {
        degraded.push(format!(
            "latency {} ms over the budget of {} ms",
            gate_core::report::format_number(ms(elapsed)),
            gate_core::report::format_number(ms(b))
        ));
    }
    if let (Some(w), Some(left)) = (probe.cert_expiry_warning, extra.cert_expires_in_s)
        && left < w.as_secs_f64()
    {
        degraded.push(format!(
            "certificate expires in {} (warning below {})",
            human_secs(left),
            human_secs(w.as_secs_f64())
        ));
    }
    degraded
}

#[derive(Default)]
struct Extra {
    http_version: Option<String>,
    redirects: u32,
    cert_expires_in_s: Option<f64>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn within<T, E: std::fmt::Display>(
    deadline: tokio::time::Instant,
    timeout: Duration,
    phase: &str,
    f: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match timeout_at(deadline, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{phase}: {e}")),
        Err(_) => Err(format!(
            "timed out after {} during {phase}",
            human_ms(timeout)
        )),
    }
}

fn human_ms(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Resolves and connects; records `dns` and `connect`.
async fn connect(
    host: &url::Host<&str>,
    port: u16,
    deadline: tokio::time::Instant,
    timeout: Duration,
    obs: &mut Observation,
    phases: &mut Phases,
) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = match host {
        url::Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(*ip), port)],
        url::Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(*ip), port)],
        url::Host::Domain(d) => {
            let t = Instant::now();
            let r = within(
                deadline,
                timeout,
                "resolve",
                tokio::net::lookup_host((*d, port)),
            )
            .await;
            phases.dns = Some(ms(t.elapsed()));
            let list: Vec<SocketAddr> = r.map_err(|e| format!("{e} (host `{d}`)"))?.collect();
            if list.is_empty() {
                return Err(format!("resolve: `{d}` has no address"));
            }
            list
        }
    };
    let t = Instant::now();
    let mut last = String::new();
    for a in &addrs {
        match within(deadline, timeout, "connect", TcpStream::connect(a)).await {
            Ok(s) => {
                phases.connect = Some(ms(t.elapsed()));
                obs.connected = true;
                obs.ip = Some(a.ip().to_string());
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => {
                last = format!("{e} ({a})");
                if e.starts_with("timed out") {
                    break;
                }
            }
        }
    }
    phases.connect = Some(ms(t.elapsed()));
    Err(last)
}

async fn tcp_probe(
    host: &str,
    port: u16,
    deadline: tokio::time::Instant,
    timeout: Duration,
    obs: &mut Observation,
    phases: &mut Phases,
) -> Result<(), String> {
    let h = url::Host::parse(host).map_err(|e| format!("bad host `{host}`: {e}"))?;
    let start = Instant::now();
    let stream = connect(&h.borrow(), port, deadline, timeout, obs, phases).await?;
    obs.response_time = Some(start.elapsed());
    drop(stream);
    Ok(())
}

trait HostBorrow {
    fn borrow(&self) -> url::Host<&str>;
}
impl HostBorrow for url::Host<String> {
    fn borrow(&self) -> url::Host<&str> {
        match self {
            url::Host::Domain(d) => url::Host::Domain(d.as_str()),
            url::Host::Ipv4(i) => url::Host::Ipv4(*i),
            url::Host::Ipv6(i) => url::Host::Ipv6(*i),
        }
    }
}

/// A DNS probe asking its own server: the response code, the records of
/// the asked type (`[BODY]` is the first), the addresses among them.
#[allow(clippy::too_many_arguments)]
async fn dns_query_probe(
    name: &str,
    expect: &[IpAddr],
    server: std::net::SocketAddr,
    qtype: u16,
    deadline: tokio::time::Instant,
    timeout: Duration,
    obs: &mut Observation,
    phases: &mut Phases,
) -> Result<(), String> {
    let t = Instant::now();
    let r = within(
        deadline,
        timeout,
        "DNS query",
        crate::dns::ask(server, name, qtype),
    )
    .await;
    phases.dns = Some(ms(t.elapsed()));
    obs.response_time = Some(t.elapsed());
    let a = r?;
    obs.dns_rcode = Some(a.rcode.clone());
    obs.body = a.records.first().map(|r| r.clone().into_bytes());
    obs.ip = a.addresses.first().map(IpAddr::to_string);
    if a.rcode != "NOERROR" {
        return Err(format!("`{name}`: {} from {server}", a.rcode));
    }
    if a.records.is_empty() {
        return Err(format!(
            "`{name}`: no record of the asked type from {server}"
        ));
    }
    obs.connected = true;
    let missing: Vec<String> = expect
        .iter()
        .filter(|e| !a.addresses.contains(e))
        .map(IpAddr::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "`{name}` resolved to {} but not to {}",
            a.records.join(", "),
            missing.join(", ")
        ));
    }
    Ok(())
}

async fn dns_probe(
    name: &str,
    expect: &[IpAddr],
    deadline: tokio::time::Instant,
    timeout: Duration,
    obs: &mut Observation,
    phases: &mut Phases,
) -> Result<(), String> {
    let t = Instant::now();
    let r = within(
        deadline,
        timeout,
        "resolve",
        tokio::net::lookup_host((name, 0)),
    )
    .await;
    phases.dns = Some(ms(t.elapsed()));
    obs.response_time = Some(t.elapsed());
    // The system resolver does not give the response code: it is read from
    // the resolver's error (getaddrinfo's "not known" is NXDOMAIN).
    let r = r.inspect_err(|e| {
        let e = e.to_ascii_lowercase();
        obs.dns_rcode = Some(
            if e.contains("not known") || e.contains("nodename nor servname") {
                "NXDOMAIN"
            } else if e.contains("no address associated") {
                "NOERROR"
            } else {
                "SERVFAIL"
            }
            .to_string(),
        );
    });
    let mut got: Vec<IpAddr> = r?.map(|a| a.ip()).collect();
    got.dedup();
    obs.dns_rcode = Some("NOERROR".into());
    if got.is_empty() {
        return Err(format!("`{name}` resolved to no address"));
    }
    obs.connected = true;
    obs.ip = got.first().map(IpAddr::to_string);
    // `[BODY]` is the answer, as gatus has it: the first address, IPv4
    // first (an `A` query).
    obs.body = got
        .iter()
        .find(|a| a.is_ipv4())
        .or(got.first())
        .map(|a| a.to_string().into_bytes());
    let missing: Vec<String> = expect
        .iter()
        .filter(|e| !got.contains(e))
        .map(IpAddr::to_string)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "`{name}` resolved to {} but not to {}",
            got.iter()
                .map(IpAddr::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            missing.join(", ")
        ));
    }
    Ok(())
}

async fn command_probe(
    argv: &[String],
    cwd: Option<&PathBuf>,
    timeout: Duration,
    obs: &mut Observation,
) -> Result<(), String> {
    let Some((prog, args)) = argv.split_first() else {
        return Err("empty command".into());
    };
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `{prog}`: {e}"))?;
    let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Err(format!("`{prog}`: {e}")),
        Err(_) => {
            return Err(format!(
                "`{prog}` timed out after {} and was killed",
                human_ms(timeout)
            ));
        }
    };
    obs.response_time = Some(start.elapsed());
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    if !err.is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&err);
    }
    if text.len() > MAX_OUTPUT {
        let mut cut = MAX_OUTPUT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n[output truncated]");
    }
    obs.output = Some(text);
    obs.connected = true;
    match out.status.code() {
        Some(c) => {
            obs.exit_code = Some(c);
            Ok(())
        }
        None => Err(format!("`{prog}` was killed by a signal")),
    }
}

/// A server's text (a `Location`) in a message: quoted and escaped on one
/// line, at most 200 characters.
fn quoted(text: &str) -> String {
    let mut s: String = text.chars().take(200).collect();
    let cut = s.len() < text.len();
    s = format!("{s:?}");
    if cut {
        s.push('…');
    }
    s
}

async fn http_probe(
    t: &HttpTarget,
    deadline: tokio::time::Instant,
    timeout: Duration,
    obs: &mut Observation,
    phases: &mut Phases,
    extra: &mut Extra,
) -> Result<(), String> {
    let mut url = t.url.clone();
    let mut method = t.method.clone();
    let mut body = t.body.clone();
    // The configured headers (credentials, cookies, tokens) go to the
    // configured origin only: once a redirect leaves it, they are dropped
    // for the rest of the chain (as curl and browsers drop Authorization).
    let mut headers: &[(http::HeaderName, http::HeaderValue)] = &t.headers;
    let start = Instant::now();
    loop {
        *phases = Phases::default();
        let resp = http_attempt(
            t,
            &url,
            &method,
            headers,
            body.as_deref(),
            deadline,
            timeout,
            obs,
            phases,
            extra,
        )
        .await?;
        let (status, location) = resp;
        if t.follow_redirects
            && (300..400).contains(&status)
            && let Some(loc) = location
        {
            if extra.redirects >= MAX_REDIRECTS {
                return Err(format!(
                    "more than {MAX_REDIRECTS} redirects (last to {})",
                    quoted(&loc)
                ));
            }
            let next = url
                .join(&loc)
                .map_err(|e| format!("redirect to a bad location {}: {e}", quoted(&loc)))?;
            if next.origin() != url.origin() {
                headers = &[];
            }
            url = next;
            extra.redirects += 1;
            if status == 303 || ((status == 301 || status == 302) && method == http::Method::POST) {
                method = http::Method::GET;
                body = None;
            }
            continue;
        }
        obs.response_time = Some(start.elapsed());
        return Ok(());
    }
}

/// Response headers as (name, value) text.
fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The TLS handshake over `tcp` (ALPN as the version asks), noting the
/// certificate's expiry; the stream and whether HTTP/2 was agreed.
#[allow(clippy::too_many_arguments)]
async fn tls_connect(
    t: &HttpTarget,
    host: &url::Host<&str>,
    tcp: tokio::net::TcpStream,
    deadline: tokio::time::Instant,
    timeout: Duration,
    obs: &mut Observation,
    phases: &mut Phases,
    extra: &mut Extra,
) -> Result<(Box<dyn Io>, bool), String> {
    let server_name = match &host {
        url::Host::Domain(d) => rustls::pki_types::ServerName::try_from(d.to_string())
            .map_err(|e| format!("bad TLS name `{d}`: {e}"))?,
        url::Host::Ipv4(ip) => rustls::pki_types::ServerName::IpAddress(IpAddr::V4(*ip).into()),
        url::Host::Ipv6(ip) => rustls::pki_types::ServerName::IpAddress(IpAddr::V6(*ip).into()),
    };
    let mut cfg = (*t.tls).clone();
    cfg.alpn_protocols = match t.version {
        HttpVersion::Auto => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        HttpVersion::Http1 => vec![b"http/1.1".to_vec()],
        HttpVersion::Http2 => vec![b"h2".to_vec()],
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tls_start = Instant::now();
    let r = within(
        deadline,
        timeout,
        "TLS handshake",
        connector.connect(server_name, tcp),
    )
    .await;
    phases.tls = Some(ms(tls_start.elapsed()));
    let stream = r?;
    let (_, conn) = stream.get_ref();
    if let Some(cert) = conn.peer_certificates().and_then(|c| c.first())
        && let Some(not_after) =
            gate_core::tls::validity(cert.as_ref()).map(|(_, not_after)| not_after)
    {
        let now = chrono::Utc::now().timestamp() as f64;
        let left = not_after as f64 - now;
        extra.cert_expires_in_s = Some(left);
        obs.certificate_expiration = Some(Duration::from_secs_f64(left.max(0.0)));
    }
    let h2 = conn.alpn_protocol() == Some(b"h2");
    if t.version == HttpVersion::Http2 && !h2 {
        return Err("the server did not agree to HTTP/2 (ALPN)".into());
    }
    Ok((Box::new(stream), h2))
}

/// The request: origin-form with `Host` (HTTP/1.1) or the absolute URL
/// (HTTP/2), the headers, a `User-Agent` unless one is given.
fn request(
    url: &url::Url,
    method: &http::Method,
    headers: &[(http::HeaderName, http::HeaderValue)],
    body: Option<&str>,
    h2: bool,
) -> Result<http::Request<Full<Bytes>>, String> {
    let mut builder = http::Request::builder().method(method.clone());
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    builder = if h2 {
        builder.uri(url.as_str())
    } else {
        let host_header = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        builder.uri(path).header(http::header::HOST, host_header)
    };
    let mut has_ua = false;
    for (k, v) in headers {
        has_ua |= k == http::header::USER_AGENT;
        builder = builder.header(k, v);
    }
    if !has_ua {
        builder = builder.header(
            http::header::USER_AGENT,
            concat!("gate-health/", env!("CARGO_PKG_VERSION")),
        );
    }
    builder
        .body(Full::new(Bytes::from(body.unwrap_or_default().to_string())))
        .map_err(|e| format!("cannot build the request: {e}"))
}

#[allow(clippy::too_many_arguments)]
async fn http_attempt(
    t: &HttpTarget,
    url: &url::Url,
    method: &http::Method,
    headers: &[(http::HeaderName, http::HeaderValue)],
    body: Option<&str>,
    deadline: tokio::time::Instant,
    timeout: Duration,
    obs: &mut Observation,
    phases: &mut Phases,
    extra: &mut Extra,
) -> Result<(u16, Option<String>), String> {
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        s => return Err(format!("unsupported scheme `{s}` (use http or https)")),
    };
    let host = url.host().ok_or_else(|| format!("`{url}` has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("`{url}` has no port"))?;
    let tcp = connect(&host, port, deadline, timeout, obs, phases).await?;
    let (io, h2): (Box<dyn Io>, bool) = if https {
        tls_connect(t, &host, tcp, deadline, timeout, obs, phases, extra).await?
    } else {
        (Box::new(tcp), t.version == HttpVersion::Http2)
    };

    let req = request(url, method, headers, body, h2)?;

    let io = TokioIo::new(io);
    let (resp, driver) = if h2 {
        let (mut sender, conn) = within(
            deadline,
            timeout,
            "HTTP/2 handshake",
            hyper::client::conn::http2::handshake(TokioExecutor::new(), io),
        )
        .await?;
        let driver = tokio::spawn(conn);
        let t0 = Instant::now();
        let r = within(
            deadline,
            timeout,
            "waiting for the response",
            sender.send_request(req),
        )
        .await;
        phases.ttfb = Some(ms(t0.elapsed()));
        (r, driver)
    } else {
        let (mut sender, conn) = within(
            deadline,
            timeout,
            "HTTP handshake",
            hyper::client::conn::http1::handshake(io),
        )
        .await?;
        let driver = tokio::spawn(conn);
        let t0 = Instant::now();
        let r = within(
            deadline,
            timeout,
            "waiting for the response",
            sender.send_request(req),
        )
        .await;
        phases.ttfb = Some(ms(t0.elapsed()));
        (r, driver)
    };
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            driver.abort();
            return Err(e);
        }
    };
    let status = resp.status().as_u16();
    extra.http_version = Some(format!("{:?}", resp.version()));
    obs.status = Some(status);
    obs.headers = header_pairs(resp.headers());
    let location = resp
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let mut body_in = resp.into_body();
    let mut buf: Vec<u8> = Vec::new();
    let read = async {
        while let Some(frame) = body_in.frame().await {
            let frame = frame?;
            if let Some(d) = frame.data_ref() {
                let room = MAX_BODY.saturating_sub(buf.len());
                buf.extend_from_slice(&d[..d.len().min(room)]);
                if buf.len() >= MAX_BODY {
                    break;
                }
            }
        }
        Ok::<(), hyper::Error>(())
    };
    let r = within(deadline, timeout, "reading the body", read).await;
    driver.abort();
    r?;
    obs.body = Some(buf);
    Ok((status, location))
}

pub use gate_core::tls::client_config as tls_config;
