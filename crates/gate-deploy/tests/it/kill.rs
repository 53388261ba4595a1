//! kill -9 at every phase of the deploy machine, behind a real HAProxy.
//!
//! The cases are generated from `Phase::ALL`: for each phase, the boundary
//! (its write-ahead marks written, its first action not done) and the
//! middle (its action done, nothing recorded yet), through the test-only
//! failpoint `GATES_CRASH_AT` (debug builds only). After each kill:
//! `gate-deploy status`, `gate-rollback` and a new deploy; traffic must end
//! on a verified-healthy slot, the ledger must say what is live, and no
//! release may be marked live that does not answer there.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use common::*;
use gate_deploy::flow::failpoint;
use gate_deploy::machine::Phase;

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");

/// The same keys for gate-rollback's section.
fn with_rollback_section(cfg: &str) -> String {
    let body: String = cfg
        .lines()
        .skip_while(|l| !l.starts_with("deploy:"))
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    format!("{cfg}rollback:\n{body}")
}

fn config(w: &World, h: &Haproxy, watch: &str) -> String {
    with_rollback_section(&w.base_config(
        "deploy",
        &format!(
            "  switch: haproxy\n  haproxy-socket: {}\n  haproxy-backend: app\n  smoke:\n    rate: 20\n    duration: 300ms\n",
            h.socket.display()
        ),
    ))
    .replace("watch: 1s\n", &format!("watch: {watch}\n"))
}

/// A deploy that trips: the new release fails 2 s after it started, in
/// the watch (the only way to reach the rollback and verify phases).
fn trips(phase: Phase) -> bool {
    matches!(phase, Phase::Rollback | Phase::Verify | Phase::Done)
}

/// Whether a deploy reaches the failpoint. `journeys` and `backup` are
/// passed through (nothing configures them yet); `done` has no action of
/// its own on the outside world, so no middle.
fn reached(phase: Phase, mid: bool) -> bool {
    let passed_through = matches!(phase, Phase::Journeys | Phase::Backup);
    !(passed_through || phase == Phase::Done && mid)
}

/// Phases whose entry writes an `in_progress` status naming them.
fn marked_on_entry(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::Start
            | Phase::Wait
            | Phase::Smoke
            | Phase::Switch
            | Phase::Watch
            | Phase::Rollback
            | Phase::Verify
    )
}

fn body(h: &Haproxy) -> String {
    get(h.port, "/")
        .map(|(_, b)| b.trim().to_string())
        .unwrap_or_else(|e| format!("error: {e}"))
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

/// Where in a phase the failpoint kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Its write-ahead marks written, its action not begun.
    Boundary,
    /// Inside its action (a hook running, a switch half-applied).
    Inside,
    /// Its action done, nothing recorded yet.
    Mid,
}

