//! Yanked crates, from the crates.io index, offline first.
//!
//! Offline: Cargo's own on-disk cache of the sparse index,
//! `$CARGO_HOME/registry/index/index.crates.io-*/.cache/<prefix>/<name>`
//! (format of cargo's `SummariesCache`: a cache-version byte (3), the index
//! schema version as a little-endian u32, the index file version and a NUL,
//! then `version NUL json NUL` pairs), and the copies `--fetch` stored under
//! `<cache>/crates-index/` (the raw sparse index file: one JSON line per
//! version). Online (`fetch`): `<index-url>/<prefix>/<name>`.
//!
//! A crate the index has no entry for (or that no local copy covers) is
//! never reported as "not yanked": it is counted as unknown, with a note.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use gate_core::GateError;
use gate_core::ledger::local::atomic_write;
use serde::{Deserialize, Serialize};

use crate::lockfile::{Ecosystem, Lockfile};

/// Cargo's index cache format version this reader knows.
const CARGO_CACHE_VERSION: u8 = 3;

/// Longest crate name crates.io accepts.
pub const MAX_CRATE_NAME: usize = 64;

/// Checks `name` against crates.io's crate name rules: 1 to 64 characters,
/// ASCII letters, digits, `-` and `_`, starting with a letter. Every crate
/// crates.io serves satisfies them; a crates.io package of a Cargo.lock
/// that does not was written by hand (or by an attacker: the name becomes a
/// path in the index cache), so it is never looked up. `Err` says why.
pub fn check_crate_name(name: &str) -> Result<(), &'static str> {
    let Some(first) = name.chars().next() else {
        return Err("it is empty");
    };
    if !first.is_ascii_alphabetic() {
        return Err("it does not start with an ASCII letter");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("it has a character other than ASCII letters, digits, `-` and `_`");
    }
    if name.len() > MAX_CRATE_NAME {
        return Err("it is longer than 64 characters");
    }
    Ok(())
}

/// The index path of a crate name: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`
/// (lower case), as in cargo's `make_dep_path`; `None` for a name that is
/// not a valid crates.io name ([`check_crate_name`]), which has no index
/// path.
pub fn dep_path(name: &str) -> Option<String> {
    check_crate_name(name).ok()?;
    let n = name.to_ascii_lowercase();
    Some(match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", n.get(..1)?),
        _ => format!("{}/{}/{n}", n.get(..2)?, n.get(2..4)?),
    })
}

/// `root/rel`, only when `rel` is a relative path of plain names (no `..`,
/// no root, no drive prefix, not empty), so that the result cannot lie
/// outside `root`; `None` otherwise. Every index cache path goes through
/// this, behind the name check (defence in depth).
pub fn confined(root: &Path, rel: &str) -> Option<PathBuf> {
    let r = Path::new(rel);
    let mut parts = r.components().peekable();
    parts.peek()?;
    if !parts.all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let p = root.join(r);
    p.starts_with(root).then_some(p)
}

/// The index file of crate `name` under `root` (a copy of the sparse index
/// or Cargo's cache of it), when the name is valid.
pub fn index_file(root: &Path, name: &str) -> Option<PathBuf> {
    confined(root, &dep_path(name)?)
}

/// `.cache` folders of Cargo's crates.io sparse index (newest first).
pub fn cargo_cache_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(home) = home else { return Vec::new() };
    let Ok(rd) = std::fs::read_dir(home.join("registry/index")) else {
        return Vec::new();
    };
    let mut dirs: Vec<(Option<std::time::SystemTime>, PathBuf)> = rd
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("index.crates.io-")
        })
        .map(|e| e.path().join(".cache"))
        .filter(|p| p.is_dir())
        .map(|p| (std::fs::metadata(&p).and_then(|m| m.modified()).ok(), p))
        .collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0));
    dirs.into_iter().map(|(_, p)| p).collect()
}

#[derive(Deserialize)]
struct Entry {
    vers: String,
    #[serde(default)]
    yanked: bool,
}

