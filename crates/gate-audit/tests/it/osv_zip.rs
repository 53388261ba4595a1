//! OSV `all.zip` archives: built here from the real fixture records (as
//! osv.dev publishes them, one JSON record per entry), they give exactly the
//! findings of the directory form; a bad archive or entry is exit 4 naming
//! the archive and the entry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use gate_audit::lockfile::{self, Kind};
use gate_audit::{matcher, osv};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

/// Zips every JSON file under `dir` (flat entry names, as osv.dev does).
fn zip_dir(dir: &Path, dst: &Path, method: zip::CompressionMethod) -> usize {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    files.sort();
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for f in &files {
        w.start_file(f.file_name().unwrap().to_string_lossy(), opts)
            .unwrap();
        w.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    w.finish().unwrap();
    files.len()
}

type Key = (String, String, String, Vec<String>, Option<String>);

fn keys(hits: &[matcher::Hit]) -> BTreeSet<Key> {
    hits.iter()
        .map(|h| {
            (
                h.id.clone(),
                h.package.clone(),
                h.version.clone(),
                h.records.clone(),
                h.rating.vector.clone(),
            )
        })
        .collect()
}

fn hits(db: &osv::Database, lock: &str, kind: Kind) -> Vec<matcher::Hit> {
    let bytes = std::fs::read(testkit::fixtures_root().join("lockfiles").join(lock)).unwrap();
    let l = lockfile::parse(kind, lock, &bytes).unwrap();
    matcher::match_all(std::slice::from_ref(&l), None, Some(db))
}

#[test]
fn npm_and_pypi_zips_match_the_directories() {
    let sub = testkit::fixture!("advisories/osv-subset");
    let t = tempfile::tempdir().unwrap();
    let npm_zip = t.path().join("npm-all.zip");
    let pypi_zip = t.path().join("PyPI-all.zip");
    let n_npm = zip_dir(&sub.join("npm"), &npm_zip, zip::CompressionMethod::Deflated);
    let n_pypi = zip_dir(&sub.join("PyPI"), &pypi_zip, zip::CompressionMethod::Stored);
    let dirs = osv::Database::open(&[sub.join("npm"), sub.join("PyPI")]).unwrap();
    let zips = osv::Database::open(&[npm_zip.clone(), pypi_zip]).unwrap();
    assert_eq!(zips.records.len(), dirs.records.len());
    assert_eq!(zips.records.len(), n_npm + n_pypi);
    assert_eq!(zips.newest_modified(), dirs.newest_modified());
    for (lock, kind) in [
        ("axios-v0.26.0.package-lock.json", Kind::Npm),
        ("axios-v1.0.0.package-lock.json", Kind::Npm),
        ("djangoproject-2019.requirements.txt", Kind::Requirements),
    ] {
        let a = keys(&hits(&dirs, lock, kind));
        let b = keys(&hits(&zips, lock, kind));
        assert!(!a.is_empty(), "{lock}: the fixture has findings");
        assert_eq!(a, b, "{lock}");
    }
    // Record files point into the archive.
    assert!(
        zips.records
            .iter()
            .all(|r| r.file.starts_with(&npm_zip)
                || r.file.to_string_lossy().contains("PyPI-all.zip"))
    );
}

#[test]
fn rustsec_osv_zip_matches_the_directory() {
    let dir = testkit::fixture!("advisories/rustsec-osv");
    let t = tempfile::tempdir().unwrap();
    let z = t.path().join("crates.io-all.zip");
    zip_dir(&dir, &z, zip::CompressionMethod::Deflated);
    let a = osv::Database::open(std::slice::from_ref(&dir)).unwrap();
    let b = osv::Database::open(&[z]).unwrap();
    for lock in [
        "bat-v0.10.0.Cargo.lock",
        "bat-v0.24.0.Cargo.lock",
        "debio-node.Cargo.lock",
    ] {
        let ka = keys(&hits(&a, lock, Kind::Cargo));
        assert!(!ka.is_empty(), "{lock}");
        assert_eq!(ka, keys(&hits(&b, lock, Kind::Cargo)), "{lock}");
    }
}

fn gate(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"))
        .args(["--no-record", "--color", "never", "-C"])
        .arg(dir)
        .args(args)
        .env("GATES_CACHE_DIR", dir.join(".cache"))
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
#[allow(clippy::too_many_lines)]
fn cli_reads_a_zip_and_refuses_bad_ones_with_exit_4() {
    let sub = testkit::fixture!("advisories/osv-subset");
    let t = tempfile::tempdir().unwrap();
    std::fs::copy(
        testkit::fixtures_root().join("lockfiles/axios-v0.26.0.package-lock.json"),
        t.path().join("package-lock.json"),
    )
    .unwrap();
    let good = t.path().join("npm.zip");
    zip_dir(&sub.join("npm"), &good, zip::CompressionMethod::Deflated);
    let dir_run = gate(
        t.path(),
        &[
            "--osv-db",
            sub.join("npm").to_str().unwrap(),
            "--max-db-age",
            "off",
            "--format",
            "json",
        ],
    );
    let zip_run = gate(
        t.path(),
        &[
            "--osv-db",
            "npm.zip",
            "--max-db-age",
            "off",
            "--format",
            "json",
        ],
    );
    assert_eq!(dir_run.0, 1, "{}", dir_run.2);
    assert_eq!(zip_run.0, 1, "{}", zip_run.2);
    let f = |s: &str| {
        let v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["key"].clone(),
                    f["message"].clone(),
                    f["location"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(f(&dir_run.1), f(&zip_run.1));

    // A truncated download is not a zip.
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(t.path().join("cut.zip"), &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err) = gate(t.path(), &["--osv-db", "cut.zip", "--max-db-age", "off"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("cut.zip") && err.contains("not a readable zip"),
        "{err}"
    );

    // A corrupted entry: one byte of a stored entry's data flipped (CRC).
    let stored = t.path().join("stored.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&stored).unwrap());
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let rec = std::fs::read(sub.join("npm/GHSA-4w2v-q235-vp99.json"))
        .or_else(|_| {
            let mut v = Vec::new();
            files_under(&sub.join("npm"), &mut v);
            v.sort();
            std::fs::read(&v[0])
        })
        .unwrap();
    w.start_file("GHSA-test-corrupt.json", opts).unwrap();
    w.write_all(&rec).unwrap();
    w.finish().unwrap();
    let mut bytes = std::fs::read(&stored).unwrap();
    let at = bytes
        .windows(6)
        .position(|w| w == b"\"id\": ")
        .unwrap_or(60)
        + 2;
    bytes[at] ^= 0x20;
    std::fs::write(&stored, &bytes).unwrap();
    let (code, _, err) = gate(t.path(), &["--osv-db", "stored.zip", "--max-db-age", "off"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("stored.zip") && err.contains("entry `GHSA-test-corrupt.json`: corrupted"),
        "{err}"
    );

    // A record that is not valid JSON: archive, entry and line named.
    let badjson = t.path().join("badjson.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&badjson).unwrap());
    w.start_file("GHSA-bad.json", opts).unwrap();
    w.write_all(b"{\n  \"id\": \"GHSA-bad\",\n  \"affected\": [\n")
        .unwrap();
    w.finish().unwrap();
    let (code, _, err) = gate(
        t.path(),
        &["--osv-db", "badjson.zip", "--max-db-age", "off"],
    );
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("badjson.zip") && err.contains("entry `GHSA-bad.json`, line"),
        "{err}"
    );
}
