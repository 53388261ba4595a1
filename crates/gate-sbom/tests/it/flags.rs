//! The `sbom` keys as flags and `GATES_SBOM_*` values: generated from the
//! config schema (the policy keys' flags global), checked when loaded, and
//! list values cut on the separator each key declares.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::Path;

use common::*;

/// A directory with an npm and a Cargo lockfile in two subdirectories, and
/// two release files.
fn two_projects(d: &Path) {
    std::fs::create_dir_all(d.join("web")).unwrap();
    std::fs::create_dir_all(d.join("cli")).unwrap();
    std::fs::create_dir_all(d.join("dist")).unwrap();
    std::fs::copy(
        lockfile("axios-v0.26.0.package-lock.json"),
        d.join("web/package-lock.json"),
    )
    .unwrap();
    std::fs::copy(lockfile("bat-v0.22.1.Cargo.lock"), d.join("cli/Cargo.lock")).unwrap();
    std::fs::write(d.join("dist/a.zip"), b"a").unwrap();
    std::fs::write(d.join("dist/b.zip"), b"b").unwrap();
}

/// The SBOMs written under `out/`, by file name.
fn written(d: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(d.join("out"))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_bad_value_of_a_generated_flag_exits_2_and_names_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--cargo-metadata", "sometimes"),
        ("--spec-version", "1.4"),
        // A percent out of range, before and after the subcommand (the
        // policy flags are global).
        ("--min-hashes", "120"),
        ("--unreachable", "sometimes"),
    ] {
        let mut c = gate(tmp.path());
        c.args([flag, value]);
        let r = run(c);
        assert_eq!(r.code, 2, "{flag} {value}: {}", r.stderr);
        assert!(r.stderr.contains(flag), "{flag} {value}: {}", r.stderr);
    }
    let mut c = gate(tmp.path());
    c.args(["check", "x.cdx.json", "--min-purls", "101"]);
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--min-purls"), "{}", r.stderr);
}

#[test]
fn unreachable_and_percent_keys_are_checked_when_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("gates.yml"), "sbom:\n  unreachable: sometimes\n").unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("gates.yml:2") && r.stderr.contains("note"),
        "{}",
        r.stderr
    );
    std::fs::write(d.join("gates.yml"), "sbom:\n  min-licenses: 120\n").unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("gates.yml:2"), "{}", r.stderr);
}

/// `fail` and `warn` are the older spellings of `error` and `warning`; a
/// percent may be written `90%` in a variable.
#[test]
fn level_aliases_and_percent_signs_are_accepted() {
    testkit::fixture!("lockfiles/axios-v0.26.0.package-lock.json");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::copy(
        lockfile("axios-v0.26.0.package-lock.json"),
        d.join("package-lock.json"),
    )
    .unwrap();
    std::fs::write(d.join("gates.yml"), "sbom:\n  unreachable: warn\n").unwrap();
    let mut c = gate(d);
    c.env("GATES_SBOM_MIN_PURLS", "90%")
        .args(["--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let metrics = report(&r)["metrics"].clone();
    let purl = metrics
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "purl-coverage")
        .unwrap_or_else(|| panic!("{metrics}"));
    assert_eq!(purl["thresholds"][0]["value"], 90.0, "{purl}");
}

/// `inputs` and `artifacts` are `,`-separated: one `GATES_SBOM_*` value
/// is cut on commas and line breaks, and the flags split on commas too.
#[test]
fn comma_separated_lists_from_the_environment_and_flags() {
    testkit::fixture!("lockfiles");
    for sep in [",", "\n", " , "] {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        two_projects(d);
        let mut c = gate(d);
        c.env(
            "GATES_SBOM_INPUTS",
            format!("web/package-lock.json{sep}cli/Cargo.lock"),
        )
        .env("GATES_SBOM_SBOM_PATH", "out/{product}.cdx.json")
        .env("GATES_SBOM_ARTIFACTS", format!("dist/a.zip{sep}dist/b.zip"));
        let r = run(c);
        assert!(r.code <= 1, "{sep:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(
            written(d).len(),
            2,
            "{sep:?}: {:?} {}",
            written(d),
            r.stderr
        );
        let subjects = std::fs::read_to_string(d.join("subjects.sha256")).unwrap();
        assert_eq!(subjects.lines().count(), 2, "{sep:?}: {subjects}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    two_projects(d);
    let mut c = gate(d);
    c.args([
        "--input",
        "web/package-lock.json,cli/Cargo.lock",
        "--sbom-path",
        "out/{product}.cdx.json",
        "--artifact",
        "dist/a.zip,dist/b.zip",
    ]);
    let r = run(c);
    assert!(r.code <= 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(written(d).len(), 2, "{:?} {}", written(d), r.stderr);
    let subjects = std::fs::read_to_string(d.join("subjects.sha256")).unwrap();
    assert_eq!(subjects.lines().count(), 2, "{subjects}");
}

#[test]
fn deny_license_flag_takes_a_comma_list_after_the_subcommand() {
    let tmp = tempfile::tempdir().unwrap();
    let mut c = gate(tmp.path());
    c.args(["check", "x.cdx.json", "--deny-license", "MIT,NotALicense"]);
    let r = run(c);
    // Both ids reach the config (the second is refused by name).
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("`NotALicense`"), "{}", r.stderr);
    assert!(!r.stderr.contains("MIT,"), "{}", r.stderr);
}
