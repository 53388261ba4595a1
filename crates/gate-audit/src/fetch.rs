//! Online data, only when asked (`fetch: true`): the RustSec advisory-db
//! (a shallow git clone, keyed by its commit), osv.dev's per-ecosystem
//! `all.zip` (keyed by `ETag` / `Last-Modified`), and the OSV API
//! (`/v1/querybatch` then `/v1/vulns/{id}`, details cached by `modified`).
//!
//! The cache layout under `<cache>/`:
//! - `rustsec/<commit>/` (a clone) and `rustsec/current` (the commit in use);
//! - `osv/<ecosystem>/all.zip` and `osv/<ecosystem>/meta.json`;
//! - `osv-api/<id>.json` (one vulnerability each).
//!
//! Every replacement is atomic: a download goes to a temporary file or
//! directory next to its target and is renamed into place once complete
//! and checked; a reader sees the old data or the new, never a mix.
//! Network problems are exit 5 with the URL and the cause, never a pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use gate_core::GateError;
use gate_core::ledger::local::atomic_write;
use serde::{Deserialize, Serialize};

use crate::osv::{self, Record};

/// Default upstreams (each configurable).
pub const RUSTSEC_URL: &str = "https://github.com/rustsec/advisory-db.git";
pub const OSV_ZIP_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
pub const OSV_API_URL: &str = "https://api.osv.dev";
pub const CRATES_INDEX_URL: &str = "https://index.crates.io";

/// Queries per `/v1/querybatch` request (the API's maximum).
pub const BATCH: usize = 1000;
/// Pages followed for one query before giving up (bounded loop).
const MAX_PAGES: usize = 100;

fn upstream(what: &str, e: impl std::fmt::Display, hint: &str) -> GateError {
    GateError::Upstream(format!("{what}: {e}\n  hint: {hint}"))
}

/// The full cause chain of an error (reqwest's own text is terse).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// An HTTP client with gate-core's TLS settings (rustls, ring, the Mozilla
/// roots; no native TLS, no platform verifier), bounded timeouts.
pub fn client() -> Result<reqwest::Client, GateError> {
    client_with(&[])
}