fn case(phase: Phase, at: At) -> Result<(), String> {
    let mid = at == At::Mid;
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return Ok(());
    };
    let bad = trips(phase);
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&config(&w, &h, if bad { "8s" } else { "1s" }));
    let at = match at {
        At::Boundary => phase.as_str().to_string(),
        At::Inside => format!("{}:inside", phase.as_str()),
        At::Mid => format!("{}:mid", phase.as_str()),
    };
    let mut c = w.command(DEPLOY, &["--release", "v2", "--format", "json"]);
    c.env("GATES_CRASH_AT", &at);
    if bad {
        c.env("SAMPLE_FAIL_AFTER", "2");
    }
    let out = c.output().unwrap();
    let killed = out.status.signal() == Some(9);
    ensure!(
        killed == reached(phase, mid),
        "{at}: killed {killed}, expected {}: {:?} {}",
        reached(phase, mid),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    // status: answers, and a deploy killed in a phase shows that phase.
    let (code, sout, serr) = w.run(DEPLOY, &["status", "--format", "json"]);
    ensure!(code == 0, "{at}: status exit {code}: {serr}");
    let s = report(&sout);
    if killed && !mid && marked_on_entry(phase) {
        let shown = &s["details"]["state"]["unfinished"][0]["phase"];
        ensure!(
            shown == phase.as_str(),
            "{at}: status shows {shown} for a deploy killed in {}",
            phase.as_str()
        );
    }

    // gate-rollback: restores or refuses; what the ledger then says is
    // live is what answers.
    let (code, rout, rerr) = w.run(&rollback_bin(), &["--format", "json"]);
    ensure!(
        code == 0 || code == 1,
        "{at}: gate-rollback exit {code}: {rerr}{rout}"
    );
    let (_, sout, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&sout);
    if code == 0 {
        let live = &s["details"]["state"]["live"];
        ensure!(
            body(&h) == format!("hello from {}", live["release"].as_str().unwrap_or("?")),
            "{at}: after gate-rollback the ledger says {live} but the proxy serves {}",
            body(&h)
        );
    }

    // A new deploy ends on a verified-healthy slot the ledger names.
    let (code, dout, derr) = w.run(DEPLOY, &["--release", "v3", "--format", "json"]);
    ensure!(code == 0, "{at}: the next deploy exit {code}: {derr}{dout}");
    ensure!(body(&h) == "hello from v3", "{at}: serves {}", body(&h));
    let (_, sout, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&sout);
    let d = &s["details"];
    ensure!(
        d["state"]["live"]["release"] == "v3" && d["state"]["live"]["slot"] == d["proxy_live"],
        "{at}: the ledger says {} live, the proxy sends traffic to {}",
        d["state"]["live"],
        d["proxy_live"]
    );
    ensure!(
        d["state"]["unfinished"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{at}: unfinished deployments remain: {}",
        d["state"]["unfinished"]
    );
    Ok(())
}

#[test]
fn kill_9_at_every_phase_then_status_rollback_and_a_new_deploy() {
    if which("haproxy").is_none() {
        skip("haproxy is not installed (apt-get install haproxy)");
        return;
    }
    let mut cases: Vec<(Phase, At)> = Phase::ALL
        .into_iter()
        .flat_map(|p| [(p, At::Boundary), (p, At::Mid)])
        .collect();
    cases.extend(failpoint::INSIDE.iter().map(|p| (*p, At::Inside)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(&(phase, at)) = cases.get(i) else {
                        break;
                    };
                    if let Err(e) = case(phase, at) {
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The repro: killed in the watch (green takes traffic, the ledger
/// still names blue), then the same release again. The re-run must take
/// the live slot from the proxy and never touch green while it serves.
#[test]
fn a_rerun_after_a_kill_in_the_watch_never_restarts_the_serving_slot() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&config(&w, &h, "1s"));
    let out = w
        .command(DEPLOY, &["--release", "v3", "--format", "json"])
        .env("GATES_CRASH_AT", "watch")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9));
    assert_eq!(body(&h), "hello from v3");
    let green = w.slot_pid("green").expect("green runs v3");
    let load_run = load(h.port, 100, Duration::from_secs(4));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v3", "--format", "json"]);
    let stats = load_run.join().unwrap();
    assert_eq!(code, 0, "{err}{out}");
    let r = report(&out);
    assert_eq!(r["details"]["to"]["slot"], "blue", "{out}");
    assert_eq!(r["details"]["from"]["slot"], "green", "{out}");
    assert_eq!(stats.http_errors + stats.resets, 0, "{stats:?}");
    // Green was stopped only after traffic left it (keep-old 0).
    assert_ne!(w.slot_pid("green"), Some(green));
    assert_eq!(body(&h), "hello from v3");
}

/// Killed inside the HAProxy switch: green ready, blue not yet in
/// maintenance, both take traffic. The next deploy settles the proxy on the
/// slot the ledger knew live before it touches anything, and no request
/// fails while it stops and restarts green.
#[test]
fn a_switch_killed_half_way_is_settled_before_anything_is_touched() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&config(&w, &h, "1s"));
    let out = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .env("GATES_CRASH_AT", "switch:inside")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9));
    let (_, sout, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    assert_eq!(
        report(&sout)["details"]["proxy_live"],
        serde_json::Value::Null,
        "both slots ready: the proxy names no single live slot"
    );
    let load_run = load(h.port, 100, Duration::from_secs(4));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v3", "--format", "json"]);
    let stats = load_run.join().unwrap();
    assert_eq!(code, 0, "{err}{out}");
    assert!(err.contains("both slots take traffic"), "{err}");
    let r = report(&out);
    assert_eq!(r["details"]["from"]["slot"], "blue", "{out}");
    assert_eq!(r["details"]["to"]["slot"], "green", "{out}");
    assert_eq!(stats.http_errors + stats.resets, 0, "{stats:?}");
    assert_eq!(body(&h), "hello from v3");
}

