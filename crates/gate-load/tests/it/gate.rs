//! The gate end to end: thresholds, config errors with key paths, the
//! report, and `merge` giving exactly the percentiles of one run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use gate_core::ExitCode;
use gate_core::report::Verdict;
use gate_load::gate::{
    LoadConfig, LoadInput, evaluate, parse_thresholds, read_shards, scenario_from_config,
};
use gate_load::{Latency, LoadResult, Model};

fn run(dir: &std::path::Path, args: &[&str]) -> (ExitCode, String, String) {
    common::run_gate(dir, args)
}

/// A server on its own runtime thread (the runner makes its own runtime).
fn server() -> (std::net::SocketAddr, std::sync::Arc<common::Counters>) {
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
    rx.recv().unwrap()
}

#[test]
fn a_run_with_thresholds_passes_and_fails_on_the_right_ones() {
    let (addr, c) = server();
    let tmp = tempfile::tempdir().unwrap();
    let u = format!("http://{addr}/fault");
    let (code, out, err) = run(
        tmp.path(),
        &[
            "--url",
            &u,
            "--requests",
            "20",
            "--users",
            "2",
            "--duration",
            "2s",
            "--threshold",
            "error_rate < 1%",
            "--threshold",
            "p(99) < 2s",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, ExitCode::Fail, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["checked"], 20);
    assert_eq!(v["details"]["overall"]["errors"]["status-5xx"], 20);
    assert_eq!(common::Counters::get(&c.fault), 20);
    let metric = |n: &str| {
        v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(metric("error-rate")["verdict"], "fail");
    // Every request failed: no latency to judge (not a 0 ms one), and the
    // failures' latency is in a histogram of its own.
    assert!(
        !v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "latency-p99"),
        "{out}"
    );
    assert!(v["findings"].as_array().unwrap().iter().any(|f| {
        f["rule"] == "threshold-breached"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("`p(99) < 2s`: no request succeeded")
    }));
    assert_eq!(
        v["details"]["overall"]["failed_latency_ms"]["max"]
            .as_f64()
            .map(|m| m > 0.0),
        Some(true)
    );
    assert_eq!(metric("rps")["value"], 0.0);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "threshold-breached")
    );
    assert!(v["findings"].as_array().unwrap().iter().any(|f| {
        f["rule"] == "request-errors"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("status-5xx: 20, e.g. \"HTTP status 500\"")
    }));

    // A warn-level threshold alone gives a warning, exit 0.
    let (code, out, _) = run(
        tmp.path(),
        &[
            "--url",
            &u,
            "--requests",
            "5",
            "--threshold",
            "warn: error_rate < 5%",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, ExitCode::Pass);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "warn");
}

#[test]
fn bad_config_exits_3_with_the_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--url",
                "http://127.0.0.1:1/",
                "--threshold",
                "p(95) <> 200ms",
            ],
            "load.thresholds[0]: `p(95) <> 200ms`: column 8",
        ),
        (
            &[
                "--url",
                "http://127.0.0.1:1/",
                "--threshold",
                "latency < 1s",
            ],
            "unknown metric `latency`",
        ),
        (&["--url", "not a url"], "load.urls[0]"),
        (&["--url", "ftp://127.0.0.1/x"], "only http:// and https://"),
        (
            &["--url", "http://127.0.0.1:1/", "--model", "open"],
            "load.rate",
        ),
        (&[], "nothing to load"),
    ];
    for (args, want) in cases {
        let (code, _out, err) = run(tmp.path(), args);
        assert_eq!(code, ExitCode::Config, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // In gates.yml: the endpoint's threshold is named by its path.
    std::fs::write(
        tmp.path().join("gates.yml"),
        "version: 1\nload:\n  target: http://127.0.0.1:1\n  endpoints:\n    - url: /a\n      thresholds: [\"p(95) < 1s\", \"avg < 5 parsecs\"]\n",
    )
    .unwrap();
    let (code, _out, err) = run(tmp.path(), &[]);
    assert_eq!(code, ExitCode::Config, "{err}");
    assert!(
        err.contains("load.endpoints[0].thresholds[1]: `avg < 5 parsecs`: column 9"),
        "{err}"
    );
}

#[test]
fn a_bad_value_of_a_generated_flag_exits_2_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    for (flag, value, key) in [
        ("--duration", "5 parsecs", "load.duration"),
        ("--timeout", "soon", "load.timeout"),
        ("--target", "ftp://127.0.0.1/", "load.target"),
        ("--header", "no colon", "load.headers"),
        ("--users", "many", "load.users"),
    ] {
        let (code, _out, err) = run(tmp.path(), &["--url", "http://127.0.0.1:1/", flag, value]);
        assert_eq!(code, ExitCode::Usage, "{flag}: {err}");
        assert!(
            err.contains(&format!("flag {flag}")) && err.contains(key),
            "{flag}: {err}"
        );
    }
}

