//! The gate-audit binary end to end: exit codes, messages, report contents,
//! policy (thresholds, ignores, dev packages), bad input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

fn rustsec() -> String {
    testkit::fixtures_root()
        .join("advisories/rustsec")
        .to_string_lossy()
        .into_owned()
}

fn osv_npm() -> String {
    testkit::fixtures_root()
        .join("advisories/osv-subset/npm")
        .to_string_lossy()
        .into_owned()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

fn gate(dir: &Path, args: &[&str]) -> Out {
    let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"))
        .args(["--no-record", "--color", "never", "-C"])
        .arg(dir)
        .args(args)
        .env("GATES_CACHE_DIR", dir.join(".cache"))
        .output()
        .unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn repo_with(files: &[(&str, &Path)]) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for (name, src) in files {
        let dst = t.path().join(name);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(src, dst).unwrap();
    }
    t
}

fn cargo_audit_json(name: &str) -> serde_json::Value {
    let p = testkit::fixtures_root()
        .join("lockfiles/expected")
        .join(name);
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn metric(r: &serde_json::Value, name: &str) -> f64 {
    r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name}"))["value"]
        .as_f64()
        .unwrap()
}

#[test]
fn cargo_lock_fails_with_cargo_audits_findings_at_their_lines() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--format",
            "json",
            "--yanked",
            "ignore",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let r = o.json();
    let ca = cargo_audit_json("bat-v0.10.0.cargo-audit.json");
    assert_eq!(r["verdict"], "fail");
    assert_eq!(
        metric(&r, "vulnerabilities"),
        ca["vulnerabilities"]["count"].as_f64().unwrap()
    );
    // yanked warnings depend on the index at the time of the run: compared
    // with cargo-audit on the same local index in tests/yanked.rs
    let warn_count: usize = ca["warnings"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "yanked")
        .map(|(_, l)| l.as_array().unwrap().len())
        .sum();
    assert_eq!(metric(&r, "warnings") as usize, warn_count);
    assert_eq!(metric(&r, "packages-checked"), 136.0);
    let text = std::fs::read_to_string(&lock).unwrap();
    for f in r["findings"].as_array().unwrap() {
        if f["rule"] != "vulnerability" {
            continue;
        }
        let key = f["key"].as_str().unwrap();
        let parts: Vec<&str> = key.split('@').collect();
        assert_eq!(parts.len(), 3, "{key}");
        assert!(parts[0].starts_with("RUSTSEC-"));
        let line = f["location"]["start_line"].as_u64().unwrap() as usize;
        assert_eq!(f["location"]["path"], "Cargo.lock");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[line - 1], format!("name = \"{}\"", parts[1]), "{key}");
        assert_eq!(lines[line], format!("version = \"{}\"", parts[2]), "{key}");
    }
}

#[test]
fn sarif_results_point_at_package_lines() {
    let lock = testkit::fixture!("lockfiles/bat-v0.24.0.Cargo.lock");
    let repo = repo_with(&[("sub/Cargo.lock", &lock)]);
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let s: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for res in results {
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "sub/Cargo.lock");
        if res["ruleId"] == "yanked-unknown" {
            continue; // about the whole lockfile
        }
        assert!(loc["region"]["startLine"].as_u64().unwrap() > 1, "{res}");
    }
}

