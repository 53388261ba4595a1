//! The binary end to end in real git repositories: path groups and their
//! chart, include/exclude, the Markdown summary's content, a shallow clone's
//! message, `--path-map`, and the few-matching-files failure (exit code and
//! message for each).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

fn head_report(r: &Repo) {
    lcov(
        &r.path().join("head.lcov"),
        &[("src/a.py", &lines(12, 6)), ("src/b.py", &lines(10, 8))],
    );
}

#[test]
fn groups_have_their_own_thresholds_and_a_chart() {
    let r = repo();
    head_report(&r);
    std::fs::write(
        r.path().join("gates.yml"),
        "coverage:\n  groups:\n    - name: Alpha API\n      paths: [\"src/a.py\"]\n      min-total: 60\n    - name: beta\n      paths: [\"src/b*\"]\n      min-file: 90\n    - name: empty\n      paths: [\"nothing/**\"]\n",
    )
    .unwrap();
    let run1 = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            "main",
            "--format",
            "json",
        ],
    );
    assert_eq!(run1.code, 1, "{}", run1.stderr);
    let j = run1.json();
    assert_eq!(
        metric(&j, "group-alpha-api-line-coverage"),
        Some(pct(6, 12))
    );
    assert_eq!(metric(&j, "group-beta-line-coverage"), Some(pct(8, 10)));
    let g = finding(&j, "group-below-minimum").unwrap();
    assert!(
        g["message"].as_str().unwrap().contains("group Alpha API"),
        "{g}"
    );
    let f = finding(&j, "file-below-minimum").unwrap();
    assert_eq!(f["location"]["path"], "src/b.py");
    assert!(
        f["message"].as_str().unwrap().contains("(group beta)"),
        "{f}"
    );
    assert!(finding(&j, "group-not-measured").is_some());
    let chart = &j["charts"][0];
    assert_eq!(chart["x"], serde_json::json!(["Alpha API", "beta"]));
    assert_eq!(
        chart["series"][0]["values"],
        serde_json::json!([50.0, 80.0])
    );

    // exclude: b.py is no longer judged per file.
    let run2 = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            "main",
            "--format",
            "json",
            "--exclude",
            "src/b.py",
        ],
    );
    let j = run2.json();
    assert!(
        finding(&j, "file-below-minimum").is_none(),
        "{}",
        run2.stdout
    );
}

#[test]
fn include_limits_the_per_file_minimum() {
    let r = repo();
    head_report(&r);
    let base = [
        "--report",
        "head.lcov",
        "--base",
        "main",
        "--format",
        "json",
        "--min-file",
        "85",
    ];
    let all = run(r.path(), &base).json();
    let paths: Vec<_> = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "file-below-minimum")
        .map(|f| f["location"]["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["src/a.py", "src/b.py"]);
    let only_b = run(r.path(), &[&base[..], &["--include", "src/b.py"]].concat());
    assert_eq!(only_b.code, 1);
    let paths: Vec<_> = only_b.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "file-below-minimum")
        .map(|f| f["location"]["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["src/b.py"]);
}

#[test]
fn markdown_summary_has_total_diff_worst_files_and_uncovered_ranges() {
    let r = repo();
    head_report(&r);
    let md = run(
        r.path(),
        &[
            "--report",
            "head.lcov",
            "--base",
            "main",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(md.code, 0, "{}", md.stderr);
    let s = md.stdout;
    assert!(s.contains("| line-coverage | 63.64% |"), "{s}");
    // Changed lines 11-12 of a.py are measured and uncovered: 0 of 2.
    assert!(s.contains("| diff-coverage | 0% |"), "{s}");
    assert!(s.contains("`src/a.py:11-12`"), "{s}");
    // Worst files, worst first.
    let a = s
        .find("#1: src/a.py has line coverage 50.00% (6/12 lines)")
        .expect(&s);
    let b = s
        .find("#2: src/b.py has line coverage 80.00% (8/10 lines)")
        .expect(&s);
    assert!(a < b);
}

#[test]
fn shallow_clone_names_the_fetch_depth() {
    let r = repo();
    head_report(&r);
    let url = format!("file://{}", r.path().display());
    let tmp = tempfile::tempdir().unwrap();
    // Only the feature tip: the base commit is not there.
    let one = tmp.path().join("one");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "feature",
            &url,
            one.to_str().unwrap(),
        ],
    );
    std::fs::copy(r.path().join("head.lcov"), one.join("head.lcov")).unwrap();
    let run1 = run(&one, &["--report", "head.lcov", "--base", &r.base]);
    assert_eq!(run1.code, 4, "{}", run1.stderr);
    assert!(
        run1.stderr.contains("does not exist in this shallow clone"),
        "{}",
        run1.stderr
    );
    assert!(run1.stderr.contains("fetch-depth: 0"), "{}", run1.stderr);
    // Both tips but no history between them: no merge base.
    let both = tmp.path().join("both");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            both.to_str().unwrap(),
        ],
    );
    git(&both, &["checkout", "-q", "feature"]);
    std::fs::copy(r.path().join("head.lcov"), both.join("head.lcov")).unwrap();
    let run2 = run(&both, &["--report", "head.lcov", "--base", "origin/main"]);
    assert_eq!(run2.code, 4, "{}", run2.stderr);
    assert!(run2.stderr.contains("no merge base"), "{}", run2.stderr);
    assert!(
        run2.stderr.contains("shallow clone") && run2.stderr.contains("fetch-depth: 0"),
        "{}",
        run2.stderr
    );
}