/// [`client`], also trusting the PEM certificates of `extra_ca` (the
/// `ca-file`), through `gate_core::tls` as gate-health and gate-load do.
pub fn client_with(extra_ca: &[Vec<u8>]) -> Result<reqwest::Client, GateError> {
    let tls = gate_core::tls::client_config(extra_ca, false).map_err(GateError::Internal)?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(concat!("gate-audit/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| GateError::Internal(format!("HTTP client: {}", chain(&e))))
}

// ---------------------------------------------------------------- RustSec

fn git(args: &[&str], dir: Option<&Path>) -> Result<String, String> {
    gate_core::git::run(dir.unwrap_or(Path::new(".")), args).map_err(|e| match e {
        gate_core::git::GitError::Failed { stderr, .. } => stderr,
        other => other.to_string(),
    })
}

/// The fetched RustSec checkout in use, if any (offline).
pub fn cached_rustsec(cache: &Path) -> Option<PathBuf> {
    let dir = cache.join("rustsec");
    let commit = std::fs::read_to_string(dir.join("current")).ok()?;
    let commit = commit.trim();
    if commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let p = dir.join(commit);
    p.join("crates").is_dir().then_some(p)
}

fn unique_tmp(dir: &Path, what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    dir.join(format!(".{what}-{}-{nanos}.tmp", std::process::id()))
}

/// Brings the RustSec clone up to date with `url`'s HEAD: `git ls-remote`
/// first (nothing downloaded when the commit is the one we have), else a
/// shallow clone into a temporary directory renamed to `<commit>/`, then
/// `current` rewritten atomically and older clones removed.
pub fn fetch_rustsec(cache: &Path, url: &str) -> Result<(PathBuf, bool), GateError> {
    let dir = cache.join("rustsec");
    std::fs::create_dir_all(&dir).map_err(|e| GateError::write(&dir, e))?;
    let hint = "check the network and `rustsec-url`, or run offline with a cached or checked-out advisory-db (rustsec-db)";
    let head = git(&["ls-remote", "--", url, "HEAD"], None)
        .map_err(|e| upstream(&format!("git ls-remote {url}"), e, hint))?;
    let remote = head
        .split_whitespace()
        .next()
        .filter(|c| c.len() >= 40 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .ok_or_else(|| upstream(&format!("git ls-remote {url}"), "no HEAD commit", hint))?;
    let target = dir.join(&remote);
    let mut downloaded = false;
    if !target.join("crates").is_dir() {
        let tmp = unique_tmp(&dir, "clone");
        let tmp_s = tmp.to_string_lossy().into_owned();
        let r = git(
            &["clone", "--quiet", "--depth", "1", "--", url, &tmp_s],
            None,
        );
        if let Err(e) = r {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(upstream(&format!("git clone {url}"), e, hint));
        }
        // The commit cloned (HEAD may have moved since ls-remote).
        let got = git(&["rev-parse", "HEAD"], Some(&tmp)).unwrap_or_default();
        let key = if got.len() >= 40 { got } else { remote.clone() };
        let final_dir = dir.join(&key);
        if !tmp.join("crates").is_dir() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(GateError::Input(format!(
                "{url}: the cloned repository has no crates/ folder: not a RustSec advisory-db\n  hint: set rustsec-url to a clone URL of rustsec/advisory-db"
            )));
        }
        if final_dir.exists() {
            let _ = std::fs::remove_dir_all(&tmp);
        } else {
            std::fs::rename(&tmp, &final_dir).map_err(|e| GateError::write(&final_dir, e))?;
        }
        downloaded = true;
        return switch_current(&dir, &key).map(|p| (p, downloaded));
    }
    switch_current(&dir, &remote).map(|p| (p, downloaded))
}

fn switch_current(dir: &Path, key: &str) -> Result<PathBuf, GateError> {
    atomic_write(&dir.join("current"), format!("{key}\n").as_bytes())?;
    // Older clones are no longer referenced (a concurrent reader of an old
    // one keeps its open files on Unix).
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let hex = name.len() >= 40 && name.bytes().all(|b| b.is_ascii_hexdigit());
            if hex && name != key {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(dir.join(key))
}

// ---------------------------------------------------------------- OSV zip

#[derive(Debug, Default, Serialize, Deserialize)]
struct ZipMeta {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched: String,
}

/// The fetched `all.zip` of an ecosystem, if any (offline).
pub fn cached_osv_zip(cache: &Path, ecosystem: &str) -> Option<PathBuf> {
    let p = cache.join("osv").join(ecosystem).join("all.zip");
    p.is_file().then_some(p)
}

fn now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let day = i64::try_from(secs / 86_400).unwrap_or(0);
    crate::policy::format_date(day)
}

/// Downloads `<base>/<ecosystem>/all.zip` unless the server says the cached
/// copy is current (`If-None-Match` / `If-Modified-Since` → 304). Returns
/// the archive's path and whether it was downloaded.
pub async fn fetch_osv_zip(
    client: &reqwest::Client,
    cache: &Path,
    base: &str,
    ecosystem: &str,
) -> Result<(PathBuf, bool), GateError> {
    let dir = cache.join("osv").join(ecosystem);
    std::fs::create_dir_all(&dir).map_err(|e| GateError::write(&dir, e))?;
    let target = dir.join("all.zip");
    let meta_path = dir.join("meta.json");
    let url = format!("{}/{ecosystem}/all.zip", base.trim_end_matches('/'));
    let meta: ZipMeta = std::fs::read(&meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|m: &ZipMeta| m.url == url && target.is_file())
        .unwrap_or_default();
    let mut req = client.get(&url);
    if let Some(e) = &meta.etag {
        req = req.header(reqwest::header::IF_NONE_MATCH, e);
    }
    if let Some(lm) = &meta.last_modified {
        req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
    }
    let hint = "check the network and `osv-zip-url`, or run offline with a cached or downloaded all.zip (osv-db)";
    let mut resp = req
        .send()
        .await
        .map_err(|e| upstream(&format!("GET {url}"), chain(&e), hint))?;
    if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
        return Ok((target, false));
    }
    if !resp.status().is_success() {
        return Err(upstream(
            &format!("GET {url}"),
            format!("HTTP {}", resp.status()),
            hint,
        ));
    }
    let header = |h: reqwest::header::HeaderName| {
        resp.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let new_meta = ZipMeta {
        url: url.clone(),
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
        fetched: now_text(),
    };
    let tmp = unique_tmp(&dir, "all.zip");
    let result = async {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(|e| GateError::write(&tmp, e))?;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| upstream(&format!("GET {url}"), chain(&e), hint))?
        {
            f.write_all(&chunk).map_err(|e| GateError::write(&tmp, e))?;
        }
        f.sync_all().map_err(|e| GateError::write(&tmp, e))?;
        // A complete, readable archive only replaces the cache.
        let check = std::fs::File::open(&tmp).map_err(|e| GateError::read(&tmp, e))?;
        zip::ZipArchive::new(std::io::BufReader::new(check)).map_err(|e| {
            upstream(
                &format!("GET {url}"),
                format!("the download is not a readable zip archive ({e})"),
                "retry; a proxy or captive portal may have answered instead of osv.dev",
            )
        })?;
        std::fs::rename(&tmp, &target).map_err(|e| GateError::write(&target, e))
    }
    .await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let bytes = serde_json::to_vec_pretty(&new_meta)
        .map_err(|e| GateError::Internal(format!("meta.json: {e}")))?;
    atomic_write(&meta_path, &bytes)?;
    Ok((target, true))
}

// ---------------------------------------------------------------- OSV API

/// One package version to ask the OSV API about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Query {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    queries: Vec<QueryJson<'a>>,
}

