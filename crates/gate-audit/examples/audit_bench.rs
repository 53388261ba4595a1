//! Benchmark driver (a developer tool, not a test):
//!
//! ```sh
//! cargo build --release -p gate-audit
//! cargo run --release -p gate-audit --example audit_bench -- <advisory-db> <Cargo.lock>... [--cargo-audit PATH] [--runs N]
//! ```
//!
//! The database is copied into a temporary git checkout first. For each
//! lockfile: the in-process phases (database parse, cache load,
//! lockfile parse, matching), then the median wall time of N end-to-end runs
//! of the `gate-audit` binary (next to this example) with a cold cache and
//! with a warm cache, and of `cargo-audit audit --db DB --no-fetch
//! --no-yanked --json --file LOCK` when a cargo-audit binary is given, in the
//! same run, one after the other, and the findings count of each.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use gate_audit::lockfile::{self, Detail, Kind};
use gate_audit::{matcher, rustsec};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

/// Median wall time of `runs` runs of `cmd`, and its last stdout.
fn run_n(
    runs: usize,
    mut make: impl FnMut() -> Command,
    before: &mut dyn FnMut(),
) -> (Duration, Vec<u8>, Option<i32>) {
    let mut times = Vec::new();
    let mut out = Vec::new();
    let mut code = None;
    for _ in 0..runs {
        before();
        let mut c = make();
        let t = Instant::now();
        let o = c.output().expect("run");
        times.push(t.elapsed());
        out = o.stdout;
        code = o.status.code();
    }
    (median(times), out, code)
}

fn main() -> std::process::ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut cargo_audit: Option<PathBuf> = None;
    let mut runs = 15usize;
    if let Some(i) = args.iter().position(|a| a == "--cargo-audit") {
        cargo_audit = Some(PathBuf::from(args.remove(i + 1)));
        args.remove(i);
    }
    if let Some(i) = args.iter().position(|a| a == "--runs") {
        runs = args.remove(i + 1).parse().expect("--runs N");
        args.remove(i);
    }
    let [db, locks @ ..] = args.as_slice() else {
        eprintln!(
            "usage: audit_bench <advisory-db> <Cargo.lock>... [--cargo-audit PATH] [--runs N]"
        );
        return std::process::ExitCode::from(2);
    };
    let checkout = git_checkout(db);
    let db = checkout.path();
    let exe = std::env::current_exe().unwrap();
    let gate = exe.parent().unwrap().parent().unwrap().join("gate-audit");
    assert!(
        gate.exists(),
        "build the binary first: cargo build --release -p gate-audit"
    );
    let cache = tempfile::tempdir().unwrap();
    let cached = in_process(db, cache.path());
    for lock in locks {
        let lock = Path::new(lock);
        lock_in_process(lock, &cached);
        let (cold, warm, warm_y) = gate_runs(&gate, db, lock, cache.path(), runs);
        if let Some(ca) = &cargo_audit {
            cargo_audit_runs(ca, db, lock, runs, (cold, warm, warm_y));
        }
    }
    std::process::ExitCode::SUCCESS
}

/// The database as users have it: a git checkout (cargo-audit's own
/// ~/.cargo/advisory-db is one). Copied so both tools read the same files.
fn git_checkout(db: &str) -> tempfile::TempDir {
    let checkout = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(format!("{db}/."))
        .arg(checkout.path())
        .status()
        .unwrap();
    assert!(status.success());
    for args in [
        vec!["init", "-q"],
        vec!["add", "-A"],
        vec![
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@localhost",
            "commit",
            "-q",
            "-m",
            "advisory-db",
        ],
    ] {
        let ok = Command::new("git")
            .arg("-C")
            .arg(checkout.path())
            .args(&args)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    }
    checkout
}

/// The in-process phases of the database (and gate-core's per-run
/// configuration work); returns the database loaded from the cache.
fn in_process(db: &Path, cache: &Path) -> rustsec::Database {
    let (parsed, t_parse) = timed(|| rustsec::Database::open(db).unwrap());
    let (_, t_fp) = timed(|| rustsec::fingerprint(db).unwrap());
    rustsec::Database::open_cached(db, Some(cache)).unwrap();
    let ((cached, hit), t_cache) =
        timed(|| rustsec::Database::open_cached(db, Some(cache)).unwrap());
    assert!(hit);
    // gate-core's per-run configuration work (schema generated, compiled).
    let (schema, t_schema) =
        timed(gate_core::config::section_schema::<gate_audit::gate::AuditConfig>);
    let (_, t_compile) = timed(|| jsonschema::validator_for(&schema).unwrap());
    println!(
        "config schema: generated {}, compiled {}",
        ms(t_schema),
        ms(t_compile)
    );
    println!(
        "database: {} advisories; full parse {}, fingerprint {}, cache load {}",
        parsed.advisories.len(),
        ms(t_parse),
        ms(t_fp),
        ms(t_cache)
    );
    cached
}

