#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! gatus' own configuration examples (`../shared/fixtures/gatus`) read as
//! gatus reads them, and run against loopback servers (their public hosts
//! rewritten).

use crate::common;

use std::path::Path;
use std::time::Duration;

use gate_core::secret::Masker;
use gate_health::build::{Defaults, build_probe};
use gate_health::config::ProbeConfig;
use gate_health::gatus::{Parsed, parse};
use gate_health::{Health, ProbeResult, probe_once};

fn defaults(root: &Path) -> Defaults<'_> {
    Defaults {
        probe_timeout: Duration::from_secs(5),
        latency_budget: None,
        cert_expiry_warning: Duration::from_secs(86400),
        base_url: None,
        repo_root: root,
    }
}

async fn run(pc: &ProbeConfig) -> ProbeResult {
    let root = std::env::temp_dir();
    let p = build_probe(pc, "t", &defaults(&root), &|_| None, &Masker::new(false)).unwrap();
    probe_once(&p).await
}

fn names(p: &Parsed) -> Vec<(usize, String)> {
    p.probes
        .iter()
        .map(|(i, pc)| (*i, pc.name.clone().unwrap()))
        .collect()
}

#[test]
fn the_root_config_reads_as_gatus_reads_it() {
    let Some(text) = common::fixture("gatus/config.yaml") else {
        return;
    };
    let parsed = parse(&text).unwrap();
    assert_eq!(
        names(&parsed),
        vec![
            (0, "core/front-end".to_string()),
            (1, "core/back-end".into()),
            (2, "internal/monitoring".into()),
            (3, "internal/nas".into()),
            (4, "example-dns-query".into()),
        ]
    );
    // gatus follows redirects by default.
    for (_, pc) in &parsed.probes[..4] {
        assert_eq!(pc.follow_redirects, Some(true), "{pc:?}");
    }
    // The DNS conditions are kept, [DNS_RCODE] included.
    let dns = &parsed.probes[4].1;
    assert_eq!(dns.dns.as_deref(), Some("example.com"));
    // The server gatus asks and the query type are kept.
    assert_eq!(dns.dns_server.as_deref(), Some("8.8.8.8"));
    assert_eq!(dns.query_type.as_deref(), Some("A"));
    assert_eq!(
        dns.conditions,
        vec!["[BODY] == pat(*.*.*.*)", "[DNS_RCODE] == NOERROR"]
    );
    assert!(
        parsed.notes.iter().any(|n| n.contains("icmp")),
        "{:?}",
        parsed.notes
    );
    // [DOMAIN_EXPIRATION]: that endpoint is skipped with a warning naming
    // its own index; the rest of the file is read.
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    let w = &parsed.warnings[0];
    assert!(
        w.contains("endpoints[6] (`check-domain-expiration`)") && w.contains("[DOMAIN_EXPIRATION]"),
        "{w}"
    );
}

#[test]
fn indexes_count_the_skipped_endpoints() {
    let Some(text) = common::fixture("gatus/docker-compose-multiple-config-files-backend.yaml")
    else {
        return;
    };
    let parsed = parse(&text).unwrap();
    assert_eq!(
        names(&parsed),
        vec![(0, "backend/check-if-api-is-healthy".to_string())]
    );
    assert!(parsed.warnings[0].contains("endpoints[2] (`check-domain-expiration`)"));
}

/// The README's DNS example (`[BODY] == 93.184.215.14`, `[DNS_RCODE] ==
/// NOERROR`) asked of a DNS server on loopback (its `url` rewritten), which
/// knows example.com; NXDOMAIN can be asserted.
#[tokio::test]
async fn the_readme_dns_example_and_nxdomain() {
    let Some(text) = common::fixture("gatus/docker-compose-sqlite-storage-config.yaml") else {
        return;
    };
    let server = common::dns_server("example.com", [93, 184, 215, 14]).await;
    let text = text.replace("url: \"8.8.8.8\"", &format!("url: \"{server}\""));
    let parsed = parse(&text).unwrap();
    let (_, dns) = parsed.probes.iter().find(|(_, p)| p.dns.is_some()).unwrap();
    let r = run(dns).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    assert_eq!(r.ip.as_deref(), Some("93.184.215.14"));
    let mut nx = dns.clone();
    nx.dns = Some("no-such-name.example".into());
    nx.conditions = vec!["[DNS_RCODE] == NXDOMAIN".into()];
    let r = run(&nx).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
    nx.conditions = vec!["[DNS_RCODE] == NOERROR".into()];
    let r = run(&nx).await;
    assert_eq!(r.health, Health::Failing, "{r:#?}");
    // Without a server, the system resolver answers: localhost, NXDOMAIN
    // from its "not known".
    let mut sys = dns.clone();
    (sys.dns_server, sys.query_type) = (None, None);
    sys.dns = Some("localhost".into());
    sys.conditions = vec![
        "[BODY] == 127.0.0.1".into(),
        "[DNS_RCODE] == NOERROR".into(),
    ];
    assert_eq!(run(&sys).await.health, Health::Healthy);
    sys.dns = Some("no-such-name.invalid".into());
    sys.conditions = vec!["[DNS_RCODE] == NXDOMAIN".into()];
    let r = run(&sys).await;
    assert_eq!(r.health, Health::Healthy, "{r:#?}");
}

/// Redirects are followed unless `client.ignore-redirect: true`.
#[tokio::test]
async fn redirects_are_followed_unless_ignored() {
    let (addr, _h) = common::serve().await;
    let text = format!(
        "endpoints:\n  - name: follows\n    url: http://{addr}/redirect\n    conditions: [\"[STATUS] == 200\", \"[BODY].status == UP\"]\n  - name: explicit\n    url: http://{addr}/redirect\n    client:\n      ignore-redirect: false\n    conditions: [\"[STATUS] == 200\"]\n  - name: ignores\n    url: http://{addr}/redirect\n    client:\n      ignore-redirect: true\n    conditions: [\"[STATUS] == 302\"]\n"
    );
    let parsed = parse(&text).unwrap();
    for (_, pc) in &parsed.probes {
        let r = run(pc).await;
        assert_eq!(r.health, Health::Healthy, "{r:#?}");
    }
}

/// Client options gate-health does not have (mTLS certificates here) are
/// named in a warning, not silently dropped.
#[test]
fn unsupported_client_options_are_named_in_a_warning() {
    let Some(text) = common::fixture("gatus/docker-compose-mtls-config.yaml") else {
        return;
    };
    let parsed = parse(&text).unwrap();
    assert_eq!(names(&parsed), vec![(0, "example".to_string())]);
    assert!(parsed.probes[0].1.insecure);
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    assert!(
        parsed.warnings[0].contains("endpoints[0] (`example`): client.tls not supported"),
        "{:?}",
        parsed.warnings
    );
    // Known client keys raise no warning.
    let parsed = parse(
        "endpoints:\n  - name: a\n    url: http://127.0.0.1:1/\n    client:\n      timeout: 5s\n      insecure: false\n      ignore-redirect: true\n",
    )
    .unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}