#[derive(Serialize)]
struct QueryJson<'a> {
    package: PackageJson<'a>,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_token: Option<String>,
}

#[derive(Serialize)]
struct PackageJson<'a> {
    name: &'a str,
    ecosystem: &'a str,
}

#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    results: Vec<BatchResult>,
}

#[derive(Deserialize, Default)]
struct BatchResult {
    #[serde(default)]
    vulns: Vec<VulnRef>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize, Clone)]
struct VulnRef {
    id: String,
    #[serde(default)]
    modified: Option<String>,
}

/// What the API gave: the records of every vulnerability of the queried
/// versions, and counts for the report.
#[derive(Debug, Default)]
pub struct ApiData {
    pub url: String,
    pub records: Vec<Record>,
    pub queries: usize,
    pub requests: usize,
    /// Details served from the cache (same `modified`).
    pub cached: usize,
    /// Ecosystems (OSV names) every package of which was asked about.
    pub ecosystems: BTreeSet<String>,
}

async fn post_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    body: &impl Serialize,
) -> Result<T, GateError> {
    let hint = "check the network and `osv-api-url`, or audit offline (fetch: false with osv-db)";
    let resp = client
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| upstream(&format!("POST {url}"), chain(&e), hint))?;
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| upstream(&format!("POST {url}"), chain(&e), hint))?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
        return Err(upstream(
            &format!("POST {url}"),
            format!("HTTP {status}: {text}"),
            hint,
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        upstream(
            &format!("POST {url}"),
            format!("unexpected response ({e})"),
            "is osv-api-url an OSV API?",
        )
    })
}

/// Asks `/v1/querybatch` about `queries` (in batches of [`BATCH`],
/// following `next_page_token`s), then fetches each vulnerability's record
/// from `/v1/vulns/{id}` unless the cache holds it with the same `modified`.
pub async fn query_api(
    client: &reqwest::Client,
    cache: Option<&Path>,
    base: &str,
    queries: &[Query],
) -> Result<ApiData, GateError> {
    let base = base.trim_end_matches('/');
    let batch_url = format!("{base}/v1/querybatch");
    let mut data = ApiData {
        url: base.to_string(),
        queries: queries.len(),
        ..ApiData::default()
    };
    let ids = vuln_ids(client, &batch_url, queries, &mut data).await?;
    let dir = cache.map(|c| c.join("osv-api"));
    for (id, modified) in ids {
        let rec = vuln_record(
            client,
            base,
            &batch_url,
            dir.as_deref(),
            &id,
            modified,
            &mut data,
        )
        .await?;
        data.records.push(rec);
    }
    Ok(data)
}