#[test]
fn stale_missing_and_wrong_databases_exit_4() {
    let lock = testkit::fixture!("lockfiles/bat-HEAD.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    // The fixture database is from 2026-08; one day is far too old.
    let o = gate(
        repo.path(),
        &["--rustsec-db", &rustsec(), "--max-db-age", "1d"],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("days old"), "{}", o.stderr);
    let o = gate(
        repo.path(),
        &["--rustsec-db", "no/such/db", "--max-db-age", "off"],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("no/such/db"), "{}", o.stderr);
    let o = gate(
        repo.path(),
        &["--rustsec-db", &osv_npm(), "--max-db-age", "off"],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("not a RustSec advisory database"),
        "{}",
        o.stderr
    );
    let o = gate(repo.path(), &["--max-db-age", "off"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("no advisory database"), "{}", o.stderr);
    assert!(o.stderr.contains("--fetch"), "{}", o.stderr);
    // npm data cannot vouch for a Cargo.lock
    let o = gate(
        repo.path(),
        &["--osv-db", &osv_npm(), "--max-db-age", "off"],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("no advisory data for crates.io"),
        "{}",
        o.stderr
    );
}

#[test]
fn malformed_advisory_names_file_and_line() {
    let lock = testkit::fixture!("lockfiles/bat-HEAD.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let db = repo.path().join("db/crates/foo");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("RUSTSEC-2099-0001.md"),
        "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"foo\"\ndate = 2099-01-01x\n```\n# t\n",
    )
    .unwrap();
    let o = gate(repo.path(), &["--rustsec-db", "db", "--max-db-age", "off"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("RUSTSEC-2099-0001.md:5"), "{}", o.stderr);
}

#[test]
fn truncated_binary_and_unknown_lockfiles_exit_4_with_a_line() {
    testkit::fixture!("lockfiles/bat-v0.22.1.Cargo.lock");
    let text =
        std::fs::read_to_string(testkit::fixtures_root().join("lockfiles/bat-v0.22.1.Cargo.lock"))
            .unwrap();
    let t = tempfile::tempdir().unwrap();
    // cut inside a string
    let cut = text.find("version = \"0.7.18\"").unwrap() + 14;
    std::fs::write(t.path().join("Cargo.lock"), &text[..cut]).unwrap();
    let o = gate(
        t.path(),
        &["--rustsec-db", &rustsec(), "--max-db-age", "off"],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    let want_line = text[..cut].lines().count();
    assert!(
        o.stderr.contains(&format!("Cargo.lock:{want_line}")),
        "{}",
        o.stderr
    );

    std::fs::write(
        t.path().join("Cargo.lock"),
        [0x7f, b'E', b'L', b'F', 0, 1, 2, 0xff],
    )
    .unwrap();
    let o = gate(
        t.path(),
        &["--rustsec-db", &rustsec(), "--max-db-age", "off"],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("Cargo.lock:1") && o.stderr.contains("binary"),
        "{}",
        o.stderr
    );

    std::fs::write(
        t.path().join("Cargo.lock"),
        "version = 7\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n",
    )
    .unwrap();
    let o = gate(
        t.path(),
        &["--rustsec-db", &rustsec(), "--max-db-age", "off"],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("unknown Cargo.lock format version 7"),
        "{}",
        o.stderr
    );

    let npm = std::fs::read_to_string(
        testkit::fixtures_root().join("lockfiles/axios-v1.0.0.package-lock.json"),
    )
    .unwrap();
    std::fs::remove_file(t.path().join("Cargo.lock")).unwrap();
    std::fs::write(t.path().join("package-lock.json"), &npm[..npm.len() / 3]).unwrap();
    let o = gate(t.path(), &["--osv-db", &osv_npm(), "--max-db-age", "off"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("package-lock.json:") && o.stderr.contains("not valid JSON"),
        "{}",
        o.stderr
    );
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn ignores_reason_expiry_and_unused() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let ca = cargo_audit_json("bat-v0.10.0.cargo-audit.json");
    let vulns = ca["vulnerabilities"]["count"].as_f64().unwrap();
    // By alias: CVE-2024-12224 is RUSTSEC-2024-0421 (idna).
    write(
        &repo.path().join("gates.yml"),
        "audit:\n  max-db-age: off\n  ignore:\n    - id: CVE-2024-12224\n      reason: host names are never compared\n      expires: 2999-01-01\n    - id: RUSTSEC-2000-9999\n      reason: stale entry\n      expires: 2999-01-01\n",
    );
    let o = gate(
        repo.path(),
        &["--rustsec-db", &rustsec(), "--format", "json"],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let r = o.json();
    assert_eq!(metric(&r, "vulnerabilities"), vulns - 1.0);
    assert_eq!(metric(&r, "ignored"), 1.0);
    let rules: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"ignored"));
    assert!(rules.contains(&"ignore-unused"));

    // Expired: the finding counts again and the ignore itself fails.
    write(
        &repo.path().join("gates.yml"),
        "audit:\n  max-db-age: off\n  ignore:\n    - id: RUSTSEC-2024-0421\n      reason: waiting for url 2.5.4\n      expires: 2020-01-01\n",
    );
    let r = gate(
        repo.path(),
        &["--rustsec-db", &rustsec(), "--format", "json"],
    )
    .json();
    assert_eq!(metric(&r, "vulnerabilities"), vulns);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "ignore-expired")
    );

    // Expired and matching nothing: still an expired ignore, the gate fails
    // (it used to pass with an `ignore-unused` warning).
    write(
        &repo.path().join("gates.yml"),
        "audit:\n  max-db-age: off\n  ignore:\n    - id: RUSTSEC-2000-9999\n      reason: long gone\n      expires: 2020-01-01\n",
    );
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--format",
            "json",
            "--lockfile",
            "Cargo.lock",
        ],
    );
    let r = o.json();
    let f: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["key"] == "ignore@RUSTSEC-2000-9999")
        .collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule"], "ignore-expired");
    assert_eq!(f[0]["severity"], "error");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("matches no finding")
    );

    // Reason and expiry are required: exit 3 naming the key.
    write(
        &repo.path().join("gates.yml"),
        "audit:\n  max-db-age: off\n  ignore:\n    - id: RUSTSEC-2024-0421\n      reason: ''\n      expires: someday\n",
    );
    let o = gate(repo.path(), &["--rustsec-db", &rustsec()]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("audit.ignore[0].reason"), "{}", o.stderr);
    assert!(o.stderr.contains("audit.ignore[0].expires"), "{}", o.stderr);
    write(
        &repo.path().join("gates.yml"),
        "audit:\n  max-db-age: off\n  ignore:\n    - id: X\n",
    );
    let o = gate(repo.path(), &["--rustsec-db", &rustsec()]);
    assert_eq!(o.code, 3, "{}", o.stderr);
}

