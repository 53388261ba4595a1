//! `baseline:` with real runs: a stored base report (file) and the local
//! ledger's record for the base commit; a slower head fails, a faster one
//! passes; a missing base is a note or exit 4, never a silent pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use gate_core::ExitCode;
use gate_core::report::Report;
use gate_load::evaluate::baseline::percentile_noise;

/// A server on its own runtime thread (the runner makes its own runtime).
fn server() -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            tx.send(common::app().await).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap().0
}

/// gates.yml with one endpoint named `api` at `path`, and `baseline`.
fn config(dir: &std::path::Path, addr: std::net::SocketAddr, path: &str, baseline: &str) {
    std::fs::write(
        dir.join("gates.yml"),
        format!(
            "version: 1\nload:\n  target: http://{addr}\n  users: 2\n  duration: 10s\n  requests: 40\n  endpoints:\n    - name: api\n      url: {path}\n{baseline}"
        ),
    )
    .unwrap();
}

/// A real run's JSON report.
fn run_json(dir: &std::path::Path, args: &[&str]) -> (ExitCode, serde_json::Value, String) {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = common::run_gate(dir, &a);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, v, err)
}

fn metric(v: &serde_json::Value, n: &str) -> serde_json::Value {
    v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == n)
        .unwrap_or_else(|| panic!("no metric {n}: {v}"))
        .clone()
}

fn rules(v: &serde_json::Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_slower_head_fails_against_a_stored_base_file_and_a_faster_one_passes() {
    let addr = server();
    let tmp = tempfile::tempdir().unwrap();
    // The base: `api` answers at once.
    config(tmp.path(), addr, "/fast", "");
    let (code, fast, err) = run_json(tmp.path(), &[]);
    assert_eq!(code, ExitCode::Pass, "{err}");
    let fast_file = tmp.path().join("fast.json");
    std::fs::write(&fast_file, fast.to_string()).unwrap();
    // The head: `api` sleeps 20 ms per request.
    config(tmp.path(), addr, "/slow", "");
    let (code, slow, err) = run_json(tmp.path(), &["--baseline-file", "fast.json"]);
    assert_eq!(code, ExitCode::Fail, "{err}");
    let found = rules(&slow);
    assert!(
        found.contains(&"latency-regressed".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"throughput-regressed".to_string()),
        "{found:?}"
    );
    assert_eq!(metric(&slow, "latency-p50-change")["verdict"], "fail");
    // Base and head side by side in the details.
    let rows = slow["details"]["baseline"]["statistics"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["statistic"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["p50", "p95", "p99", "rps"]);
    assert_eq!(rows[2]["head"], metric(&slow, "latency-p99")["value"]);
    assert_eq!(
        metric(&slow, "base-latency-p99")["value"].as_f64().unwrap(),
        metric(&fast, "latency-p99")["value"].as_f64().unwrap()
    );
    assert!(
        slow["summary"].as_str().unwrap().contains("vs base"),
        "{}",
        slow["summary"]
    );
    // The other way round (config's `baseline.file`): faster is no regression.
    std::fs::write(tmp.path().join("slow.json"), slow.to_string()).unwrap();
    config(
        tmp.path(),
        addr,
        "/fast",
        "  baseline:\n    file: slow.json\n",
    );
    let (code, v, err) = run_json(tmp.path(), &[]);
    assert_eq!(code, ExitCode::Pass, "{err}");
    assert!(rules(&v).is_empty(), "{v}");
    assert_eq!(metric(&v, "latency-p99-change")["verdict"], "pass");
    assert!(metric(&v, "latency-p99-change")["value"].as_f64().unwrap() < 0.0);
    assert!(metric(&v, "rps-change")["value"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_ledger_record_of_the_base_commit_is_the_baseline() {
    let addr = server();
    let tmp = tempfile::tempdir().unwrap();
    config(tmp.path(), addr, "/fast", "");
    let (_, fast, err) = run_json(tmp.path(), &[]);
    let report: Report = serde_json::from_value(fast).unwrap_or_else(|e| panic!("{e}: {err}"));
    let base = "0123456789abcdef0123456789abcdef01234567";
    gate_core::ledger::local::LocalLedger::new(tmp.path())
        .record_result(base, &report)
        .unwrap();
    config(
        tmp.path(),
        addr,
        "/slow",
        &format!("  baseline:\n    base: {base}\n    floor: 25\n"),
    );
    let (code, v, err) = run_json(tmp.path(), &[]);
    assert_eq!(code, ExitCode::Fail, "{err}");
    assert!(rules(&v).contains(&"latency-regressed".to_string()), "{v}");
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("0123456789ab (local ledger)"), "{msg}");
    // A base with no record: a note that says the comparison was skipped.
    config(
        tmp.path(),
        addr,
        "/slow",
        "  baseline:\n    base: \"1111111111111111111111111111111111111111\"\n",
    );
    let (code, v, err) = run_json(tmp.path(), &[]);
    assert_eq!(code, ExitCode::Pass, "{err}");
    assert_eq!(rules(&v), vec!["baseline-missing".to_string()], "{v}");
    assert_eq!(v["findings"][0]["severity"], "note");
    assert!(
        v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["name"] != "base-latency-p99")
    );
    // A ref git does not know (no repository here): said so, not compared.
    config(
        tmp.path(),
        addr,
        "/slow",
        "  baseline:\n    base: origin/main\n",
    );
    let (code, v, err) = run_json(tmp.path(), &[]);
    assert_eq!(code, ExitCode::Pass, "{err}");
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("`origin/main` is not a commit git knows"),
        "{msg}"
    );
}

#[test]
fn an_unreadable_base_file_exits_4() {
    let addr = server();
    let tmp = tempfile::tempdir().unwrap();
    config(tmp.path(), addr, "/fast", "");
    let (code, _, err) = common::run_gate(tmp.path(), &["--baseline-file", "nope.json"]);
    assert_eq!(code, ExitCode::Input, "{err}");
    assert!(err.contains("nope.json"), "{err}");
    std::fs::write(
        tmp.path().join("other.json"),
        r#"{"gate":"tests","details":{}}"#,
    )
    .unwrap();
    let (code, _, err) = common::run_gate(tmp.path(), &["--baseline-file", "other.json"]);
    assert_eq!(code, ExitCode::Input, "{err}");
    assert!(err.contains("not a gate-load JSON report"), "{err}");
}

#[test]
fn another_scenario_is_not_compared() {
    let addr = server();
    let tmp = tempfile::tempdir().unwrap();
    config(tmp.path(), addr, "/fast", "");
    let (_, base, _) = run_json(tmp.path(), &[]);
    std::fs::write(tmp.path().join("base.json"), base.to_string()).unwrap();
    let u = format!("http://{addr}/slow");
    std::fs::remove_file(tmp.path().join("gates.yml")).unwrap();
    let (code, v, err) = run_json(
        tmp.path(),
        &[
            "--url",
            &u,
            "--requests",
            "10",
            "--baseline-file",
            "base.json",
        ],
    );
    assert_eq!(code, ExitCode::Pass, "{err}");
    assert_eq!(rules(&v), vec!["baseline-missing".to_string()], "{v}");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not the same scenario")
    );
}

#[test]
fn the_noise_allowance_narrows_with_more_samples() {
    // The same shape of latencies, 100 and 100,000 of them.
    let shape = |n: u64| {
        let mut h = gate_load::Latency::default();
        for i in 0..n {
            h.record_us(1000 + (i * 7919) % 9000);
        }
        h
    };
    let (few, many) = (shape(100), shape(100_000));
    let (a, b) = (percentile_noise(&few, 99.0), percentile_noise(&many, 99.0));
    assert!(a > b * 2.0, "{a} vs {b}");
    assert!(b < 0.01, "{b}");
    assert!(percentile_noise(&gate_load::Latency::default(), 50.0).is_infinite());
}

/// A stored base: a real gate-load report of 40 requests to Python's
/// `http.server` (`python3 -m http.server`, endpoint `api` at `/`, 2 users),
/// committed as a fixture. This run's `api` sleeps 20 ms per request: far
/// beyond the base's p50 of 2.2 ms and its noise.
#[test]
fn a_stored_base_report_is_compared_with_a_real_run() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/base-python-http-server.json");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
    let addr = server();
    let tmp = tempfile::tempdir().unwrap();
    config(tmp.path(), addr, "/slow", "");
    let (code, v, err) = run_json(tmp.path(), &["--baseline-file", fixture.to_str().unwrap()]);
    assert_eq!(code, ExitCode::Fail, "{err}");
    assert_eq!(
        metric(&v, "base-latency-p50")["value"],
        metric(&stored, "latency-p50")["value"]
    );
    let p50 = metric(&v, "latency-p50-change");
    assert_eq!(p50["verdict"], "fail");
    assert!(p50["value"].as_f64().unwrap() > 500.0, "{p50}");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "latency-regressed")
        .unwrap();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .starts_with("p50 latency regressed"),
        "{f}"
    );
}

