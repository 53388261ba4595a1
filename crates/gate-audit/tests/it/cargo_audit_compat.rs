//! On every real Cargo.lock of the fixtures, gate-audit reports exactly
//! cargo-audit 0.22.2's set of (advisory id, package, version), for
//! vulnerabilities and for each warning kind, on the same database.
//! The expected sets are read from cargo-audit's recorded JSON output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gate_audit::lockfile::{self, Kind};
use gate_audit::matcher::{self, Class};
use gate_audit::{osv, rustsec};

type Set = BTreeSet<(String, String, String, String)>;

fn expected(json: &Path) -> Set {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    let mut out = Set::new();
    for x in v["vulnerabilities"]["list"].as_array().unwrap() {
        out.insert((
            "vulnerability".into(),
            x["advisory"]["id"].as_str().unwrap().into(),
            x["package"]["name"].as_str().unwrap().into(),
            x["package"]["version"].as_str().unwrap().into(),
        ));
    }
    for (kind, list) in v["warnings"].as_object().unwrap() {
        for x in list.as_array().unwrap() {
            out.insert((
                kind.clone(),
                x["advisory"]["id"].as_str().unwrap().into(),
                x["package"]["name"].as_str().unwrap().into(),
                x["package"]["version"].as_str().unwrap().into(),
            ));
        }
    }
    out
}

fn lockfiles(fx: &Path) -> Vec<(PathBuf, PathBuf)> {
    let dir = fx.join("lockfiles");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".Cargo.lock") {
            out.push((
                p.clone(),
                dir.join("expected")
                    .join(format!("{stem}.cargo-audit.json")),
            ));
        }
    }
    out.sort();
    out
}

fn ours(hits: &[matcher::Hit]) -> Set {
    hits.iter()
        .map(|h| {
            (
                h.class.as_str().to_string(),
                h.id.clone(),
                h.package.clone(),
                h.version.clone(),
            )
        })
        .collect()
}

#[test]
fn every_cargo_lock_matches_cargo_audit() {
    testkit::fixture!("advisories/rustsec");
    let fx = testkit::fixtures_root();
    let db = rustsec::Database::open(&fx.join("advisories/rustsec")).unwrap();
    let cases = lockfiles(&fx);
    assert!(
        cases.len() >= 9,
        "expected the nine fixture lockfiles, found {}",
        cases.len()
    );
    let mut total = 0;
    for (lock, json) in cases {
        let l = lockfile::parse(Kind::Cargo, "Cargo.lock", &std::fs::read(&lock).unwrap()).unwrap();
        let hits = matcher::match_all(std::slice::from_ref(&l), Some(&db), None);
        let got = ours(&hits);
        let want = expected(&json);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: missing {missing:?}, extra {extra:?}",
            lock.display()
        );
        // cargo-audit's dependency-count is the number of [[package]] entries
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert_eq!(
            v["lockfile"]["dependency-count"].as_u64().unwrap(),
            l.packages.len() as u64,
            "{}",
            lock.display()
        );
        total += want.len();
    }
    assert!(
        total > 100,
        "the fixtures hold hundreds of findings, got {total}"
    );
}

/// The same lockfiles against the OSV export of the same database: an
/// independent matcher (OSV events, not Cargo requirements) must agree.
#[test]
fn rustsec_osv_export_agrees_with_the_toml_database() {
    testkit::fixture!("advisories/rustsec-osv/crates");
    let fx = testkit::fixtures_root();
    let osv_db = osv::Database::open(&[fx.join("advisories/rustsec-osv/crates")]).unwrap();
    for (lock, json) in lockfiles(&fx) {
        let l = lockfile::parse(Kind::Cargo, "Cargo.lock", &std::fs::read(&lock).unwrap()).unwrap();
        let hits = matcher::match_all(std::slice::from_ref(&l), None, Some(&osv_db));
        let got = ours(&hits);
        let want = expected(&json);
        assert_eq!(got, want, "{}", lock.display());
    }
}

/// Both databases at once: aliases group, so nothing is reported twice.
#[test]
fn both_databases_group_into_one_finding_each() {
    testkit::fixture!("advisories/rustsec");
    let fx = testkit::fixtures_root();
    let db = rustsec::Database::open(&fx.join("advisories/rustsec")).unwrap();
    let osv_db = osv::Database::open(&[fx.join("advisories/rustsec-osv/crates")]).unwrap();
    let lock = fx.join("lockfiles/bat-v0.10.0.Cargo.lock");
    let l = lockfile::parse(Kind::Cargo, "Cargo.lock", &std::fs::read(&lock).unwrap()).unwrap();
    let hits = matcher::match_all(std::slice::from_ref(&l), Some(&db), Some(&osv_db));
    let want = expected(&fx.join("lockfiles/expected/bat-v0.10.0.cargo-audit.json"));
    assert_eq!(ours(&hits), want);
    assert_eq!(hits.len(), want.len());
    assert!(
        hits.iter()
            .any(|h| h.class == Class::Vulnerability && !h.aliases.is_empty())
    );
}
