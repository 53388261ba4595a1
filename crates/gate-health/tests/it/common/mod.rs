//! Real servers on 127.0.0.1 for the probe tests: an axum app, a TLS server
//! with an rcgen certificate, a server that closes connections, and nginx.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub fn app() -> Router {
    Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/status/{code}",
            get(|Path(code): Path<u16>| async move {
                (StatusCode::from_u16(code).unwrap(), format!("status {code}"))
            }),
        )
        .route(
            "/json",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"status":"UP","version":"1.4.2","checks":{"db":{"status":"UP","latency":3}},"items":[{"id":1},{"id":2},{"id":3}]}"#,
                )
            }),
        )
        .route(
            "/slow",
            get(
                |Query(q): Query<std::collections::HashMap<String, String>>| async move {
                    let ms: u64 = q.get("ms").and_then(|m| m.parse().ok()).unwrap_or(300);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    "slow"
                },
            ),
        )
        .route(
            "/redirect",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/json")], "") }),
        )
        .route(
            "/loop",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")], "") }),
        )
        .route(
            "/query",
            get(|uri: axum::http::Uri| async move { uri.query().unwrap_or_default().to_string() }),
        )
        .route(
            "/echo",
            any(|headers: HeaderMap, body: String| async move {
                let auth = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let method_body = format!("auth={auth} body={body}");
                ([("x-echo", "yes")], method_body).into_response()
            }),
        )
}

/// Serves the app on 127.0.0.1:0 in a background task.
pub async fn serve() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = tokio::spawn(async move {
        let _ = axum::serve(l, app()).await;
    });
    (addr, h)
}

/// Counts requests in flight (each handler holds for 100 ms) and the maximum.
#[derive(Default)]
pub struct Gauge {
    now: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
}

impl Gauge {
    pub fn max(&self) -> usize {
        self.max.load(std::sync::atomic::Ordering::SeqCst)
    }
}

pub async fn serve_gauge() -> (SocketAddr, Arc<Gauge>) {
    use std::sync::atomic::Ordering::SeqCst;
    let gauge = Arc::new(Gauge::default());
    let g = gauge.clone();
    let app = Router::new().route(
        "/",
        get(move || {
            let g = g.clone();
            async move {
                let n = g.now.fetch_add(1, SeqCst) + 1;
                g.max.fetch_max(n, SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                g.now.fetch_sub(1, SeqCst);
                "ok"
            }
        }),
    );
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (addr, gauge)
}

/// Serves on a std thread with its own runtime (for the binary tests).
pub fn serve_in_thread() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            let _ = axum::serve(l, app()).await;
        });
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap()
}

/// Accepts connections and closes them at once, without a byte.
pub async fn closing_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            drop(s);
        }
    });
    addr
}

