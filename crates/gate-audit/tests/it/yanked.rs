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

fn gate(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut c = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"));
    c.args(["--no-record", "--color", "never", "--format", "json", "-C"])
        .arg(dir)
        .args(["--rustsec-db"])
        .arg(testkit::fixtures_root().join("advisories/rustsec"))
        .args(["--max-db-age", "off"])
        .args(args)
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
        testkit::fixtures_root().join("lockfiles").join(lock),
        t.path().join("Cargo.lock"),
    )
    .unwrap();
    t
}

#[test]
fn offline_yanked_equals_cargo_audit_no_fetch() {
    testkit::fixture!("advisories/rustsec");
    if !Path::new(CARGO_AUDIT).exists() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("SKIPPED: {CARGO_AUDIT} not found (a local cargo-audit 0.22.2 build)");
        }
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
            .arg(testkit::fixtures_root().join("advisories/rustsec"))
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
    testkit::fixture!("advisories/rustsec");
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
    // The location names the lockfile; the message does not repeat it
    // (the human line read "Cargo.lock: Cargo.lock: yanked status …").
    assert_eq!(note["location"]["path"], "Cargo.lock");
    assert!(
        note["message"]
            .as_str()
            .unwrap()
            .starts_with("yanked status unknown"),
        "{note}"
    );
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
    testkit::fixture!("advisories/rustsec");
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
    let o = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"))
        .args(["--no-record", "-C"])
        .arg(t.path())
        .arg("--rustsec-db")
        .arg(testkit::fixtures_root().join("advisories/rustsec"))
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

/// A sparse index on 127.0.0.1 that knows one crate (`serde` 1.0.0, not
/// yanked), answers 404 to everything else, and records every path asked.
struct TinyIndex {
    url: String,
    asked: Arc<std::sync::Mutex<Vec<String>>>,
    _rt: tokio::runtime::Runtime,
}

fn tiny_index() -> TinyIndex {
    let asked: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let log = asked.clone();
    let app = Router::new().fallback(move |uri: axum::http::Uri| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(uri.path().to_string());
            if uri.path() == "/se/rd/serde" {
                r#"{"name":"serde","vers":"1.0.0","deps":[],"cksum":"00","features":{},"yanked":false}"#
                    .into_response()
            } else {
                StatusCode::NOT_FOUND.into_response()
            }
        }
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    TinyIndex {
        url,
        asked,
        _rt: rt,
    }
}

/// A Cargo.lock of crates.io packages with these names (version 1.0.0),
/// and the line of each `name = ` (TOML basic strings, escaped).
fn lock_with_names(names: &[&str]) -> (String, Vec<u64>) {
    let mut text = String::from("version = 3\n");
    let mut lines = Vec::new();
    for n in names {
        text.push_str("\n[[package]]\n");
        lines.push(text.lines().count() as u64 + 1);
        text.push_str(&format!(
            "name = {}\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            serde_json::to_string(n).unwrap()
        ));
    }
    (text, lines)
}

