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
