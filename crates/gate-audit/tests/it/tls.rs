//! `--osv-api` over HTTPS with a private CA: an in-process TLS server
//! (tokio-rustls) whose certificate an rcgen CA signed. The download is
//! refused (exit 5) until `ca-file` names the CA, as gate-health's and
//! gate-load's `ca-file` do: the same `gate_core::tls` settings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

/// A CA and a certificate for `localhost` it signed: (CA PEM, cert PEM,
/// key PEM).
fn private_ca() -> (String, String, String) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    ca_params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// Answers every `/v1/querybatch` with no vulnerability (one empty result
/// per query), one request per connection.
async fn answer<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let body_at = loop {
        let Ok(n) = s.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..body_at]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < body_at + len {
        let n = s.read(&mut chunk).await.unwrap();
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let req: serde_json::Value = serde_json::from_slice(&buf[body_at..body_at + len]).unwrap();
    let n = req["queries"].as_array().unwrap().len();
    let results: Vec<serde_json::Value> = (0..n).map(|_| serde_json::json!({})).collect();
    let body = serde_json::json!({ "results": results }).to_string();
    let resp = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(resp.as_bytes()).await;
    let _ = s.shutdown().await;
}

/// The fake OSV API on `https://localhost:PORT`.
fn serve(cert: &str, key: &str) -> (String, tokio::runtime::Runtime) {
    use rustls::pki_types::pem::PemObject;
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // An untrusting client hangs up during the handshake.
                if let Ok(tls) = acceptor.accept(tcp).await {
                    answer(tls).await;
                }
            });
        }
    });
    (url, rt)
}

fn gate(dir: &Path) -> (i32, String, String) {
    let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"))
        .args(["--no-record", "--color", "never", "--format", "json", "-C"])
        .arg(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn osv_api_over_https_trusts_the_ca_file() {
    let (ca, cert, key) = private_ca();
    let (url, _rt) = serve(&cert, &key);
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("requirements.txt"), "requests==2.31.0\n").unwrap();
    std::fs::write(d.join("ca.pem"), &ca).unwrap();
    std::fs::write(d.join("not-a-cert.pem"), "hello\n").unwrap();
    let config = |extra: &str| {
        format!(
            "audit:\n  osv-api: true\n  osv-api-url: {url}\n  cache-dir: .cache\n  max-db-age: off\n  yanked: ignore\n{extra}"
        )
    };

    // The Mozilla roots alone do not know the private CA: exit 5, naming
    // the URL.
    std::fs::write(d.join("gates.yml"), config("")).unwrap();
    let (code, out, err) = gate(d);
    assert_eq!(code, 5, "{err}\n{out}");
    assert!(err.contains(&url), "{err}");

    // Trusted through `ca-file`: the API answers, nothing is vulnerable.
    std::fs::write(d.join("gates.yml"), config("  ca-file: ca.pem\n")).unwrap();
    let (code, out, err) = gate(d);
    assert_eq!(code, 0, "{err}\n{out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["details"]["databases"][0]["kind"], "osv-api", "{out}");

    // A file with no certificate is refused before any request, naming it.
    std::fs::write(d.join("gates.yml"), config("  ca-file: not-a-cert.pem\n")).unwrap();
    let (code, out, err) = gate(d);
    assert_eq!(code, 4, "{err}\n{out}");
    assert!(
        err.contains("not-a-cert.pem") && err.contains("ca-file"),
        "{err}"
    );
}
