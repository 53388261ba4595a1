//! gate-tests end to end, in-process: config, flags, exit codes, report.

use gate_core::ExitCode;
use gate_core::run::testing::run;
use gate_tests::TestsGate;

const PASSING: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2"><testcase classname="t" name="a" time="0.5"/><testcase classname="t" name="b" time="0.1"/></testsuite></testsuites>
"#;

const FAILING: &str = r#"<testsuite name="s"><testcase classname="t" name="bad" file="t.py" line="3"><failure message="assert &lt;script&gt;"/></testcase><testcase classname="t" name="retry"><failure message="once"/></testcase><testcase classname="t" name="retry"/></testsuite>"#;

fn rules_of(stdout: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_missing_input_fails_and_a_present_one_passes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("present.xml"), PASSING).unwrap();
    let args = ["--inputs", "present.xml", "--inputs", "absent.xml"];
    let (code, c) = run::<TestsGate>(
        dir.path(),
        &[&args[..], &["--format", "json", "--no-record"]].concat(),
        &[],
    );
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert_eq!(rules_of(&c.stdout), ["input-missing"]);

    let (code, c) = run::<TestsGate>(dir.path(), &["--inputs", "present.xml", "--no-record"], &[]);
    assert_eq!(code, ExitCode::Pass, "{}", c.stderr);
}

#[test]
fn failures_fail_and_flaky_tests_warn() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.xml"), FAILING).unwrap();
    let (code, c) = run::<TestsGate>(
        dir.path(),
        &["--inputs", "r.xml", "--format", "json", "--no-record"],
        &[],
    );
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert_eq!(rules_of(&c.stdout), ["test-failed", "flaky-test"]);
    let report: serde_json::Value = serde_json::from_str(&c.stdout).unwrap();
    assert_eq!(report["details"]["failed"], 1);
    assert_eq!(report["details"]["flaky"], 1);

    let out = dir.path().join("github_output");
    std::fs::write(&out, "").unwrap();
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_OUTPUT", out.to_str().unwrap()),
    ];
    let (code, c) = run::<TestsGate>(dir.path(), &["--inputs", "r.xml", "--no-record"], &env);
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    let written = std::fs::read_to_string(&out).unwrap();
    // `name<<DELIMITER`, then the value on the next line.
    let lines: Vec<&str> = written.lines().collect();
    for (name, value) in [
        ("passed", "0"),
        ("failed", "1"),
        ("flaky", "1"),
        ("skipped", "0"),
    ] {
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("{name}<<")))
            .unwrap_or_else(|| panic!("no {name} in {written}"));
        assert_eq!(lines.get(at + 1), Some(&value), "{written}");
    }
}

#[test]
fn an_empty_report_never_passes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.xml"), "<testsuites/>").unwrap();
    let (code, c) = run::<TestsGate>(
        dir.path(),
        &["--inputs", "r.xml", "--format", "json", "--no-record"],
        &[],
    );
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert_eq!(rules_of(&c.stdout), ["nothing-checked", "too-few-tests"]);
}

#[test]
fn a_truncated_report_is_an_input_error_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cut = PASSING.get(..PASSING.len() / 2).unwrap();
    std::fs::write(dir.path().join("cut.xml"), cut).unwrap();
    let (code, c) = run::<TestsGate>(dir.path(), &["--inputs", "cut.xml", "--no-record"], &[]);
    assert_eq!(code, ExitCode::Input, "{}", c.stderr);
    assert!(c.stderr.contains("cut.xml:2:"), "{}", c.stderr);
}

#[test]
fn a_bad_flag_value_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, c) = run::<TestsGate>(dir.path(), &["--max-bytes", "lots", "--no-record"], &[]);
    assert_eq!(code, ExitCode::Usage, "{}", c.stderr);
    assert!(c.stderr.contains("max-bytes"), "{}", c.stderr);
}