/// version → yanked, from one of Cargo's cache files.
pub fn parse_cargo_cache(bytes: &[u8]) -> Result<HashMap<String, bool>, String> {
    let (&v, rest) = bytes.split_first().ok_or("empty file")?;
    if v != CARGO_CACHE_VERSION {
        return Err(format!("cache format {v}, not {CARGO_CACHE_VERSION}"));
    }
    let rest = rest.get(4..).ok_or("truncated header")?;
    let mut parts = rest.split(|&b| b == 0);
    parts.next().ok_or("no index version")?;
    let mut out = HashMap::new();
    while let Some(ver) = parts.next() {
        if ver.is_empty() {
            break;
        }
        let blob = parts.next().ok_or("a version without its JSON")?;
        let e: Entry = serde_json::from_slice(blob).map_err(|e| e.to_string())?;
        out.insert(e.vers, e.yanked);
    }
    Ok(out)
}

/// version → yanked, from a sparse index file (JSON lines).
pub fn parse_index_file(bytes: &[u8]) -> Result<HashMap<String, bool>, String> {
    let mut out = HashMap::new();
    for line in bytes.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let e: Entry = serde_json::from_slice(line).map_err(|e| e.to_string())?;
        out.insert(e.vers, e.yanked);
    }
    Ok(out)
}

/// Whether a lockfile source is crates.io.
pub fn is_crates_io(source: Option<&str>) -> bool {
    matches!(
        source.map(|s| s.trim_end_matches('/')),
        Some(
            "registry+https://github.com/rust-lang/crates.io-index"
                | "sparse+https://index.crates.io"
        )
    )
}

/// The yanked status of the crates.io packages of the lockfiles.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// (lockfile index, package index) of yanked packages.
    pub yanked: Vec<(usize, usize)>,
    /// (lockfile index, `name version`) of packages no local copy of the
    /// index covers (or that it lacks): status unknown.
    pub unknown: Vec<(usize, String)>,
    /// Crates checked.
    pub checked: usize,
    /// Where the data came from.
    pub sources: Vec<String>,
}

/// Whether `version` is yanked according to one of Cargo's cache files,
/// parsing only that version's JSON (`None`: the file lacks it or is not in
/// a format this reader knows).
pub fn cargo_cache_lookup(bytes: &[u8], version: &str) -> Option<bool> {
    let (&v, rest) = bytes.split_first()?;
    if v != CARGO_CACHE_VERSION {
        return None;
    }
    let mut parts = rest.get(4..)?.split(|&b| b == 0);
    parts.next()?;
    while let Some(ver) = parts.next() {
        let blob = parts.next()?;
        if ver == version.as_bytes() {
            let e: Entry = serde_json::from_slice(blob).ok()?;
            return Some(e.yanked);
        }
    }
    None
}

/// What an earlier run read from an index file, keyed by the file's path,
/// size and modification time: a warm run stats the files and reads none.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Memo {
    version: u32,
    files: HashMap<String, MemoFile>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct MemoFile {
    len: u64,
    mtime_ns: u128,
    /// version → yanked (`None`: the file has no such version).
    versions: HashMap<String, Option<bool>>,
}

const MEMO_VERSION: u32 = 1;

fn stat(p: &Path) -> Option<(u64, u128)> {
    let m = std::fs::metadata(p).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((m.len(), t))
}

/// The yanked status of `name` `version`: the newest copy of the crate's
/// index file (ours, fetched, or Cargo's) decides; `None` when no copy
/// knows the version.
fn status(
    name: &str,
    version: &str,
    ours: Option<&Path>,
    cargo: &[PathBuf],
    memo: &mut Memo,
    dirty: &mut bool,
) -> Option<bool> {
    let rel = dep_path(name)?;
    let mut best: Option<(u128, u64, PathBuf, bool)> = None;
    let candidates = ours
        .and_then(|o| confined(o, &rel))
        .map(|p| (p, false))
        .into_iter()
        .chain(
            cargo
                .iter()
                .filter_map(|d| confined(d, &rel))
                .map(|p| (p, true)),
        );
    for (p, cargo_format) in candidates {
        if let Some((len, t)) = stat(&p)
            && best.as_ref().is_none_or(|b| t > b.0)
        {
            best = Some((t, len, p, cargo_format));
        }
    }
    let (t, len, path, cargo_format) = best?;
    let key = path.to_string_lossy().into_owned();
    let entry = memo.files.entry(key).or_default();
    if entry.len != len || entry.mtime_ns != t {
        *entry = MemoFile {
            len,
            mtime_ns: t,
            versions: HashMap::new(),
        };
    }
    if let Some(known) = entry.versions.get(version) {
        return *known;
    }
    let bytes = std::fs::read(&path).ok()?;
    let found = if cargo_format {
        cargo_cache_lookup(&bytes, version)
    } else {
        parse_index_file(&bytes)
            .ok()
            .and_then(|m| m.get(version).copied())
    };
    entry.versions.insert(version.to_string(), found);
    *dirty = true;
    found
}