#[test]
fn a_bare_number_duration_is_refused_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    // On a flag: a usage error; it used to mean seconds.
    let (code, _out, err) = run(
        tmp.path(),
        &["--url", "http://127.0.0.1:1/", "--duration", "30"],
    );
    assert_eq!(code, ExitCode::Usage, "{err}");
    assert!(
        err.contains("--duration") && err.contains("write 90s"),
        "{err}"
    );
    // In gates.yml (a stage's too) and GATES_*: a configuration error, located.
    std::fs::write(
        tmp.path().join("gates.yml"),
        "version: 1\nload:\n  urls: [\"http://127.0.0.1:1/\"]\n  graceful-stop: 5\n  stages:\n    - duration: 10\n      target: 5\n",
    )
    .unwrap();
    let (code, _out, err) = run(tmp.path(), &[]);
    assert_eq!(code, ExitCode::Config, "{err}");
    assert!(
        err.contains("gates.yml:4")
            && err.contains("load.graceful-stop")
            && err.contains("write 90s"),
        "{err}"
    );
    assert!(
        err.contains("gates.yml:6") && err.contains("duration"),
        "{err}"
    );
    std::fs::remove_file(tmp.path().join("gates.yml")).unwrap();
    let (code, _out, err) = common::run_gate_env(
        tmp.path(),
        &["--url", "http://127.0.0.1:1/"],
        &[("GATES_LOAD_RAMP_UP", "10")],
    );
    assert_eq!(code, ExitCode::Config, "{err}");
    assert!(
        err.contains("GATES_LOAD_RAMP_UP") && err.contains("write 90s"),
        "{err}"
    );
}

#[test]
fn headers_from_gates_env_keep_their_commas() {
    let (addr, _c) = server();
    let tmp = tempfile::tempdir().unwrap();
    let u = format!("http://{addr}/fast");
    // One header per line: `Accept: text/html, application/json` stays
    // whole (cut at the comma, ` application/json` is not a header).
    let (code, out, err) = common::run_gate_env(
        tmp.path(),
        &["--requests", "3", "--format", "json"],
        &[
            ("GATES_LOAD_URLS", u.as_str()),
            (
                "GATES_LOAD_HEADERS",
                "Accept: text/html, application/json\nX-Trace: a,b",
            ),
            ("GATES_LOAD_THRESHOLDS", "error_rate < 1%\np(99) < 5s"),
            ("GATES_LOAD_EXPECTED_STATUSES", "200,204"),
        ],
    );
    assert_eq!(code, ExitCode::Pass, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["checked"], 3, "{v}");
}

#[test]
fn profiles_build_the_documented_shapes() {
    let cfg = LoadConfig {
        urls: vec!["http://127.0.0.1:1/".into()],
        ..LoadConfig::default()
    };
    let s = scenario_from_config(&cfg).unwrap();
    assert_eq!(s.max_requests, Some(10), "smoke: a few requests");
    let burst = LoadConfig {
        profile: Some(gate_load::gate::Profile::Burst),
        rate: Some(100.0),
        duration: Some("20s".parse().unwrap()),
        burst_duration: "4s".parse().unwrap(),
        burst_factor: 3.0,
        ..cfg.clone()
    };
    let s = scenario_from_config(&burst).unwrap();
    assert!(matches!(s.model, Model::Open { .. }));
    let at = |secs: f64| s.model.target_at(std::time::Duration::from_secs_f64(secs));
    assert_eq!(
        (at(1.0), at(8.5), at(11.0), at(19.0)),
        (100.0, 300.0, 300.0, 100.0)
    );
    assert_eq!(s.model.duration().as_secs(), 20);
    let sustained = LoadConfig {
        users: Some(8),
        ramp_up: Some("2s".parse().unwrap()),
        duration: Some("10s".parse().unwrap()),
        ..cfg
    };
    let s = scenario_from_config(&sustained).unwrap();
    let at = |secs: f64| s.model.target_at(std::time::Duration::from_secs_f64(secs));
    assert_eq!((at(1.0), at(5.0)), (4.0, 8.0));
}

/// Deterministic pseudo-random latencies (xorshift), heavy-tailed.
fn latencies(n: usize, seed: u64) -> Vec<u64> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let base = 200 + x % 20_000;
            if x.is_multiple_of(97) {
                base * 50
            } else {
                base
            }
        })
        .collect()
}

