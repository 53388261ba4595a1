//! https endpoints behind a real nginx (Debian's, installed by `.ci/run`)
//! with a self-signed certificate: refused as a `tls` error unless trusted
//! through `ca-file` (or `insecure`), the same TLS settings as gate-health's
//! probes. Skipped, saying so, without nginx off CI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::Path;

use gate_core::ExitCode;

fn run(dir: &Path, args: &[&str]) -> (ExitCode, String, String) {
    common::run_gate(dir, &[args, &["--format", "json"]].concat())
}

/// A self-signed certificate for localhost: (cert PEM, key PEM).
fn self_signed() -> (String, String) {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn tls_errors(report: &serde_json::Value) -> u64 {
    report["details"]["overall"]["errors"]["tls"]
        .as_u64()
        .unwrap_or(0)
}

/// nginx serving `/ok` over TLS with `dir`'s cert.pem and key.pem.
fn nginx_tls(dir: &Path) -> Option<testkit::Nginx> {
    let p = dir.display();
    testkit::Nginx::start_on(&dir.join("nginx"), 1, false, |ports| {
        format!(
            "  ssl_certificate {p}/cert.pem;\n  ssl_certificate_key {p}/key.pem;\n\
             server {{ listen 127.0.0.1:{} ssl; location = /ok {{ default_type text/plain; return 200 \"ok\\n\"; }} }}\n",
            ports[0]
        )
    })
}

#[test]
fn https_needs_the_ca_file_or_insecure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (cert, key) = self_signed();
    std::fs::write(d.join("cert.pem"), &cert).unwrap();
    std::fs::write(d.join("key.pem"), &key).unwrap();
    std::fs::write(d.join("not-a-cert.pem"), "hello\n").unwrap();
    let Some(nginx) = nginx_tls(d) else {
        return;
    };
    let port = nginx.ports[0];
    let url = format!("https://localhost:{port}/ok");
    let base = ["--url", url.as_str(), "--requests", "20", "--users", "2"];

    // Not trusted: every request is a `tls` error, the gate fails.
    let (code, out, err) = run(d, &base);
    assert_eq!(code, ExitCode::Fail, "{err}\n{out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(tls_errors(&r) > 0, "{out}");

    // Trusted through the CA file (a flag here; `ca-file` in gates.yml).
    let (code, out, err) = run(d, &[&base[..], &["--ca-file", "cert.pem"]].concat());
    assert_eq!(code, ExitCode::Pass, "{err}\n{out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(tls_errors(&r), 0, "{out}");
    assert!(
        r["summary"].as_str().unwrap().contains("20 requests"),
        "{out}"
    );

    // `insecure` accepts it without a CA.
    let (code, out, err) = run(d, &[&base[..], &["--insecure"]].concat());
    assert_eq!(code, ExitCode::Pass, "{err}\n{out}");

    // A CA file that holds no certificate: exit 4 naming it, nothing sent.
    let (code, out, err) = run(d, &[&base[..], &["--ca-file", "not-a-cert.pem"]].concat());
    assert_eq!(code, ExitCode::Input, "{err}\n{out}");
    assert!(
        err.contains("not-a-cert.pem") && err.contains("ca-file"),
        "{err}"
    );
}

/// OpenSSL 3's standard self-signed certificate (`openssl req -x509 …
/// -addext subjectAltName=…`) is a CA certificate: given as the `ca-file`,
/// it is trusted as the server's own, as curl trusts it.
#[test]
fn openssl_self_signed_certificate_is_trusted_through_ca_file() {
    testkit::require!("openssl", "apt-get install openssl");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes"])
        .args(["-keyout", "key.pem", "-out", "cert.pem", "-days", "30"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .current_dir(d)
        .output()
        .expect("openssl must be installed for this test (Debian: openssl)");
    assert!(out.status.success(), "{out:?}");
    let Some(nginx) = nginx_tls(d) else {
        return;
    };
    let port = nginx.ports[0];
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("https://{host}:{port}/ok");
        let args = [
            "--url",
            url.as_str(),
            "--requests",
            "10",
            "--ca-file",
            "cert.pem",
        ];
        let (code, out, err) = run(d, &args);
        assert_eq!(code, ExitCode::Pass, "{err}\n{out}");
        let r: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(tls_errors(&r), 0, "{out}");
    }
}
