//! Deploy benchmarks behind real proxies.
//!
//! ```sh
//! cargo run -p gate-deploy --example deploy_bench -- [TRIALS] [INTERVAL_S] [TRIP_AFTER]
//! cargo run -p gate-deploy --example deploy_bench -- load [TRIALS]
//! ```
//!
//! `load` ("Deploy under load", docs/benchmarks.md): wrk through HAProxy
//! (plain, then fallback mode) and nginx (as configured by the tests, then
//! with `keepalive_timeout 0`), for a good switch, a manual rollback
//! (gate-rollback), and a bad deploy rolled back by the breaker under GET
//! and under POST load. See [`load::run`]. `BENCH_ONLY=TEXT` runs only the
//! setups whose name contains TEXT; `BENCH_LOAD=gate-load` sends the GET
//! loads with gate-load's closed model instead of wrk.
//!
//! Without `load`: the recovery time of an automatic rollback behind HAProxy.
//!
//! Each trial: blue (v1) live behind HAProxy; gate-deploy puts v2 on green;
//! as soon as green takes traffic, its fault switch is thrown; the circuit
//! breaker trips and traffic goes back to blue. Recorded per trial:
//! - `recovery` (the report's `recovery_ms`): first failing probe to blue
//!   verified healthy;
//! - `outage` (measured outside gate-deploy): fault thrown to the first
//!   request through HAProxy answered by blue again.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "deploy_bench/load.rs"]
mod load;
#[path = "../tests/it/proxy_setup/mod.rs"]
mod proxy_setup;

use std::time::{Duration, Instant};

use common::*;

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "| {name} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
        v.len(),
        v[0],
        pct(&v, 0.5),
        mean,
        pct(&v, 0.95),
        v[v.len() - 1]
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|a| a == "load") {
        let trials = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(3);
        load::run(trials);
        return;
    }
    let trials: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(20);
    let interval: f64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(1.0);
    let trip_after: u32 = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(3);
    if which("haproxy").is_none() {
        eprintln!("haproxy is not installed (apt-get install haproxy)");
        return;
    }
    let deploy = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("gate-deploy");
    assert!(
        deploy.is_file(),
        "build gate-deploy first: cargo build -p gate-deploy"
    );
    let (mut recovery, mut outage, mut detect, mut switch_back) = (vec![], vec![], vec![], vec![]);
    for t in 0..trials {
        let w = World::new();
        let h = start_haproxy(&w, false).unwrap();
        w.seed_live("production", "blue", "v1");
        w.start_slot("blue", "v1");
        let cfg = w
            .base_config(
                "deploy",
                &format!(
                    "  switch: haproxy\n  haproxy-socket: {}\n",
                    h.socket.display()
                ),
            )
            .replace(
                "interval: 200ms",
                &format!("interval: {}ms", (interval * 1000.0).round() as u64),
            )
            .replace(
                "breaker-trip-after: 3",
                &format!("breaker-trip-after: {trip_after}"),
            )
            .replace("healthy-successes: 2", "healthy-successes: 1")
            .replace("watch: 1s\n", "watch: 60s\n");
        w.write_config(&cfg);
        let child = w
            .command(
                deploy.to_str().unwrap(),
                &["--release", "v2", "--format", "json"],
            )
            .spawn()
            .unwrap();
        wait_until("green live", Duration::from_secs(60), || {
            get(h.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v2")
        });
        assert_eq!(post(w.green, "/fault"), 200);
        let fault = Instant::now();
        // Poll through the proxy until blue answers again (1 ms apart).
        let end = fault + Duration::from_secs(120);
        loop {
            if get(h.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v1") {
                break;
            }
            assert!(Instant::now() < end, "traffic never came back");
            std::thread::sleep(Duration::from_millis(1));
        }
        let out_ms = fault.elapsed().as_secs_f64() * 1000.0;
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let r = report(&String::from_utf8_lossy(&out.stdout));
        let tm = &r["details"]["timings"];
        assert_eq!(r["details"]["result"], "rolled-back");
        recovery.push(tm["recovery_ms"].as_f64().unwrap());
        detect.push(tm["time_to_detect_ms"].as_f64().unwrap());
        switch_back.push(tm["switch_back_ms"].as_f64().unwrap());
        outage.push(out_ms);
        eprintln!(
            "trial {}: recovery {:.0} ms, detect {:.0} ms, switch back {:.2} ms, fault->blue {:.0} ms",
            t + 1,
            recovery[t],
            detect[t],
            switch_back[t],
            out_ms
        );
        drop(h);
    }
    println!("interval {interval} s, breaker-trip-after {trip_after}, {trials} trials (ms)\n");
    println!("| figure | n | min | median | mean | p95 | max |\n|---|---|---|---|---|---|---|");
    summary(
        "recovery: first failing probe -> blue verified healthy",
        recovery,
    );
    summary("time to detect: first failing probe -> trip", detect);
    summary("switch back (HAProxy runtime API)", switch_back);
    summary("fault thrown -> blue answers through HAProxy", outage);
}