#[test]
fn cargo_audit_toml_ignores_are_honoured() {
    let lock = testkit::fixture!("lockfiles/bat-HEAD.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let ca = cargo_audit_json("bat-HEAD.cargo-audit.json");
    let ids: Vec<String> = ca["warnings"]["unmaintained"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("\"{}\"", w["advisory"]["id"].as_str().unwrap()))
        .collect();
    write(
        &repo.path().join(".cargo/audit.toml"),
        &format!("[advisories]\nignore = [{}]\n", ids.join(", ")),
    );
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let r = o.json();
    assert_eq!(metric(&r, "warnings"), 0.0);
    assert_eq!(metric(&r, "ignored") as usize, ids.len());
    assert_eq!(r["verdict"], "pass");
}

#[test]
fn severity_threshold_and_dev_packages() {
    let lock = testkit::fixture!("lockfiles/axios-v0.26.0.package-lock.json");
    let repo = repo_with(&[("package-lock.json", &lock)]);
    let all = gate(
        repo.path(),
        &[
            "--osv-db",
            &osv_npm(),
            "--max-db-age",
            "off",
            "--format",
            "json",
        ],
    )
    .json();
    let crit = gate(
        repo.path(),
        &[
            "--osv-db",
            &osv_npm(),
            "--max-db-age",
            "off",
            "--format",
            "json",
            "--fail-on-severity",
            "critical",
        ],
    )
    .json();
    let errors = |r: &serde_json::Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "vulnerability" && f["severity"] == "error")
            .count()
    };
    let vulns = metric(&all, "vulnerabilities") as usize;
    assert_eq!(errors(&all), vulns, "any: every vulnerability fails");
    // with `critical`, exactly the critical ones (and unrated ones, by default) fail
    let critical_or_unknown = crit["details"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["advisories"].as_array().unwrap().iter())
        .filter(|a| {
            a["ignored"].is_null() && (a["severity"] == "critical" || a["severity"].is_null())
        })
        .count();
    assert_eq!(errors(&crit), critical_or_unknown);
    assert!(errors(&crit) < vulns);

    // Excluding dev packages leaves follow-redirects (a production dependency).
    let prod = gate(
        repo.path(),
        &[
            "--osv-db",
            &osv_npm(),
            "--max-db-age",
            "off",
            "--format",
            "json",
            // A generated boolean flag: `--include-dev=false` (the old
            // `--include-dev false`, a separate value, is a usage error now).
            "--include-dev=false",
        ],
    )
    .json();
    let pkgs: std::collections::BTreeSet<&str> = prod["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "vulnerability")
        .map(|f| f["key"].as_str().unwrap().split('@').nth(1).unwrap())
        .collect();
    assert_eq!(pkgs.into_iter().collect::<Vec<_>>(), ["follow-redirects"]);
    assert!(metric(&prod, "packages-checked") < metric(&all, "packages-checked"));
}

#[test]
fn nothing_found_or_nothing_to_read() {
    let t = tempfile::tempdir().unwrap();
    let o = gate(
        t.path(),
        &["--rustsec-db", &rustsec(), "--max-db-age", "off"],
    );
    testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("no lockfile found"), "{}", o.stderr);
}

