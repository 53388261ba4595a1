//! The per-crate cache of the RustSec database: a warm load (advisories
//! parsed only for the lockfile's crates) gives exactly the hits of a full
//! parse, on the real database and lockfiles; a corrupted cache is rebuilt.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use gate_audit::lockfile::{self, Kind};
use gate_audit::{matcher, rustsec};

fn hits(db: &rustsec::Database, lock: &str) -> String {
    let bytes = std::fs::read(testkit::fixtures_root().join("lockfiles").join(lock)).unwrap();
    let l = lockfile::parse(Kind::Cargo, lock, &bytes).unwrap();
    serde_json::to_string(&matcher::match_all(
        std::slice::from_ref(&l),
        Some(db),
        None,
    ))
    .unwrap()
}

#[test]
fn warm_lazy_cache_equals_a_full_parse() {
    let root = testkit::fixture!("advisories/rustsec");
    let cache = tempfile::tempdir().unwrap();
    let full = rustsec::Database::open(&root).unwrap();
    let (cold, used) = rustsec::Database::open_cached(&root, Some(cache.path())).unwrap();
    assert!(!used);
    let (warm, used) = rustsec::Database::open_cached(&root, Some(cache.path())).unwrap();
    assert!(used, "second load comes from the cache");
    assert_eq!(warm.count(), full.count());
    assert_eq!(warm.newest_date(), full.newest_date());
    assert!(warm.advisories.is_empty(), "nothing parsed up front");
    for lock in [
        "bat-v0.10.0.Cargo.lock",
        "bat-v0.24.0.Cargo.lock",
        "debio-node.Cargo.lock",
        "parity-ethereum.Cargo.lock",
    ] {
        let want = hits(&full, lock);
        assert_eq!(hits(&cold, lock), want, "{lock}");
        assert_eq!(hits(&warm, lock), want, "{lock}");
    }

    // A flipped byte in a chunk the lockfile needs (the `time` crate's,
    // which debio-node uses): that chunk fails its checksum, the crate's
    // advisories come from the database's own files (same hits), and the
    // cache file is removed, so the next run rebuilds it.
    let file = cache_file(cache.path());
    let mut bytes = std::fs::read(&file).unwrap();
    let at = find(&bytes, br#""package":"time""#);
    bytes[at + 12] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let (again, used) = rustsec::Database::open_cached(&root, Some(cache.path())).unwrap();
    assert!(used, "the header is intact: the cache is opened");
    again.preload(["time"]).unwrap();
    assert_eq!(
        hits(&again, "debio-node.Cargo.lock"),
        hits(&full, "debio-node.Cargo.lock")
    );
    assert!(!file.exists(), "a damaged cache is removed");
    let (_, used) = rustsec::Database::open_cached(&root, Some(cache.path())).unwrap();
    assert!(!used, "and rebuilt on the next run");
    let (_, used) = rustsec::Database::open_cached(&root, Some(cache.path())).unwrap();
    assert!(used, "then used again");

    // A flipped byte in the table line: its checksum fails, the cache is not
    // used at all (a damaged crate name must never hide a crate's advisories).
    let file = cache_file(cache.path());
    let mut bytes = std::fs::read(&file).unwrap();
    let at = find(&bytes, b" time:") + 1;
    bytes[at] = b'x';
    std::fs::write(&file, &bytes).unwrap();
    let (again, used) = rustsec::Database::open_cached(&root, Some(cache.path())).unwrap();
    assert!(!used, "a damaged table is not used");
    assert_eq!(
        hits(&again, "debio-node.Cargo.lock"),
        hits(&full, "debio-node.Cargo.lock")
    );
}

/// A table whose checksum holds but whose record points past the end of
/// the file (a crafted or buggy cache): no huge allocation, no panic; that
/// crate is read from the database and the cache dropped.
#[test]
fn a_chunk_past_the_end_of_the_file_falls_back() {
    let root = testkit::fixture!("advisories/rustsec");
    let cache = tempfile::tempdir().unwrap();
    let full = rustsec::Database::open(&root).unwrap();
    rustsec::Database::open_cached(&root, Some(cache.path())).unwrap();
    let file = cache_file(cache.path());
    let text = String::from_utf8(std::fs::read(&file).unwrap()).unwrap();
    let mut lines = text.splitn(3, '\n');
    let (head, table, body) = (
        lines.next().unwrap(),
        lines.next().unwrap(),
        lines.next().unwrap(),
    );
    let table: Vec<String> = table
        .split(' ')
        .map(|r| {
            let f: Vec<&str> = r.split(':').collect();
            if f[0] == "time" {
                format!("time:{}:999999999999:{}", f[1], f[3])
            } else {
                r.to_string()
            }
        })
        .collect();
    let table = table.join(" ");
    let mut h: serde_json::Value = serde_json::from_str(head).unwrap();
    h["crc"] = crc32fast::hash(table.as_bytes()).into();
    std::fs::write(&file, format!("{h}\n{table}\n{body}")).unwrap();
    let (db, used) = rustsec::Database::open_cached(&root, Some(cache.path())).unwrap();
    assert!(used, "the table's checksum holds");
    db.preload(["time"]).unwrap();
    assert_eq!(
        hits(&db, "debio-node.Cargo.lock"),
        hits(&full, "debio-node.Cargo.lock")
    );
    assert!(!file.exists(), "the cache is dropped");
}

fn cache_file(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{} not in the cache", String::from_utf8_lossy(needle)))
}

/// Writing a cache removes the caches of other database states (and the
/// first format's `.json` ones) a week after their last write; recent ones,
/// and files that are not caches, stay.
#[test]
fn writing_a_cache_prunes_week_old_ones() {
    let root = testkit::fixture!("advisories/rustsec");
    let cache = tempfile::tempdir().unwrap();
    let d = cache.path();
    let eight_days = std::time::SystemTime::now() - std::time::Duration::from_secs(8 * 24 * 3600);
    let aged = |name: &str| {
        let p = d.join(name);
        std::fs::write(&p, "old").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(eight_days)
            .unwrap();
        p
    };
    let old_idx = aged("rustsec-0000000000000001.idx");
    let old_json = aged("rustsec-0000000000000002.json");
    let memo = aged("yanked-memo.json");
    let recent = d.join("rustsec-0000000000000003.idx");
    std::fs::write(&recent, "recent").unwrap();
    let (_, used) = rustsec::Database::open_cached(&root, Some(d)).unwrap();
    assert!(!used);
    assert!(
        !old_idx.exists() && !old_json.exists(),
        "week-old caches removed"
    );
    assert!(recent.exists(), "a recent cache of another state stays");
    assert!(memo.exists(), "not a RustSec cache: stays");
    let idx = std::fs::read_dir(d)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "idx")
        })
        .count();
    assert_eq!(idx, 2, "the new cache beside the recent one");
}