fn result_of(values: &[u64]) -> LoadResult {
    let mut e = gate_load::EndpointStats::new("GET /");
    for &v in values {
        e.latency.record_us(v);
        e.requests += 1;
        e.ok += 1;
    }
    let mut overall = gate_load::EndpointStats::new("overall");
    overall.add(&e);
    LoadResult {
        model: "closed".into(),
        duration_s: 10.0,
        sent: values.len() as u64,
        dropped: 0,
        overall,
        endpoints: vec![e],
        timeline: Vec::new(),
        generator: Default::default(),
        shards: 1,
    }
}

/// Splitting one recorded set of latencies into shards, writing each as a
/// gate report, and merging the files gives exactly the figures of one run
/// (property over many splits).
#[test]
fn merged_shards_equal_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in 1..=12u64 {
        let all = latencies(5_000 + seed as usize * 37, seed * 7919);
        let mut whole = Latency::default();
        all.iter().for_each(|&v| whole.record_us(v));
        let shards = 1 + (seed as usize % 4);
        let mut files = Vec::new();
        for k in 0..shards {
            let part: Vec<u64> = all.iter().copied().skip(k).step_by(shards).collect();
            let input = LoadInput {
                result: result_of(&part),
                thresholds: Vec::new(),
                merged: Vec::new(),
                baseline: Default::default(),
            };
            let report = evaluate(&input);
            let path = tmp.path().join(format!("s{seed}-{k}.json"));
            std::fs::write(&path, serde_json::to_string(&report).unwrap()).unwrap();
            files.push(path);
        }
        let merged = read_shards(tmp.path(), &files).unwrap();
        assert_eq!(merged.overall.requests, all.len() as u64);
        assert_eq!(merged.shards as usize, shards);
        for q in [0.0, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0] {
            assert_eq!(
                merged.overall.latency.percentile_ms(q),
                whole.percentile_ms(q),
                "seed {seed} p{q}"
            );
            assert_eq!(
                merged.endpoints[0].latency.percentile_ms(q),
                whole.percentile_ms(q)
            );
        }
        assert_eq!(merged.overall.latency.mean_ms(), whole.mean_ms());
        assert_eq!(merged.overall.latency.0, whole.0, "identical histograms");
    }
}

#[test]
fn merge_subcommand_judges_the_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let all = latencies(3000, 42);
    let mut names = Vec::new();
    for k in 0..3 {
        let part: Vec<u64> = all.iter().copied().skip(k).step_by(3).collect();
        let report = evaluate(&LoadInput {
            result: result_of(&part),
            thresholds: Vec::new(),
            merged: Vec::new(),
            baseline: Default::default(),
        });
        let name = format!("shard-{k}.json");
        std::fs::write(
            tmp.path().join(&name),
            serde_json::to_string(&report).unwrap(),
        )
        .unwrap();
        names.push(name);
    }
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(names.iter().map(String::as_str));
    args.extend(["--threshold", "rps > 250", "--format", "json"]);
    let (code, out, err) = run(tmp.path(), &args);
    assert_eq!(code, ExitCode::Pass, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["checked"], 3000);
    assert_eq!(v["details"]["shards"], 3);
    // 3000 requests over the longest shard's 10 s.
    assert_eq!(v["details"]["rps"], 300.0);

    // A file that is not a gate-load report: exit 4 naming it.
    std::fs::write(tmp.path().join("bad.json"), "{\"gate\": \"coverage\"}").unwrap();
    let (code, _out, err) = run(tmp.path(), &["merge", "bad.json"]);
    assert_eq!(code, ExitCode::Input);
    assert!(
        err.contains("bad.json") && err.contains("not a gate-load JSON report"),
        "{err}"
    );
    std::fs::write(tmp.path().join("trunc.json"), "{\"gate\": \"lo").unwrap();
    let (code, _out, err) = run(tmp.path(), &["merge", "trunc.json"]);
    assert_eq!(code, ExitCode::Input, "{err}");
}

#[test]
fn thresholds_on_endpoints_attach_to_their_metrics() {
    let cfg: LoadConfig = serde_json::from_value(serde_json::json!({
        "target": "http://127.0.0.1:1",
        "endpoints": [{"url": "/", "name": "home", "thresholds": ["p(95) < 1ms"]}],
        "thresholds": ["p(50) < 1s"]
    }))
    .unwrap();
    let thresholds = parse_thresholds(&cfg).unwrap();
    let mut r = result_of(&latencies(1000, 3));
    r.endpoints[0].name = "home".into();
    let report = evaluate(&LoadInput {
        result: r,
        thresholds,
        merged: Vec::new(),
        baseline: Default::default(),
    });
    assert_eq!(
        report.metric("home.latency-p95").unwrap().verdict,
        Verdict::Fail
    );
    assert_eq!(report.metric("latency-p50").unwrap().verdict, Verdict::Pass);
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(!report.charts.is_empty() || report.details["timeline"].as_array().unwrap().is_empty());
}

