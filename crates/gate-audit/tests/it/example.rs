//! The example under `examples/audit/` (the README's demo) runs offline and
//! gives the same findings as cargo-audit on the full database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> (i32, serde_json::Value, String) {
    let cache = tempfile::tempdir().unwrap();
    let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"))
        .args(["--no-record", "--format", "json", "-C"])
        .arg(root())
        .args(args)
        .env("GATES_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o.status.code().unwrap(), v, stderr)
}

#[test]
fn cargo_example_passes_with_cargo_audits_warnings() {
    let (code, r, err) = run(&[
        "--config",
        "/dev/null",
        "--lockfile",
        "examples/audit/Cargo.lock",
        "--rustsec-db",
        "examples/audit/advisory-db",
        "--max-db-age",
        "off",
        // yanked status depends on this machine's crates.io index cache
        "--yanked",
        "ignore",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["verdict"], "warn");
    let mut got: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let expected = testkit::fixture!("lockfiles/expected/bat-HEAD.cargo-audit.json");
    {
        let bytes = std::fs::read(expected).unwrap();
        let ca: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut want: Vec<String> = ca["warnings"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|l| l.as_array().unwrap().iter())
            .map(|w| {
                format!(
                    "{}@{}@{}",
                    w["advisory"]["id"].as_str().unwrap(),
                    w["package"]["name"].as_str().unwrap(),
                    w["package"]["version"].as_str().unwrap()
                )
            })
            .collect();
        want.sort();
        assert_eq!(got, want);
    }
}

#[test]
fn python_example_fails_with_its_vulnerabilities() {
    let (code, r, err) = run(&[
        "--config",
        "/dev/null",
        "--lockfile",
        "examples/audit/python/requirements.txt",
        "--osv-db",
        "examples/audit/python/osv",
        "--max-db-age",
        "off",
    ]);
    assert_eq!(code, 1, "{err}");
    let n = r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "vulnerabilities")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    let expected = testkit::fixture!("advisories/osv-subset/expected/djangoproject-2019.json");
    let e: serde_json::Value = serde_json::from_slice(&std::fs::read(expected).unwrap()).unwrap();
    assert_eq!(n, e["finding_count"].as_f64().unwrap());
}