#[test]
fn path_map_rewrites_and_few_matching_files_fail_loudly() {
    let r = repo();
    // Report paths that no suffix of a tracked path matches.
    lcov(
        &r.path().join("docker.lcov"),
        &[
            ("/build/out/lib/a.py.cov", &lines(12, 6)),
            ("/build/out/lib/b.py.cov", &lines(10, 8)),
        ],
    );
    let bad = run(
        r.path(),
        &[
            "--report",
            "docker.lcov",
            "--base",
            "main",
            "--format",
            "json",
        ],
    );
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    let j = bad.json();
    let f = finding(&j, "report-paths-unmatched").expect(&bad.stdout);
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("only 0 of 2 report files"), "{msg}");
    assert!(
        msg.contains("/build/out/lib/a.py.cov") && msg.contains("--path-map"),
        "{msg}"
    );
    assert!(rules(&j).contains(&"nothing-checked".to_string()));

    // A malformed rule is a usage error.
    let usage = run(
        r.path(),
        &["--report", "docker.lcov", "--path-map", "no-equals-sign"],
    );
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    assert!(usage.stderr.contains("no-equals-sign"), "{}", usage.stderr);
}

#[test]
fn path_map_makes_container_paths_match() {
    let r = repo();
    // lib/ has files of the same names: suffix matching alone is ambiguous.
    std::fs::create_dir_all(r.path().join("lib")).unwrap();
    std::fs::write(r.path().join("lib/a.py"), "y = 1\n").unwrap();
    std::fs::write(r.path().join("lib/b.py"), "y = 1\n").unwrap();
    git(r.path(), &["add", "lib"]);
    git(r.path(), &["commit", "-q", "-m", "lib"]);
    // Paths as written inside a container whose /srv/app/code is the repository's src/.
    lcov(
        &r.path().join("docker.lcov"),
        &[
            ("/srv/app/code/a.py", &lines(12, 6)),
            ("/srv/app/code/b.py", &lines(10, 8)),
            ("/srv/app/code/gone.py", &lines(4, 4)),
        ],
    );
    let unmapped = run(
        r.path(),
        &[
            "--report",
            "docker.lcov",
            "--base",
            "main",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        unmapped.code, 1,
        "ambiguous without --path-map: {}",
        unmapped.stdout
    );
    assert!(finding(&unmapped.json(), "report-paths-unmatched").is_some());
    let mapped = run(
        r.path(),
        &[
            "--report",
            "docker.lcov",
            "--base",
            "main",
            "--format",
            "json",
            "--path-map",
            "/srv/app/code/=src/",
        ],
    );
    assert_eq!(mapped.code, 0, "{}\n{}", mapped.stdout, mapped.stderr);
    let j = mapped.json();
    assert_eq!(j["details"]["matched_files"], 2);
    assert_eq!(metric(&j, "line-coverage"), Some(pct(14, 22)));
    assert_eq!(metric(&j, "diff-coverage"), Some(0.0));

    // One of three matching (33%) is below the default 50%.
    lcov(
        &r.path().join("few.lcov"),
        &[
            ("src/a.py", &lines(12, 6)),
            ("/elsewhere/x.py", &lines(3, 3)),
            ("/elsewhere/y.py", &lines(3, 3)),
        ],
    );
    let few = run(
        r.path(),
        &["--report", "few.lcov", "--base", "main", "--format", "json"],
    );
    assert_eq!(few.code, 1, "{}", few.stderr);
    let msg = finding(&few.json(), "report-paths-unmatched").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("only 1 of 3") && msg.contains("/elsewhere/x.py"),
        "{msg}"
    );
}
