//! The RustSec advisory database (advisory-db checkout or export) and
//! cargo-audit's matching semantics.
//!
//! An advisory lists the versions that are *not* affected (`patched`,
//! `unaffected`, Cargo version requirements); like the `rustsec` crate, the
//! affected versions are the complement of their union, computed as
//! half-open `[introduced, fixed)` intervals. Caret and tilde requirements
//! end at the next breaking version's `-0` pre-release, an exclusive lower
//! bound `> v` becomes `v` incremented to the smallest later version
//! (`1.2.3` → `1.2.4-0`, `1.2.3-rc.1` → `1.2.3-rc.1.0`), build metadata
//! never counts, withdrawn advisories are skipped, and only packages from
//! crates.io match (not path, workspace or git packages).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use semver::{Comparator, Op, Prerelease, Version, VersionReq};
use serde::{Deserialize, Serialize};

use crate::version::strip_build;

/// `registry+` URL of crates.io, as Cargo writes it in every lockfile.
pub const CRATES_IO: &str = "https://github.com/rust-lang/crates.io-index";

/// An error in one advisory file: the file, a line when known, the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub path: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

impl DbError {
    fn new(path: &Path, line: Option<u64>, message: impl Into<String>) -> Self {
        DbError {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

/// Kind of an informational advisory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Informational {
    Unmaintained,
    Unsound,
    Notice,
    /// Any other label: cargo-audit reports it nowhere.
    Other(String),
}

impl Informational {
    fn parse(s: &str) -> Informational {
        match s {
            "unmaintained" => Informational::Unmaintained,
            "unsound" => Informational::Unsound,
            "notice" => Informational::Notice,
            o => Informational::Other(o.to_string()),
        }
    }
}

/// Which part of the database an advisory is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Collection {
    Crates,
    Rust,
}

/// An affected interval: `introduced` inclusive, `fixed` exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub introduced: Option<Version>,
    pub fixed: Option<Version>,
}

impl Interval {
    pub fn contains(&self, v: &Version) -> bool {
        self.introduced.as_ref().is_none_or(|s| v >= s) && self.fixed.as_ref().is_none_or(|e| v < e)
    }
}

/// One RustSec advisory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    pub package: String,
    pub collection: Collection,
    pub title: String,
    pub date: String,
    pub aliases: Vec<String>,
    pub url: Option<String>,
    pub cvss: Option<String>,
    pub informational: Option<Informational>,
    pub withdrawn: Option<String>,
    /// Registry the advisory is about (`source`), default crates.io.
    pub source: Option<String>,
    pub patched: Vec<String>,
    pub unaffected: Vec<String>,
    pub affected: Vec<Interval>,
    pub file: PathBuf,
}

impl Advisory {
    /// Whether `version` is affected (cargo-audit's `Versions::is_vulnerable`).
    pub fn affects(&self, version: &Version) -> bool {
        let v = strip_build(version);
        self.affected.iter().any(|r| r.contains(&v))
    }

    /// Whether a lockfile package source is in this advisory's scope: the
    /// same registry (crates.io by default). Path and workspace packages (no
    /// source) and git sources never match, as with cargo-audit 0.22 (a
    /// workspace crate named like a published one is not that crate).
    pub fn source_matches(&self, source: Option<&str>) -> bool {
        let Some(src) = source else { return false };
        let want = self.source.as_deref().unwrap_or(CRATES_IO);
        let want = want.strip_prefix("registry+").unwrap_or(want);
        match src.strip_prefix("registry+") {
            Some(url) => url.trim_end_matches('/') == want.trim_end_matches('/'),
            None => false,
        }
    }
}

#[derive(Deserialize)]
struct RawFile {
    advisory: RawAdvisory,
    #[serde(default)]
    versions: Option<RawVersions>,
}

#[derive(Deserialize)]
struct RawAdvisory {
    id: String,
    package: String,
    #[serde(default)]
    date: Option<toml::Value>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    title: Option<String>,
    // v2 advisories kept versions in [advisory]
    #[serde(default)]
    patched_versions: Option<Vec<String>>,
    #[serde(default)]
    unaffected_versions: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawVersions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// A loaded database.
#[derive(Debug, Default)]
pub struct Database {
    pub root: PathBuf,
    pub advisories: Vec<Advisory>,
    /// Crate name → indices of its `crates/` advisories.
    pub by_package: HashMap<String, Vec<usize>>,
    /// Date of the last commit (`YYYY-MM-DD`) when the directory is a git checkout.
    pub commit_date: Option<String>,
    /// Loaded from the cache: advisories parsed per crate on first use.
    lazy: Option<Lazy>,
}

/// The cache's per-crate chunks: read (one seek and read each, checksummed)
/// and parsed only when a lockfile asks for the crate.
#[derive(Debug)]
struct Lazy {
    file: std::fs::File,
    /// The cache file, removed when a chunk turns out corrupted.
    path: PathBuf,
    /// Offset of the body in the file, and the file's size.
    base: u64,
    size: u64,
    /// The table line: `name:offset:length:crc32` records, one space
    /// apart, sorted by name.
    table: String,
    /// Where each record is in `table`, in its (name) order: start, end of
    /// the name, end.
    records: Vec<(usize, usize, usize)>,
    /// The parsed advisories of each record, filled on first use.
    cells: Vec<std::cell::OnceCell<Result<Vec<Advisory>, DbError>>>,
    count: usize,
    newest: Option<String>,
}

/// Where a crate's chunk is in the body: offset, length, CRC-32.
struct Chunk {
    off: u64,
    len: usize,
    crc: u32,
}

impl Lazy {
    fn get(&self, root: &Path, name: &str) -> &[Advisory] {
        self.load(root, name)
            .map_or(&[], |r| r.as_deref().unwrap_or(&[]))
    }

