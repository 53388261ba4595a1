//! A minimal probe: HTTP GET with a status check and a timeout, and a
//! command probe, behind the [`Probe`] trait.
//!
//! This is deliberately small: gate-health owns the full probe set (TLS,
//! conditions, latency budgets). When it lands, an adapter implementing
//! [`Probe`] swaps it in without touching the deploy flow.

use std::future::Future;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use serde::Serialize;

/// The outcome of one probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeResult {
    pub ok: bool,
    /// HTTP status, when one came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: f64,
    /// Why it failed (connection refused, timeout, exit code, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Something that can say whether a target is healthy right now.
pub trait Probe {
    /// A short name for reports (`green /healthz`, `public`, ...).
    fn name(&self) -> &str;
    fn check(&self) -> impl Future<Output = ProbeResult> + Send;
}

/// `GET url`; healthy on a 2xx or 3xx answer within the timeout.
#[derive(Debug, Clone)]
pub struct HttpProbe {
    name: String,
    host: String,
    port: u16,
    path_and_query: String,
    authority: String,
    timeout: Duration,
}

impl HttpProbe {
    /// A probe of a plain `http://` URL.
    pub fn new(name: impl Into<String>, url: &str, timeout: Duration) -> Result<Self, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("`{url}`: only http:// URLs can be probed here"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("`{url}` has no host"))?
            .clone();
        let host = authority.host().trim_matches(['[', ']']).to_string();
        let port = authority.port_u16().unwrap_or(80);
        let path_and_query = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Ok(HttpProbe {
            name: name.into(),
            host,
            port,
            path_and_query,
            authority: authority.as_str().to_string(),
            timeout,
        })
    }

    async fn get(&self) -> Result<u16, String> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("connect {}:{}: {e}", self.host, self.port))?;
        let _ = stream.set_nodelay(true);
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
        let conn = tokio::spawn(conn);
        let req = http::Request::get(self.path_and_query.as_str())
            .header(http::header::HOST, self.authority.as_str())
            .header(http::header::USER_AGENT, "gates-deploy-probe")
            .header(http::header::CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("building the request: {e}"))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = resp.status().as_u16();
        // Read the body so the exchange is complete (bounded by the timeout).
        let _ = resp.into_body().collect().await;
        conn.abort();
        Ok(status)
    }
}

impl Probe for HttpProbe {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> ProbeResult {
        let started = Instant::now();
        let outcome = tokio::time::timeout(self.timeout, self.get()).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Ok(Ok(status)) => ProbeResult {
                ok: (200..400).contains(&status),
                status: Some(status),
                latency_ms,
                error: (!(200..400).contains(&status)).then(|| format!("HTTP {status}")),
            },
            Ok(Err(e)) => ProbeResult {
                ok: false,
                status: None,
                latency_ms,
                error: Some(e),
            },
            Err(_) => ProbeResult {
                ok: false,
                status: None,
                latency_ms,
                error: Some(format!("timed out after {} ms", self.timeout.as_millis())),
            },
        }
    }
}

/// `sh -c COMMAND`; healthy on exit 0 within the timeout.
#[derive(Debug, Clone)]
pub struct CommandProbe {
    name: String,
    command: String,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl CommandProbe {
    pub fn new(
        name: impl Into<String>,
        command: impl Into<String>,
        env: Vec<(String, String)>,
        timeout: Duration,
    ) -> Self {
        CommandProbe {
            name: name.into(),
            command: command.into(),
            env,
            timeout,
        }
    }
}

impl Probe for CommandProbe {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> ProbeResult {
        let started = Instant::now();
        let r = crate::hooks::run_hook(&self.command, &self.env, self.timeout).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        match r {
            Ok(out) if out.success() => ProbeResult {
                ok: true,
                status: None,
                latency_ms,
                error: None,
            },
            Ok(out) => ProbeResult {
                ok: false,
                status: None,
                latency_ms,
                error: Some(out.describe()),
            },
            Err(e) => ProbeResult {
                ok: false,
                status: None,
                latency_ms,
                error: Some(e),
            },
        }
    }
}

/// The probes the deploy flow uses, as one type.
#[derive(Debug, Clone)]
pub enum AnyProbe {
    Http(HttpProbe),
    Command(CommandProbe),
}

impl Probe for AnyProbe {
    fn name(&self) -> &str {
        match self {
            AnyProbe::Http(p) => p.name(),
            AnyProbe::Command(p) => p.name(),
        }
    }

    async fn check(&self) -> ProbeResult {
        match self {
            AnyProbe::Http(p) => p.check().await,
            AnyProbe::Command(p) => p.check().await,
        }
    }
}