/// The second repro: v4 into green killed in the watch,
/// gate-rollback (to blue v3), then gate-rollback again: its target is
/// green v2 by the ledger, but green runs v4. Without a start hook it must
/// refuse ("cannot be proved"); with one, it puts v2 there (a restart) and
/// records green v2 only then. Never green v2 while green serves v4.
#[test]
fn gate_rollback_never_records_a_release_the_slot_does_not_run() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    let cfg = config(&w, &h, "1s");
    w.write_config(&cfg);
    for release in ["v2", "v3"] {
        let (code, out, err) = w.run(DEPLOY, &["--release", release, "--format", "json"]);
        assert_eq!(code, 0, "{err}{out}");
    }
    let out = w
        .command(DEPLOY, &["--release", "v4", "--format", "json"])
        .env("GATES_CRASH_AT", "watch")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9));
    assert_eq!(body(&h), "hello from v4");
    let rollback = rollback_bin();
    let (code, out, err) = w.run(&rollback, &["--format", "json"]);
    assert_eq!(code, 0, "{err}{out}");
    assert_eq!(body(&h), "hello from v3");

    // No start hook: refused, nothing touched.
    let no_start: String = cfg
        .lines()
        .filter(|l| !l.trim_start().starts_with("start:"))
        .map(|l| format!("{l}\n"))
        .collect();
    w.write_config(&no_start);
    let (code, out, err) = w.run(&rollback, &["--format", "json"]);
    assert_eq!(code, 1, "{err}{out}");
    assert!(
        err.contains("cannot be proved") || out.contains("cannot be proved"),
        "{err}{out}"
    );
    assert_eq!(body(&h), "hello from v3");

    // With it: v2 is put in green, then recorded.
    w.write_config(&cfg);
    let (code, out, err) = w.run(&rollback, &["--format", "json"]);
    let (_, sout, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let live = report(&sout)["details"]["state"]["live"].clone();
    assert_eq!(code, 0, "{err}{out}");
    assert_eq!(live["slot"], "green");
    assert_eq!(live["release"], "v2");
    assert_eq!(body(&h), "hello from v2", "the ledger says {live}; {out}");
}

/// Live members of process group `pgid`, from /proc.
fn group_alive(pgid: u32) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        std::fs::read_to_string(e.path().join("stat")).is_ok_and(|st| {
            // pid (comm) state ppid pgrp ...
            let after = st.rsplit_once(')').map(|(_, a)| a).unwrap_or("");
            let f: Vec<&str> = after.split_whitespace().collect();
            f.len() > 3 && f[0] != "Z" && f[2] == pgid.to_string()
        })
    })
}