#[test]
fn parsed_database_cache_is_used_and_invalidated() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    // a private copy of a few advisories, to modify
    let db = repo.path().join("db/crates/idna");
    std::fs::create_dir_all(&db).unwrap();
    let src = testkit::fixtures_root().join("advisories/rustsec/crates/idna/RUSTSEC-2024-0421.md");
    std::fs::copy(&src, db.join("RUSTSEC-2024-0421.md")).unwrap();
    let cache = repo.path().join("cache");
    let args = [
        "--rustsec-db",
        "db",
        "--max-db-age",
        "off",
        "--format",
        "json",
    ];
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend_from_slice(extra);
        let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"))
            .args(["--no-record", "-C"])
            .arg(repo.path())
            .args(&a)
            .env("GATES_CACHE_DIR", &cache)
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let first = run(&[]);
    let files: Vec<_> = std::fs::read_dir(cache.join("audit"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rustsec-"))
        .collect();
    assert_eq!(files.len(), 1, "one database cache file written: {files:?}");
    let second = run(&[]);
    assert_eq!(first["findings"], second["findings"]);
    assert_eq!(metric(&first, "vulnerabilities"), 1.0);
    // Change the advisory as an update of an export does (a new file
    // renamed over the old one: tar, rsync, cp to a new tree): patched from
    // 0.1.0 on, so idna 0.1.5 is no longer affected. The export's key is its
    // folders' modification times, which the rename changes.
    let text = std::fs::read_to_string(&src).unwrap();
    std::fs::write(
        db.join(".new"),
        text.replace("patched = [\">= 1.0.0\"]", "patched = [\">= 0.1.0\"]"),
    )
    .unwrap();
    std::fs::rename(db.join(".new"), db.join("RUSTSEC-2024-0421.md")).unwrap();
    let third = run(&[]);
    assert_eq!(
        metric(&third, "vulnerabilities"),
        0.0,
        "the cache was invalidated"
    );
    // A new advisory of a crate already there is seen too.
    std::fs::write(
        db.join("RUSTSEC-2024-9421.md"),
        text.replace("RUSTSEC-2024-0421", "RUSTSEC-2024-9421"),
    )
    .unwrap();
    let fourth = run(&[]);
    assert_eq!(
        metric(&fourth, "vulnerabilities"),
        1.0,
        "{}",
        fourth["findings"]
    );
}

#[test]
fn git_checkout_cache_follows_new_commits() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let db = repo.path().join("db");
    let adv = db.join("crates/idna/RUSTSEC-2024-0421.md");
    std::fs::create_dir_all(adv.parent().unwrap()).unwrap();
    let src = testkit::fixtures_root().join("advisories/rustsec/crates/idna/RUSTSEC-2024-0421.md");
    let text = std::fs::read_to_string(&src).unwrap();
    std::fs::write(&adv, &text).unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(&db)
            .args(["-c", "user.name=t", "-c", "user.email=t@localhost"])
            .args(args)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "one"]);
    let run = || {
        gate(
            repo.path(),
            &[
                "--rustsec-db",
                "db",
                "--max-db-age",
                "off",
                "--format",
                "json",
            ],
        )
        .json()
    };
    let r = run();
    assert_eq!(metric(&r, "vulnerabilities"), 1.0);
    // the database's age comes from the commit (today), not from the entries
    assert!(
        metric(&r, "db-age") <= 1.0,
        "committed today (time zones aside)"
    );
    assert_eq!(
        metric(&run(), "vulnerabilities"),
        1.0,
        "warm run, same answer"
    );
    std::fs::write(
        &adv,
        text.replace("patched = [\">= 1.0.0\"]", "patched = [\">= 0.1.0\"]"),
    )
    .unwrap();
    git(&["commit", "-q", "-am", "two"]);
    assert_eq!(
        metric(&run(), "vulnerabilities"),
        0.0,
        "a new commit invalidates the cache"
    );
}

