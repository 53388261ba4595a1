//! Bad configuration is exit 3 with the key path; bad report files are
//! exit 4; never a panic.

use crate::common;

use common::*;
use gate_core::ExitCode;

fn config_error(yaml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    write_config(dir.path(), yaml);
    let run = score(dir.path(), &[]);
    assert_eq!(
        run.code,
        ExitCode::Config,
        "{yaml}\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run.stderr
}

#[test]
fn an_unknown_gate_in_required_names_its_key() {
    let e = config_error("score:\n  required: [coverage, covrage]\n");
    assert!(
        e.contains("score.required[1]: unknown gate `covrage` (did you mean `coverage`?)"),
        "{e}"
    );
    // A gate of one's own becomes known by being scored.
    let dir = tempfile::tempdir().unwrap();
    record_all(dir.path());
    write_config(
        dir.path(),
        "score:\n  required: [coverage, e2e]\n  inputs:\n    - {gate: e2e, metric: verdict, category: quality, curve: [[0, 0], [100, 100]]}\n",
    );
    let run = score(dir.path(), &[]);
    assert_eq!(run.code, ExitCode::Fail, "{}", run.stderr);
    assert!(messages(&run.json(), "required-missing")[0].contains("gate-e2e"));
}

#[test]
fn weights_that_do_not_sum_to_a_positive_number_are_refused() {
    let e = config_error(
        "score:\n  categories:\n    quality: {weight: 0}\n    security: {weight: 0}\n    performance: {weight: 0}\n    reliability: {weight: 0}\n",
    );
    assert!(e.contains("score.categories: the weights sum to 0"), "{e}");
    let e = config_error(
        "score:\n  inputs:\n    - {gate: coverage, metric: line-coverage, category: quality, weight: 0, curve: [[0, 0], [100, 100]]}\n",
    );
    assert!(
        e.contains("score.inputs: the weights of category `quality` sum to 0"),
        "{e}"
    );
    // A negative weight is refused by the schema.
    let e = config_error("score:\n  categories:\n    quality: {weight: -1}\n");
    assert!(e.contains("score.categories.quality.weight"), "{e}");
}

#[test]
fn a_curve_that_is_not_monotone_names_its_key() {
    let e = config_error(
        "score:\n  inputs:\n    - {gate: coverage, metric: line-coverage, category: quality, curve: [[0, 0], [50, 90], [100, 60]]}\n",
    );
    assert!(
        e.contains("score.inputs[0].curve: the curve is not monotone"),
        "{e}"
    );
    let e = config_error(
        "score:\n  inputs:\n    - {gate: coverage, metric: line-coverage, category: speed, curve: [[0, 0], [100, 100]]}\n",
    );
    assert!(
        e.contains("score.inputs[0].category: `speed` is not a category"),
        "{e}"
    );
}

#[test]
fn bad_report_files_are_input_errors_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(data("coverage.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.json", whole[..whole.len() / 2].to_vec()),
        ("binary.json", vec![0, 159, 146, 150, 255, 0, 1]),
        ("empty.json", Vec::new()),
        (
            "other.json",
            b"{\"schema_version\": 1, \"gate\": 3}".to_vec(),
        ),
        (
            "v2.json",
            String::from_utf8(whole.clone())
                .unwrap()
                .replacen("\"schema_version\": 1", "\"schema_version\": 2", 1)
                .into_bytes(),
        ),
    ];
    for (name, bytes) in cases {
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let run = score(dir.path(), &["--report", name]);
        assert_eq!(run.code, ExitCode::Input, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
    }
    let run = score(dir.path(), &["--report", "absent.json"]);
    assert_eq!(run.code, ExitCode::Input, "{}", run.stderr);
}

#[test]
fn a_commit_that_is_not_a_sha_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, cap) = gate_core::run::testing::run::<gate_score::ScoreGate>(
        dir.path(),
        &["--no-record"],
        &[("GITHUB_SHA", "main; rm -rf /")],
    );
    assert_eq!(code, ExitCode::Usage, "{}", cap.stderr);
    // Outside git, with no GITHUB_SHA: no commit, a usage error too.
    let (code, cap) =
        gate_core::run::testing::run::<gate_score::ScoreGate>(dir.path(), &["--no-record"], &[]);
    assert_eq!(code, ExitCode::Usage, "{}", cap.stderr);
    assert!(
        cap.stderr.contains("no commit to decide about"),
        "{}",
        cap.stderr
    );
}