/// The vulnerabilities `/v1/querybatch` names for `queries`: id → newest
/// `modified` seen.
async fn vuln_ids(
    client: &reqwest::Client,
    batch_url: &str,
    queries: &[Query],
    data: &mut ApiData,
) -> Result<BTreeMap<String, Option<String>>, GateError> {
    let mut ids: BTreeMap<String, Option<String>> = BTreeMap::new();
    for chunk in queries.chunks(BATCH) {
        // (index in chunk, page token) still to ask
        let mut pending: Vec<(usize, Option<String>)> =
            (0..chunk.len()).map(|i| (i, None)).collect();
        let mut pages = 0;
        while !pending.is_empty() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(upstream(
                    &format!("POST {batch_url}"),
                    format!("more than {MAX_PAGES} pages of results"),
                    "the server keeps returning next_page_token; is osv-api-url an OSV API?",
                ));
            }
            let body = BatchRequest {
                queries: pending
                    .iter()
                    .filter_map(|(i, tok)| {
                        chunk.get(*i).map(|q| QueryJson {
                            package: PackageJson {
                                name: &q.name,
                                ecosystem: &q.ecosystem,
                            },
                            version: &q.version,
                            page_token: tok.clone(),
                        })
                    })
                    .collect(),
            };
            let resp: BatchResponse = post_json(client, batch_url, &body).await?;
            data.requests += 1;
            if resp.results.len() != pending.len() {
                return Err(upstream(
                    &format!("POST {batch_url}"),
                    format!(
                        "{} results for {} queries",
                        resp.results.len(),
                        pending.len()
                    ),
                    "the OSV API answers one result per query, in order",
                ));
            }
            let mut next = Vec::new();
            for ((i, _), r) in pending.iter().zip(resp.results) {
                for v in r.vulns {
                    let e = ids.entry(v.id).or_default();
                    if v.modified > *e {
                        *e = v.modified;
                    }
                }
                if let Some(t) = r.next_page_token.filter(|t| !t.is_empty()) {
                    next.push((*i, Some(t)));
                }
            }
            pending = next;
        }
    }
    Ok(ids)
}

/// One vulnerability's record: from the cache when its `modified` is the
/// one the batch named, else `GET /v1/vulns/{id}` (then cached).
async fn vuln_record(
    client: &reqwest::Client,
    base: &str,
    batch_url: &str,
    dir: Option<&Path>,
    id: &str,
    modified: Option<String>,
    data: &mut ApiData,
) -> Result<Record, GateError> {
    let hint = "check the network and `osv-api-url`";
    let safe = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !id.starts_with('.');
    if !safe {
        return Err(upstream(
            &format!("POST {batch_url}"),
            format!("invalid vulnerability id {id:?}"),
            "is osv-api-url an OSV API?",
        ));
    }
    let file = dir.map(|d| d.join(format!("{id}.json")));
    if let Some(f) = &file
        && let Ok(bytes) = std::fs::read(f)
        && let Ok(Some(rec)) = osv::parse_record(f, &bytes)
        && modified.is_some()
        && rec.modified == modified
    {
        data.cached += 1;
        return Ok(rec);
    }
    let url = format!("{base}/v1/vulns/{id}");
    let resp = client
        .get(&url)
        .send()
        .await
        .map_err(|e| upstream(&format!("GET {url}"), chain(&e), hint))?;
    data.requests += 1;
    let status = resp.status();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| upstream(&format!("GET {url}"), chain(&e), hint))?;
    if !status.is_success() {
        return Err(upstream(
            &format!("GET {url}"),
            format!("HTTP {status}"),
            hint,
        ));
    }
    let shown = PathBuf::from(&url);
    let rec = osv::parse_record(&shown, &bytes)
        .map_err(|e| upstream(&format!("GET {url}"), e.message, hint))?
        .ok_or_else(|| upstream(&format!("GET {url}"), "not an OSV record", hint))?;
    if let Some(f) = &file {
        // A cache that cannot be written costs requests, not correctness.
        let _ = atomic_write(f, &bytes);
    }
    Ok(rec)
}

/// Distinct queries for the packages of `locks` in the given ecosystems.
pub fn queries_for(locks: &[crate::lockfile::Lockfile], ecosystems: &BTreeSet<&str>) -> Vec<Query> {
    let mut set = BTreeSet::new();
    for l in locks {
        let eco = l.ecosystem.osv_name();
        if !ecosystems.contains(eco) {
            continue;
        }
        for p in &l.packages {
            set.insert(Query {
                ecosystem: eco.to_string(),
                name: p.name.clone(),
                version: p.version.clone(),
            });
        }
    }
    set.into_iter().collect()
}