/// The in-process phases of one lockfile: parse and matching.
fn lock_in_process(lock: &Path, cached: &rustsec::Database) {
    let bytes = std::fs::read(lock).unwrap();
    // What the gate does: packages only (no hashes, no dependency graph).
    let (l, t_lock) = timed(|| {
        lockfile::parse_with(Kind::Cargo, "Cargo.lock", &bytes, Detail::Packages).unwrap()
    });
    let (hits, t_match) =
        timed(|| matcher::match_all(std::slice::from_ref(&l), Some(cached), None));
    // The Cargo.lock parse, best of 20: packages only through the line
    // scanner (the gate), the whole model through it (gate-sbom), and
    // the whole model through the TOML parse it falls back to.
    let text = std::str::from_utf8(&bytes).unwrap();
    let best = |f: &dyn Fn()| (0..20).map(|_| timed(f).1).min().unwrap_or_default();
    let t_light = best(&|| {
        lockfile::cargo::parse_with("Cargo.lock", text, Detail::Packages).unwrap();
    });
    let t_scan = best(&|| {
        lockfile::cargo::parse("Cargo.lock", text).unwrap();
    });
    let t_toml = best(&|| {
        lockfile::cargo::parse_toml("Cargo.lock", text).unwrap();
    });
    println!(
        "\n{} ({} packages, line scanner: {}): lockfile parse {} (best of 20: packages only {}, whole model {}, whole model through TOML {}), matching {} ({} findings)",
        lock.display(),
        l.packages.len(),
        lockfile::cargo::scanned(text),
        ms(t_lock),
        ms(t_light),
        ms(t_scan),
        ms(t_toml),
        ms(t_match),
        hits.len()
    );
}

/// Median times of the gate-audit binary on `lock`: cold cache, warm cache,
/// warm cache with the yanked check.
fn gate_runs(
    gate: &Path,
    db: &Path,
    lock: &Path,
    cache: &Path,
    runs: usize,
) -> (Duration, Duration, Duration) {
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy(lock, repo.path().join("Cargo.lock")).unwrap();
    let gate_cmd_with = |cache_dir: &Path, yanked: &str| {
        let mut c = Command::new(gate);
        c.args([
            "--no-record",
            "--format",
            "json",
            "--max-db-age",
            "off",
            "--rustsec-db",
        ])
        .arg(db)
        .arg("-C")
        .arg(repo.path())
        .env("GATES_CACHE_DIR", cache_dir)
        .env("GATES_AUDIT_YANKED", yanked)
        .env_remove("GITHUB_ACTIONS");
        c
    };
    // Without the yanked check, as `cargo-audit --no-yanked`.
    let gate_cmd = |cache_dir: &Path| gate_cmd_with(cache_dir, "ignore");
    let cold_dir = tempfile::tempdir().unwrap();
    let cold_path = cold_dir.path().to_path_buf();
    let (cold, _, _) = run_n(runs, || gate_cmd(&cold_path), &mut || {
        let _ = std::fs::remove_dir_all(cold_path.join("audit"));
    });
    let warm_path = cache.to_path_buf();
    let (warm, out, code) = run_n(runs, || gate_cmd(&warm_path), &mut || {});
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let count = |name: &str| {
        report["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["value"].as_f64().unwrap())
            .unwrap_or(0.0)
    };
    println!(
        "  gate-audit  cold cache {}  warm cache {}  (exit {:?}, {} vulnerabilities, {} warnings)",
        ms(cold),
        ms(warm),
        code,
        count("vulnerabilities"),
        count("warnings")
    );
    // With the yanked check from Cargo's local index cache, as
    // `cargo-audit --no-fetch` (which reads the same cache).
    let (warm_y, out_y, _) = run_n(runs, || gate_cmd_with(&warm_path, "warn"), &mut || {});
    let report_y: serde_json::Value = serde_json::from_slice(&out_y).unwrap();
    let yanked = report_y["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "yanked")
        .count();
    println!(
        "  gate-audit  warm cache, yanked from the local index {}  ({yanked} yanked)",
        ms(warm_y)
    );
    (cold, warm, warm_y)
}

/// cargo-audit on `lock`, with and without the yanked check, compared with
/// gate-audit's (cold, warm, warm with yanked) times.
fn cargo_audit_runs(
    ca: &Path,
    db: &Path,
    lock: &Path,
    runs: usize,
    (cold, warm, warm_y): (Duration, Duration, Duration),
) {
    let (t_y, out, _) = run_n(
        runs,
        || {
            let mut c = Command::new(ca);
            c.args(["audit", "--no-fetch", "--json", "--db"])
                .arg(db)
                .arg("--file")
                .arg(lock)
                .stderr(std::process::Stdio::null());
            c
        },
        &mut || {},
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
    println!(
        "  cargo-audit with yanked (--no-fetch) {}  ({} yanked)  -> gate-audit {:.1}x faster",
        ms(t_y),
        v["warnings"]["yanked"].as_array().map_or(0, Vec::len),
        t_y.as_secs_f64() / warm_y.as_secs_f64()
    );
    let (t, out, code) = run_n(
        runs,
        || {
            let mut c = Command::new(ca);
            c.args(["audit", "--no-fetch", "--no-yanked", "--json", "--db"])
                .arg(db)
                .arg("--file")
                .arg(lock);
            c
        },
        &mut || {},
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap_or_default();
    let warns: usize = v["warnings"]
        .as_object()
        .map(|o| o.values().map(|l| l.as_array().map_or(0, Vec::len)).sum())
        .unwrap_or(0);
    println!(
        "  cargo-audit {}  (exit {:?}, {} vulnerabilities, {} warnings)  -> gate-audit warm is {:.1}x faster, cold {:.1}x",
        ms(t),
        code,
        v["vulnerabilities"]["count"],
        warns,
        t.as_secs_f64() / warm.as_secs_f64(),
        t.as_secs_f64() / cold.as_secs_f64()
    );
}
