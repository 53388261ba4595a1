//! Changed source files no report knows are unmeasured, and one set of diff
//! figures reaches the headline, the metrics, the findings and the
//! annotations (own figures and diff-cover's), in real git repositories.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

const MOD_PY: &str =
    "import os\n\n# helpers\ndef f(x):\n    return x + 1\n\ndef g():\n    return os.sep\n";

/// Statements of `MOD_PY`, counted independently: non-blank lines that are
/// not comments.
fn statements(text: &str) -> u64 {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .count() as u64
}

/// The common repository plus a feature commit adding `files` (path, text).
fn repo_with(files: &[(&str, &str)]) -> Repo {
    let r = repo();
    for (p, text) in files {
        let p = r.path().join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    if !files.is_empty() {
        git(r.path(), &["add", "."]);
        git(r.path(), &["commit", "-q", "-m", "more"]);
    }
    // a.py: 12 lines, 6 covered (changed lines 11-12 uncovered); b.py: 10 lines, 8 covered.
    lcov(
        &r.path().join("head.lcov"),
        &[("src/a.py", &lines(12, 6)), ("src/b.py", &lines(10, 8))],
    );
    r
}

fn json(r: &Repo, extra: &[&str]) -> (i32, serde_json::Value) {
    let base = [
        "--report",
        "head.lcov",
        "--base",
        "main",
        "--no-record",
        "--format",
        "json",
    ];
    let out = run(r.path(), &[&base[..], extra].concat());
    (out.code, out.json())
}

/// The case: a new top-level package without tests, and nothing
/// else measured. It was 100% (0/0) and passed.
#[test]
fn a_new_untested_package_fails_the_diff_minimum() {
    let r = repo();
    std::fs::create_dir_all(r.path().join("newpkg")).unwrap();
    std::fs::write(r.path().join("newpkg/mod.py"), MOD_PY).unwrap();
    // Only the new package changes: reset a.py to the base.
    git(r.path(), &["checkout", "-q", "main", "--", "src/a.py"]);
    git(r.path(), &["add", "."]);
    git(r.path(), &["commit", "-q", "-m", "newpkg"]);
    lcov(&r.path().join("head.lcov"), &[("src/a.py", &lines(10, 10))]);
    let n = statements(MOD_PY);
    let (code, j) = json(&r, &["--min-diff", "80"]);
    assert_eq!(code, 1, "{j}");
    assert_eq!(metric(&j, "diff-coverage"), Some(0.0));
    assert_eq!(metric(&j, "changed-lines-measured"), Some(n as f64));
    let f = finding(&j, "changed-file-not-in-report").expect("listed");
    assert_eq!(f["location"]["path"], "newpkg/mod.py");
    assert!(finding(&j, "coverage-below-minimum").is_some(), "{j}");
    assert!(
        j["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("(0/{n} changed lines"))
    );
    // Not counted, but 0 measured changed source lines still do not pass.
    let (code, j) = json(&r, &["--min-diff", "80", "--absent-files", "ignore"]);
    assert_eq!(code, 1, "{j}");
    assert_eq!(metric(&j, "diff-coverage"), Some(0.0));
    assert!(finding(&j, "diff-too-small").is_none(), "{j}");
    // Compat mode keeps diff-cover's rule: the file is listed, not counted.
    let (code, j) = json(&r, &["--min-diff", "80", "--compat", "diff-cover"]);
    assert_eq!(code, 0, "{j}");
    assert_eq!(metric(&j, "changed-lines-measured"), Some(0.0));
    let f = finding(&j, "changed-file-not-in-report").expect("listed");
    assert!(
        f["message"].as_str().unwrap().contains("not counted"),
        "{f}"
    );
}

/// Blank and comment lines of an absent file are not statements; tests,
/// docs and files in a language no report measures are not source.
#[test]
fn absent_files_count_their_code_lines_only() {
    let r = repo_with(&[
        ("newpkg/mod.py", MOD_PY),
        (
            "newpkg/tests/test_mod.py",
            "def test_f():\n    assert True\n",
        ),
        ("tests/test_new.py", "def test_g():\n    assert True\n"),
        ("docs/conf.py", "project = 'x'\n"),
        ("scripts/release.sh", "echo hi\n"),
        ("README.md", "hello\n"),
    ]);
    let (_, j) = json(&r, &[]);
    // a.py's changed lines 11-12 (uncovered) and mod.py's statements.
    let n = 2 + statements(MOD_PY);
    assert_eq!(metric(&j, "changed-lines-measured"), Some(n as f64), "{j}");
    assert_eq!(metric(&j, "diff-coverage"), Some(0.0));
    let absent: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "changed-file-not-in-report")
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(absent, ["newpkg/mod.py"]);
    // `non-source` is configurable: with none, the tests count too.
    std::fs::write(r.path().join("gates.yml"), "coverage:\n  non-source: []\n").unwrap();
    let (_, j) = json(&r, &[]);
    assert_eq!(
        metric(&j, "changed-lines-measured"),
        Some((n + 2 + 2 + 1) as f64),
        "{j}"
    );
}

/// Compat mode: the headline's figures are the metric's (diff-cover's).
#[test]
fn compat_headline_and_metrics_agree() {
    let r = repo_with(&[("newpkg/mod.py", MOD_PY)]);
    let (_, j) = json(&r, &["--compat", "diff-cover"]);
    let measured = metric(&j, "changed-lines-measured").unwrap();
    assert_eq!(measured, 2.0, "diff-cover counts a.py's 2 lines only");
    assert!(
        j["summary"]
            .as_str()
            .unwrap()
            .contains("(0/2 changed lines, diff-cover's figure"),
        "{}",
        j["summary"]
    );
    let (_, j) = json(&r, &[]);
    let n = 2 + statements(MOD_PY);
    assert_eq!(metric(&j, "changed-lines-measured"), Some(n as f64));
    assert!(
        j["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("(0/{n} changed lines")),
        "{}",
        j["summary"]
    );
}

/// A failed threshold is an error finding: counted in the human output and
/// annotated as `::error` in Actions.
#[test]
fn a_failed_threshold_is_an_error_and_an_annotation() {
    let r = repo_with(&[]);
    let args = [
        "--report",
        "head.lcov",
        "--base",
        "main",
        "--no-record",
        "--min-total",
        "90",
    ];
    let human = run(r.path(), &args);
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(human.stdout.contains("1 error(s)"), "{}", human.stdout);
    assert!(!human.stdout.contains(" 0 error(s)"), "{}", human.stdout);
    let gh = run(r.path(), &[&args[..], &["--format", "github"]].concat());
    let error_lines: Vec<&str> = gh
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(error_lines.len(), 1, "{}", gh.stdout);
    assert!(
        error_lines[0].contains("coverage-below-minimum"),
        "{}",
        gh.stdout
    );
    assert!(error_lines[0].contains("(14/22 lines)"), "{}", gh.stdout);
}

/// The renderer prints the location: the message does not repeat the path.
#[test]
fn human_findings_do_not_repeat_the_path() {
    let r = repo_with(&[("newpkg/mod.py", MOD_PY)]);
    let out = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            "main",
            "--no-record",
            "--min-file",
            "90",
        ],
    );
    let mut seen = 0;
    for line in out.stdout.lines() {
        for p in ["src/a.py", "src/b.py", "newpkg/mod.py"] {
            if line.contains(p) && !line.contains("worst-file") {
                assert_eq!(line.matches(p).count(), 1, "{line}");
                seen += 1;
            }
        }
    }
    assert!(seen >= 4, "{}", out.stdout);
}

/// Worst files: worst first, then by path, also past the ninth.
#[test]
fn worst_files_are_listed_worst_first() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.lcov");
    // f00 .. f11: file k covers k of 12 lines; f03 and f13 tie.
    let mut files: Vec<(String, Vec<(u32, u64)>)> = (0..12)
        .map(|k| (format!("f{k:02}.py"), lines(12, k)))
        .collect();
    files.push(("f13.py".into(), lines(12, 3)));
    let refs: Vec<(&str, &[(u32, u64)])> = files
        .iter()
        .map(|(n, l)| (n.as_str(), l.as_slice()))
        .collect();
    lcov(&p, &refs);
    let r = gate_coverage::gate::evaluate_files(&[&p], None, &Default::default()).unwrap();
    let order: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.rule == "worst-file")
        .map(|f| f.message.split(' ').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(
        order,
        [
            "f00.py", "f01.py", "f02.py", "f03.py", "f13.py", "f04.py", "f05.py", "f06.py",
            "f07.py", "f08.py"
        ]
    );
}
