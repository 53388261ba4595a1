//! `diff BASE HEAD` between two commits of a real temporary git repository
//! (and a directory): SBOMs generated on both sides, compared, and checked
//! against the same comparison done here on the lockfiles directly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use serde_json::Value;

/// package identity (purl without version) → versions, read from a lockfile here.
fn versions(lock: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let lock: Value = serde_json::from_str(&std::fs::read_to_string(lock).unwrap()).unwrap();
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (k, e) in lock["packages"].as_object().unwrap() {
        if k.is_empty() || e.get("link").is_some() {
            continue;
        }
        let n = e
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_else(|| k.rsplit("node_modules/").next().unwrap());
        m.entry(format!("pkg:npm/{}", n.replace('@', "%40")))
            .or_default()
            .insert(e["version"].as_str().unwrap().to_string());
    }
    m
}

fn keys(rep: &Value, rule: &str) -> BTreeSet<String> {
    rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect()
}

/// A repository with axios v0.26.0's lockfile committed, then v1.0.0's.
fn repo(d: &Path) -> (String, String) {
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::copy(
        lockfile("axios-v0.26.0.package-lock.json"),
        d.join("package-lock.json"),
    )
    .unwrap();
    git(d, &["add", "package-lock.json"]);
    git(d, &["commit", "-q", "-m", "v0.26.0"]);
    let base = git(d, &["rev-parse", "HEAD"]);
    std::fs::copy(
        lockfile("axios-v1.0.0.package-lock.json"),
        d.join("package-lock.json"),
    )
    .unwrap();
    git(d, &["commit", "-q", "-am", "v1.0.0"]);
    let head = git(d, &["rev-parse", "HEAD"]);
    (base, head)
}

