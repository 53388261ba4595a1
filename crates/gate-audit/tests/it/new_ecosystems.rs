//! Go, RubyGems and Packagist matching, and the Python lockfiles, on real
//! data: real lockfiles (crates/gates-lockfile/tests/data/lockfiles, SOURCES
//! there) against real GitHub-reviewed advisories
//! (tests/data/osv-ecosystems, SOURCES there), plus the ordering at each
//! advisory's own bounds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use gate_audit::lockfile::{self, Ecosystem};
use gate_audit::{matcher, osv};

fn lockfiles() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../gates-lockfile/tests/data/lockfiles")
}

fn advisories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/osv-ecosystems")
}

fn hits(name: &str, db_dirs: &[PathBuf]) -> Vec<matcher::Hit> {
    let path = lockfiles().join(name);
    let base = if name.ends_with("go.mod") {
        "go.mod"
    } else {
        name.split_once('.').unwrap().1
    };
    let kind = lockfile::kind_of(Path::new(base)).unwrap();
    let l = lockfile::parse_file(kind, &path, name, &std::fs::read(&path).unwrap()).unwrap();
    let db = osv::Database::open(db_dirs).unwrap();
    matcher::match_all(std::slice::from_ref(&l), None, Some(&db))
}

fn keys(h: &[matcher::Hit]) -> Vec<(String, String, String, u32)> {
    let mut k: Vec<_> = h
        .iter()
        .map(|h| (h.id.clone(), h.package.clone(), h.version.clone(), h.line))
        .collect();
    k.sort();
    k
}

