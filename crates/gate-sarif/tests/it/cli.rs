//! gate-sarif end to end, in-process: config, flags, exit codes, report.

use gate_core::ExitCode;
use gate_core::run::testing::run;
use gate_sarif::SarifGate;

#[test]
fn a_missing_input_fails_and_a_present_one_passes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("present.txt"),
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},"results":[]}]}"#,
    )
    .unwrap();
    let (code, c) = run::<SarifGate>(
        dir.path(),
        &[
            "--inputs",
            "present.txt",
            "--inputs",
            "absent.txt",
            "--format",
            "json",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    let report: serde_json::Value = serde_json::from_str(&c.stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["input-missing"]);

    let (code, c) = run::<SarifGate>(dir.path(), &["--inputs", "present.txt", "--no-record"], &[]);
    assert_eq!(code, ExitCode::Pass, "{}", c.stderr);
}

#[test]
fn a_bad_flag_value_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, c) = run::<SarifGate>(dir.path(), &["--max-bytes", "lots", "--no-record"], &[]);
    assert_eq!(code, ExitCode::Usage, "{}", c.stderr);
    assert!(c.stderr.contains("max-bytes"), "{}", c.stderr);
}