fn invalid_name_findings(report: &serde_json::Value) -> BTreeSet<(String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "invalid-crate-name")
        .map(|f| {
            assert_eq!(f["severity"], "error", "{f}");
            assert_eq!(f["location"]["path"], "Cargo.lock", "{f}");
            (
                f["key"].as_str().unwrap().to_string(),
                f["location"]["start_line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every file under `dir` (relative paths), recursively.
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.insert(p.strip_prefix(dir).unwrap().display().to_string());
        }
    }
    out
}

/// A crate named `../../victim.txt` in Cargo.lock used to be fetched into
/// `<cache>/audit/crates-index/..//.//../../victim.txt`, that is the
/// victim itself: the index's 404 emptied it, and the gate passed. Now the
/// name is refused before any path is built (an `invalid-crate-name` error
/// at its line, exit 1), nothing is requested for it, and nothing outside
/// the cache is written.
#[test]
fn fetch_with_crafted_crate_names_never_touches_files_outside_the_cache() {
    testkit::fixture!("advisories/rustsec");
    let t = tempfile::tempdir().unwrap();
    let victim = t.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let deep = t.path().join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("victim.txt"), "precious too\n").unwrap();
    let repo = t.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let cache = t.path().join("cache");
    let names = [
        "serde",
        // <cache>/audit/crates-index + `../` + name → <t>/victim.txt
        "../../victim.txt",
        "../../../victim.txt",
        "../../a/b/victim.txt",
        "..\\..\\victim.txt",
        "ab/../../../../victim.txt",
    ];
    let abs = victim.display().to_string();
    let mut all: Vec<&str> = names.to_vec();
    all.push(&abs);
    let (text, lines) = lock_with_names(&all);
    std::fs::write(repo.join("Cargo.lock"), text).unwrap();
    let ix = tiny_index();
    let home = tempfile::tempdir().unwrap();
    let (code, r, err) = gate(
        &repo,
        &[
            ("CARGO_HOME", home.path().to_str().unwrap()),
            ("GATES_CACHE_DIR", cache.to_str().unwrap()),
            ("GATES_AUDIT_CRATES_INDEX_URL", ix.url.as_str()),
        ],
        &["--fetch"],
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(
        std::fs::read_to_string(deep.join("victim.txt")).unwrap(),
        "precious too\n"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, 1, "{err}\n{r}");
    let want: BTreeSet<(String, u64)> = all
        .iter()
        .zip(&lines)
        .skip(1)
        .map(|(n, l)| (format!("invalid-crate-name@{n}@1.0.0"), *l))
        .collect();
    assert_eq!(invalid_name_findings(&r), want);
    // Only the valid crate was asked for, and it was checked.
    assert_eq!(*ix.asked.lock().unwrap(), vec!["/se/rd/serde".to_string()]);
    assert_eq!(r["details"]["yanked"]["checked"], 1);
    assert_eq!(r["details"]["invalid_names"].as_array().unwrap().len(), 6);
    // Nothing was created outside the cache and the repository.
    let outside: BTreeSet<String> = tree(t.path())
        .into_iter()
        .filter(|p| !p.starts_with("cache") && !p.starts_with("repo"))
        .collect();
    let expected: BTreeSet<String> = ["victim.txt", "a", "a/b", "a/b/victim.txt"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(outside, expected);
    // The index copy of the valid crate is where it belongs.
    assert!(cache.join("audit/crates-index/se/rd/serde").is_file());
}

/// Offline, a crafted name used to make the gate read a file outside
/// Cargo's index cache as an index file (here one saying version 1.0.0 is
/// yanked): it reported that file's content. Now the name is refused and
/// no such file is read.
#[test]
fn offline_lookup_never_reads_outside_cargos_index_cache() {
    testkit::fixture!("advisories/rustsec");
    let t = tempfile::tempdir().unwrap();
    let cargo_cache = t
        .path()
        .join("cargo/registry/index/index.crates.io-0000/.cache");
    std::fs::create_dir_all(&cargo_cache).unwrap();
    // Cargo's cache format: version 3, index schema, a version line.
    let mut bytes = vec![3u8];
    bytes.extend(2u32.to_le_bytes());
    bytes.extend(b"etag\0");
    bytes.extend(b"1.0.0\0{\"name\":\"x\",\"vers\":\"1.0.0\",\"yanked\":true}\0");
    // `.cache/` + the index path of the name, `..//.//../../../../secret`,
    // is `<t>/secret`.
    std::fs::write(t.path().join("secret"), &bytes).unwrap();
    let repo = t.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let name = "../../../../secret";
    let (text, lines) = lock_with_names(&[name]);
    std::fs::write(repo.join("Cargo.lock"), text).unwrap();
    let cargo_home = t.path().join("cargo");
    let (code, r, err) = gate(
        &repo,
        &[
            ("CARGO_HOME", cargo_home.to_str().unwrap()),
            ("GATES_CACHE_DIR", t.path().join("gcache").to_str().unwrap()),
        ],
        &[],
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(yanked_of(&r).is_empty(), "{r}");
    assert_eq!(code, 1, "{err}\n{r}");
    assert_eq!(
        invalid_name_findings(&r),
        BTreeSet::from([(format!("invalid-crate-name@{name}@1.0.0"), lines[0])])
    );
}

/// Empty and multibyte names used to panic in the index path's byte
/// slicing (exit 101, 134 in a release build). Now: an `invalid-crate-name`
/// error each, exit 1, offline and with `--fetch`.
#[test]
fn empty_and_multibyte_names_are_refused_cleanly() {
    testkit::fixture!("advisories/rustsec");
    let names = ["serde", "", "éa", "a€bc", "€", "ab€"];
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("Cargo.lock"), lock_with_names(&names).0).unwrap();
    let lines = lock_with_names(&names).1;
    let ix = tiny_index();
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("CARGO_HOME", home.path().to_str().unwrap()),
        ("GATES_AUDIT_CRATES_INDEX_URL", ix.url.as_str()),
    ];
    for args in [&[][..], &["--fetch"][..]] {
        let (code, r, err) = gate(t.path(), &env, args);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(code, 1, "{args:?}: {err}\n{r}");
        let want: BTreeSet<(String, u64)> = names
            .iter()
            .zip(&lines)
            .skip(1)
            .map(|(n, l)| (format!("invalid-crate-name@{n}@1.0.0"), *l))
            .collect();
        assert_eq!(invalid_name_findings(&r), want, "{args:?}");
    }
    assert_eq!(*ix.asked.lock().unwrap(), vec!["/se/rd/serde".to_string()]);
}