fn vuln_keys(name: &str) -> std::collections::BTreeSet<String> {
    cargo_audit_json(name)["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{}@{}@{}",
                v["advisory"]["id"].as_str().unwrap(),
                v["package"]["name"].as_str().unwrap(),
                v["package"]["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn new_only_fails_on_what_the_change_introduces() {
    testkit::fixture!("lockfiles/bat-v0.18.3.Cargo.lock");
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    let git = |args: &[&str]| -> String {
        let o = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@localhost"])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}");
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    git(&["init", "-q"]);
    std::fs::copy(
        testkit::fixtures_root().join("lockfiles/bat-v0.18.3.Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    git(&["add", "Cargo.lock"]);
    git(&["commit", "-q", "-m", "base"]);
    let base = git(&["rev-parse", "HEAD"]);
    std::fs::copy(
        testkit::fixtures_root().join("lockfiles/bat-v0.22.1.Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    git(&["commit", "-q", "-am", "upgrade"]);
    let o = gate(
        dir,
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--format",
            "json",
            "--new-only",
            "--base",
            &base,
        ],
    );
    let r = o.json();
    let head = vuln_keys("bat-v0.22.1.cargo-audit.json");
    let old = vuln_keys("bat-v0.18.3.cargo-audit.json");
    assert!(head.intersection(&old).count() > 0 && head.difference(&old).count() > 0);
    let introduced: std::collections::BTreeSet<String> = head.difference(&old).cloned().collect();
    let errors: std::collections::BTreeSet<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "vulnerability" && f["severity"] == "error")
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(errors, introduced);
    // the ones already in the base are still listed, as warnings
    let kept = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "vulnerability" && f["severity"] == "warning")
        .count();
    assert_eq!(kept, head.intersection(&old).count());
    assert_eq!(metric(&r, "new-vulnerabilities") as usize, introduced.len());
    assert_eq!(
        metric(&r, "vulnerabilities") as usize,
        head.len(),
        "the rest is still reported"
    );
    assert_eq!(
        o.code,
        if introduced.is_empty() { 0 } else { 1 },
        "{}",
        o.stderr
    );
    // an unknown base is an input error, not a pass
    let o = gate(
        dir,
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--new-only",
            "--base",
            "no-such-ref",
        ],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("no-such-ref"), "{}", o.stderr);
}

/// Base scores of the CVSS vectors in cargo-audit's output, computed by hand
/// from the CVSS 3.x specification (and as NVD shows them).
fn spec_score(vector: &str) -> f64 {
    match vector.split_once('/').map(|(_, m)| m) {
        Some("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") => 9.8,
        Some("AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H") => 7.5,
        Some("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:L") => 8.6,
        _ => f64::NAN,
    }
}

#[test]
fn sarif_has_one_rule_per_advisory_with_security_severity() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    let s: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let run = &s["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id);
    let ca = cargo_audit_json("bat-v0.10.0.cargo-audit.json");
    let mut scored = 0;
    for v in ca["vulnerabilities"]["list"].as_array().unwrap() {
        let id = v["advisory"]["id"].as_str().unwrap();
        let r = rule(id).unwrap_or_else(|| panic!("no SARIF rule for {id}"));
        assert_eq!(r["properties"]["tags"][0], "security", "{r}");
        assert_eq!(r["properties"]["gates-rule"], "vulnerability");
        assert_eq!(
            r["shortDescription"]["text"],
            v["advisory"]["title"].as_str().unwrap().trim()
        );
        // every result of this advisory points at its rule
        let results: Vec<_> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["ruleId"] == id)
            .collect();
        assert!(!results.is_empty(), "{id}");
        for x in &results {
            let idx = x["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], id);
        }
        match v["advisory"]["cvss"].as_str() {
            Some(vector) => {
                let want = format!("{:.1}", spec_score(vector));
                assert_eq!(r["properties"]["security-severity"], want.as_str(), "{id}");
                for x in &results {
                    assert_eq!(x["properties"]["security-severity"], want.as_str(), "{id}");
                }
                scored += 1;
            }
            None => {
                assert!(r["properties"]["security-severity"].is_null(), "{id}: {r}");
            }
        }
    }
    assert!(scored >= 3, "the fixture has scored advisories");
    // informational advisories get their own rules too, never a score
    for (_, list) in ca["warnings"].as_object().unwrap() {
        for w in list.as_array().unwrap() {
            let Some(id) = w["advisory"]["id"].as_str() else {
                continue;
            };
            let r = rule(id).unwrap_or_else(|| panic!("no SARIF rule for warning {id}"));
            assert_eq!(r["defaultConfiguration"]["level"], "warning", "{id}");
        }
    }
}

/// Discovery on this repository itself: the lockfiles under
/// `crates/gates-lockfile/tests/data/` (a Go module among them, with no Go data
/// configured) are test data, not the project's: they are skipped, and the
/// run audits the project's own Cargo.lock files instead of stopping with
/// "omega/go.mod: no advisory data for Go packages".
#[test]
fn discovery_skips_test_data_on_this_repository() {
    testkit::fixture!("advisories/osv-subset");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"))
        .args(["--no-record", "--color", "never", "-C"])
        .arg(&repo)
        .args([
            "--osv-db",
            &testkit::fixtures_root()
                .join("advisories/osv-subset")
                .to_string_lossy(),
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--cache-dir",
            "off",
        ])
        .args(["--yanked", "ignore", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(4), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let read: Vec<&str> = r["details"]["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert!(read.contains(&"Cargo.lock"), "{read:?}");
    assert!(!read.iter().any(|p| p.contains("tests/data")), "{read:?}");
    let skipped = r["details"]["skipped_lockfiles"].as_array().unwrap();
    let omega = skipped
        .iter()
        .find(|s| s["path"] == "crates/gates-lockfile/tests/data/lockfiles/omega/go.mod")
        .unwrap_or_else(|| panic!("{skipped:?}"));
    assert_eq!(
        omega["why"],
        "test data (`crates/gates-lockfile/tests/data/`)"
    );
}

/// `.gitignore`, test-data folders and `exclude` globs (flag and key) keep a
/// lockfile out of discovery; a lockfile named with `--lockfile` is read
/// whatever they say.
#[test]
fn discovery_honours_gitignore_test_data_and_exclude() {
    let bat = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let npm = testkit::fixtures_root().join("lockfiles/axios-v1.0.0.package-lock.json");
    let repo = repo_with(&[
        ("Cargo.lock", &bat),
        ("build/package-lock.json", &npm),
        ("web/fixtures/package-lock.json", &npm),
        ("pkg/testdata/package-lock.json", &npm),
        ("vendor/a/package-lock.json", &npm),
        ("other/package-lock.json", &npm),
    ]);
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .current_dir(repo.path())
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    write(&repo.path().join(".gitignore"), "/build/\n.cache/\n");
    write(
        &repo.path().join("gates.yml"),
        "audit:\n  exclude: ['other/*.json', vendor]\n",
    );
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--yanked",
            "ignore",
            "--format",
            "json",
        ],
    );
    // Only the Cargo.lock is read: no npm data is needed (exit 1 for bat's
    // vulnerabilities, not 4 for npm packages without data).
    assert_eq!(o.code, 1, "{}", o.stderr);
    let r = o.json();
    let read: Vec<&str> = r["details"]["lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(read, ["Cargo.lock"]);
    let why: std::collections::BTreeMap<&str, &str> = r["details"]["skipped_lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["why"].as_str().unwrap()))
        .collect();
    assert_eq!(
        why,
        [
            ("build/package-lock.json", "ignored by git"),
            (
                "other/package-lock.json",
                "`exclude` matches `other/package-lock.json`"
            ),
            (
                "pkg/testdata/package-lock.json",
                "test data (`pkg/testdata/`)"
            ),
            ("vendor/a/package-lock.json", "`exclude` matches `vendor`"),
            (
                "web/fixtures/package-lock.json",
                "test data (`web/fixtures/`)"
            ),
        ]
        .into_iter()
        .collect()
    );
    // The flag replaces the key's list, as every flag does.
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--yanked",
            "ignore",
            "--exclude",
            "*/package-lock.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("vendor/a/package-lock.json: no advisory data for npm"),
        "{}",
        o.stderr
    );
    // Listed, it is read (and needs npm data: exit 4 naming it).
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--lockfile",
            "web/fixtures/package-lock.json",
        ],
    );
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("web/fixtures/package-lock.json: no advisory data for npm"),
        "{}",
        o.stderr
    );
    // A bad glob is a config error naming the key.
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--exclude",
            "a[",
            "--max-db-age",
            "off",
        ],
    );
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("audit.exclude[0]"), "{}", o.stderr);
}

