#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Each probe kind and condition against real servers on 127.0.0.1.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gate_core::secret::Masker;
use gate_health::build::{Defaults, build_probe};
use gate_health::config::{ProbeConfig, StatusSpec};
use gate_health::{Health, Probe, ProbeResult, probe_once};

fn defaults(root: &Path) -> Defaults<'_> {
    Defaults {
        probe_timeout: Duration::from_secs(5),
        latency_budget: None,
        cert_expiry_warning: Duration::from_secs(14 * 86400),
        base_url: None,
        repo_root: root,
    }
}

fn probe(pc: ProbeConfig) -> Probe {
    let root = std::env::temp_dir();
    build_probe(
        &pc,
        "test",
        &defaults(&root),
        &|_| None,
        &Masker::new(false),
    )
    .unwrap()
}

fn http(url: String, conditions: &[&str]) -> ProbeConfig {
    ProbeConfig {
        url: Some(url),
        conditions: conditions.iter().map(|s| s.to_string()).collect(),
        ..ProbeConfig::default()
    }
}

async fn run(pc: ProbeConfig) -> ProbeResult {
    probe_once(&probe(pc)).await
}

#[tokio::test]
async fn http_status_body_json_and_phases() {
    let (addr, _h) = common::serve().await;
    let r = run(http(
        format!("http://{addr}/json"),
        &[
            "[STATUS] == 200",
            "[BODY].status == UP",
            "[BODY].checks.db.latency < 10",
            "len([BODY].items) == 3",
            "[BODY] == pat(*\"version\":\"1.4.2\"*)",
            "[HEADER].Content-Type == application/json",
            "[RESPONSE_TIME] < 5s",
        ],
    ))
    .await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert_eq!(r.status, Some(200));
    assert!(r.conditions.iter().all(|c| c.passed));
    // Real phases: an IP literal needs no DNS; connect and TTFB measured; no TLS.
    assert_eq!(r.phases.dns, None);
    let connect = r.phases.connect.unwrap();
    let ttfb = r.phases.ttfb.unwrap();
    assert!(connect >= 0.0 && ttfb > 0.0);
    assert!(r.phases.total >= connect + ttfb, "{:?}", r.phases);
    assert_eq!(r.phases.tls, None);
    assert_eq!(r.ip.as_deref(), Some("127.0.0.1"));
}

#[tokio::test]
async fn failing_conditions_report_the_actual_value() {
    let (addr, _h) = common::serve().await;
    let r = run(http(
        format!("http://{addr}/json"),
        &["[BODY].status == DOWN", "[BODY].nope == 1"],
    ))
    .await;
    assert_eq!(r.health, Health::Failing);
    assert_eq!(r.conditions[1].actual, "\"UP\"");
    assert!(!r.conditions[2].passed);
    assert_eq!(r.conditions[2].actual, "(no such JSON path)");
    // The default status condition is there and held.
    assert!(r.conditions[0].passed && r.conditions[0].condition == "[STATUS] == 2xx");
}

#[tokio::test]
async fn expected_status_list_and_class() {
    let (addr, _h) = common::serve().await;
    let mut pc = http(format!("http://{addr}/status/503"), &[]);
    assert_eq!(run(pc.clone()).await.health, Health::Failing);
    pc.expect_status = vec![StatusSpec::Code(200), StatusSpec::Class("5xx".into())];
    let r = run(pc.clone()).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    pc.expect_status = vec![StatusSpec::Code(200), StatusSpec::Code(204)];
    assert_eq!(run(pc).await.health, Health::Failing);
}

#[tokio::test]
async fn redirects_followed_or_not() {
    let (addr, _h) = common::serve().await;
    let r = run(http(
        format!("http://{addr}/redirect"),
        &["[BODY].status == UP"],
    ))
    .await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert_eq!(r.redirects, 1);
    let mut pc = http(format!("http://{addr}/redirect"), &["[STATUS] == 302"]);
    pc.follow_redirects = Some(false);
    let r = run(pc).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert_eq!(r.redirects, 0);
    let r = run(http(format!("http://{addr}/loop"), &[])).await;
    assert_eq!(r.health, Health::Failing);
    assert!(
        r.error
            .as_deref()
            .unwrap()
            .contains("more than 10 redirects"),
        "{r:?}"
    );
}