#[test]
fn diff_between_two_commits_matches_the_lockfiles() {
    testkit::fixture!("lockfiles/axios-v0.26.0.package-lock.json");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (base, _) = repo(d);

    let (b, h) = (
        versions(&lockfile("axios-v0.26.0.package-lock.json")),
        versions(&lockfile("axios-v1.0.0.package-lock.json")),
    );
    let added: BTreeSet<String> = h.keys().filter(|k| !b.contains_key(*k)).cloned().collect();
    let removed: BTreeSet<String> = b.keys().filter(|k| !h.contains_key(*k)).cloned().collect();
    let changed: BTreeSet<String> = h
        .keys()
        .filter(|k| b.get(*k).is_some_and(|v| v != &h[*k]))
        .cloned()
        .collect();
    assert!(!added.is_empty() && !removed.is_empty() && !changed.is_empty());

    let mut c = gate(d);
    c.args(["diff", "main~1", "main", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rep = report(&r);
    assert_eq!(keys(&rep, "component-added"), added);
    assert_eq!(keys(&rep, "component-removed"), removed);
    assert_eq!(keys(&rep, "version-changed"), changed);
    let summary = rep["summary"].as_str().unwrap();
    assert!(
        summary.contains("package-lock.json@main (")
            && summary.contains(&format!("package-lock.json@main~1 ({})", &base[..12])),
        "{summary}"
    );
    let diff = &rep["details"]["diff"][0];
    assert_eq!(diff["added"].as_array().unwrap().len(), added.len());

    // The same through full commit ids, and the checkout (`.`) as HEAD: same changes.
    let mut c = gate(d);
    c.args(["diff", &base, ".", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rep2 = report(&r);
    assert_eq!(keys(&rep2, "component-added"), added);
    assert_eq!(keys(&rep2, "version-changed"), changed);
    // With `.` the findings land on the lockfile itself.
    assert!(
        rep2["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["location"]["path"] == "package-lock.json"),
        "{rep2}"
    );

    // A commit against itself: nothing changed.
    let mut c = gate(d);
    c.args(["diff", "HEAD", "main", "--format", "json"]);
    let rep = report(&run(c));
    assert!(rep["findings"].as_array().unwrap().is_empty(), "{rep}");

    // The Markdown summary lists the changes in its table.
    let mut c = gate(d);
    c.args(["diff", "main~1", "main", "--format", "markdown"]);
    let md = run(c).stdout;
    let first = changed.iter().next().unwrap();
    assert!(
        md.lines()
            .any(|l| l.starts_with("| ") && l.contains("`version-changed`") && l.contains(first)),
        "{md}"
    );

    // The repository is left as it was: no index change, no extra worktree.
    assert_eq!(git(d, &["status", "--porcelain"]), "");
    assert_eq!(git(d, &["worktree", "list"]).lines().count(), 1);
}

#[test]
fn a_lockfile_new_at_head_is_all_added_and_uncommitted_changes_count_with_dot() {
    testkit::fixture!("lockfiles/axios-v1.0.0.package-lock.json");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::write(d.join("README"), "x\n").unwrap();
    git(d, &["add", "README"]);
    git(d, &["commit", "-q", "-m", "no lockfile yet"]);
    std::fs::copy(
        lockfile("axios-v1.0.0.package-lock.json"),
        d.join("package-lock.json"),
    )
    .unwrap();
    // Uncommitted: only `.` sees it.
    let mut c = gate(d);
    c.args(["diff", "HEAD", ".", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rep = report(&r);
    let want: BTreeSet<String> = versions(&lockfile("axios-v1.0.0.package-lock.json"))
        .into_keys()
        .collect();
    assert_eq!(keys(&rep, "component-added"), want);
    assert!(keys(&rep, "component-removed").is_empty());
    assert!(
        rep["summary"]
            .as_str()
            .unwrap()
            .contains("package-lock.json@HEAD"),
        "{}",
        rep["summary"]
    );

    // Both sides without any lockfile: a clear input error.
    let mut c = gate(d);
    c.args(["diff", "HEAD", "HEAD"]);
    let r = run(c);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no lockfile at"), "{}", r.stderr);
}

#[test]
fn unknown_revisions_and_mixed_sides_are_clear_errors() {
    testkit::fixture!("lockfiles");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    repo(d);
    // A base that was not fetched (a shallow clone in Actions).
    let mut c = gate(d);
    c.args(["diff", "0123456789abcdef0123456789abcdef01234567", "HEAD"]);
    let r = run(c);
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("0123456789abcdef") && r.stderr.contains("fetch-depth: 0"),
        "{}",
        r.stderr
    );
    // A file on one side, a commit on the other.
    let mut c = gate(d);
    c.args(["--sbom-path", "head.cdx.json"]);
    assert_eq!(run(c).code, 0);
    let mut c = gate(d);
    c.args(["diff", "main~1", "head.cdx.json"]);
    let r = run(c);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("not one of each"), "{}", r.stderr);
    // An option-like revision is never passed to git as an option.
    let mut c = gate(d);
    c.args(["diff", "--", "--output=x", "HEAD"]);
    let r = run(c);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(!d.join("x").exists());
}

/// Another ecosystem through the same path: a Pipfile.lock (gate-core's
/// fixture) committed, then one package upgraded and one dev package
/// dropped in a second commit: exactly those two changes.
#[test]
fn diff_between_commits_of_a_pipfile_lock() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../gates-lockfile/tests/data/lockfiles/azfunc.Pipfile.lock");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    let text = std::fs::read_to_string(&src).unwrap();
    std::fs::write(d.join("Pipfile.lock"), &text).unwrap();
    git(d, &["add", "Pipfile.lock"]);
    git(d, &["commit", "-q", "-m", "base"]);
    let mut lock: Value = serde_json::from_str(&text).unwrap();
    lock["default"]["azure-functions"]["version"] = Value::from("==1.0.9");
    let dropped = "autopep8";
    assert!(
        lock["develop"]
            .as_object_mut()
            .unwrap()
            .remove(dropped)
            .is_some()
    );
    std::fs::write(
        d.join("Pipfile.lock"),
        serde_json::to_string_pretty(&lock).unwrap(),
    )
    .unwrap();
    git(d, &["commit", "-q", "-am", "head"]);

    let mut c = gate(d);
    c.args(["diff", "HEAD~1", "HEAD", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rep = report(&r);
    assert_eq!(
        keys(&rep, "version-changed"),
        BTreeSet::from(["pkg:pypi/azure-functions".to_string()])
    );
    assert_eq!(
        keys(&rep, "component-removed"),
        BTreeSet::from([format!("pkg:pypi/{dropped}")])
    );
    assert!(keys(&rep, "component-added").is_empty());
    let msg = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "version-changed")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("1.0.8") && msg.contains("1.0.9"), "{msg}");
}