/// Fixed versions read as cargo-audit's "Solution": each `patched`
/// requirement whole, alternatives joined by OR (bat 0.10.0: idna's
/// RUSTSEC-2024-0421, `patched = [">= 1.0.0"]`... and every other finding).
#[test]
fn fixed_versions_read_as_cargo_audit_says_them() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--yanked",
            "ignore",
            "--format",
            "json",
        ],
    );
    let r = o.json();
    let ca = cargo_audit_json("bat-v0.10.0.cargo-audit.json");
    let mut compared = 0;
    for v in ca["vulnerabilities"]["list"].as_array().unwrap() {
        let id = v["advisory"]["id"].as_str().unwrap();
        let pkg = v["package"]["name"].as_str().unwrap();
        let patched: Vec<String> = v["versions"]["patched"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["key"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{id}@{pkg}@"))
            })
            .unwrap_or_else(|| panic!("no finding for {id} {pkg}"));
        let msg = f["message"].as_str().unwrap();
        // cargo-audit's JSON has the requirements as semver writes them.
        let want = if patched.is_empty() {
            "; no fixed version".to_string()
        } else {
            format!("; upgrade to {}", patched.join(" OR "))
        };
        assert!(msg.contains(&want), "{msg}\n  want: {want}");
        compared += 1;
    }
    assert!(compared > 5, "{compared}");
}

/// The job summary's severity chart counts what the findings say: on bat
/// 0.10.0, its vulnerability bars add up to cargo-audit's count, its
/// warnings bar to the `warnings` metric.
#[test]
fn severity_chart_counts_the_findings() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--max-db-age",
            "off",
            "--yanked",
            "ignore",
            "--format",
            "json",
        ],
    );
    let r = o.json();
    let ca = cargo_audit_json("bat-v0.10.0.cargo-audit.json");
    let chart = r["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["title"]
                .as_str()
                .unwrap()
                .starts_with("Findings by severity")
        })
        .unwrap_or_else(|| panic!("{}", r["charts"]));
    let x: Vec<&str> = chart["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let v: Vec<f64> = chart["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let bar = |k: &str| v[x.iter().position(|n| *n == k).unwrap()];
    let vuln_bars: f64 = x
        .iter()
        .zip(&v)
        .filter(|(k, _)| **k != "warnings")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(vuln_bars, ca["vulnerabilities"]["count"].as_f64().unwrap());
    assert_eq!(bar("warnings"), metric(&r, "warnings"));
    // Each severity bar: the vulnerability findings whose message says it.
    for k in ["critical", "high", "medium", "low"] {
        let n = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "vulnerability")
            .filter(|f| {
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("; severity {k} "))
            })
            .count();
        assert_eq!(bar(k), n as f64, "{k}");
    }
}