/// The crates.io packages of the Cargo.lock files in `locks` whose name is
/// not a valid crates.io name: (lockfile index, package index, why).
pub fn invalid_names(locks: &[Lockfile]) -> Vec<(usize, usize, &'static str)> {
    let mut out = Vec::new();
    for (li, l) in locks.iter().enumerate() {
        if l.ecosystem != Ecosystem::CratesIo {
            continue;
        }
        for (pi, p) in l.packages.iter().enumerate() {
            if !is_crates_io(p.source.as_deref()) {
                continue;
            }
            if let Err(why) = check_crate_name(&p.name) {
                out.push((li, pi, why));
            }
        }
    }
    out
}

/// Checks every crates.io package of `locks` against the local copies of
/// the index (`ours`: the fetched ones), remembering what it read in
/// `memo_file` when given.
pub fn check(locks: &[Lockfile], ours: Option<&Path>, memo_file: Option<&Path>) -> Report {
    let cargo = cargo_cache_dirs();
    let mut r = Report::default();
    let ours = ours.filter(|o| o.is_dir());
    if let Some(o) = ours {
        r.sources.push(o.display().to_string());
    }
    r.sources
        .extend(cargo.iter().map(|d| d.display().to_string()));
    let mut memo: Memo = memo_file
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|m: &Memo| m.version == MEMO_VERSION)
        .unwrap_or(Memo {
            version: MEMO_VERSION,
            files: HashMap::new(),
        });
    let mut dirty = false;
    for (li, l) in locks.iter().enumerate() {
        if l.ecosystem != Ecosystem::CratesIo {
            continue;
        }
        for (pi, p) in l.packages.iter().enumerate() {
            // A name crates.io cannot have is never a path: it is reported
            // by the gate (`invalid_names`), not looked up.
            if !is_crates_io(p.source.as_deref()) || check_crate_name(&p.name).is_err() {
                continue;
            }
            r.checked += 1;
            match status(&p.name, &p.version, ours, &cargo, &mut memo, &mut dirty) {
                Some(true) => r.yanked.push((li, pi)),
                Some(false) => {}
                None => r.unknown.push((li, format!("{} {}", p.name, p.version))),
            }
        }
    }
    if dirty && let Some(f) = memo_file {
        // A memo that cannot be written costs speed, not correctness.
        if let Ok(bytes) = serde_json::to_vec(&memo) {
            let _ = atomic_write(f, &bytes);
        }
    }
    r.unknown.sort();
    r.unknown.dedup();
    r
}

