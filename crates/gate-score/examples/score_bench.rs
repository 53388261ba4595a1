//! Benchmark fixtures for gate-score (see `bench/run.sh`), from the real
//! reports under `tests/data`:
//!
//! - `score_bench local DIR`: writes 20 records of the data's commit into
//!   `DIR/.gates` (the five gates, then instances of health, load and sbom),
//!   and prints the commit;
//! - `score_bench fake`: starts the fake GitHub with 120 check runs on the
//!   commit (the gates' runs among other apps' and jobs'), prints its URL and
//!   the commit, and serves until its standard input closes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods
)] // a developer tool

use std::io::Read;
use std::path::Path;

use gate_core::ledger::GateRecord;
use gate_core::ledger::github::embed_report;
use gate_core::report::Report;

fn data(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn report(name: &str) -> Report {
    serde_json::from_str(&data(&format!("{name}.json"))).unwrap()
}

/// The 20 reports: coverage, audit, sbom, health, load, and five instances
/// each of health, load and sbom.
fn twenty() -> Vec<Report> {
    let mut out: Vec<Report> = ["coverage", "audit", "sbom", "health", "load"]
        .iter()
        .map(|n| report(n))
        .collect();
    for gate in ["health", "load", "sbom"] {
        for i in 1..=5 {
            let mut r = report(gate);
            r.instance = Some(format!("shard-{i}"));
            out.push(r);
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let commit = data("COMMIT").trim().to_string();
    match args.get(1).map(String::as_str) {
        Some("local") => {
            let dir = Path::new(args.get(2).expect("local DIR"));
            let results = dir.join(".gates/results").join(&commit);
            std::fs::create_dir_all(&results).unwrap();
            for (i, r) in twenty().into_iter().enumerate() {
                let rec = GateRecord {
                    commit: commit.clone(),
                    gate: r.gate.clone(),
                    recorded_at: chrono::DateTime::from_timestamp(1_767_225_600 + i as i64, 0)
                        .unwrap(),
                    url: None,
                    report: r.clone(),
                };
                let file = results.join(format!("{}.json", r.record_key().replace('/', ".")));
                std::fs::write(file, serde_json::to_string_pretty(&rec).unwrap()).unwrap();
            }
            println!("{commit}");
        }
        Some("fake") => {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let gh = fake_github::FakeGitHub::start().await;
                let reports = twenty();
                for r in reports.iter().take(5) {
                    gh.seed_check_run(
                        "octo/demo",
                        &commit,
                        &format!("gates/{}", r.record_key()),
                        Some(&embed_report(r)),
                    );
                }
                for i in 0..115 {
                    gh.seed_check_run_from_app(
                        "octo/demo",
                        &commit,
                        &format!("ci / job ({i})"),
                        "github-actions",
                        None,
                    );
                }
                assert_eq!(gh.check_runs().len(), 120);
                println!("{} {commit}", gh.url());
                let _ = tokio::task::spawn_blocking(|| {
                    let mut sink = Vec::new();
                    let _ = std::io::stdin().read_to_end(&mut sink);
                })
                .await;
            });
        }
        _ => {
            eprintln!("usage: score_bench local DIR | score_bench fake");
            std::process::exit(2);
        }
    }
}