/// `--ignore ID=REASON`: for this run, alongside gates.yml's ignores (the
/// flag does not replace them); without a reason it is refused (exit 2).
#[test]
fn ignore_flag_needs_a_reason_and_adds_to_gates_yml() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let ca = cargo_audit_json("bat-v0.10.0.cargo-audit.json");
    let vulns = ca["vulnerabilities"]["count"].as_f64().unwrap();
    let ids: Vec<&str> = ca["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["advisory"]["id"].as_str().unwrap())
        .collect();
    let (a, b) = (ids[0], ids[1]);
    write(
        &repo.path().join("gates.yml"),
        &format!(
            "audit:\n  max-db-age: off\n  ignore:\n    - id: {a}\n      reason: from gates.yml\n      expires: 2999-01-01\n"
        ),
    );
    let flag = format!("{b}=not reachable from our code");
    let o = gate(
        repo.path(),
        &[
            "--rustsec-db",
            &rustsec(),
            "--yanked",
            "ignore",
            "--ignore",
            &flag,
            "--format",
            "json",
        ],
    );
    let r = o.json();
    let same = |x: &str| ids.iter().filter(|i| **i == x).count() as f64;
    assert_eq!(metric(&r, "ignored"), same(a) + same(b), "{}", o.stderr);
    assert_eq!(metric(&r, "vulnerabilities"), vulns - same(a) - same(b));
    let notes: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ignored")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|m| m.contains("ignored (--ignore): not reachable from our code")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|m| m.contains("ignored (gates.yml): from gates.yml")),
        "{notes:?}"
    );
    for bad in [
        b.to_string(),
        format!("{b}="),
        format!("{b}=  "),
        "=reason".to_string(),
    ] {
        let o = gate(repo.path(), &["--rustsec-db", &rustsec(), "--ignore", &bad]);
        assert_eq!(o.code, 2, "{bad}: {}", o.stderr);
        assert!(o.stderr.contains("ID=REASON"), "{}", o.stderr);
    }
}