    /// The advisories of `name` (`None`: the crate has none). A chunk that
    /// cannot be read or fails its checksum is parsed from the database
    /// itself (`crates/<name>/`) and the cache file is removed, so that the
    /// next run rebuilds it.
    fn load(&self, root: &Path, name: &str) -> Option<&Result<Vec<Advisory>, DbError>> {
        let i = self
            .records
            .binary_search_by(|&(start, colon, _)| {
                self.table.get(start..colon).unwrap_or_default().cmp(name)
            })
            .ok()?;
        let cell = self.cells.get(i)?;
        Some(cell.get_or_init(|| {
            let chunk = self
                .records
                .get(i)
                .and_then(|&(start, _, end)| parse_record(self.table.get(start..end)?));
            chunk.and_then(|c| self.read_chunk(&c)).map_or_else(
                || {
                    let _ = std::fs::remove_file(&self.path);
                    parse_crate_dir(root, name)
                },
                Ok,
            )
        }))
    }

    fn read_chunk(&self, c: &Chunk) -> Option<Vec<Advisory>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = &self.file;
        f.seek(SeekFrom::Start(self.base.checked_add(c.off)?))
            .ok()?;
        // A length past the end of the file is damage, not an allocation.
        if self.base.checked_add(c.off)?.checked_add(c.len as u64)? > self.size {
            return None;
        }
        let mut buf = vec![0; c.len];
        f.read_exact(&mut buf).ok()?;
        if crc32(&buf) != c.crc {
            return None;
        }
        serde_json::from_slice(&buf).ok()
    }
}