#[tokio::test]
async fn latency_budget_degrades_and_timeout_fails() {
    let (addr, _h) = common::serve().await;
    let mut pc = http(format!("http://{addr}/slow?ms=150"), &[]);
    pc.latency_budget = Some("50ms".parse().unwrap());
    let r = run(pc.clone()).await;
    assert_eq!(r.health, Health::Degraded, "{r:#?}");
    assert!(r.phases.ttfb.unwrap() >= 150.0, "{:?}", r.phases);
    assert!(r.degraded[0].contains("over the budget of 50 ms"));
    pc.timeout = Some("60ms".parse().unwrap());
    let r = run(pc).await;
    assert_eq!(r.health, Health::Failing);
    let e = r.error.unwrap();
    assert!(
        e.contains("timed out after 60ms during waiting for the response"),
        "{e}"
    );
}

#[tokio::test]
async fn method_headers_and_body_are_sent() {
    let (addr, _h) = common::serve().await;
    let mut pc = http(
        format!("http://{addr}/echo"),
        &[
            "[BODY] == auth=Bearer abc body=ping",
            "[HEADER].x-echo == yes",
        ],
    );
    pc.method = Some("post".into());
    pc.headers
        .insert("Authorization".into(), "Bearer abc".into());
    pc.body = Some("ping".into());
    let r = run(pc).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
}

#[tokio::test]
async fn secrets_from_env_are_masked() {
    let (addr, _h) = common::serve().await;
    let masker = Masker::new(false);
    let mut pc = http(format!("http://{addr}/echo"), &["[BODY] == nothing"]);
    pc.headers
        .insert("Authorization".into(), "Bearer ${PROBE_TOKEN}".into());
    let get = |k: &str| (k == "PROBE_TOKEN").then(|| "s3cr3t-t0ken".to_string());
    let root = std::env::temp_dir();
    let p = build_probe(&pc, "test", &defaults(&root), &get, &masker).unwrap();
    let r = probe_once(&p).await;
    // The server echoed the secret; the masker knows it.
    assert!(r.conditions[1].actual.contains("s3cr3t-t0ken"));
    assert!(
        !masker
            .redact(&r.conditions[1].actual)
            .contains("s3cr3t-t0ken")
    );
    // An unset variable is a config problem naming the key.
    let e = build_probe(
        &pc,
        "health.probes[0]",
        &defaults(&root),
        &|_| None,
        &masker,
    )
    .unwrap_err();
    assert!(
        e[0].contains("health.probes[0].headers.Authorization"),
        "{e:?}"
    );
    assert!(e[0].contains("PROBE_TOKEN"), "{e:?}");
}

