//! Yanked crates: offline from Cargo's local sparse-index cache, compared
//! with cargo-audit 0.22.2 `--no-fetch` reading the same cache (where the
//! binary is installed); online (`--fetch`) from a fake sparse index on
//! 127.0.0.1 serving the real index entries of this machine's cache.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const CARGO_AUDIT: &str = "/work/targets/cargo-audit-root/bin/cargo-audit";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn gate(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gate-audit"));
    c.args(["--no-record", "--color", "never", "--format", "json", "-C"])
        .arg(dir)
        .args(["--rustsec-db"])
        .arg(fixtures().join("advisories/rustsec"))
        .args(["--max-db-age", "off"])
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GATES_CONFIG")
        .env("GATES_CACHE_DIR", dir.join(".cache"));
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (o.status.code().unwrap_or(-1), v, stderr)
}

fn yanked_of(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "yanked")
        .map(|f| {
            let k: Vec<&str> = f["key"].as_str().unwrap().split('@').collect();
            (k[1].to_string(), k[2].to_string())
        })
        .collect()
}

fn unknown_names(report: &serde_json::Value) -> BTreeSet<String> {
    report["details"]["yanked"]["unknown"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|v| v.as_array().unwrap().iter())
        .map(|s| s.as_str().unwrap().split(' ').next().unwrap().to_string())
        .collect()
}

fn repo(lock: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("lockfiles").join(lock),
        t.path().join("Cargo.lock"),
    )
    .unwrap();
    t
}

