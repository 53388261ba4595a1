//! Tests of `evaluate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use crate::collect::{HealthInput, Mode, ProbeInfo};
use crate::gate::HealthGate;
use crate::modes::Round;
use crate::modes::Trip;
use crate::probe::Phases;
use crate::probe::{Health, ProbeResult};
use gate_core::Gate;
use gate_core::Verdict;
use gate_core::report::Severity;

fn result(name: &str, health: Health, total: f64) -> ProbeResult {
    ProbeResult {
        name: name.into(),
        kind: "http",
        target: format!("GET http://x/{name}"),
        health,
        error: (health == Health::Failing).then(|| "connect: refused".to_string()),
        conditions: Vec::new(),
        degraded: Vec::new(),
        phases: Phases {
            total,
            ..Phases::default()
        },
        status: None,
        http_version: None,
        ip: None,
        redirects: 0,
        certificate_expires_in_s: None,
        output: None,
    }
}

fn input(mode: Mode, names: &[&str], rounds: Vec<Vec<ProbeResult>>) -> HealthInput {
    HealthInput {
        mode,
        probes: names
            .iter()
            .map(|n| ProbeInfo {
                name: n.to_string(),
                kind: "http",
                target: format!("GET http://x/{n}"),
                latency_budget_ms: Some(50.0),
            })
            .collect(),
        rounds: rounds
            .into_iter()
            .enumerate()
            .map(|(i, results)| Round {
                at_ms: i as f64 * 1000.0,
                results,
            })
            .collect(),
        success_threshold: 2,
        failure_threshold: 3,
        healthy_in_time: None,
        streaks: Vec::new(),
        timeout_ms: 10_000.0,
        tripped: None,
        watch_ms: 10_000.0,
        interval_ms: 1000.0,
        elapsed_ms: 0.0,
        target_note: None,
        notes: Vec::new(),
        warnings: Vec::new(),
    }
}

fn rules(r: &Report) -> Vec<(&str, Severity)> {
    r.findings
        .iter()
        .filter(|f| f.severity != Severity::Note)
        .map(|f| (f.rule.as_str(), f.severity))
        .collect()
}

#[test]
fn once_failing_probe_fails_the_gate_and_outputs_name_it() {
    let i = input(
        Mode::Once,
        &["a", "b"],
        vec![vec![
            result("a", Health::Healthy, 10.0),
            result("b", Health::Failing, 3.0),
        ]],
    );
    let r = evaluate(&i);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(rules(&r), vec![("probe-failing", Severity::Error)]);
    assert_eq!(r.metric("probes-failing").unwrap().value, 1.0);
    // Failed attempts (errors) do not count in the latency percentiles
    // (HDR histogram: 3 significant digits).
    let p95 = r.metric("p95-ms").unwrap().value;
    assert!((p95 - 10.0).abs() <= 0.01, "{p95}");
    let out = HealthGate::outputs(&r);
    assert_eq!(out[0], ("healthy".into(), "false".into()));
    assert_eq!(out[1], ("failing".into(), "b".into()));
    assert_eq!(out[2].0, "p95-ms");
    assert_eq!(out[2].1, gate_core::report::format_number(p95));
    assert_eq!(r.checked, 2);
}

#[test]
fn watch_trip_flaky_and_p95_budget() {
    let h = |n, t| result(n, Health::Healthy, t);
    let f = |n| result(n, Health::Failing, 0.0);
    let mut i = input(
        Mode::Watch,
        &["a", "b", "c"],
        vec![
            vec![h("a", 5.0), h("b", 5.0), h("c", 80.0)],
            vec![f("a"), f("b"), h("c", 90.0)],
            vec![f("a"), h("b", 5.0), h("c", 70.0)],
            vec![f("a"), h("b", 5.0), h("c", 85.0)],
        ],
    );
    i.tripped = Some(Trip {
        probe: "a".into(),
        at_ms: 3000.0,
        first_failure_ms: 1000.0,
        also: Vec::new(),
    });
    let r = evaluate(&i);
    assert_eq!(r.verdict, Verdict::Fail);
    let mut got = rules(&r);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("circuit-open", Severity::Error),
            ("flaky-probe", Severity::Warning),
            ("latency-over-budget", Severity::Warning),
        ]
    );
    let open = r
        .findings
        .iter()
        .find(|f| f.rule == "circuit-open")
        .unwrap();
    assert!(
        open.message
            .contains("failed 3 rounds in a row (from 1.0s to 3.0s"),
        "{}",
        open.message
    );
    let flaky = r.findings.iter().find(|f| f.rule == "flaky-probe").unwrap();
    assert!(
        flaky
            .message
            .contains("failed 1 of 4 rounds (at most 1 in a row"),
        "{}",
        flaky.message
    );
    assert_eq!(r.metric("c-p95").unwrap().verdict, Verdict::Warn);
    assert_eq!(r.charts.len(), 1);
    assert_eq!(r.charts[0].series[2].values, vec![80.0, 90.0, 70.0, 85.0]);
    assert_eq!(r.metric("probes-degraded").unwrap().value, 2.0);
}

#[test]
fn wait_timeout_names_probes_short_of_the_streak() {
    let mut i = input(
        Mode::Wait,
        &["a", "b"],
        vec![
            vec![
                result("a", Health::Healthy, 1.0),
                result("b", Health::Failing, 0.0),
            ],
            vec![
                result("a", Health::Healthy, 1.0),
                result("b", Health::Healthy, 1.0),
            ],
        ],
    );
    i.healthy_in_time = Some(false);
    i.streaks = vec![2, 1];
    let r = evaluate(&i);
    assert_eq!(rules(&r), vec![("not-healthy-in-time", Severity::Error)]);
    assert!(
        r.findings[0]
            .message
            .contains("passing, but only 1 round(s) in a row")
    );
    assert_eq!(r.metric("probes-healthy").unwrap().value, 1.0);
}

#[test]
fn degraded_probe_warns() {
    let mut a = result("a", Health::Degraded, 1.0);
    a.degraded = vec!["certificate expires in 2d 0h (warning below 14d 0h)".into()];
    a.certificate_expires_in_s = Some(172_800.0);
    let r = evaluate(&input(Mode::Once, &["a"], vec![vec![a]]));
    assert_eq!(r.verdict, Verdict::Warn);
    assert_eq!(rules(&r), vec![("certificate-expiring", Severity::Warning)]);
    let status = r
        .findings
        .iter()
        .find(|f| f.rule == "probe-status")
        .unwrap();
    assert!(
        status.message.contains("certificate expires in 2d 0h"),
        "{}",
        status.message
    );
}

#[test]
fn slugs() {
    assert_eq!(slug("127.0.0.1:8080/healthz"), "127-0-0-1-8080-healthz");
    assert_eq!(slug("core/API"), "core-api");
    assert_eq!(slug("///"), "probe");
}
