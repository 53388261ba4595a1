//! gate-health benchmark, side by side with curl, in one run.
//!
//! ```sh
//! cargo build --release -p gate-health
//! cargo run --release -p gate-health --example health_bench
//! ```
//!
//! Starts an axum server on 127.0.0.1 (in this process), then measures:
//! 1. probe rounds per second (100 HTTP probes per round, in-process library);
//! 2. one round of 100 probes of a 100 ms endpoint versus the slowest single probe;
//! 3. per-request latency: `probe_once` versus curl's own `time_total`;
//! 4. wall time of one process probing one URL: the gate-health binary versus curl;
//! 5. 100 URLs: one gate-health run versus a curl loop;
//! 7. (when Debian's prometheus-blackbox-exporter is installed) its probe
//!    duration for the same URL, through its /probe endpoint;
//! 6. detection latency of `watch` (interval 1 s, failure-threshold 3) when the
//!    backend is killed mid-watch.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::disallowed_methods
)]

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use gate_core::secret::Masker;
use gate_health::build::{Defaults, build_probe};
use gate_health::config::ProbeConfig;
use gate_health::{Probe, Round, TokioClock, WatchOptions, probe_once, probe_round, watch};

fn server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = Router::new().route("/", get(|| async { "ok" })).route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    "slow"
                }),
            );
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn probe(url: &str, name: String) -> Probe {
    let root = std::env::temp_dir();
    let d = Defaults {
        probe_timeout: Duration::from_secs(10),
        latency_budget: None,
        cert_expiry_warning: Duration::from_secs(86400),
        base_url: None,
        repo_root: &root,
    };
    let pc = ProbeConfig {
        name: Some(name),
        url: Some(url.to_string()),
        ..ProbeConfig::default()
    };
    build_probe(&pc, "bench", &d, &|_| None, &Masker::new(false)).unwrap()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[allow(clippy::too_many_lines)] // a benchmark script: one scenario after another
fn main() {
    let addr = server();
    let base = format!("http://{addr}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bin = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("gate-health");
    assert!(
        bin.exists(),
        "{} not found: run `cargo build --release -p gate-health` first",
        bin.display()
    );
    println!("server: {base}; binary: {}", bin.display());

    // 1. Rounds per second, 100 probes each.
    let probes: Arc<[Probe]> = (0..100)
        .map(|i| probe(&format!("{base}/"), format!("p{i}")))
        .collect::<Vec<_>>()
        .into();
    rt.block_on(probe_round(&probes, 100)); // warm-up
    let rounds = 50;
    let t = Instant::now();
    for _ in 0..rounds {
        let r = rt.block_on(probe_round(&probes, 100));
        assert!(r.iter().all(|x| x.health.passing()));
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "1. rounds of 100 HTTP probes: {:.1} rounds/s ({:.0} probes/s), {:.1} ms per round",
        f64::from(rounds) / secs,
        f64::from(rounds) * 100.0 / secs,
        secs * 1000.0 / f64::from(rounds)
    );

    // 2. 100 probes of a 100 ms endpoint in one round vs the slowest single probe.
    let slow: Arc<[Probe]> = (0..100)
        .map(|i| probe(&format!("{base}/slow"), format!("s{i}")))
        .collect::<Vec<_>>()
        .into();
    let mut ratios = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = rt.block_on(probe_round(&slow, 100));
        let round_ms = t.elapsed().as_secs_f64() * 1000.0;
        let slowest = r.iter().map(|x| x.phases.total).fold(0.0, f64::max);
        ratios.push(round_ms / slowest);
        println!(
            "2. one round of 100 probes of /slow (100 ms): {round_ms:.1} ms; slowest probe {slowest:.1} ms; ratio {:.3}",
            round_ms / slowest
        );
    }

    // 3. Per-request latency: probe_once vs curl's time_total (both exclude process start).
    let one = probe(&format!("{base}/"), "one".into());
    let n = 200;
    let mut ours: Vec<f64> = (0..n)
        .map(|_| rt.block_on(probe_once(&one)).phases.total)
        .collect();
    let mut curl: Vec<f64> = (0..n)
        .map(|_| {
            let o = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-w", "%{time_total}"])
                .arg(format!("{base}/"))
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .unwrap()
                * 1000.0
        })
        .collect();
    println!(
        "3. one request, median of {n}: gate-health probe_once {:.3} ms (connect+request+body), curl time_total {:.3} ms",
        median(&mut ours),
        median(&mut curl)
    );

    // 4. One process probing one URL: wall time.
    let dir = std::env::temp_dir();
    let mut gate_wall: Vec<f64> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let s = Command::new(&bin)
                .args([
                    "--url",
                    &format!("{base}/"),
                    "--no-record",
                    "--format",
                    "json",
                ])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(s.status.success());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let mut curl_wall: Vec<f64> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let s = Command::new("curl")
                .args(["-s", "-f", "-o", "/dev/null"])
                .arg(format!("{base}/"))
                .status()
                .unwrap();
            assert!(s.success());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    println!(
        "4. start + probe one URL, median of 50 process runs: gate-health {:.1} ms, curl {:.1} ms",
        median(&mut gate_wall),
        median(&mut curl_wall)
    );

    // 5. 100 URLs: one gate-health run vs a curl loop (sequential, as the usual CI step does).
    let mut args = vec!["--no-record".to_string(), "--format".into(), "json".into()];
    for i in 0..100 {
        args.push("--url".into());
        args.push(format!("{base}/slow?i={i}"));
    }
    let t = Instant::now();
    let s = Command::new(&bin)
        .args(&args)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    let gate_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    for i in 0..100 {
        let s = Command::new("curl")
            .args(["-s", "-f", "-o", "/dev/null"])
            .arg(format!("{base}/slow?i={i}"))
            .status()
            .unwrap();
        assert!(s.success());
    }
    let curl_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "5. 100 URLs of /slow (100 ms each): one gate-health run {gate_ms:.0} ms, curl loop {curl_ms:.0} ms"
    );

    // 6. Detection latency: kill the backend right after a passing round.
    let mut detections = Vec::new();
    for _ in 0..3 {
        let (addr, handle) = rt.block_on(async {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let app = Router::new().route("/", get(|| async { "ok" }));
            let h = tokio::spawn(async move {
                let _ = axum::serve(l, app).await;
            });
            (addr, h)
        });
        let p: Arc<[Probe]> = vec![probe(&format!("http://{addr}/"), "victim".into())].into();
        let opts = WatchOptions {
            duration: Duration::from_secs(30),
            interval: Duration::from_secs(1),
            failure_threshold: 3,
            concurrency: 1,
        };
        let mut handle = Some(handle);
        let mut killed: Option<Instant> = None;
        let mut on_round = |_: &Round| {
            if let Some(h) = handle.take() {
                // Kill half-way to the next round.
                std::thread::sleep(Duration::from_millis(500));
                h.abort();
                killed = Some(Instant::now());
            }
        };
        let clock = TokioClock::default();
        let out = rt.block_on(watch(&p, &opts, &clock, &mut on_round));
        assert!(out.tripped.is_some());
        detections.push(killed.unwrap().elapsed().as_secs_f64());
    }
    println!(
        "6. watch (interval 1 s, failure-threshold 3), backend killed mid-watch: tripped {} s after the kill",
        detections
            .iter()
            .map(|d| format!("{d:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 7. prometheus-blackbox-exporter, when installed: its own probe_duration_seconds.
    let bbe = "/usr/bin/prometheus-blackbox-exporter";
    if std::path::Path::new(bbe).exists() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("blackbox.yml");
        std::fs::write(
            &cfg,
            "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n",
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(bbe)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "blackbox exporter did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let probe_url = format!("http://127.0.0.1:{port}/probe?module=http_2xx&target={base}/");
        let mut bb: Vec<f64> = Vec::new();
        let mut bb_wall: Vec<f64> = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let o = Command::new("curl")
                .args(["-s", &probe_url])
                .output()
                .unwrap();
            bb_wall.push(t.elapsed().as_secs_f64() * 1000.0);
            let text = String::from_utf8_lossy(&o.stdout);
            let d = text
                .lines()
                .find(|l| l.starts_with("probe_duration_seconds "))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .expect("probe_duration_seconds");
            assert!(text.contains("probe_success 1"), "{text}");
            bb.push(d * 1000.0);
        }
        let _ = child.kill();
        let _ = child.wait();
        println!(
            "7. prometheus-blackbox-exporter http_2xx, median of 200: probe_duration_seconds {:.3} ms (curl to /probe, wall: {:.2} ms); gate-health probe_once above",
            median(&mut bb),
            median(&mut bb_wall)
        );
    } else {
        println!("7. prometheus-blackbox-exporter not installed: skipped");
    }
}
