//! One HTTP/1.1 connection on hyper, and how failures map to error classes.

use std::error::Error as _;
use std::io;
use std::sync::Arc;

use http::header::{CONNECTION, CONTENT_LENGTH, HOST};
use http::{HeaderValue, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig, pki_types::ServerName};

use crate::result::class;
use crate::scenario::Endpoint;

/// An endpoint with its request parts computed once.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub endpoint: Endpoint,
    pub host: String,
    pub port: u16,
    pub tls: bool,
    uri: Uri,
    host_header: HeaderValue,
}

impl Prepared {
    pub fn new(endpoint: &Endpoint) -> Result<Self, String> {
        let url = &endpoint.url;
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            s => {
                return Err(format!(
                    "endpoint `{}`: scheme `{s}` is not supported; use http:// or https://",
                    endpoint.name
                ));
            }
        };
        let host = url
            .host_str()
            .ok_or_else(|| format!("endpoint `{}`: the URL has no host", endpoint.name))?
            .to_string();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| format!("endpoint `{}`: the URL has no port", endpoint.name))?;
        let mut pq = url.path().to_string();
        if let Some(q) = url.query() {
            pq.push('?');
            pq.push_str(q);
        }
        let uri: Uri = pq
            .parse()
            .map_err(|e| format!("endpoint `{}`: bad path: {e}", endpoint.name))?;
        let host_text = match url.port() {
            Some(p) => format!("{}:{p}", host_of_url(url)),
            None => host_of_url(url),
        };
        let host_header = HeaderValue::from_str(&host_text)
            .map_err(|e| format!("endpoint `{}`: bad host: {e}", endpoint.name))?;
        Ok(Prepared {
            endpoint: endpoint.clone(),
            // IPv6 literals are bracketed in URLs but not for connect.
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            tls,
            uri,
            host_header,
        })
    }

    pub fn request(&self, keep_alive: bool) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(self.endpoint.body.clone()));
        *req.method_mut() = self.endpoint.method.clone();
        *req.uri_mut() = self.uri.clone();
        let h = req.headers_mut();
        h.insert(HOST, self.host_header.clone());
        for (k, v) in &self.endpoint.headers {
            h.append(k.clone(), v.clone());
        }
        if !self.endpoint.body.is_empty() && !h.contains_key(CONTENT_LENGTH) {
            h.insert(CONTENT_LENGTH, HeaderValue::from(self.endpoint.body.len()));
        }
        if !keep_alive {
            h.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        req
    }
}

fn host_of_url(url: &url::Url) -> String {
    match url.host() {
        Some(url::Host::Ipv6(a)) => format!("[{a}]"),
        Some(h) => h.to_string(),
        None => String::new(),
    }
}

/// The TLS client configuration: Mozilla's roots plus `extra_ca` (PEM), or
/// no verification when `insecure` (gate-core's, as gate-health's probes);
/// HTTP/1.1 only.
pub(crate) fn tls_config(
    extra_ca: &[Vec<u8>],
    insecure: bool,
) -> Result<Arc<ClientConfig>, String> {
    let mut cfg = gate_core::tls::client_config(extra_ca, insecure)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// A live connection; its driver task ends when this is dropped.
#[derive(Debug)]
pub(crate) struct Conn {
    pub sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// A failure: its class and what happened, for people (one example per
/// class is reported).
pub(crate) type Failure = (&'static str, String);

/// An error and its sources, on one line.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        src = s.source();
    }
    text
}

/// Opens a connection: DNS, TCP, TLS when `https`, HTTP/1.1 handshake.
/// Errors are error classes with what happened.
pub(crate) async fn connect(
    p: &Prepared,
    tls: Option<&Arc<ClientConfig>>,
) -> Result<Conn, Failure> {
    let mut addrs = tokio::net::lookup_host((p.host.as_str(), p.port))
        .await
        .map_err(|e| (class::DNS, format!("resolving {}: {e}", p.host)))?;
    let mut last = (class::DNS, format!("{} resolved to no address", p.host));
    let stream = loop {
        let Some(addr) = addrs.next() else {
            return Err(last);
        };
        match TcpStream::connect(addr).await {
            Ok(s) => break s,
            Err(e) => last = (connect_class(&e), format!("connecting to {addr}: {e}")),
        }
    };
    let _ = stream.set_nodelay(true);
    if p.tls {
        let cfg = tls.ok_or((class::TLS, "no TLS configuration".to_string()))?;
        let name = ServerName::try_from(p.host.clone())
            .map_err(|e| (class::TLS, format!("server name {}: {e}", p.host)))?;
        let s = TlsConnector::from(cfg.clone())
            .connect(name, stream)
            .await
            .map_err(|e| {
                let c = match io_class(&e) {
                    c @ (class::RESET | class::CLOSED) => c,
                    _ => class::TLS,
                };
                (c, format!("TLS handshake: {}", describe(&e)))
            })?;
        handshake(s).await
    } else {
        handshake(stream).await
    }
}

async fn handshake<S>(stream: S) -> Result<Conn, Failure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| (hyper_class(&e), describe(&e)))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(Conn { sender, driver })
}

fn connect_class(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => class::CONNECT_REFUSED,
        io::ErrorKind::TimedOut => class::CONNECT_TIMEOUT,
        _ => class::CONNECT,
    }
}

fn io_class(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => class::RESET,
        io::ErrorKind::UnexpectedEof => class::CLOSED,
        io::ErrorKind::TimedOut => class::TIMEOUT,
        io::ErrorKind::ConnectionRefused => class::CONNECT_REFUSED,
        io::ErrorKind::InvalidData => class::PROTOCOL,
        _ => class::OTHER,
    }
}

/// The class of a hyper error (the io error underneath wins).
pub(crate) fn hyper_class(e: &hyper::Error) -> &'static str {
    let mut src = e.source();
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return io_class(io);
        }
        src = s.source();
    }
    if e.is_timeout() {
        class::TIMEOUT
    } else if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        class::CLOSED
    } else if e.is_parse() || e.is_parse_status() {
        class::PROTOCOL
    } else {
        class::OTHER
    }
}

/// Reads a body to its end, counting bytes.
pub(crate) async fn drain(mut body: hyper::body::Incoming) -> Result<u64, Failure> {
    let mut n = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            (
                hyper_class(&e),
                format!("reading the body: {}", describe(&e)),
            )
        })?;
        if let Some(d) = frame.data_ref() {
            n += d.len() as u64;
        }
    }
    Ok(n)
}