/// The pure comparison on recorded histograms: the same distribution
/// passes, the same one 50% slower fails on every percentile.
#[test]
fn evaluate_takes_the_base_as_an_input() {
    use gate_load::baseline::{BaseState, Baseline};
    use gate_load::gate::{LoadInput, evaluate};
    let result_of = |scale: f64| {
        let mut e = gate_load::EndpointStats::new("api");
        for i in 0..10_000u64 {
            let us = 1000 + (i * 7919) % 9000;
            e.latency.record_us((us as f64 * scale) as u64);
            e.requests += 1;
            e.ok += 1;
        }
        let mut overall = gate_load::EndpointStats::new("overall");
        overall.add(&e);
        gate_load::LoadResult {
            model: "closed".into(),
            duration_s: 10.0,
            sent: 10_000,
            dropped: 0,
            overall,
            endpoints: vec![e],
            timeline: Vec::new(),
            generator: Default::default(),
            shards: 1,
        }
    };
    let judge = |head: f64| {
        evaluate(&LoadInput {
            result: result_of(head),
            thresholds: Vec::new(),
            merged: Vec::new(),
            baseline: Baseline {
                state: BaseState::Found {
                    source: "base.json".into(),
                    result: Box::new(result_of(1.0)),
                },
                floor: 10.0,
            },
        })
    };
    let same = judge(1.0);
    assert!(same.findings.is_empty(), "{:?}", same.findings);
    assert_eq!(same.metric("latency-p99-change").unwrap().value, 0.0);
    let slower = judge(1.5);
    let regressed: Vec<_> = slower
        .findings
        .iter()
        .filter(|f| f.rule == "latency-regressed")
        .collect();
    assert_eq!(regressed.len(), 3, "{:?}", slower.findings);
    // 5% slower is within the 10% floor.
    assert!(judge(1.05).findings.is_empty());
}