#[test]
fn help_snapshot() {
    let help = gate_core::run::command::<gate_load::LoadGate>()
        .render_long_help()
        .to_string();
    insta::assert_snapshot!(help);
}

#[test]
fn dropped_saturation_and_interrupted_are_reported() {
    let mut r = result_of(&latencies(500, 9));
    r.model = "open".into();
    r.dropped = 7;
    r.overall.interrupted = 2;
    r.generator.unreliable = true;
    r.generator.reasons = vec!["the process used 195% CPU of 2 core(s)".into()];
    let input = LoadInput {
        result: r.clone(),
        thresholds: Vec::new(),
        merged: Vec::new(),
        baseline: Default::default(),
    };
    let report = evaluate(&input);
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&"rate-not-met"), "{rules:?}");
    assert!(rules.contains(&"generator-saturated"));
    assert!(rules.contains(&"interrupted-requests"));
    assert_eq!(
        report.verdict,
        Verdict::Warn,
        "warnings, no threshold breached"
    );
    assert!(report.summary.contains("unreliable"));
    assert_eq!(report.metric("dropped").unwrap().value, 7.0);
    // `dropped == 0` turns the drop into a failure.
    let cfg = LoadConfig {
        thresholds: vec!["dropped == 0".into()],
        ..LoadConfig::default()
    };
    let input = LoadInput {
        result: r,
        thresholds: parse_thresholds(&cfg).unwrap(),
        merged: Vec::new(),
        baseline: Default::default(),
    };
    assert_eq!(evaluate(&input).verdict, Verdict::Fail);
}

/// The total failure: a closed port. Failed connections are not
/// served requests: 0 successes per second, no latency (not "p95 0 ms"),
/// and the error class with an example.
#[test]
fn a_closed_port_is_reported_as_a_total_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let dead = testkit::dead_port();
    let u = format!("http://{}/", dead.addr);
    let (code, out, err) = run(tmp.path(), &["--url", &u, "--format", "json"]);
    assert_eq!(code, ExitCode::Fail, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let summary = v["summary"].as_str().unwrap();
    assert!(summary.starts_with("10 requests in "), "{summary}");
    assert!(
        summary.contains(", 0 ok/s, no request succeeded (no latency), errors 100%"),
        "{summary}"
    );
    assert!(!summary.contains(" ms"), "{summary}");
    let errors = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "request-errors")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        errors.contains("connect-refused: 10, e.g. \"connecting to "),
        "{errors}"
    );
    let metrics = v["metrics"].as_array().unwrap();
    assert!(!metrics.iter().any(|m| m["name"] == "latency-p95"), "{out}");
    assert_eq!(
        metrics.iter().find(|m| m["name"] == "rps").unwrap()["value"],
        0.0
    );
}

/// `--method` and `--body` apply to the --url requests.
#[test]
fn method_and_body_flags_shape_the_url_requests() {
    let (addr, _c) = server();
    let tmp = tempfile::tempdir().unwrap();
    let u = format!("http://{addr}/post");
    let statuses = |args: &[&str]| {
        let (code, out, err) = run(
            tmp.path(),
            &[
                &["--url", u.as_str(), "--requests", "3", "--format", "json"],
                args,
            ]
            .concat(),
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
        (code, v["details"]["overall"]["statuses"].clone())
    };
    let (code, st) = statuses(&["--method", "post", "--body", "hello"]);
    assert_eq!(
        (code, st["200"].as_u64()),
        (ExitCode::Pass, Some(3)),
        "{st}"
    );
    let (code, st) = statuses(&["--method", "POST", "--body", "bye"]);
    assert_eq!(
        (code, st["400"].as_u64()),
        (ExitCode::Fail, Some(3)),
        "{st}"
    );
    let (code, st) = statuses(&[]);
    assert_eq!(
        (code, st["405"].as_u64()),
        (ExitCode::Fail, Some(3)),
        "{st}"
    );
    let (code, _, err) = run(
        tmp.path(),
        &["--url", u.as_str(), "--method", "NOT A METHOD"],
    );
    assert_eq!(code, ExitCode::Config, "{err}");
    assert!(
        err.contains("method") && err.contains("NOT A METHOD"),
        "{err}"
    );
}

#[test]
fn threshold_help_says_it_takes_k6_expressions() {
    let (_, out, _) = run(std::path::Path::new("."), &["--help"]);
    let help = out.split("--threshold").nth(1).unwrap_or_default();
    assert!(help.contains("k6-style threshold expression"), "{out}");
}