/// A start hook orphaned by kill -9 (still running, about to start its
/// service) is stopped by the next run: it runs in a process group of its
/// own, recorded, and the next run finds the record.
#[test]
fn a_start_hook_orphaned_by_a_kill_is_stopped_by_the_next_run() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    let d = w.path().display().to_string();
    let slow = format!(
        "touch {d}/hook-running; while [ ! -f {d}/go ]; do sleep 0.02; done; {}",
        w.start_hook()
    );
    let cfg = config(&w, &h, "1s").replacen(
        &format!("start: \"{}\"", yaml_escape(&w.start_hook())),
        &format!("start: \"{}\"", yaml_escape(&slow)),
        1,
    );
    w.write_config(&cfg);
    let mut child = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .spawn()
        .unwrap();
    wait_until("the start hook runs", Duration::from_secs(20), || {
        w.path().join("hook-running").exists()
    });
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    let record = w.path().join(".gates/hooks/deploy-production-green.pgid");
    let text = std::fs::read_to_string(&record).expect("the hook's group is recorded");
    let pgid: u32 = text.split_whitespace().next().unwrap().parse().unwrap();
    assert!(group_alive(pgid), "the orphaned hook still runs");
    // The next run (any of them) stops it.
    let (code, out, err) = w.run(&rollback_bin(), &["--format", "json"]);
    assert!(code == 0 || code == 1, "{err}{out}");
    assert!(!group_alive(pgid), "the orphaned hook was stopped: {err}");
    std::fs::write(w.path().join("go"), "").unwrap();
    assert!(!w.path().join("green.pid").exists());
}

/// With `-C DIR`, hooks run in DIR (where the ledger and paths are); and
/// with no commit known (not a git repository, no `GITHUB_SHA`) the local
/// ledger records `unknown`, never forty zeros.
#[test]
fn hooks_run_in_the_c_directory_and_an_unknown_commit_is_recorded_as_unknown() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    let hook = format!("echo $GATES_SLOT > started-here; {}", w.start_hook());
    let cfg = config(&w, &h, "1s").replacen(
        &format!("start: \"{}\"", yaml_escape(&w.start_hook())),
        &format!("start: \"{}\"", yaml_escape(&hook)),
        1,
    );
    w.write_config(&cfg);
    let out = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .env_remove("GITHUB_SHA")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(w.path().join("started-here"))
            .unwrap()
            .trim(),
        "green"
    );
    let elsewhere = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("started-here");
    assert!(!elsewhere.exists());
    let (_, sout, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&sout);
    assert_eq!(s["details"]["state"]["history"][0]["commit"], "unknown");
}

/// A switch that cannot say where traffic goes (a command): after a kill
/// in the watch, the re-run takes the live slot from the interrupted run's
/// last status (green) and deploys to blue; after a kill right after the
/// switch (its status `live=?`), the run first puts traffic back where the
/// ledger knew it, then deploys.
#[test]
fn a_blind_switch_is_reconciled_from_the_ledger_before_anything_is_touched() {
    let w = World::new();
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    let traffic = w.path().join("traffic");
    std::fs::write(&traffic, "blue\n").unwrap();
    let switch = format!("echo $GATES_SLOT > {}", traffic.display());
    w.write_config(&w.base_config(
        "deploy",
        &format!(
            "  switch: command\n  switch-command: \"{}\"\n",
            yaml_escape(&switch)
        ),
    ));
    let now = || {
        std::fs::read_to_string(&traffic)
            .unwrap()
            .trim()
            .to_string()
    };
    let out = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .env("GATES_CRASH_AT", "watch")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9));
    assert_eq!(now(), "green");
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 0, "{err}{out}");
    let r = report(&out);
    assert_eq!(r["details"]["from"]["slot"], "green", "{out}");
    assert_eq!(r["details"]["to"]["slot"], "blue", "{out}");
    assert_eq!(now(), "blue");

    let out = w
        .command(DEPLOY, &["--release", "v3", "--format", "json"])
        .env("GATES_CRASH_AT", "switch:mid")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9));
    assert_eq!(now(), "green");
    let (code, out, err) = w.run(DEPLOY, &["--release", "v3", "--format", "json"]);
    assert_eq!(code, 0, "{err}{out}");
    assert!(err.contains("traffic back to blue"), "{err}");
    let r = report(&out);
    assert_eq!(r["details"]["from"]["slot"], "blue", "{out}");
    assert_eq!(r["details"]["to"]["slot"], "green", "{out}");
    assert_eq!(now(), "green");
}