#[test]
fn offline_yanked_equals_cargo_audit_no_fetch() {
    if !fixtures().exists() || !Path::new(CARGO_AUDIT).exists() {
        return;
    }
    let mut compared = 0;
    for lock in [
        "bat-v0.10.0.Cargo.lock",
        "bat-v0.24.0.Cargo.lock",
        "debio-node.Cargo.lock",
        "parity-ethereum.Cargo.lock",
    ] {
        let t = repo(lock);
        let o = Command::new(CARGO_AUDIT)
            .args(["audit", "--no-fetch", "--stale", "--json", "-d"])
            .arg(fixtures().join("advisories/rustsec"))
            .arg("-f")
            .arg(t.path().join("Cargo.lock"))
            .output()
            .unwrap();
        let ca: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let want: BTreeSet<(String, String)> = ca["warnings"]["yanked"]
            .as_array()
            .map(|l| {
                l.iter()
                    .map(|w| {
                        (
                            w["package"]["name"].as_str().unwrap().to_string(),
                            w["package"]["version"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        // cargo-audit: "couldn't check if the package is yanked: not found:
        // No such crate in crates.io index: NAME"
        let stderr = String::from_utf8_lossy(&o.stderr);
        let ca_unknown: BTreeSet<String> = stderr
            .lines()
            .filter_map(|l| l.split("No such crate in crates.io index: ").nth(1))
            .map(|n| n.trim().to_string())
            .collect();
        let (_, r, err) = gate(t.path(), &[], &[]);
        assert_eq!(yanked_of(&r), want, "{lock}: {err}");
        assert_eq!(unknown_names(&r), ca_unknown, "{lock}");
        for f in r["findings"].as_array().unwrap() {
            if f["rule"] == "yanked" {
                assert_eq!(f["severity"], "warning");
                let line = f["location"]["start_line"].as_u64().unwrap() as usize;
                let text = std::fs::read_to_string(t.path().join("Cargo.lock")).unwrap();
                let name = f["key"].as_str().unwrap().split('@').nth(1).unwrap();
                assert_eq!(
                    text.lines().nth(line - 1).unwrap(),
                    format!("name = \"{name}\"")
                );
            }
        }
        if !want.is_empty() {
            compared += 1;
        }
    }
    // With smallvec in the cache, bat v0.10.0's smallvec 0.6.5 (yanked) is
    // known: the comparison covered real yanked crates, not only unknowns.
    if cargo_cache().is_some_and(|c| c.join("sm/al/smallvec").is_file()) {
        assert!(compared > 0);
    }
}

#[test]
fn no_index_entry_is_unknown_never_not_yanked_and_levels_apply() {
    if !fixtures().exists() {
        return;
    }
    let t = repo("bat-v0.10.0.Cargo.lock");
    let empty = tempfile::tempdir().unwrap();
    let home = empty.path().to_str().unwrap();
    let (code, r, _) = gate(t.path(), &[("CARGO_HOME", home)], &[]);
    assert_eq!(code, 1);
    assert!(yanked_of(&r).is_empty());
    let checked = r["details"]["yanked"]["checked"].as_u64().unwrap();
    assert_eq!(
        r["details"]["yanked"]["unknown"]["Cargo.lock"]
            .as_array()
            .unwrap()
            .len() as u64,
        checked
    );
    let note = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "yanked-unknown")
        .unwrap();
    assert_eq!(note["severity"], "note");
    assert!(note["message"].as_str().unwrap().contains("--fetch"));
    // yanked: ignore → no check, no note
    let (_, r, _) = gate(t.path(), &[("CARGO_HOME", home)], &["--yanked", "ignore"]);
    assert!(r["details"]["yanked"]["checked"].is_null());
    assert!(
        !r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "yanked-unknown")
    );
}

struct Index {
    root: PathBuf,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

/// Serves `/<prefix>/<name>` as the sparse index does (JSON lines), from
/// the real entries in this machine's Cargo cache; 404 for the others.
async fn index_handler(State(ix): State<Arc<Index>>, UrlPath(rest): UrlPath<String>) -> Response {
    let Ok(bytes) = std::fs::read(ix.root.join(&rest)) else {
        ix.misses.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_FOUND.into_response();
    };
    ix.hits.fetch_add(1, Ordering::SeqCst);
    // cargo's cache file → the sparse index's JSON lines
    let body = bytes.get(5..).unwrap_or_default();
    let mut parts = body.split(|&b| b == 0);
    parts.next();
    let mut out = Vec::new();
    while let (Some(v), Some(json)) = (parts.next(), parts.next()) {
        if v.is_empty() {
            break;
        }
        out.extend_from_slice(json);
        out.push(b'\n');
    }
    out.into_response()
}

fn cargo_cache() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    std::fs::read_dir(home.join("registry/index"))
        .ok()?
        .flatten()
        .map(|e| e.path().join(".cache"))
        .find(|p| p.is_dir())
}

#[test]
fn fetch_queries_the_sparse_index_and_agrees_with_the_local_cache() {
    let Some(cache) = cargo_cache() else { return };
    if !fixtures().exists() {
        return;
    }
    let ix = Arc::new(Index {
        root: cache,
        hits: AtomicUsize::new(0),
        misses: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/{*rest}", get(index_handler))
        .with_state(ix.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });

    let t = repo("bat-v0.10.0.Cargo.lock");
    let (_, offline, _) = gate(t.path(), &[], &[]);
    let empty = tempfile::tempdir().unwrap();
    let env = [
        ("CARGO_HOME", empty.path().to_str().unwrap()),
        ("GATES_AUDIT_CRATES_INDEX_URL", url.as_str()),
    ];
    let (_, online, err) = gate(t.path(), &env, &["--fetch"]);
    assert_eq!(yanked_of(&online), yanked_of(&offline), "{err}");
    assert_eq!(unknown_names(&online), unknown_names(&offline));
    let asked = ix.hits.load(Ordering::SeqCst) + ix.misses.load(Ordering::SeqCst);
    assert_eq!(
        asked as u64,
        online["details"]["yanked"]["checked"].as_u64().unwrap()
            - duplicates(&t.path().join("Cargo.lock")),
        "one request per crate name"
    );
    // Afterwards, offline with no Cargo cache: the fetched copies serve.
    let (_, again, _) = gate(t.path(), &env[..1], &[]);
    assert_eq!(yanked_of(&again), yanked_of(&offline));
    // What a run read is remembered by file size and mtime: a changed index
    // file is read again (here smallvec 0.6.5 edited to not yanked).
    let sv = t.path().join(".cache/audit/crates-index/sm/al/smallvec");
    if yanked_of(&again).contains(&("smallvec".to_string(), "0.6.5".to_string())) {
        let text = std::fs::read_to_string(&sv).unwrap();
        let edited: Vec<String> = text
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                if v["vers"] == "0.6.5" {
                    v["yanked"] = false.into();
                }
                v.to_string()
            })
            .collect();
        std::fs::write(&sv, edited.join("\n")).unwrap();
        let (_, edited_run, _) = gate(t.path(), &env[..1], &[]);
        let mut want = yanked_of(&again);
        want.remove(&("smallvec".to_string(), "0.6.5".to_string()));
        assert_eq!(yanked_of(&edited_run), want);
    }
    // The index down: exit 5.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let o = Command::new(env!("CARGO_BIN_EXE_gate-audit"))
        .args(["--no-record", "-C"])
        .arg(t.path())
        .arg("--rustsec-db")
        .arg(fixtures().join("advisories/rustsec"))
        .args(["--max-db-age", "off", "--fetch"])
        .env("GATES_CACHE_DIR", t.path().join(".cache"))
        .env("GATES_AUDIT_CRATES_INDEX_URL", &closed)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&closed));
}

/// crates.io packages minus distinct crates.io crate names of a lockfile.
fn duplicates(lock: &Path) -> u64 {
    let text = std::fs::read_to_string(lock).unwrap();
    let mut names = BTreeSet::new();
    let mut total = 0u64;
    let mut name = String::new();
    for l in text.lines() {
        if let Some(n) = l.strip_prefix("name = ") {
            name = n.trim_matches('"').to_lowercase();
        }
        if l.starts_with("source = \"registry+https://github.com/rust-lang/crates.io-index\"") {
            total += 1;
            names.insert(name.clone());
        }
    }
    total - names.len() as u64
}