fn gate_env(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Out {
    let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"))
        .args(["--no-record", "--color", "never", "-C"])
        .arg(dir)
        .args(args)
        .env("GATES_CACHE_DIR", dir.join(".cache"))
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Every key's flag is generated from the schema: a bad value is a usage
/// error (exit 2) naming the flag, checked before any database is read.
#[test]
fn bad_generated_flag_value_exits_2_and_names_the_flag() {
    let t = tempfile::tempdir().unwrap();
    for (flag, value, says) in [
        ("--yanked", "wran", "write error, warning, note or ignore"),
        (
            "--unmaintained",
            "loud",
            "write error, warning, note or ignore",
        ),
        (
            "--osv-api-url",
            "ftp://mirror.example",
            "http:// or https://",
        ),
        ("--fail-on-severity", "hgh", "high"),
    ] {
        let o = gate(t.path(), &[flag, value]);
        assert_eq!(o.code, 2, "{flag} {value}: {}", o.stderr);
        assert!(
            o.stderr.contains(&format!("flag {flag}")),
            "{flag}: {}",
            o.stderr
        );
        assert!(o.stderr.contains(says), "{flag}: {}", o.stderr);
    }
    // One spelling of levels, the old ones as aliases: accepted, so the
    // run gets as far as "no advisory database" (exit 4).
    for (flag, value) in [
        ("--yanked", "warning"),
        ("--yanked", "warn"),
        ("--unknown-severity", "fail"),
        ("--unknown-severity", "error"),
        ("--notice", "note"),
    ] {
        let o = gate(t.path(), &[flag, value]);
        assert_eq!(o.code, 4, "{flag} {value}: {}", o.stderr);
    }
}

/// `max-db-age` is a duration: a bare number (it meant days) is refused
/// everywhere with the fix, and `0` is not read as `false` (off).
#[test]
fn bare_number_max_db_age_is_refused_with_the_fix() {
    let t = tempfile::tempdir().unwrap();
    let o = gate(t.path(), &["--max-db-age", "90"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("flag --max-db-age"), "{}", o.stderr);
    assert!(o.stderr.contains("90d"), "{}", o.stderr);
    for v in ["90", "0", "1"] {
        let o = gate_env(t.path(), &[], &[("GATES_AUDIT_MAX_DB_AGE", v)]);
        assert_eq!(o.code, 3, "{v}: {}", o.stderr);
        assert!(
            o.stderr
                .contains("environment variable GATES_AUDIT_MAX_DB_AGE"),
            "{}",
            o.stderr
        );
        assert!(o.stderr.contains("90d"), "{v}: {}", o.stderr);
    }
    write(&t.path().join("gates.yml"), "audit:\n  max-db-age: 7\n");
    let o = gate(t.path(), &[]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("gates.yml:2:15"), "{}", o.stderr);
    assert!(o.stderr.contains("`audit.max-db-age`"), "{}", o.stderr);
    assert!(o.stderr.contains("90d"), "{}", o.stderr);
    // With a unit, and `off` however it is written: accepted (exit 4: no
    // database).
    for yaml in ["90d", "36h", "off", "\"off\"", "false"] {
        write(
            &t.path().join("gates.yml"),
            &format!("audit:\n  max-db-age: {yaml}\n"),
        );
        let o = gate(t.path(), &[]);
        assert_eq!(o.code, 4, "{yaml}: {}", o.stderr);
    }
    std::fs::remove_file(t.path().join("gates.yml")).unwrap();
    let o = gate_env(t.path(), &[], &[("GATES_AUDIT_MAX_DB_AGE", "off")]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    // Zero is refused, not "off".
    let o = gate(t.path(), &["--max-db-age", "0d", "--rustsec-db", "db"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("use `off`"), "{}", o.stderr);
}

/// `GATES_AUDIT_IGNORE_ONCE` holds one `ID=REASON` per line: a reason with
/// a comma stays one entry (the key is `newline`-separated).
#[test]
fn ignore_once_from_env_keeps_commas_in_a_reason() {
    let lock = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let repo = repo_with(&[("Cargo.lock", &lock)]);
    let ca = cargo_audit_json("bat-v0.10.0.cargo-audit.json");
    let ids: Vec<&str> = ca["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["advisory"]["id"].as_str().unwrap())
        .collect();
    let (a, b) = (ids[0], ids[1]);
    // One entry with a comma (no line break: the old rule split it on
    // the comma), then two entries on two lines.
    for (once, reasons) in [
        (
            format!("{a}=not reachable, nor loaded"),
            vec!["not reachable, nor loaded"],
        ),
        (
            format!("{a}=not reachable, nor loaded\n{b}=fixed upstream, not released"),
            vec!["not reachable, nor loaded", "fixed upstream, not released"],
        ),
    ] {
        let o = gate_env(
            repo.path(),
            &[
                "--rustsec-db",
                &rustsec(),
                "--max-db-age",
                "off",
                "--yanked",
                "ignore",
                "--format",
                "json",
            ],
            &[("GATES_AUDIT_IGNORE_ONCE", &once)],
        );
        assert!(o.code == 0 || o.code == 1, "{}", o.stderr);
        let r = o.json();
        let notes: Vec<&str> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "ignored")
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        for reason in reasons {
            assert!(
                notes.iter().any(|m| m.ends_with(&format!(": {reason}"))),
                "{reason}: {notes:?}"
            );
        }
    }
}

/// `exclude` is `newline`-separated: a brace glob's comma stays inside the
/// glob in `GATES_AUDIT_EXCLUDE` and on the flag.
#[test]
fn exclude_brace_glob_keeps_its_comma_from_env_and_flag() {
    let bat = testkit::fixture!("lockfiles/bat-v0.10.0.Cargo.lock");
    let npm = testkit::fixtures_root().join("lockfiles/axios-v1.0.0.package-lock.json");
    let repo = repo_with(&[
        ("Cargo.lock", &bat),
        ("vendor/a/package-lock.json", &npm),
        ("vendor/b/package-lock.json", &npm),
    ]);
    let args = [
        "--rustsec-db",
        &rustsec(),
        "--max-db-age",
        "off",
        "--yanked",
        "ignore",
        "--format",
        "json",
    ];
    let read = |o: &Out| -> Vec<String> {
        o.json()["details"]["lockfiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["path"].as_str().unwrap().to_string())
            .collect()
    };
    // Exit 1 for bat's vulnerabilities, not 4 for npm packages without data.
    let o = gate_env(
        repo.path(),
        &args,
        &[("GATES_AUDIT_EXCLUDE", "vendor/{a,b}/**")],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(read(&o), ["Cargo.lock"]);
    let mut flag = args.to_vec();
    flag.extend(["--exclude", "vendor/{a,b}/**"]);
    let o = gate(repo.path(), &flag);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(read(&o), ["Cargo.lock"]);
}

/// `ignore-once` has no expiry, so the repository cannot keep it: in
/// gates.yml it is refused at its line with the fix (exit 3), while the
/// same value from the environment is taken.
#[test]
fn ignore_once_in_gates_yml_is_refused_at_its_line() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("gates.yml"),
        "version: 1\naudit:\n  ignore-once:\n    - RUSTSEC-2020-0071=not reachable\n",
    )
    .unwrap();
    let o = gate(t.path(), &[]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("gates.yml:4:"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("`audit.ignore-once` cannot be set in the configuration file"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("expires"), "{}", o.stderr);
    std::fs::write(t.path().join("gates.yml"), "version: 1\n").unwrap();
    let o = gate_env(
        t.path(),
        &[],
        &[("GATES_AUDIT_IGNORE_ONCE", "RUSTSEC-2020-0071=not reachable")],
    );
    assert_ne!(o.code, 3, "{}", o.stderr);
    assert!(!o.stderr.contains("cannot be set"), "{}", o.stderr);
}