fn line_of(name: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(lockfiles().join(name)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1
}

#[test]
fn go_pseudo_version_below_the_fixed_pseudo_version() {
    // x/crypto v0.0.0-20191206172530-e9b2fee46413 < fixed 0.0.0-20200220183623-bac4c82f6975
    let h = hits("zhihu/go.mod", &[advisories().join("Go")]);
    assert_eq!(
        keys(&h),
        [(
            "GHSA-ffhg-7mh4-33c4".to_string(),
            "golang.org/x/crypto".to_string(),
            "v0.0.0-20191206172530-e9b2fee46413".to_string(),
            line_of("zhihu/go.mod", "golang.org/x/crypto"),
        )]
    );
    // a go.mod without x/crypto: nothing
    assert!(hits("omega/go.mod", &[advisories().join("Go")]).is_empty());
}

#[test]
fn rubygems_four_segment_bound() {
    // actionpack 4.0.4 < fixed 4.2.11.34 (the `introduced: 0` range); the
    // 5.x, 6.x and 7.x ranges do not apply
    let h = hits("T.Gemfile.lock", &[advisories().join("RubyGems")]);
    assert_eq!(
        keys(&h),
        [(
            "GHSA-4g8v-vg43-wpgf".to_string(),
            "actionpack".to_string(),
            "4.0.4".to_string(),
            line_of("T.Gemfile.lock", "    actionpack (4.0.4)"),
        )]
    );
    assert_eq!(h[0].fixed, ["4.2.11.34"]);
}

#[test]
fn packagist_v_prefixed_version_in_the_second_range() {
    let h = hits("tickets.composer.lock", &[advisories().join("Packagist")]);
    assert_eq!(
        keys(&h),
        [(
            "GHSA-52m2-vc4m-jj33".to_string(),
            "twig/twig".to_string(),
            "v2.4.8".to_string(),
            line_of("tickets.composer.lock", "\"name\": \"twig/twig\""),
        )]
    );
}

#[test]
fn every_bound_of_the_real_advisories_orders_as_its_ecosystem_does() {
    /// (advisory file, ecosystem, (version, affected)).
    type Case = (&'static str, Ecosystem, &'static [(&'static str, bool)]);
    let cases: &[Case] = &[
        (
            "Go/GHSA-ffhg-7mh4-33c4.json",
            Ecosystem::Go,
            &[
                ("v0.0.0-20200220183623-bac4c82f6975", false),
                ("v0.0.0-20200220183622-bac4c82f6974", true),
                ("v0.0.0-20200221000000-000000000000", false),
                ("v0.1.0", false),
                ("v0.0.0-20191206172530-e9b2fee46413", true),
            ],
        ),
        (
            "RubyGems/GHSA-4g8v-vg43-wpgf.json",
            Ecosystem::RubyGems,
            &[
                ("4.2.11.33", true),
                ("4.2.11.34", false),
                ("4.2.12", false),
                ("5.2.8.20", true),
                ("5.2.8.21", false),
                ("6.1.7.4", false),
                ("7.0.5", true),
                ("7.0.5.1", false),
                ("7.0.0.rc1", false),
                // a pre-release of 6.0.0 sorts below 6.0.0 (outside the 6.x
                // range) and above 5.2.8.21 (outside the 5.x range)
                ("6.0.0.beta1", false),
                ("5.0.0.beta1", false),
                ("5.0.0", true),
            ],
        ),
        (
            "Packagist/GHSA-52m2-vc4m-jj33.json",
            Ecosystem::Packagist,
            &[
                ("v1.44.6", true),
                ("1.44.7", false),
                ("v2.15.2", true),
                ("v2.15.3", false),
                ("3.4.3-RC1", true),
                ("v3.4.3", false),
                ("0.9.0", false),
            ],
        ),
    ];
    for (file, eco, versions) in cases {
        let rec = osv::parse_record(
            Path::new(file),
            &std::fs::read(advisories().join(file)).unwrap(),
        )
        .unwrap()
        .unwrap();
        for (v, want) in *versions {
            let got = rec
                .affected
                .iter()
                .flatten()
                .any(|a| osv::affected_contains(*eco, v, a, &mut Vec::new()));
            assert_eq!(got, *want, "{file}: {v}");
        }
    }
}

#[test]
fn poetry_lock_findings_equal_the_independent_matcher() {
    let sub = testkit::fixture!("advisories/osv-subset");
    let h = hits("tefy.poetry.lock", &[sub.join("PyPI")]);
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(advisories().join("expected-tefy.poetry.json")).unwrap(),
    )
    .unwrap();
    let mut want: Vec<(String, String, String)> = expected["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["package"].as_str().unwrap().to_string(),
                f["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    want.sort();
    let mut got: Vec<(String, String, String)> = h
        .iter()
        .flat_map(|h| {
            h.records
                .iter()
                .map(|r| (r.clone(), h.package.clone(), h.version.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    got.sort();
    got.dedup();
    assert_eq!(got, want);
    assert!(
        h.iter().all(|h| !h.dev),
        "requests is a main-category package"
    );
}

/// The binary on a repository holding a composer.lock, a go.mod with its
/// go.sum and a Gemfile.lock: discovery finds all three, each finding points
/// at its lockfile line, and the gate fails (exit 1).
#[test]
fn binary_discovers_and_reports_every_new_ecosystem() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    std::fs::create_dir_all(r.join("svc")).unwrap();
    for (src, dst) in [
        ("tickets.composer.lock", "composer.lock"),
        ("zhihu/go.mod", "svc/go.mod"),
        ("T.Gemfile.lock", "Gemfile.lock"),
    ] {
        std::fs::copy(lockfiles().join(src), r.join(dst)).unwrap();
    }
    let run = |extra: &[&str]| {
        let mut c = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"));
        c.args(["--no-record", "--color", "never", "-C"]).arg(r);
        for eco in ["Go", "RubyGems", "Packagist"] {
            c.arg("--osv-db").arg(advisories().join(eco));
        }
        c.args(["--max-db-age", "off"]).args(extra);
        c.env("GATES_CACHE_DIR", r.join(".cache"));
        c.output().unwrap()
    };
    let o = run(&["--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "vulnerability")
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["start_line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "GHSA-4g8v-vg43-wpgf@actionpack@4.0.4".to_string(),
                "Gemfile.lock".to_string(),
                u64::from(line_of("T.Gemfile.lock", "    actionpack (4.0.4)"))
            ),
            (
                "GHSA-52m2-vc4m-jj33@twig/twig@v2.4.8".to_string(),
                "composer.lock".to_string(),
                u64::from(line_of("tickets.composer.lock", "\"name\": \"twig/twig\""))
            ),
            (
                "GHSA-ffhg-7mh4-33c4@golang.org/x/crypto@v0.0.0-20191206172530-e9b2fee46413"
                    .to_string(),
                "svc/go.mod".to_string(),
                u64::from(line_of("zhihu/go.mod", "golang.org/x/crypto"))
            ),
        ]
    );
    // a broken go.sum beside the go.mod: exit 4, the message names go.sum and its line
    std::fs::write(
        r.join("svc/go.sum"),
        "golang.org/x/crypto v0.0.0-2019 h1:x=\nbroken\n",
    )
    .unwrap();
    let o = run(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(err.contains("go.sum") && err.contains(":2"), "{err}");
}
