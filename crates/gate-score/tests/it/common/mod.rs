//! Shared by gate-score's tests: the real reports under `tests/data`
//! (made by this repository's gates, see `tests/data/make.sh`), a local
//! ledger written as gate-core's ledger writes it, and runs of the gate.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use gate_core::ExitCode;
use gate_core::ledger::GateRecord;
use gate_core::report::Report;
use gate_core::run::testing::run;
use gate_score::ScoreGate;
use serde_json::Value;

pub fn data(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    assert!(
        p.is_file(),
        "missing fixture {} (see tests/data/make.sh)",
        p.display()
    );
    p
}

/// The commit the reports in `tests/data` were made on.
pub fn commit() -> String {
    std::fs::read_to_string(data("COMMIT"))
        .unwrap()
        .trim()
        .to_string()
}

/// A real report from `tests/data/NAME.json`.
pub fn report(name: &str) -> Report {
    let text = std::fs::read_to_string(data(&format!("{name}.json"))).unwrap();
    let r: Report = serde_json::from_str(&text).unwrap();
    assert_eq!(r.schema_version, 1);
    r
}

/// Records `report` in `dir`'s local ledger as gate-core's ledger does
/// (`.gates/results/<commit>/<key>.json`), `age` seconds before a fixed
/// instant (the ledger orders records by `recorded_at`).
pub fn record(dir: &Path, report: &Report, seconds: i64) {
    let commit = report.commit.clone().unwrap();
    let ledger = gate_core::ledger::local::LocalLedger::new(dir);
    let at: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let rec = GateRecord {
        commit: commit.clone(),
        gate: report.gate.clone(),
        recorded_at: at + Duration::seconds(seconds),
        url: None,
        report: report.clone(),
    };
    let path = ledger
        .root()
        .join("results")
        .join(&commit)
        .join(format!("{}.json", report.record_key().replace('/', ".")));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(&rec).unwrap()).unwrap();
}

pub struct Run {
    pub code: ExitCode,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }
}

/// `gate-score ARGS --format json --no-record` in `dir`, deciding about the
/// data's commit (`GITHUB_SHA`).
pub fn score(dir: &Path, args: &[&str]) -> Run {
    let c = commit();
    let mut all = vec!["--format", "json", "--no-record", "--ledger", "local"];
    all.extend_from_slice(args);
    let (code, cap) = run::<ScoreGate>(dir, &all, &[("GITHUB_SHA", &c)]);
    Run {
        code,
        stdout: cap.stdout,
        stderr: cap.stderr,
    }
}

/// Rule ids of a JSON report's findings with `severity`.
pub fn rules(j: &Value, severity: &str) -> Vec<String> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == severity)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Messages of findings with `rule`.
pub fn messages(j: &Value, rule: &str) -> Vec<String> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

pub fn metric(j: &Value, name: &str) -> Option<f64> {
    j["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .and_then(|m| m["value"].as_f64())
}

/// The value of metric `name` in a data report.
pub fn value(r: &Report, name: &str) -> f64 {
    r.metric(name)
        .unwrap_or_else(|| panic!("{} has no {name}", r.gate))
        .value
}

/// The whole pipeline's evidence, recorded in order.
pub fn record_all(dir: &Path) {
    for (i, name) in ["coverage", "audit", "sbom", "health", "load"]
        .iter()
        .enumerate()
    {
        record(dir, &report(name), i as i64);
    }
}

pub fn write_config(dir: &Path, yaml: &str) {
    std::fs::write(dir.join("gates.yml"), format!("version: 1\n{yaml}")).unwrap();
}
