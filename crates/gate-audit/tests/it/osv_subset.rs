//! npm and PyPI lockfiles against the OSV subset of the GitHub advisory
//! database: gate-audit reports at least (here: exactly, as the database is
//! the same subset) the findings of the independent Python matcher recorded
//! in `osv-subset/expected/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use gate_audit::lockfile::{self, Kind};
use gate_audit::{matcher, osv};

type Key = (String, String, String);

fn run(lock: &str, kind: Kind) -> (Vec<matcher::Hit>, lockfile::Lockfile) {
    let fx = testkit::fixtures_root();
    let sub = fx.join("advisories/osv-subset");
    let db = osv::Database::open(&[sub.join("npm"), sub.join("PyPI")]).unwrap();
    let bytes = std::fs::read(fx.join("lockfiles").join(lock)).unwrap();
    let l = lockfile::parse(kind, lock, &bytes).unwrap();
    (
        matcher::match_all(std::slice::from_ref(&l), None, Some(&db)),
        l,
    )
}

fn expected(name: &str) -> (BTreeSet<Key>, BTreeMap<Key, bool>, serde_json::Value) {
    let p = testkit::fixtures_root()
        .join("advisories/osv-subset/expected")
        .join(name);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    let mut set = BTreeSet::new();
    let mut dev = BTreeMap::new();
    for f in v["findings"].as_array().unwrap() {
        let k = (
            f["id"].as_str().unwrap().to_string(),
            f["package"].as_str().unwrap().to_string(),
            f["version"].as_str().unwrap().to_string(),
        );
        if let Some(d) = f["dev_only"].as_bool() {
            dev.insert(k.clone(), d);
        }
        set.insert(k);
    }
    (set, dev, v)
}

fn ours(hits: &[matcher::Hit]) -> BTreeSet<Key> {
    hits.iter()
        .flat_map(|h| {
            h.records
                .iter()
                .map(|r| (r.clone(), h.package.clone(), h.version.clone()))
        })
        .collect()
}

fn check(lock: &str, kind: Kind, exp: &str) -> Vec<matcher::Hit> {
    let (hits, l) = run(lock, kind);
    let (want, dev, v) = expected(exp);
    let got = ours(&hits);
    let missing: Vec<_> = want.difference(&got).collect();
    assert!(missing.is_empty(), "{lock}: missing {missing:?}");
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        extra.is_empty(),
        "{lock}: extra {extra:?} (same subset database)"
    );
    for h in &hits {
        for r in &h.records {
            if let Some(d) = dev.get(&(r.clone(), h.package.clone(), h.version.clone())) {
                assert_eq!(h.dev, *d, "{lock}: dev flag of {} {}", h.package, h.version);
            }
        }
    }
    // unique (name, version) pairs, as the reference counts them
    assert_eq!(
        l.packages.len() as u64,
        v["unique_packages"].as_u64().unwrap(),
        "{lock}"
    );
    hits
}

#[test]
fn axios_0_26_0() {
    testkit::fixture!("lockfiles/axios-v0.26.0.package-lock.json");
    let hits = check(
        "axios-v0.26.0.package-lock.json",
        Kind::Npm,
        "axios-v0.26.0.json",
    );
    // Edge cases of the subset's README.
    let has = |id: &str, pkg: &str, ver: &str| {
        hits.iter()
            .any(|h| h.records.iter().any(|r| r == id) && h.package == pkg && h.version == ver)
    };
    assert!(
        !has("GHSA-pw2r-vq6v-hr8c", "follow-redirects", "1.14.8"),
        "fixed is exclusive"
    );
    assert!(
        has("GHSA-w573-4hg7-7wgq", "decode-uri-component", "0.2.0"),
        "last_affected is inclusive"
    );
    assert!(
        has("GHSA-67hx-6x53-jw92", "babel-traverse", "6.26.0"),
        "no closing event"
    );
    assert!(
        has("GHSA-r683-j2x4-v87g", "node-fetch", "2.6.7"),
        "non-SemVer bound 1.0 padded"
    );
    assert!(
        !has("GHSA-f5x3-32g6-xq36", "tar", "6.1.11"),
        "GHSA-f5x3 names node-tar"
    );
    let nf = hits
        .iter()
        .find(|h| h.package == "node-fetch" && h.version == "2.6.7")
        .unwrap();
    assert!(nf.notes.iter().any(|n| n.contains("non-SemVer")), "{nf:?}");
    // findings point at the package's line in the lockfile
    let text = std::fs::read_to_string(
        testkit::fixtures_root().join("lockfiles/axios-v0.26.0.package-lock.json"),
    )
    .unwrap();
    for h in &hits {
        let line = text.lines().nth(h.line as usize - 1).unwrap();
        assert!(
            line.contains(&format!("node_modules/{}\"", h.package)),
            "{} at line {}: {line}",
            h.package,
            h.line
        );
    }
}

#[test]
fn axios_1_0_0() {
    testkit::fixture!("advisories/osv-subset");
    check(
        "axios-v1.0.0.package-lock.json",
        Kind::Npm,
        "axios-v1.0.0.json",
    );
}

#[test]
fn djangoproject_requirements() {
    testkit::fixture!("advisories/osv-subset");
    let hits = check(
        "djangoproject-2019.requirements.txt",
        Kind::Requirements,
        "djangoproject-2019.json",
    );
    // PEP 503: advisories spell django/Django, pillow/Pillow
    assert!(hits.iter().any(|h| h.package == "Django"));
    assert!(hits.iter().any(|h| h.package == "Pillow"));
    assert!(hits.iter().all(|h| h.line >= 1));
}

#[test]
fn other_ecosystem_entries_do_not_match() {
    testkit::fixture!("advisories/osv-subset/edge-cases");
    let fx = testkit::fixtures_root();
    // The same word-wrap advisory stored once with ecosystem "GitHub Actions".
    let db = osv::Database::open(&[fx.join("advisories/osv-subset/edge-cases")]).unwrap();
    let bytes = std::fs::read(fx.join("lockfiles/axios-v0.26.0.package-lock.json")).unwrap();
    let l = lockfile::parse(Kind::Npm, "p", &bytes).unwrap();
    assert!(l.packages.iter().any(|p| p.name == "word-wrap"));
    assert!(matcher::match_all(std::slice::from_ref(&l), None, Some(&db)).is_empty());
}