/// The key of a plain export is its folders' own change signal: a `stat`
/// per crate folder, not a `readdir` per folder and a `stat` per advisory
/// file (about 6,000 system calls on the real database, which made a warm
/// run 3.1–3.5× cargo-audit's speed instead of ≥ 6×). So a file's own
/// modification time does not enter the key; adding, removing or renaming
/// an advisory does.
#[test]
fn an_exports_key_is_its_folders_change_signal() {
    testkit::fixture!("advisories/rustsec/crates");
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("db");
    for c in ["idna", "smallvec", "time"] {
        let from = testkit::fixtures_root()
            .join("advisories/rustsec/crates")
            .join(c);
        std::fs::create_dir_all(db.join("crates").join(c)).unwrap();
        for e in std::fs::read_dir(&from).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), db.join("crates").join(c).join(e.file_name())).unwrap();
        }
    }
    let key = || rustsec::fingerprint(&db).unwrap();
    let k0 = key();
    assert_eq!(k0, key());
    // A file's own mtime (set without touching its folder) is not read.
    let one = std::fs::read_dir(db.join("crates/idna"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let f = std::fs::File::options().write(true).open(&one).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
    drop(f);
    assert_eq!(k0, key(), "a file's mtime entered the key");
    // An added advisory changes its folder, so the key.
    std::fs::write(db.join("crates/idna/RUSTSEC-9999-0001.md"), "x").unwrap();
    let k1 = key();
    assert_ne!(k0, k1);
    // A new crate folder changes `crates/`.
    std::fs::create_dir(db.join("crates/newcrate")).unwrap();
    assert_ne!(k1, key());
}
