//! gate-sarif on SARIF made by real tools (`tests/fixtures/README.md`), and
//! on malformed SARIF.

use std::path::PathBuf;

use gate_core::ExitCode;
use gate_core::run::testing::run;
use gate_sarif::SarifGate;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(p.is_file(), "fixture {} is missing", p.display());
    p.to_string_lossy().into_owned()
}

fn findings(stdout: &str) -> Vec<(String, String, u64)> {
    let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_owned(),
                f["sarif_rule"]["id"].as_str().unwrap_or("").to_owned(),
                f["location"]["start_line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn every_zizmor_result_is_reported_at_its_level() {
    let dir = tempfile::tempdir().unwrap();
    let after = fixture("zizmor-after.sarif");
    let (code, c) = run::<SarifGate>(
        dir.path(),
        &["--inputs", &after, "--format", "json", "--no-record"],
        &[],
    );
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    let f = findings(&c.stdout);
    assert_eq!(f.len(), 6, "{f:?}");
    assert_eq!(f.iter().filter(|x| x.0 == "error").count(), 4, "{f:?}");
    assert!(
        f.contains(&("error".into(), "zizmor/template-injection".into(), 12)),
        "{f:?}"
    );
}

#[test]
fn new_only_survives_a_line_shift_and_finds_the_one_new_result() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (
        fixture("zizmor-before.sarif"),
        fixture("zizmor-after.sarif"),
    );
    let args = [
        "--inputs",
        &after,
        "--base",
        &before,
        "--format",
        "json",
        "--no-record",
    ];
    let (code, c) = run::<SarifGate>(dir.path(), &args, &[]);
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert_eq!(
        findings(&c.stdout),
        [(
            "error".to_owned(),
            "zizmor/template-injection".to_owned(),
            12
        )]
    );
    // The base against itself: nothing new, so nothing fails.
    let args = ["--inputs", &before, "--base", &before, "--no-record"];
    let (code, c) = run::<SarifGate>(dir.path(), &args, &[]);
    assert_eq!(code, ExitCode::Pass, "{}", c.stderr);
}

#[test]
fn levels_map_through_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let after = fixture("zizmor-after.sarif");
    let args = [
        "--inputs",
        &after,
        "--error",
        "warning",
        "--warning",
        "ignore",
        "--format",
        "json",
        "--no-record",
    ];
    let (code, c) = run::<SarifGate>(dir.path(), &args, &[]);
    assert_eq!(code, ExitCode::Pass, "{}", c.stderr);
    assert_eq!(findings(&c.stdout).len(), 4);
}

#[test]
fn security_severity_and_rule_defaults_decide_like_code_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[
        {"id":"cve","properties":{"security-severity":"9.8"}},
        {"id":"style","defaultConfiguration":{"level":"note"}}]}},
      "results":[
        {"ruleId":"cve","level":"note","message":{"text":"critical"}},
        {"ruleId":"style","message":{"text":"by default a note"}},
        {"ruleId":"style","kind":"pass","message":{"text":"passed"}}]}]}"#;
    std::fs::write(dir.path().join("t.sarif"), sarif).unwrap();
    let args = ["--inputs", "t.sarif", "--format", "json", "--no-record"];
    let (code, c) = run::<SarifGate>(dir.path(), &args, &[]);
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    let f = findings(&c.stdout);
    assert_eq!(
        f,
        [
            ("error".to_owned(), "cve".to_owned(), 0),
            ("note".to_owned(), "style".to_owned(), 0)
        ]
    );
}

#[test]
fn truncated_empty_and_binary_sarif_exit_4_with_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::read(fixture("zizmor-after.sarif")).unwrap();
    let cases: [(&str, &[u8]); 4] = [
        ("truncated.sarif", &real[..real.len() / 2]),
        ("empty.sarif", b""),
        ("binary.sarif", &[0xff, 0x00, 0x12, 0x7f]),
        ("not-sarif.sarif", br#"{"runs": [{"tool": 3}]}"#),
    ];
    for (name, bytes) in cases {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let (code, c) = run::<SarifGate>(dir.path(), &["--inputs", name, "--no-record"], &[]);
        assert_eq!(code, ExitCode::Input, "{name}: {}", c.stderr);
        assert!(c.stderr.contains(name), "{name}: {}", c.stderr);
    }
}

#[test]
fn new_only_matches_the_gates_own_sarif_by_partial_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let before = fixture("gate-sarif-of-zizmor-before.sarif");
    let after = fixture("gate-sarif-of-zizmor-after.sarif");
    let args = [
        "--inputs",
        &after,
        "--base",
        &before,
        "--format",
        "json",
        "--no-record",
    ];
    let (code, c) = run::<SarifGate>(dir.path(), &args, &[]);
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert_eq!(
        findings(&c.stdout),
        [(
            "error".to_owned(),
            "zizmor/template-injection".to_owned(),
            12
        )]
    );
}