#[tokio::test]
async fn closed_connections_and_dead_ports_fail_with_a_reason() {
    let addr = common::closing_server().await;
    let r = run(http(format!("http://{addr}/"), &[])).await;
    assert_eq!(r.health, Health::Failing);
    assert!(r.error.is_some(), "{r:#?}");
    let dead_port = testkit::dead_port();
    let dead = dead_port.addr;
    let r = run(http(format!("http://{dead}/"), &[])).await;
    assert_eq!(r.health, Health::Failing);
    assert!(r.error.as_deref().unwrap().starts_with("connect:"), "{r:?}");
    // TCP: refused is failing, unless the condition asks for that.
    let r = run(ProbeConfig {
        tcp: Some(dead.to_string()),
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Failing);
    let r = run(ProbeConfig {
        tcp: Some(dead.to_string()),
        conditions: vec!["[CONNECTED] == false".into()],
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
}

#[tokio::test]
async fn tcp_and_dns_probes() {
    let (addr, _h) = common::serve().await;
    let r = run(ProbeConfig {
        tcp: Some(addr.to_string()),
        conditions: vec!["[RESPONSE_TIME] < 5000".into()],
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert!(r.phases.connect.is_some());
    let r = run(ProbeConfig {
        dns: Some("localhost".into()),
        expect_addresses: vec!["127.0.0.1".into()],
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert!(r.phases.dns.is_some());
    let r = run(ProbeConfig {
        dns: Some("localhost".into()),
        expect_addresses: vec!["127.0.0.2".into()],
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Failing);
    assert!(r.error.unwrap().contains("not to 127.0.0.2"));
    let r = run(ProbeConfig {
        dns: Some("no-such-host.invalid".into()),
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Failing);
}

#[tokio::test]
async fn command_probes() {
    let r = run(ProbeConfig {
        command: Some(gate_health::config::CommandSpec::Shell(
            "echo ready; echo '::error::x' >&2".into(),
        )),
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert_eq!(r.output.as_deref(), Some("ready\n::error::x\n"));
    let r = run(ProbeConfig {
        command: Some(gate_health::config::CommandSpec::Argv(vec![
            "sh".into(),
            "-c".into(),
            "echo broken; exit 3".into(),
        ])),
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Failing);
    assert_eq!(r.conditions[0].actual, "3");
    let r = run(ProbeConfig {
        command: Some(gate_health::config::CommandSpec::Shell("sleep 5".into())),
        timeout: Some("100ms".parse().unwrap()),
        ..ProbeConfig::default()
    })
    .await;
    assert_eq!(r.health, Health::Failing);
    assert!(r.error.unwrap().contains("timed out after 100ms"));
}

fn days_until(date: chrono::NaiveDate) -> f64 {
    let ts = date.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    (ts - chrono::Utc::now().timestamp()) as f64
}

#[tokio::test]
async fn tls_certificate_expiry_conditions() {
    let today = chrono::Utc::now().date_naive();
    let soon = today + chrono::Days::new(2);
    let (cert, key, _der) = common::self_signed(soon);
    let addr = common::tls_server(&cert, &key).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), &cert).unwrap();
    let ca = dir.path().join("ca.pem").display().to_string();

    // Unknown issuer: failing in the TLS phase.
    let r = run(http(format!("https://127.0.0.1:{}/", addr.port()), &[])).await;
    assert_eq!(r.health, Health::Failing);
    assert!(
        r.error.as_deref().unwrap().starts_with("TLS handshake"),
        "{r:?}"
    );

    // Trusted through ca-file: expiry between 1 and 2 days.
    let mut pc = http(
        format!("https://localhost:{}/", addr.port()),
        &["[BODY] == secure", "[CERTIFICATE_EXPIRATION] > 24h"],
    );
    pc.ca_file = Some(ca.clone());
    let r = run(pc.clone()).await;
    assert_eq!(r.health, Health::Degraded, "{r:#?}");
    let left = r.certificate_expires_in_s.unwrap();
    assert!((left - days_until(soon)).abs() < 5.0, "{left}");
    assert!(r.phases.tls.is_some() && r.phases.dns.is_some());
    assert!(
        r.degraded[0].starts_with("certificate expires in 1d")
            || r.degraded[0].starts_with("certificate expires in 2d"),
        "{:?}",
        r.degraded
    );
    // The same condition with 72h fails.
    pc.conditions = vec!["[CERTIFICATE_EXPIRATION] > 72h".into()];
    assert_eq!(run(pc.clone()).await.health, Health::Failing);
    // With a smaller warning window it is healthy.
    pc.conditions = vec![];
    pc.cert_expiry_warning = Some("1h".parse().unwrap());
    assert_eq!(run(pc).await.health, Health::Healthy);
    // insecure accepts the unknown issuer, still reads the expiry.
    let mut pc = http(
        format!("https://127.0.0.1:{}/", addr.port()),
        &["[CERTIFICATE_EXPIRATION] < 3d"],
    );
    pc.insecure = true;
    pc.cert_expiry_warning = Some("1h".parse().unwrap());
    let r = run(pc).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
}

/// OpenSSL 3's standard self-signed certificate is a CA certificate; given
/// as the `ca-file`, it is trusted as the server's, as curl trusts it.
#[tokio::test]
async fn openssl_self_signed_certificate_is_trusted_through_ca_file() {
    testkit::require!("openssl", "apt-get install openssl");
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = common::openssl_self_signed(dir.path());
    let addr = common::tls_server(&cert, &key).await;
    let ca = dir.path().join("openssl-cert.pem").display().to_string();
    for host in ["localhost", "127.0.0.1"] {
        let mut pc = http(
            format!("https://{host}:{}/", addr.port()),
            &["[BODY] == secure", "[CERTIFICATE_EXPIRATION] > 29d"],
        );
        pc.ca_file = Some(ca.clone());
        let r = run(pc).await;
        assert_eq!(r.health, Health::Healthy, "{r:#?}");
    }
    // Without it, the handshake fails.
    let r = run(http(format!("https://localhost:{}/", addr.port()), &[])).await;
    assert_eq!(r.health, Health::Failing, "{r:#?}");
}

#[test]
fn certificate_not_after_matches_rcgen() {
    let date = chrono::NaiveDate::from_ymd_opt(2031, 7, 15).unwrap();
    let (_, _, der) = common::self_signed(date);
    let ts = date.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    assert_eq!(
        gate_core::tls::validity(&der).map(|(_, not_after)| not_after),
        Some(ts)
    );
    let date = chrono::NaiveDate::from_ymd_opt(2055, 1, 2).unwrap(); // GeneralizedTime
    let (_, _, der) = common::self_signed(date);
    let ts = date.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    assert_eq!(
        gate_core::tls::validity(&der).map(|(_, not_after)| not_after),
        Some(ts)
    );
}

#[tokio::test]
async fn a_round_is_concurrent_bounded_and_ordered() {
    for (concurrency, n) in [(1usize, 6usize), (4, 12), (12, 12)] {
        let (addr, gauge) = common::serve_gauge().await;
        let probes: Vec<Probe> = (0..n)
            .map(|i| {
                let mut pc = http(format!("http://{addr}/"), &[]);
                pc.name = Some(format!("p{i}"));
                probe(pc)
            })
            .collect();
        let probes: Arc<[Probe]> = probes.into();
        let results = gate_health::probe_round(&probes, concurrency).await;
        assert_eq!(results.len(), n);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.name, format!("p{i}"));
            assert_eq!(r.health, Health::Healthy, "{r:?}");
        }
        let max = gauge.max();
        assert!(
            max <= concurrency,
            "{max} in flight with concurrency {concurrency}"
        );
        if concurrency > 1 {
            assert!(
                max > 1,
                "probes ran one at a time with concurrency {concurrency}"
            );
        }
    }
}

/// A server redirecting forever to a long `Location` of its choosing: the
/// message quotes it on one line, capped.
#[tokio::test]
async fn endless_redirects_quote_the_location_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let location = format!("/next?\"::warning::injected{}", "x".repeat(3000));
    let answer = format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.clear();
                    if s.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let r = run(http(format!("http://{addr}/"), &[])).await;
    let e = r.error.unwrap();
    assert!(
        e.starts_with("more than 10 redirects (last to \"/next?\\\"::warning::injected"),
        "{e}"
    );
    assert!(e.ends_with("xxx\"…)"), "{e}");
    assert!(e.chars().count() < 300, "{}", e.chars().count());
    assert!(!e.contains('\n'));
}

/// `${VAR}` in the query is one value: `&`, `=` and `#` in it are
/// percent-encoded instead of changing the query.
#[tokio::test]
async fn variables_in_the_query_are_percent_encoded() {
    let (addr, _h) = common::serve().await;
    let root = std::env::temp_dir();
    let pc = http(
        format!("http://{addr}/query?token=${{TOK}}&x=1"),
        &["[BODY] == token=a%26b%3Dc%23d%20e&x=1"],
    );
    let get = |k: &str| (k == "TOK").then(|| "a&b=c#d e".to_string());
    let p = build_probe(&pc, "test", &defaults(&root), &get, &Masker::new(false)).unwrap();
    let r = probe_once(&p).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    // Before the query, a value is inserted as it is (a base URL).
    let pc = http("${BASE}/query?a=1".into(), &["[BODY] == a=1"]);
    let base = format!("http://{addr}");
    let get = |k: &str| (k == "BASE").then(|| base.clone());
    let p = build_probe(&pc, "test", &defaults(&root), &get, &Masker::new(false)).unwrap();
    assert_eq!(probe_once(&p).await.health, Health::Healthy);
}
