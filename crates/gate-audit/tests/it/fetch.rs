//! `--fetch` and `--osv-api` against an in-process fake osv.dev (axum on
//! 127.0.0.1) serving zips built from the real fixture records and answering
//! `/v1/querybatch` and `/v1/vulns/{id}` in OSV's documented JSON shapes, and
//! a real git repository (file:// URL) holding the RustSec fixture.
//! Findings equal those of the offline directory form; network failures are
//! exit 5; the cache is reused offline afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

fn zip_of(files: &[PathBuf]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for f in files {
        w.start_file(f.file_name().unwrap().to_string_lossy(), o)
            .unwrap();
        w.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[derive(Default)]
struct Fake {
    zips: BTreeMap<String, Vec<u8>>,
    /// (ecosystem, name) → ids; id → record text
    by_package: BTreeMap<(String, String), Vec<String>>,
    records: BTreeMap<String, String>,
    zip_gets: AtomicUsize,
    zip_304: AtomicUsize,
    batches: AtomicUsize,
    max_batch: AtomicUsize,
    vuln_gets: AtomicUsize,
    down: Mutex<bool>,
}

const ETAG: &str = "\"osv-fixture-1\"";

async fn zip_handler(
    State(f): State<Arc<Fake>>,
    UrlPath((eco, file)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if *f.down.lock().unwrap() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let Some(bytes) = f.zips.get(&eco).filter(|_| file == "all.zip") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == ETAG)
    {
        f.zip_304.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    f.zip_gets.fetch_add(1, Ordering::SeqCst);
    (
        [
            (header::ETAG, ETAG),
            (header::LAST_MODIFIED, "Thu, 20 Aug 2026 10:00:00 GMT"),
            (header::CONTENT_TYPE, "application/zip"),
        ],
        bytes.clone(),
    )
        .into_response()
}

/// The documented querybatch shape: one result per query, in order, each
/// `{"vulns": [{"id", "modified"}], "next_page_token"?}` (`{}` when none).
/// This fake pages at one vulnerability per result and answers by package
/// name (a superset; versions are matched by the gate), and refuses a batch
/// of more than 1000 queries as the real API does.
async fn batch_handler(State(f): State<Arc<Fake>>, body: String) -> Response {
    if *f.down.lock().unwrap() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let req: serde_json::Value = serde_json::from_str(&body).unwrap();
    let queries = req["queries"].as_array().unwrap();
    f.batches.fetch_add(1, Ordering::SeqCst);
    f.max_batch.fetch_max(queries.len(), Ordering::SeqCst);
    if queries.len() > 1000 {
        return (StatusCode::BAD_REQUEST, "Too many queries.").into_response();
    }
    let results: Vec<serde_json::Value> = queries
        .iter()
        .map(|q| {
            let key = (
                q["package"]["ecosystem"].as_str().unwrap().to_string(),
                q["package"]["name"].as_str().unwrap().to_lowercase(),
            );
            assert!(q["version"].is_string(), "{q}");
            let ids = f.by_package.get(&key).cloned().unwrap_or_default();
            let page: usize = q["page_token"]
                .as_str()
                .map(|t| t.trim_start_matches("p").parse().unwrap())
                .unwrap_or(0);
            match ids.get(page) {
                None => serde_json::json!({}),
                Some(id) => {
                    let rec: serde_json::Value = serde_json::from_str(&f.records[id]).unwrap();
                    let mut r = serde_json::json!({
                        "vulns": [{"id": id, "modified": rec["modified"]}]
                    });
                    if page + 1 < ids.len() {
                        r["next_page_token"] = format!("p{}", page + 1).into();
                    }
                    r
                }
            }
        })
        .collect();
    axum::Json(serde_json::json!({ "results": results })).into_response()
}

async fn vuln_handler(State(f): State<Arc<Fake>>, UrlPath(id): UrlPath<String>) -> Response {
    f.vuln_gets.fetch_add(1, Ordering::SeqCst);
    match f.records.get(&id) {
        Some(t) => ([(header::CONTENT_TYPE, "application/json")], t.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            r#"{"code":5,"message":"Bug not found."}"#,
        )
            .into_response(),
    }
}

struct Server {
    url: String,
    fake: Arc<Fake>,
    _rt: tokio::runtime::Runtime,
}

fn serve() -> Server {
    let sub = testkit::fixtures_root().join("advisories/osv-subset");
    let mut fake = Fake::default();
    for eco in ["npm", "PyPI"] {
        let files = json_files(&sub.join(eco));
        fake.zips.insert(eco.into(), zip_of(&files));
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let id = v["id"].as_str().unwrap().to_string();
            for a in v["affected"].as_array().unwrap() {
                let key = (
                    a["package"]["ecosystem"].as_str().unwrap().to_string(),
                    a["package"]["name"].as_str().unwrap().to_lowercase(),
                );
                let ids = fake.by_package.entry(key).or_default();
                if !ids.contains(&id) {
                    ids.push(id.clone());
                }
            }
            fake.records.insert(id, text);
        }
    }
    let fake = Arc::new(fake);
    let app = Router::new()
        .route("/{eco}/{file}", get(zip_handler))
        .route("/v1/querybatch", post(batch_handler))
        .route("/v1/vulns/{id}", get(vuln_handler))
        .with_state(fake.clone());
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
    Server { url, fake, _rt: rt }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn gate(dir: &Path, cache: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut c = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-audit"));
    c.args(["--no-record", "--color", "never", "--format", "json", "-C"])
        .arg(dir)
        .args(args)
        .env("GATES_CACHE_DIR", cache)
        .env("GATES_AUDIT_MAX_DB_AGE", "off")
        // yanked crates have their own tests (tests/yanked.rs)
        .env("GATES_AUDIT_YANKED", "ignore");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn findings(o: &Out) -> Vec<(String, String, u64)> {
    let v: serde_json::Value = serde_json::from_str(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} {}", o.stdout, o.stderr));
    let mut out: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap_or("").to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["location"]["start_line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

fn npm_and_pip_repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let lf = testkit::fixtures_root().join("lockfiles");
    std::fs::copy(
        lf.join("axios-v0.26.0.package-lock.json"),
        t.path().join("package-lock.json"),
    )
    .unwrap();
    std::fs::copy(
        lf.join("djangoproject-2019.requirements.txt"),
        t.path().join("requirements.txt"),
    )
    .unwrap();
    t
}

fn offline_reference(repo: &Path) -> Vec<(String, String, u64)> {
    let sub = testkit::fixtures_root().join("advisories/osv-subset");
    let o = gate(
        repo,
        &repo.join(".ref-cache"),
        &[],
        &[
            "--osv-db",
            sub.join("npm").to_str().unwrap(),
            "--osv-db",
            sub.join("PyPI").to_str().unwrap(),
        ],
    );
    assert_eq!(o.code, 1, "{}", o.stderr);
    findings(&o)
}

#[test]
fn fetched_zips_match_the_directories_then_serve_offline() {
    testkit::fixture!("advisories/rustsec");
    let s = serve();
    let repo = npm_and_pip_repo();
    let cache = tempfile::tempdir().unwrap();
    let want = offline_reference(repo.path());
    assert!(!want.is_empty());
    let env = [("GATES_AUDIT_OSV_ZIP_URL", s.url.as_str())];
    let o = gate(repo.path(), cache.path(), &env, &["--fetch"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(findings(&o), want);
    assert_eq!(s.fake.zip_gets.load(Ordering::SeqCst), 2, "npm and PyPI");
    assert!(o.stderr.contains("OSV npm all.zip fetched"), "{}", o.stderr);
    let zip = cache.path().join("audit/osv/npm/all.zip");
    assert_eq!(std::fs::read(&zip).unwrap(), s.fake.zips["npm"]);
    // no temporary file left behind
    let leftovers: Vec<_> = std::fs::read_dir(zip.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Refresh: the server says 304, nothing downloaded again.
    let o = gate(repo.path(), cache.path(), &env, &["--fetch"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(findings(&o), want);
    assert_eq!(s.fake.zip_gets.load(Ordering::SeqCst), 2);
    assert_eq!(s.fake.zip_304.load(Ordering::SeqCst), 2);
    assert!(o.stderr.contains("up to date"), "{}", o.stderr);

    // Offline afterwards: no fetch, no osv-db, the server down: the cache serves.
    *s.fake.down.lock().unwrap() = true;
    let o = gate(repo.path(), cache.path(), &env, &[]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(findings(&o), want);
    assert!(o.stderr.contains("offline"), "{}", o.stderr);

    // Fetching while the server is down: exit 5, the cached zip untouched.
    let o = gate(repo.path(), cache.path(), &env, &["--fetch"]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr.contains("HTTP 503") && o.stderr.contains(&s.url),
        "{}",
        o.stderr
    );
    assert_eq!(std::fs::read(&zip).unwrap(), s.fake.zips["npm"]);
}

#[test]
fn osv_api_batches_pages_and_caches_details() {
    testkit::fixture!("advisories/rustsec");
    let s = serve();
    let repo = npm_and_pip_repo();
    let cache = tempfile::tempdir().unwrap();
    let want = offline_reference(repo.path());
    let env = [("GATES_AUDIT_OSV_API_URL", s.url.as_str())];
    let o = gate(repo.path(), cache.path(), &env, &["--osv-api"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(findings(&o), want);
    let gets = s.fake.vuln_gets.load(Ordering::SeqCst);
    assert!(gets > 0);
    // some package has several advisories: pages were followed
    let batches = s.fake.batches.load(Ordering::SeqCst);
    assert!(batches >= 2, "{batches}");
    // Second run: the details come from the cache (same `modified`).
    let o = gate(repo.path(), cache.path(), &env, &["--osv-api"]);
    assert_eq!(findings(&o), want);
    assert_eq!(s.fake.vuln_gets.load(Ordering::SeqCst), gets);
    assert!(
        o.stderr.contains(&format!("({gets} from cache)")),
        "{}",
        o.stderr
    );

    // More than 1000 package versions go in batches of at most 1000.
    let big = tempfile::tempdir().unwrap();
    let mut text = String::from("# hand-written: 2500 pinned requirements\n");
    for i in 0..2500 {
        text.push_str(&format!("pkg-{i}==1.0.{i}\n"));
    }
    text.push_str("django==2.2.0\n");
    std::fs::write(big.path().join("requirements.txt"), text).unwrap();
    let before = s.fake.batches.load(Ordering::SeqCst);
    let o = gate(big.path(), cache.path(), &env, &["--osv-api"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(s.fake.max_batch.load(Ordering::SeqCst) <= 1000);
    assert!(s.fake.batches.load(Ordering::SeqCst) - before >= 3);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"].as_str().unwrap().contains("@django@2.2.0")),
        "{}",
        o.stdout
    );

    // The API down: exit 5 naming the URL, never a pass.
    *s.fake.down.lock().unwrap() = true;
    let o = gate(repo.path(), cache.path(), &env, &["--osv-api"]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr.contains("/v1/querybatch") && o.stderr.contains("503"),
        "{}",
        o.stderr
    );
    // Nothing listening at all: exit 5 too.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let o = gate(
        repo.path(),
        cache.path(),
        &[("GATES_AUDIT_OSV_API_URL", closed.as_str())],
        &["--osv-api"],
    );
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(o.stderr.contains(&closed), "{}", o.stderr);
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &dst.join(e.file_name()));
        } else {
            std::fs::copy(&p, dst.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn rustsec_fetch_is_a_shallow_clone_keyed_by_commit() {
    let rustsec = testkit::fixture!("advisories/rustsec");
    let up = tempfile::tempdir().unwrap();
    copy_dir(&rustsec, up.path());
    git(up.path(), &["init", "-q", "-b", "main"]);
    git(up.path(), &["add", "-A"]);
    git(up.path(), &["commit", "-q", "-m", "advisories"]);
    let url = format!("file://{}", up.path().display());
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy(
        testkit::fixtures_root().join("lockfiles/bat-v0.10.0.Cargo.lock"),
        repo.path().join("Cargo.lock"),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let reference = gate(
        repo.path(),
        &repo.path().join(".ref"),
        &[],
        &["--rustsec-db", rustsec.to_str().unwrap()],
    );
    assert_eq!(reference.code, 1, "{}", reference.stderr);
    let env = [("GATES_AUDIT_RUSTSEC_URL", url.as_str())];
    let o = gate(repo.path(), cache.path(), &env, &["--fetch"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(findings(&o), findings(&reference));
    let head = String::from_utf8(
        Command::new("git")
            .arg("-C")
            .arg(up.path())
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let dir = cache.path().join("audit/rustsec");
    assert_eq!(
        std::fs::read_to_string(dir.join("current")).unwrap().trim(),
        head
    );
    assert!(dir.join(&head).join("crates").is_dir());
    // a shallow clone
    assert!(dir.join(&head).join(".git/shallow").is_file());

    // Offline: no fetch, no rustsec-db: the fetched clone is used.
    let o = gate(repo.path(), cache.path(), &env, &[]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert_eq!(findings(&o), findings(&reference));

    // Upstream moves: an advisory that hits (smallvec) is removed.
    let gone = "RUSTSEC-2019-0009";
    let path = std::fs::read_dir(up.path().join("crates/smallvec"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(gone))
        .unwrap();
    std::fs::remove_file(path).unwrap();
    git(up.path(), &["commit", "-q", "-am", "withdraw"]);
    let o = gate(repo.path(), cache.path(), &env, &["--fetch"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let keys: Vec<String> = findings(&o).into_iter().map(|f| f.0).collect();
    assert!(!keys.iter().any(|k| k.starts_with(gone)), "{keys:?}");
    assert!(findings(&reference).iter().any(|f| f.0.starts_with(gone)));
    let new_head = std::fs::read_to_string(dir.join("current")).unwrap();
    assert_ne!(new_head.trim(), head);
    assert!(!dir.join(&head).exists(), "the old clone is removed");

    // max-db-age applies to fetched data: a commit dated 2020 is too old.
    let o = Command::new("git")
        .arg("-C")
        .arg(up.path())
        .args(["commit", "-q", "--allow-empty", "-m", "old"])
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(o.status.success());
    let aged = [
        ("GATES_AUDIT_RUSTSEC_URL", url.as_str()),
        ("GATES_AUDIT_MAX_DB_AGE", "7d"),
    ];
    let o = gate(repo.path(), cache.path(), &aged, &["--fetch"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("days old"), "{}", o.stderr);

    // A URL that does not answer: exit 5 naming it.
    let o = gate(
        repo.path(),
        cache.path(),
        &[("GATES_AUDIT_RUSTSEC_URL", "file:///nonexistent/advisory-db")],
        &["--fetch"],
    );
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(
        o.stderr.contains("/nonexistent/advisory-db"),
        "{}",
        o.stderr
    );
}