/// Removes the caches of other database states (`rustsec-*.idx`, and the
/// first format's `rustsec-*.json`; never `keep`) a week after their last
/// write, so that a cache directory does not grow with every advisory-db
/// update, while two checkouts used in turn keep theirs.
fn prune_caches(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > week);
        // `.json`: the first cache format's name.
        let ours =
            name.starts_with("rustsec-") && (name.ends_with(".idx") || name.ends_with(".json"));
        if p != keep && ours && old {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// `name:offset:length:crc32` → the chunk.
fn parse_record(rec: &str) -> Option<Chunk> {
    let mut f = rec.split(':').skip(1);
    let chunk = Chunk {
        off: f.next()?.parse().ok()?,
        len: f.next()?.parse().ok()?,
        crc: f.next()?.parse().ok()?,
    };
    f.next().is_none().then_some(chunk)
}

/// Parses the advisories of one crate (`root/crates/<name>/`), in the order
/// of a full load.
fn parse_crate_dir(root: &Path, name: &str) -> Result<Vec<Advisory>, DbError> {
    let dir = root.join("crates").join(name);
    let entries = std::fs::read_dir(&dir).map_err(|e| DbError::new(&dir, None, e.to_string()))?;
    let mut paths = Vec::new();
    for f in entries {
        let f = f.map_err(|e| DbError::new(&dir, None, e.to_string()))?;
        let n = f.file_name();
        let n = n.to_string_lossy();
        if !n.starts_with('.') && (n.ends_with(".md") || n.ends_with(".toml")) {
            paths.push(f.path());
        }
    }
    paths.sort();
    parse_files(&paths, Collection::Crates)
}

fn date_string(v: &Option<toml::Value>) -> String {
    match v {
        Some(toml::Value::String(s)) => s.clone(),
        Some(toml::Value::Datetime(d)) => d.to_string(),
        _ => String::new(),
    }
}

impl Database {
    /// Loads `root/crates/*/*.md` and `root/rust/*/*.md`. A directory with
    /// neither `crates/` nor `rust/` is not an advisory-db.
    pub fn open(root: &Path) -> Result<Database, DbError> {
        let meta = std::fs::metadata(root).map_err(|e| {
            DbError::new(root, None, format!("cannot read the RustSec database: {e}"))
        })?;
        if !meta.is_dir() {
            return Err(DbError::new(
                root,
                None,
                "not a directory: a RustSec database is a checkout or export of rustsec/advisory-db (with a crates/ folder)",
            ));
        }
        // `git log` runs while the advisories are parsed.
        let date = CommitDate::start(root);
        let mut db = Database {
            root: root.to_path_buf(),
            ..Database::default()
        };
        let mut found = false;
        for (dir, coll) in [("crates", Collection::Crates), ("rust", Collection::Rust)] {
            let base = root.join(dir);
            let Ok(entries) = std::fs::read_dir(&base) else {
                continue;
            };
            found = true;
            let mut paths = Vec::new();
            for e in entries {
                let e = e.map_err(|e| DbError::new(&base, None, e.to_string()))?;
                let p = e.path();
                if !p.is_dir() {
                    continue;
                }
                let files =
                    std::fs::read_dir(&p).map_err(|e| DbError::new(&p, None, e.to_string()))?;
                for f in files {
                    let f = f.map_err(|e| DbError::new(&p, None, e.to_string()))?;
                    let fp = f.path();
                    let name = f.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with('.') || !(name.ends_with(".md") || name.ends_with(".toml"))
                    {
                        continue;
                    }
                    paths.push(fp);
                }
            }
            paths.sort();
            for adv in parse_files(&paths, coll)? {
                if coll == Collection::Crates {
                    db.by_package
                        .entry(adv.package.clone())
                        .or_default()
                        .push(db.advisories.len());
                }
                db.advisories.push(adv);
            }
        }
        if !found {
            return Err(DbError::new(
                root,
                None,
                "not a RustSec advisory database: no crates/ or rust/ folder (point rustsec-db at a checkout or export of rustsec/advisory-db)",
            ));
        }
        db.commit_date = date.finish();
        Ok(db)
    }

    /// Loads the database through a compact cache in `cache_dir`: the parsed
    /// advisories (no Markdown bodies, affected intervals precomputed) keyed
    /// by a fingerprint of the database (see [`fingerprint`]), one JSON chunk
    /// per crate, its offset, length and CRC-32 in a table line (see
    /// `to_cache`), so that a run reads and parses only the
    /// chunks of the crates its lockfiles contain. A missing, stale or unreadable cache is rebuilt from a full
    /// parse; a corrupted chunk falls back to the database's own files for
    /// that crate (see `Lazy::load`). Returns whether the cache was used.
    pub fn open_cached(root: &Path, cache_dir: Option<&Path>) -> Result<(Database, bool), DbError> {
        let Some(dir) = cache_dir else {
            return Database::open(root).map(|d| (d, false));
        };
        let key = fingerprint(root)?;
        let file = dir.join(format!("rustsec-{key:016x}.idx"));
        if let Some(db) = Database::from_cache(root, key, &file) {
            return Ok((db, true));
        }
        let db = Database::open(root)?;
        if let Some(bytes) = db.to_cache(key) {
            // A cache that cannot be written costs speed, not correctness.
            // Written to a temporary file and renamed (readers never see a
            // partial file) but not fsynced: after a crash a lost or torn
            // cache fails its checksums and is not used.
            let tmp = dir.join(format!(".rustsec-{key:016x}.{}.tmp", std::process::id()));
            let ok = std::fs::create_dir_all(dir).is_ok()
                && std::fs::write(&tmp, &bytes).is_ok()
                && std::fs::rename(&tmp, &file).is_ok();
            if ok {
                prune_caches(dir, &file);
            } else {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        Ok((db, false))
    }

    /// Serialises the `crates/` advisories: a header line (JSON: version,
    /// key, dates, count, CRC-32 of the next line), a table line
    /// (`name:offset:length:crc32` per crate, space-separated, sorted by
    /// name, offsets into the body), then the body (one JSON array per
    /// crate).
    fn to_cache(&self, key: u64) -> Option<Vec<u8>> {
        let mut names: Vec<&String> = self.by_package.keys().collect();
        names.sort();
        let mut body = Vec::new();
        let mut table = Vec::new();
        for name in names {
            // Crate names are ASCII letters, digits, `-` and `_`; a folder
            // named otherwise (not a crate) means no cache, not a bad one.
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return None;
            }
            let advs: Vec<&Advisory> = self.for_package(name).collect();
            let off = body.len();
            serde_json::to_writer(&mut body, &advs).ok()?;
            let chunk = body.get(off..)?;
            if !table.is_empty() {
                table.push(b' ');
            }
            table.extend_from_slice(
                format!("{name}:{off}:{}:{}", chunk.len(), crc32(chunk)).as_bytes(),
            );
        }
        let header = serde_json::json!({
            "version": CACHE_VERSION,
            "key": key,
            "commit_date": self.commit_date,
            "newest_date": self.newest_date(),
            "count": self.advisories.len(),
            "crc": crc32(&table),
        });
        let mut out = serde_json::to_vec(&header).ok()?;
        out.push(b'\n');
        out.extend_from_slice(&table);
        out.push(b'\n');
        out.extend_from_slice(&body);
        Some(out)
    }

    /// Opens the cache file and reads its header and table lines only;
    /// `None` when it is missing, of another version or key, or damaged.
    fn from_cache(root: &Path, key: u64, path: &Path) -> Option<Database> {
        use std::io::BufRead;
        #[derive(Deserialize)]
        struct Header {
            version: String,
            key: u64,
            commit_date: Option<String>,
            newest_date: Option<String>,
            count: usize,
            crc: u32,
        }
        let file = std::fs::File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, &file);
        let mut line = |buf: &mut Vec<u8>| -> Option<usize> {
            let n = reader.read_until(b'\n', buf).ok()?;
            (buf.pop() == Some(b'\n')).then_some(n)
        };
        let (mut head, mut table) = (Vec::new(), Vec::new());
        let base = line(&mut head)? + line(&mut table)?;
        let h: Header = serde_json::from_slice(&head).ok()?;
        if h.version != CACHE_VERSION || h.key != key || crc32(&table) != h.crc {
            return None;
        }
        let table = String::from_utf8(table).ok()?;
        // Every record named and the names strictly increasing (what the
        // lookup's binary search relies on), else the cache is not used; a
        // record whose numbers do not parse falls back like a bad chunk.
        let mut records = Vec::new();
        let mut start = 0;
        let mut last = "";
        for part in table.split(' ') {
            let colon = part.bytes().position(|b| b == b':')?;
            let name = part.get(..colon)?;
            if name <= last {
                return None;
            }
            last = name;
            records.push((start, start + colon, start + part.len()));
            start += part.len() + 1;
        }
        let cells = std::iter::repeat_with(std::cell::OnceCell::new)
            .take(records.len())
            .collect();
        Some(Database {
            root: root.to_path_buf(),
            commit_date: h.commit_date,
            lazy: Some(Lazy {
                file,
                path: path.to_path_buf(),
                base: u64::try_from(base).ok()?,
                size,
                table,
                records,
                cells,
                count: h.count,
                newest: h.newest_date,
            }),
            ..Database::default()
        })
    }

    /// Reads the cached advisories of `names` now (a no-op without a cache),
    /// so that a crate whose chunk is damaged and whose files cannot be
    /// parsed either is an error here, not a silent "no advisories" later.
    pub fn preload<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<(), DbError> {
        let Some(lazy) = &self.lazy else {
            return Ok(());
        };
        for name in names {
            if let Some(Err(e)) = lazy.load(&self.root, name) {
                return Err(e.clone());
            }
        }
        Ok(())
    }

    /// Number of advisories (both collections).
    pub fn count(&self) -> usize {
        self.lazy
            .as_ref()
            .map_or(self.advisories.len(), |l| l.count)
    }

    /// Newest advisory date (`YYYY-MM-DD`), a lower bound of the export's date.
    pub fn newest_date(&self) -> Option<&str> {
        if let Some(l) = &self.lazy {
            return l.newest.as_deref();
        }
        self.advisories
            .iter()
            .map(|a| a.date.as_str())
            .filter(|d| !d.is_empty())
            .max()
    }

    /// Advisories of `name` (crates collection), any kind.
    pub fn for_package<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Advisory> + 'a {
        let lazy = self
            .lazy
            .as_ref()
            .map_or(&[][..], |l| l.get(&self.root, name));
        self.by_package
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.advisories.get(i))
            .chain(lazy)
    }
}