/// Fetches the sparse index file of every crates.io crate of `locks` into
/// `dir` (atomically, one file per crate; an empty file when the index has
/// no such crate), 16 requests at a time.
pub async fn fetch(
    client: &reqwest::Client,
    base: &str,
    dir: &Path,
    locks: &[Lockfile],
) -> Result<usize, GateError> {
    let mut names: Vec<String> = locks
        .iter()
        .filter(|l| l.ecosystem == Ecosystem::CratesIo)
        .flat_map(|l| l.packages.iter())
        .filter(|p| is_crates_io(p.source.as_deref()))
        // Validated before any path is built: an invalid name is reported
        // by the gate and never requested nor written.
        .filter(|p| check_crate_name(&p.name).is_ok())
        .map(|p| p.name.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let base = base.trim_end_matches('/').to_string();
    let mut set = tokio::task::JoinSet::new();
    let mut iter = names.into_iter();
    let mut fetched = 0;
    let spawn = |set: &mut tokio::task::JoinSet<_>, name: String| {
        // Both exist for every name `check_crate_name` accepted.
        let (Some(rel), Some(file)) = (dep_path(&name), index_file(dir, &name)) else {
            return false;
        };
        let client = client.clone();
        let url = format!("{base}/{rel}");
        set.spawn(async move { get_one(&client, &url, &file).await });
        true
    };
    let mut started = 0;
    while started < 16
        && let Some(name) = iter.next()
    {
        started += usize::from(spawn(&mut set, name));
    }
    while let Some(res) = set.join_next().await {
        res.map_err(|e| GateError::Internal(format!("index request task: {e}")))??;
        fetched += 1;
        for name in iter.by_ref() {
            if spawn(&mut set, name) {
                break;
            }
        }
    }
    Ok(fetched)
}

async fn get_one(client: &reqwest::Client, url: &str, file: &Path) -> Result<(), GateError> {
    let hint = "check the network and `crates-index-url`, or set yanked: ignore";
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| GateError::Upstream(format!("GET {url}: {e}\n  hint: {hint}")))?;
    let status = resp.status();
    let body = if status == reqwest::StatusCode::NOT_FOUND {
        Vec::new()
    } else if status.is_success() {
        resp.bytes()
            .await
            .map_err(|e| GateError::Upstream(format!("GET {url}: {e}\n  hint: {hint}")))?
            .to_vec()
    } else {
        return Err(GateError::Upstream(format!(
            "GET {url}: HTTP {status}\n  hint: {hint}"
        )));
    };
    if !body.is_empty() {
        parse_index_file(&body).map_err(|e| {
            GateError::Upstream(format!(
                "GET {url}: not a crates.io index file ({e})\n  hint: is crates-index-url a sparse index?"
            ))
        })?;
    }
    atomic_write(file, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep_paths_follow_cargo() {
        assert_eq!(dep_path("a").as_deref(), Some("1/a"));
        assert_eq!(dep_path("ab").as_deref(), Some("2/ab"));
        assert_eq!(dep_path("abc").as_deref(), Some("3/a/abc"));
        assert_eq!(dep_path("Serde").as_deref(), Some("se/rd/serde"));
        assert_eq!(
            dep_path("proc-macro2").as_deref(),
            Some("pr/oc/proc-macro2")
        );
    }

    /// Names crates.io cannot have: no index path, and no panic (the byte
    /// slicing of the prefix used to panic on `éa`, `a€bc`).
    #[test]
    fn dep_path_is_total_and_refuses_names_crates_io_cannot_have() {
        for bad in [
            "",
            "éa",
            "a€bc",
            "€",
            "aé",
            "ab€",
            "../../victim.txt",
            "..",
            "a/b",
            "a\\b",
            "/etc",
            "1abc",
            "-a",
            "_a",
            "a.b",
            "a b",
            "a\0b",
            &"a".repeat(65),
        ] {
            assert_eq!(dep_path(bad), None, "{bad:?}");
            assert!(check_crate_name(bad).is_err(), "{bad:?}");
            assert_eq!(index_file(Path::new("/cache"), bad), None, "{bad:?}");
        }
        let longest = "a".repeat(64);
        assert!(check_crate_name(&longest).is_ok());
        assert!(check_crate_name("A-b_9").is_ok());
        assert_eq!(check_crate_name(""), Err("it is empty"));
        assert_eq!(
            check_crate_name("../x"),
            Err("it does not start with an ASCII letter")
        );
        assert_eq!(
            check_crate_name("a/../x"),
            Err("it has a character other than ASCII letters, digits, `-` and `_`")
        );
    }

    #[test]
    fn confined_refuses_every_escape() {
        let root = Path::new("/cache/crates-index");
        assert_eq!(
            confined(root, "se/rd/serde"),
            Some(PathBuf::from("/cache/crates-index/se/rd/serde"))
        );
        for bad in [
            "",
            "..",
            "../x",
            "a/../../x",
            "a/..",
            "/etc/passwd",
            "./a",
            "//x",
        ] {
            assert_eq!(confined(root, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cargo_cache_format() {
        let mut b = vec![3u8];
        b.extend(2u32.to_le_bytes());
        b.extend(b"etag\0");
        b.extend(b"1.0.0\0{\"name\":\"x\",\"vers\":\"1.0.0\",\"yanked\":false}\0");
        b.extend(b"1.0.1\0{\"name\":\"x\",\"vers\":\"1.0.1\",\"yanked\":true}\0");
        let m = parse_cargo_cache(&b).unwrap_or_default();
        assert_eq!(m.get("1.0.0"), Some(&false));
        assert_eq!(m.get("1.0.1"), Some(&true));
        assert_eq!(cargo_cache_lookup(&b, "1.0.1"), Some(true));
        assert_eq!(cargo_cache_lookup(&b, "1.0.0"), Some(false));
        assert_eq!(cargo_cache_lookup(&b, "1.0.2"), None);
        b[0] = 2;
        assert!(parse_cargo_cache(&b).is_err());
        assert_eq!(cargo_cache_lookup(&b, "1.0.1"), None);
    }
}
