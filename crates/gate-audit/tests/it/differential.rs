//! Differential test over the whole RustSec database: versions at and
//! around every bound of every advisory, judged by the Cargo-requirement
//! engine (the TOML advisories, cargo-audit's semantics) and by the
//! independent OSV engine on the OSV export of the same database
//! (`rustsec-osv`). They must agree on every (advisory, version).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use gate_audit::lockfile::Ecosystem;
use gate_audit::{osv, rustsec};
use semver::{Prerelease, Version};

/// Versions around `v`: itself, neighbours, pre-releases and build metadata.
fn around(v: &Version, out: &mut BTreeSet<String>) {
    let mut push = |x: Version| {
        out.insert(x.to_string());
    };
    let base = Version::new(v.major, v.minor, v.patch);
    push(v.clone());
    push(base.clone());
    let mut b = base.clone();
    b.build = semver::BuildMetadata::new("build.1").unwrap();
    push(b);
    for pre in ["0", "alpha", "alpha.1", "rc.1"] {
        let mut p = base.clone();
        p.pre = Prerelease::new(pre).unwrap();
        push(p);
    }
    if !v.pre.is_empty() {
        let mut p = v.clone();
        p.pre = Prerelease::new(&format!("{}.0", v.pre)).unwrap();
        push(p);
    }
    push(Version::new(v.major, v.minor, v.patch + 1));
    push(Version::new(v.major, v.minor + 1, 0));
    push(Version::new(v.major + 1, 0, 0));
    if v.patch > 0 {
        push(Version::new(v.major, v.minor, v.patch - 1));
    }
    if v.minor > 0 {
        push(Version::new(v.major, v.minor - 1, 99));
    }
    if v.major > 0 {
        push(Version::new(v.major - 1, 99, 99));
    }
}

#[test]
fn toml_and_osv_engines_agree_around_every_bound() {
    testkit::fixture!("advisories/rustsec");
    let fx = testkit::fixtures_root();
    let db = rustsec::Database::open(&fx.join("advisories/rustsec")).unwrap();
    let odb = osv::Database::open(&[fx.join("advisories/rustsec-osv/crates")]).unwrap();
    let mut compared = 0usize;
    let mut disagreements = Vec::new();
    for adv in db
        .advisories
        .iter()
        .filter(|a| a.collection == rustsec::Collection::Crates)
    {
        let Some(rec) = odb.records.iter().find(|r| r.id == adv.id) else {
            panic!("{} has no OSV export", adv.id);
        };
        let mut versions = BTreeSet::new();
        for iv in &adv.affected {
            for v in iv.introduced.iter().chain(iv.fixed.iter()) {
                around(v, &mut versions);
            }
        }
        for t in ["0.0.0", "0.1.0", "1.0.0", "999.0.0"] {
            versions.insert(t.to_string());
        }
        for vt in &versions {
            let v = Version::parse(vt).unwrap();
            let toml_says = adv.affects(&v);
            let mut osv_says = false;
            for a in rec.affected.iter().flatten() {
                if a.package.as_ref().is_some_and(|p| p.name == adv.package) {
                    osv_says |= osv::affected_contains(Ecosystem::CratesIo, vt, a, &mut Vec::new());
                }
            }
            compared += 1;
            if toml_says != osv_says {
                disagreements.push(format!(
                    "{} {} {vt}: toml {toml_says}, osv {osv_says}",
                    adv.id, adv.package
                ));
            }
        }
    }
    assert!(compared > 10_000, "compared only {compared}");
    assert!(
        disagreements.is_empty(),
        "{} of {compared} disagree, e.g.:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
