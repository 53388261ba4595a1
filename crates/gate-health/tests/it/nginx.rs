#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]
//! Every probe kind and condition against a real nginx on loopback (Debian's
//! `nginx-light`), started on free ports with a generated configuration.
//! Skipped, saying so, when /usr/sbin/nginx is absent.

use crate::common;

use std::time::Duration;

use gate_core::secret::Masker;
use gate_health::build::{Defaults, build_probe};
use gate_health::config::ProbeConfig;
use gate_health::{Health, ProbeResult, probe_once};

async fn run(pc: ProbeConfig) -> ProbeResult {
    let root = std::env::temp_dir();
    let d = Defaults {
        probe_timeout: Duration::from_secs(5),
        latency_budget: None,
        cert_expiry_warning: Duration::from_secs(14 * 86400),
        base_url: None,
        repo_root: &root,
    };
    let p = build_probe(&pc, "nginx", &d, &|_| None, &Masker::new(false)).unwrap();
    probe_once(&p).await
}

fn http(url: String, conditions: &[&str]) -> ProbeConfig {
    ProbeConfig {
        url: Some(url),
        conditions: conditions.iter().map(|s| s.to_string()).collect(),
        ..ProbeConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_against_real_nginx() {
    let (upstream, _h) = common::serve().await;
    let today = chrono::Utc::now().date_naive();
    let expiry = today + chrono::Days::new(3);
    let (cert, key, _) = common::self_signed(expiry);
    let Some(nginx) = common::Nginx::start(upstream, &cert, &key).await else {
        return;
    };
    let base = format!("http://127.0.0.1:{}", nginx.port);

    let r = run(http(
        format!("{base}/ok"),
        &[
            "[STATUS] == 200",
            "[BODY] == pat(ok*)",
            "[HEADER].Server == pat(nginx*)",
        ],
    ))
    .await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");

    let r = run(http(format!("{base}/down"), &[])).await;
    assert_eq!(r.health, Health::Failing);
    assert_eq!(r.status, Some(503));
    assert_eq!(r.conditions[0].actual, "503");

    let r = run(http(
        format!("{base}/json"),
        &[
            "[BODY].status == UP",
            "len([BODY].items) == 3",
            "[BODY].items[2] == 3",
        ],
    ))
    .await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");

    let r = run(http(format!("{base}/redirect"), &["[BODY].status == UP"])).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert_eq!(r.redirects, 1);
    let mut pc = http(
        format!("{base}/redirect"),
        &["[STATUS] == 302", "[HEADER].Location == pat(*/json)"],
    );
    pc.follow_redirects = Some(false);
    assert_eq!(run(pc).await.health, Health::Healthy);

    // Slow upstream behind nginx: over budget is degraded, over timeout failing.
    let mut pc = http(format!("{base}/slow?ms=200"), &["[BODY] == slow"]);
    pc.latency_budget = Some("100ms".parse().unwrap());
    let r = run(pc.clone()).await;
    assert_eq!(r.health, Health::Degraded, "{r:#?}");
    pc.timeout = Some("80ms".parse().unwrap());
    assert_eq!(run(pc).await.health, Health::Failing);

    // TLS with the short-lived certificate.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), &cert).unwrap();
    let mut pc = http(
        format!("https://localhost:{}/", nginx.tls_port),
        &["[BODY] == pat(secure*)", "[CERTIFICATE_EXPIRATION] > 48h"],
    );
    pc.ca_file = Some(dir.path().join("ca.pem").display().to_string());
    let r = run(pc.clone()).await;
    assert_eq!(r.health, Health::Degraded, "expires in < 14 days: {r:#?}");
    assert!(r.phases.tls.is_some());
    // ALPN picks HTTP/2 (auto); forced 1.1 speaks HTTP/1.1.
    assert_eq!(r.http_version.as_deref(), Some("HTTP/2.0"));
    let mut h1 = pc.clone();
    h1.http_version = Some("1.1".into());
    let r1 = run(h1).await;
    assert_eq!(r1.http_version.as_deref(), Some("HTTP/1.1"), "{r1:#?}");
    let mut h2 = pc.clone();
    h2.http_version = Some("2".into());
    h2.conditions = vec!["[BODY] == pat(secure*)".into()];
    h2.cert_expiry_warning = Some("1h".parse().unwrap());
    let r2 = run(h2).await;
    assert_eq!(r2.health, Health::Healthy, "{r2:#?}");
    assert_eq!(r2.http_version.as_deref(), Some("HTTP/2.0"));
    pc.conditions = vec!["[CERTIFICATE_EXPIRATION] > 96h".into()];
    assert_eq!(run(pc).await.health, Health::Failing);

    // TCP to nginx, and to a port with nothing listening.
    let r = run(ProbeConfig {
        tcp: Some(format!("127.0.0.1:{}", nginx.port)),
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Healthy);
    let dead_port = testkit::dead_port();
    let dead = dead_port.addr;
    let r = run(http(format!("http://{dead}/"), &[])).await;
    assert_eq!(r.health, Health::Failing);
    assert!(r.error.unwrap().starts_with("connect:"));
}