const CACHE_VERSION: &str = concat!("gate-audit ", env!("CARGO_PKG_VERSION"), " cache 4");

/// CRC-32 (IEEE), to tell a torn or corrupted cache from a good one.
fn crc32(bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(bytes);
    h.finalize()
}

/// `git log -1` started in the background (the date of a checkout's last
/// commit), collected with [`CommitDate::finish`].
struct CommitDate(Option<std::process::Child>);

impl CommitDate {
    fn start(dir: &Path) -> CommitDate {
        if !dir.join(".git").exists() {
            return CommitDate(None);
        }
        CommitDate(
            gate_core::git::command(dir)
                .args(["log", "-1", "--format=%cs"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .ok(),
        )
    }

    fn finish(self) -> Option<String> {
        let o = self.0?.wait_with_output().ok()?;
        let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
        (o.status.success() && crate::policy::parse_date(&s).is_some()).then_some(s)
    }
}

/// Date of a git checkout's last commit, when `dir` is one.
pub fn git_commit_date(dir: &Path) -> Option<String> {
    if !dir.join(".git").exists() {
        return None;
    }
    let o = gate_core::git::command(dir)
        .args(["log", "-1", "--format=%cs"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&o.stdout).trim().to_string();
    (o.status.success() && crate::policy::parse_date(&s).is_some()).then_some(s)
}

/// Fingerprint of a database directory: for a git checkout, the commit of
/// HEAD and the state of the index (any checkout or pull changes it; an
/// uncommitted edit of an advisory file does not); for an export, the
/// modification time of `crates/`, `rust/` and of each crate's folder: the
/// directories' own change signal, which any added, removed or renamed
/// advisory changes (extracting an archive over it, `cp`, `rsync`, `git
/// checkout-index` all create or rename files). One `stat` per crate instead
/// of a `readdir` per crate and a `stat` per advisory file. An advisory file
/// rewritten in place (same name, its folder untouched) is not seen.
pub fn fingerprint(root: &Path) -> Result<u64, DbError> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    CACHE_VERSION.hash(&mut h);
    root.hash(&mut h);
    let git = root.join(".git");
    let head = std::fs::read_to_string(git.join("HEAD")).ok();
    if let Some(head) = head {
        head.hash(&mut h);
        if let Some(r) = head.trim().strip_prefix("ref: ") {
            std::fs::read_to_string(git.join(r)).ok().hash(&mut h);
            std::fs::read_to_string(git.join("packed-refs"))
                .ok()
                .hash(&mut h);
        }
        let meta = std::fs::metadata(git.join("index")).ok();
        meta.as_ref().map(|m| m.len()).hash(&mut h);
        meta.and_then(|m| m.modified().ok()).hash(&mut h);
        return Ok(h.finish());
    }
    for dir in ["crates", "rust"] {
        let base = root.join(dir);
        std::fs::metadata(&base)
            .and_then(|m| m.modified())
            .ok()
            .hash(&mut h);
        let Ok(rd) = std::fs::read_dir(&base) else {
            continue;
        };
        // A crate folder's mtime changes when an advisory is added to it,
        // removed or renamed; `crates/`'s when a crate folder is.
        let mut subdirs: Vec<(std::ffi::OsString, Option<std::time::SystemTime>)> = rd
            .filter_map(|e| e.ok())
            .map(|e| {
                let m = e.metadata().ok().and_then(|m| m.modified().ok());
                (e.file_name(), m)
            })
            .collect();
        subdirs.sort();
        dir.hash(&mut h);
        subdirs.hash(&mut h);
    }
    Ok(h.finish())
}

fn read_and_parse(p: &Path, coll: Collection) -> Result<Advisory, DbError> {
    let text = std::fs::read(p).map_err(|e| DbError::new(p, None, e.to_string()))?;
    let text = String::from_utf8(text).map_err(|_| DbError::new(p, None, "not UTF-8 text"))?;
    parse_advisory(p, &text, coll)
}

/// Reads and parses advisory files on every core, keeping their order; the
/// first error in path order wins (the same message whatever the timing).
fn parse_files(paths: &[PathBuf], coll: Collection) -> Result<Vec<Advisory>, DbError> {
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, 8);
    if threads == 1 || paths.len() < 64 {
        return paths.iter().map(|p| read_and_parse(p, coll)).collect();
    }
    let chunk = paths.len().div_ceil(threads);
    let results: Vec<Result<Vec<Advisory>, DbError>> = std::thread::scope(|s| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(|p| read_and_parse(p, coll)).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DbError::new(
                        Path::new("."),
                        None,
                        "a parser thread panicked",
                    ))
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(paths.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

fn line_of(text: &str, offset: usize) -> u64 {
    text.get(..offset.min(text.len()))
        .map(|t| t.bytes().filter(|&b| b == b'\n').count() as u64 + 1)
        .unwrap_or(1)
}

/// Parses one advisory file (Markdown with a ```toml front matter, or a
/// bare `.toml` v2 advisory).
pub fn parse_advisory(
    path: &Path,
    text: &str,
    collection: Collection,
) -> Result<Advisory, DbError> {
    let (toml_text, first_line, body) = if let Some(rest) = text.strip_prefix("```toml") {
        let rest = rest.trim_start_matches([' ', '\t']);
        let rest = rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\n'))
            .ok_or_else(|| {
                DbError::new(path, Some(1), "```toml must be alone on the first line")
            })?;
        let end = rest.find("\n```").ok_or_else(|| {
            DbError::new(
                path,
                Some(line_of(text, text.len())),
                "the ```toml front matter is not closed by a ``` line (truncated file?)",
            )
        })?;
        (&rest[..end + 1], 2u64, &rest[end + 4..])
    } else if path.extension().is_some_and(|e| e == "toml") {
        (text, 1u64, "")
    } else {
        return Err(DbError::new(
            path,
            Some(1),
            "an advisory must start with a ```toml front matter",
        ));
    };
    let raw: RawFile = toml::from_str(toml_text).map_err(|e| {
        let line = e
            .span()
            .map(|s| line_of(toml_text, s.start) + first_line - 1);
        DbError::new(
            path,
            line.or(Some(first_line)),
            format!("invalid advisory: {}", e.message()),
        )
    })?;
    let a = raw.advisory;
    let (patched, unaffected) = match raw.versions {
        Some(v) => (v.patched, v.unaffected),
        None => (
            a.patched_versions.unwrap_or_default(),
            a.unaffected_versions.unwrap_or_default(),
        ),
    };
    // The line of the [versions] table, for range errors.
    let versions_line = toml_text
        .lines()
        .position(|l| l.trim_start().starts_with("[versions]"))
        .map(|i| i as u64 + first_line);
    let affected = affected_intervals(&unaffected, &patched)
        .map_err(|m| DbError::new(path, versions_line, m))?;
    let title = a.title.unwrap_or_else(|| {
        body.lines()
            .find_map(|l| l.strip_prefix("# "))
            .unwrap_or("")
            .trim()
            .to_string()
    });
    Ok(Advisory {
        id: a.id,
        package: a.package,
        collection,
        title,
        date: date_string(&a.date),
        aliases: a.aliases,
        url: a.url,
        cvss: a.cvss,
        informational: a.informational.as_deref().map(Informational::parse),
        withdrawn: a.withdrawn.as_ref().map(|w| date_string(&Some(w.clone()))),
        source: a.source,
        patched,
        unaffected,
        affected,
        file: path.to_path_buf(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Bound {
    Unbounded,
    Exclusive(Version),
    Inclusive(Version),
}

impl Bound {
    fn version(&self) -> Option<&Version> {
        match self {
            Bound::Unbounded => None,
            Bound::Exclusive(v) | Bound::Inclusive(v) => Some(v),
        }
    }
}

/// `start <= end` for a start bound and an end bound.
fn le(start: &Bound, end: &Bound) -> bool {
    match (start.version(), end.version()) {
        (None, _) | (_, None) => true,
        (Some(s), Some(e)) if s < e => true,
        _ => matches!((start, end), (Bound::Inclusive(s), Bound::Inclusive(e)) if s == e),
    }
}

#[derive(Debug, Clone)]
struct Unaffected {
    start: Bound,
    end: Bound,
}

impl std::fmt::Display for Unaffected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.start {
            Bound::Unbounded => f.write_str("[0")?,
            Bound::Exclusive(v) => write!(f, "({v}")?,
            Bound::Inclusive(v) => write!(f, "[{v}")?,
        }
        f.write_str(", ")?;
        match &self.end {
            Bound::Unbounded => f.write_str("∞)"),
            Bound::Exclusive(v) => write!(f, "{v})"),
            Bound::Inclusive(v) => write!(f, "{v}]"),
        }
    }
}

fn comp_to_ver(c: &Comparator) -> Version {
    Version {
        major: c.major,
        minor: c.minor.unwrap_or(0),
        patch: c.patch.unwrap_or(0),
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    }
}

fn pre0() -> Prerelease {
    Prerelease::new("0").unwrap_or(Prerelease::EMPTY)
}

fn unaffected_range(text: &str) -> Result<Unaffected, String> {
    let req = VersionReq::parse(text)
        .map_err(|e| format!("invalid version requirement `{text}`: {e}"))?;
    if req.comparators.len() > 2 {
        return Err(format!("too many comparators in `{text}` (at most two)"));
    }
    let mut start = Bound::Unbounded;
    let mut end = Bound::Unbounded;
    let alone = req.comparators.len() == 1;
    for c in &req.comparators {
        match c.op {
            Op::Greater | Op::GreaterEq => {
                if start != Bound::Unbounded {
                    return Err(format!("more than one lower bound in `{text}`"));
                }
                start = if c.op == Op::Greater {
                    Bound::Exclusive(comp_to_ver(c))
                } else {
                    Bound::Inclusive(comp_to_ver(c))
                };
            }
            Op::Less | Op::LessEq => {
                if end != Bound::Unbounded {
                    return Err(format!("more than one upper bound in `{text}`"));
                }
                end = if c.op == Op::Less {
                    Bound::Exclusive(comp_to_ver(c))
                } else {
                    Bound::Inclusive(comp_to_ver(c))
                };
            }
            Op::Exact => {
                if !alone {
                    return Err(format!(
                        "an exact version (`{text}`) must be alone in its range"
                    ));
                }
                start = Bound::Inclusive(comp_to_ver(c));
                end = Bound::Inclusive(comp_to_ver(c));
            }
            Op::Caret => {
                if !alone {
                    return Err(format!(
                        "a caret requirement (`{text}`) must be alone in its range"
                    ));
                }
                let s = comp_to_ver(c);
                let mut e = if s.major == 0 {
                    match (c.minor, c.patch) {
                        (Some(0), Some(p)) => Version::new(0, 0, p + 1),
                        (Some(m), _) => Version::new(0, m + 1, 0),
                        (None, _) => Version::new(1, 0, 0),
                    }
                } else {
                    Version::new(s.major + 1, 0, 0)
                };
                e.pre = pre0();
                start = Bound::Inclusive(s);
                end = Bound::Exclusive(e);
            }
            Op::Tilde => {
                if !alone {
                    return Err(format!(
                        "a tilde requirement (`{text}`) must be alone in its range"
                    ));
                }
                let s = comp_to_ver(c);
                let mut e = match c.minor {
                    None => Version::new(c.major + 1, 0, 0),
                    Some(m) => Version::new(c.major, m + 1, 0),
                };
                e.pre = pre0();
                start = Bound::Inclusive(s);
                end = Bound::Exclusive(e);
            }
            _ => {
                return Err(format!(
                    "unsupported operator in `{text}` (use >, >=, <, <=, =, ^ or ~)"
                ));
            }
        }
    }
    if !le(&start, &end) {
        return Err(format!(
            "invalid range `{text}`: start must be <= end (and both inclusive when equal)"
        ));
    }
    Ok(Unaffected { start, end })
}

/// Smallest version after `v` in SemVer precedence.
fn increment(v: &Version) -> Version {
    let mut v = strip_build(v);
    if v.pre.is_empty() {
        v.patch += 1;
        v.pre = pre0();
    } else {
        let next = format!("{}.0", v.pre);
        v.pre = Prerelease::new(&next).unwrap_or(Prerelease::EMPTY);
    }
    v
}

/// The affected intervals: the complement of the union of `unaffected` and
/// `patched` (cargo-audit's conversion). Errors on unsupported or
/// overlapping requirements, as the `rustsec` crate refuses such a file.
pub fn affected_intervals(
    unaffected: &[String],
    patched: &[String],
) -> Result<Vec<Interval>, String> {
    let mut ranges = Vec::new();
    for r in unaffected.iter().chain(patched) {
        ranges.push(unaffected_range(r)?);
    }
    if ranges.is_empty() {
        return Ok(vec![Interval {
            introduced: None,
            fixed: None,
        }]);
    }
    for (i, a) in ranges.iter().enumerate() {
        for b in &ranges[i + 1..] {
            if le(&a.start, &b.end) && le(&b.start, &a.end) {
                return Err(format!("overlapping version ranges: {a} and {b}"));
            }
        }
    }
    ranges.sort_by(|a, b| match (a.start.version(), b.start.version()) {
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    });
    let mut out = Vec::new();
    if let Some(first) = ranges.first() {
        match &first.start {
            Bound::Unbounded => {}
            Bound::Exclusive(v) => out.push(Interval {
                introduced: None,
                fixed: Some(increment(v)),
            }),
            Bound::Inclusive(v) => out.push(Interval {
                introduced: None,
                fixed: Some(v.clone()),
            }),
        }
    }
    for w in ranges.windows(2) {
        let start = match &w[0].end {
            Bound::Unbounded => {
                return Err(format!("overlapping version ranges: {} and {}", w[0], w[1]));
            }
            Bound::Exclusive(v) => v.clone(),
            Bound::Inclusive(v) => increment(v),
        };
        let end = match &w[1].start {
            Bound::Unbounded => {
                return Err(format!("overlapping version ranges: {} and {}", w[0], w[1]));
            }
            Bound::Exclusive(v) => increment(v),
            Bound::Inclusive(v) => v.clone(),
        };
        out.push(Interval {
            introduced: Some(start),
            fixed: Some(end),
        });
    }
    if let Some(last) = ranges.last() {
        match &last.end {
            Bound::Unbounded => {}
            Bound::Exclusive(v) => out.push(Interval {
                introduced: Some(v.clone()),
                fixed: None,
            }),
            Bound::Inclusive(v) => out.push(Interval {
                introduced: Some(increment(v)),
                fixed: None,
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn affected(unaffected: &[&str], patched: &[&str], ver: &str) -> bool {
        let u: Vec<String> = unaffected.iter().map(|s| s.to_string()).collect();
        let p: Vec<String> = patched.iter().map(|s| s.to_string()).collect();
        let iv = affected_intervals(&u, &p).unwrap();
        let ver = strip_build(&v(ver));
        iv.iter().any(|r| r.contains(&ver))
    }

    #[test]
    fn no_ranges_means_every_version() {
        assert!(affected(&[], &[], "0.0.1"));
        assert!(affected(&[], &[], "99.0.0"));
    }

    #[test]
    fn patched_lower_bound() {
        assert!(affected(&[], &[">= 1.0.0"], "0.5.0"));
        assert!(!affected(&[], &[">= 1.0.0"], "1.0.0"));
        assert!(
            affected(&[], &[">= 1.0.0"], "1.0.0-rc.1"),
            "pre-release precedes the release"
        );
        assert!(
            !affected(&[], &[">= 1.0.0"], "1.0.0+build"),
            "build metadata ignored"
        );
    }

    #[test]
    fn caret_bound_is_a_closed_open_interval() {
        // patched = ["^0.2.3", ">= 0.3.1"]: 0.3.0 is affected, 0.2.x >= 0.2.3 not.
        let p = ["^0.2.3", ">= 0.3.1"];
        assert!(affected(&[], &p, "0.2.2"));
        assert!(!affected(&[], &p, "0.2.3"));
        assert!(!affected(&[], &p, "0.2.99"));
        assert!(affected(&[], &p, "0.3.0-alpha"), "^0.2.3 ends at 0.3.0-0");
        assert!(affected(&[], &p, "0.3.0"));
        assert!(!affected(&[], &p, "0.3.1"));
        // ^1.2 covers 1.x, not 2.0.0-alpha
        assert!(!affected(&[], &["^1.2"], "1.9.0"));
        assert!(affected(&[], &["^1.2"], "2.0.0-alpha"));
        // ^0.0.3 is exactly 0.0.3
        assert!(!affected(&[], &["^0.0.3"], "0.0.3"));
        assert!(affected(&[], &["^0.0.3"], "0.0.4"));
    }

    #[test]
    fn tilde_bound() {
        let p = ["~1.2.3", ">= 1.3.5"];
        assert!(!affected(&[], &p, "1.2.9"));
        assert!(affected(&[], &p, "1.3.0"));
        assert!(affected(&[], &p, "1.2.2"));
        assert!(!affected(&[], &["~1"], "1.9.9"));
        assert!(affected(&[], &["~1"], "2.0.0"));
    }

    #[test]
    fn unaffected_and_exclusive_bounds() {
        // unaffected < 0.1.2, patched > 0.3.0 : affected [0.1.2, 0.3.1-0)
        assert!(!affected(&["< 0.1.2"], &["> 0.3.0"], "0.1.1"));
        assert!(affected(&["< 0.1.2"], &["> 0.3.0"], "0.1.2"));
        assert!(affected(&["< 0.1.2"], &["> 0.3.0"], "0.3.0"));
        assert!(
            !affected(&["< 0.1.2"], &["> 0.3.0"], "0.3.1-0"),
            "increment of 0.3.0 is 0.3.1-0"
        );
        assert!(!affected(&["< 0.1.2"], &["> 0.3.0"], "0.3.1"));
        // exclusive pre-release bound increments by appending .0
        assert!(affected(&[], &["> 1.0.0-rc.1"], "1.0.0-rc.1"));
        assert!(!affected(&[], &["> 1.0.0-rc.1"], "1.0.0-rc.1.0"));
        assert!(!affected(&[], &["> 1.0.0-rc.1"], "1.0.0-rc.2"));
    }

    #[test]
    fn bad_requirements_are_errors() {
        assert!(affected_intervals(&[], &[">= 1.0.0".into(), ">= 2.0.0".into()]).is_err());
        assert!(affected_intervals(&[], &["1.*".into()]).is_err());
        assert!(affected_intervals(&[], &["> 2.0, < 1.0".into()]).is_err());
        assert!(affected_intervals(&[], &["not a version".into()]).is_err());
    }

    #[test]
    fn malformed_front_matter_names_the_line() {
        let p = Path::new("crates/x/RUSTSEC-0000-0000.md");
        let text = "```toml\n[advisory]\nid = \"RUSTSEC-0000-0000\"\npackage = x\n```\n# t\n";
        let e = parse_advisory(p, text, Collection::Crates).unwrap_err();
        assert_eq!(e.line, Some(4), "{e:?}");
        let e =
            parse_advisory(p, "```toml\n[advisory]\nid = \"a\"\n", Collection::Crates).unwrap_err();
        assert!(e.message.contains("not closed"), "{e:?}");
    }

    #[test]
    fn source_scope() {
        let text = "```toml\n[advisory]\nid = \"RUSTSEC-0000-0000\"\npackage = \"x\"\ndate = \"2020-01-01\"\n[versions]\npatched = []\n```\n# Title here\n";
        let a = parse_advisory(Path::new("a.md"), text, Collection::Crates).unwrap();
        assert_eq!(a.title, "Title here");
        assert!(!a.source_matches(None));
        assert!(a.source_matches(Some(
            "registry+https://github.com/rust-lang/crates.io-index"
        )));
        assert!(!a.source_matches(Some("git+https://github.com/x/y#abc")));
        assert!(!a.source_matches(Some("registry+https://my.registry/index")));
    }
}