/// A self-signed certificate for localhost and 127.0.0.1 valid until
/// `not_after` (UTC midnight of that date); (cert PEM, key PEM, cert DER).
pub fn self_signed(not_after: chrono::NaiveDate) -> (String, String, Vec<u8>) {
    use chrono::Datelike;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(
        not_after.year(),
        not_after.month() as u8,
        not_after.day() as u8,
    );
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

/// A TLS server answering every request `200 secure` over HTTP/1.1.
pub async fn tls_server(cert_pem: &str, key_pem: &str) -> SocketAddr {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .map(|c| c.unwrap())
        .collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(s).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecure",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// A real nginx on loopback (testkit's), stopped on drop.
pub struct Nginx {
    pub port: u16,
    pub tls_port: u16,
    pub dir: tempfile::TempDir,
    _nginx: testkit::Nginx,
}

impl Nginx {
    /// Starts nginx with paths `/ok`, `/down` (503), `/json`, `/redirect`,
    /// `/slow` (proxied to `upstream`'s `/slow`), and a TLS listener with
    /// the given certificate. `None` (after saying so) when nginx is not
    /// installed.
    pub async fn start(upstream: SocketAddr, cert_pem: &str, key_pem: &str) -> Option<Nginx> {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("cert.pem"), cert_pem).unwrap();
        std::fs::write(d.join("key.pem"), key_pem).unwrap();
        let p = |s: &str| -> PathBuf { d.join(s) };
        let body = |ports: &[u16]| {
            let (port, tls_port) = (ports[0], ports[1]);
            format!(
                r#"  server {{
    listen 127.0.0.1:{port};
    location = /ok {{ default_type text/plain; return 200 "ok\n"; }}
    location = /down {{ default_type text/plain; return 503 "down\n"; }}
    location = /json {{ default_type application/json; return 200 '{{"status":"UP","items":[1,2,3]}}'; }}
    location = /redirect {{ return 302 /json; }}
    location = /slow {{ proxy_pass http://{upstream}; }}
  }}
  server {{
    listen 127.0.0.1:{tls_port} ssl http2;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{ default_type text/plain; return 200 "secure\n"; }}
  }}"#,
                cert = p("cert.pem").display(),
                key = p("key.pem").display(),
            )
        };
        let nginx = testkit::Nginx::start_on(d, 2, false, body)?;
        Some(Nginx {
            port: nginx.ports[0],
            tls_port: nginx.ports[1],
            dir,
            _nginx: nginx,
        })
    }
}

/// `/health` answers 200 while the switch is on, 503 when off.
pub async fn serve_switch() -> (
    SocketAddr,
    Arc<std::sync::atomic::AtomicBool>,
    tokio::task::JoinHandle<()>,
) {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let on = Arc::new(AtomicBool::new(true));
    let s = on.clone();
    let app = Router::new().route(
        "/health",
        get(move || {
            let s = s.clone();
            async move {
                if s.load(SeqCst) {
                    (StatusCode::OK, "UP")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "DOWN")
                }
            }
        }),
    );
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let h = tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (addr, on, h)
}

/// The standard self-signed certificate exactly as OpenSSL 3 makes it
/// (`openssl req -x509 … -addext subjectAltName=…`, a CA:TRUE certificate)
/// for localhost and 127.0.0.1: (cert PEM, key PEM).
pub fn openssl_self_signed(dir: &std::path::Path) -> (String, String) {
    let (cert, key) = (dir.join("openssl-cert.pem"), dir.join("openssl-key.pem"));
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-days", "30", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .output()
        .expect("openssl must be installed for this test (Debian: openssl)");
    assert!(out.status.success(), "{out:?}");
    (
        std::fs::read_to_string(cert).unwrap(),
        std::fs::read_to_string(key).unwrap(),
    )
}

/// The text of a file of the shared fixtures (read-only real data), or
/// None: [`testkit::fixture`] said why, and the test must end (it fails
/// under CI).
pub fn fixture(rel: &str) -> Option<String> {
    let p = testkit::fixture(rel)?;
    Some(std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display())))
}

/// A DNS server on UDP 127.0.0.1:0 that answers A queries for `name` with
/// `ip`, NXDOMAIN for any other name (responses built by hand, RFC 1035).
pub async fn dns_server(name: &'static str, ip: [u8; 4]) -> SocketAddr {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            let q = &buf[..n];
            // The question's name, as labels.
            let mut at = 12;
            let mut labels = Vec::new();
            while q[at] != 0 {
                let l = q[at] as usize;
                labels.push(String::from_utf8_lossy(&q[at + 1..at + 1 + l]).into_owned());
                at += 1 + l;
            }
            let question_end = at + 5;
            let known = labels.join(".") == name;
            let mut r = q[..question_end].to_vec();
            r[2] = 0x81;
            r[3] = if known { 0x80 } else { 0x83 };
            r[6] = 0;
            r[7] = u8::from(known);
            if known {
                r.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
                r.extend_from_slice(&ip);
            }
            let _ = sock.send_to(&r, from).await;
        }
    });
    addr
}
