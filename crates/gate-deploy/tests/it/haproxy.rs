//! gate-deploy and gate-rollback behind a real HAProxy on loopback.

use crate::common;

use std::time::Duration;

use common::*;

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");

fn haproxy_config(w: &World, h: &Haproxy, extra: &str) -> String {
    w.base_config(
        "deploy",
        &format!(
            "  switch: haproxy\n  haproxy-socket: {}\n  haproxy-backend: app\n{extra}",
            h.socket.display()
        ),
    )
}

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

/// `server op_state admin_state` per server (the columns that say where
/// traffic goes; others, like seconds since the last change, move on their own).
fn traffic_states(h: &Haproxy) -> Vec<String> {
    haproxy_states(h)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|c| c.len() > 6)
        .map(|c| format!("{} {} {}", c[3], c[5], c[6]))
        .collect()
}

fn haproxy_states(h: &Haproxy) -> String {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(&h.socket).unwrap();
    s.write_all(b"show servers state app\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// srv_admin_state of a server (flags: 0x01 forced maintenance, 0x08 drain).
fn admin_state(h: &Haproxy, server: &str) -> u32 {
    haproxy_states(h)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|c| c.len() > 6 && c[3] == server)
        .map(|c| c[6].parse().unwrap())
        .unwrap()
}

#[test]
fn blue_green_switch_and_rollback_under_load_lose_no_request() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&with_rollback_section(&haproxy_config(&w, &h, "")));
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");

    // blue -> green under 200 req/s for 3 s.
    let load_run = load(h.port, 200, Duration::from_secs(3));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    let stats = load_run.join().unwrap();
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["result"], "deployed");
    assert_eq!(r["details"]["live"]["slot"], "green");
    assert_eq!(r["details"]["live"]["release"], "v2");
    assert!(
        r["details"]["timings"]["time_to_switch_ms"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(stats.http_errors, 0, "{stats:?}");
    assert_eq!(stats.resets, 0, "{stats:?}");
    assert_eq!(stats.sent, 600);
    assert!(
        stats.releases.contains(&"hello from v1".to_string())
            && stats.releases.contains(&"hello from v2".to_string()),
        "the switch happened during the load: {stats:?}"
    );
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v2");
    assert_eq!(admin_state(&h, "green") & 0x3b, 0, "green ready");
    assert_eq!(admin_state(&h, "blue") & 1, 1, "blue in maintenance");
    // keep-old 0: the stop hook stopped blue.
    wait_until("blue stopped", Duration::from_secs(5), || {
        !port_open(w.blue)
    });

    // Re-running the same release is a no-op.
    let (code, out, _) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(report(&out)["details"]["result"], "already-live");

    // gate-rollback --dry-run: the plan, nothing done.
    let rollback = rollback_bin();
    let (code, out, err) = w.run(&rollback, &["--dry-run", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["to"]["slot"], "blue");
    assert_eq!(r["details"]["to"]["release"], "v1");
    assert!(
        r["details"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["phase"] == "switch"
                && s["action"]
                    .as_str()
                    .unwrap()
                    .contains("set server app/blue state ready")),
        "{r}"
    );
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v2");
    assert!(!port_open(w.blue), "blue not started");

    // green -> blue by gate-rollback under load: blue was stopped, so it is
    // restarted with v1 through the start hook first.
    let load_run = load(h.port, 200, Duration::from_secs(3));
    let (code, out, err) = w.run(&rollback, &["--format", "json"]);
    let stats = load_run.join().unwrap();
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["gate"], "rollback");
    assert_eq!(r["details"]["result"], "restored");
    assert_eq!(r["details"]["live"]["slot"], "blue");
    assert_eq!(r["details"]["live"]["release"], "v1");
    assert!(
        r["details"]["timings"]["start_ms"].as_f64().is_some(),
        "blue restarted"
    );
    assert_eq!(stats.http_errors, 0, "{stats:?}");
    assert_eq!(stats.resets, 0, "{stats:?}");
    assert!(stats.releases.contains(&"hello from v1".to_string()));
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");

    // The ledger tells the story.
    let (code, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    assert_eq!(code, 0);
    let s = report(&out);
    assert_eq!(s["details"]["state"]["live"]["slot"], "blue");
    assert_eq!(s["details"]["state"]["live"]["release"], "v1");
    assert_eq!(s["details"]["proxy_live"], "blue");
    let kinds: Vec<_> = s["details"]["state"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["rollback", "deploy", "deploy"]);
}

#[test]
fn green_failing_after_the_switch_rolls_back_automatically() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&haproxy_config(&w, &h, "").replace("watch: 1s\n", "watch: 20s\n"));
    let outputs = w.path().join("github-output");
    std::fs::write(&outputs, "").unwrap();
    let child = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &outputs)
        .spawn()
        .unwrap();
    // Green takes traffic, then starts failing 2 s after the switch.
    wait_until("green live", Duration::from_secs(20), || {
        get(h.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v2")
    });
    assert_eq!(post(w.green, "/fault?after_ms=2000"), 200);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&stdout);
    let d = &r["details"];
    assert_eq!(r["verdict"], "fail");
    assert_eq!(d["result"], "rolled-back");
    assert_eq!(d["live"]["slot"], "blue");
    assert!(r["findings"].as_array().unwrap().iter().any(|f| {
        f["rule"] == "rolled-back"
            && f["message"]
                .as_str()
                .unwrap()
                .contains("consecutive failed probe rounds (trips after 3)")
    }));
    // Back on blue, verified, within interval x breaker-trip-after + 1 s of the first failing probe.
    let recovery = d["timings"]["recovery_ms"].as_f64().unwrap();
    let detect = d["timings"]["time_to_detect_ms"].as_f64().unwrap();
    assert!(
        detect >= 2.0 * 200.0 * 0.9,
        "3 failures span 2 intervals: {detect}"
    );
    assert!(recovery <= 3.0 * 200.0 + 1000.0, "recovery {recovery} ms");
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
    assert_eq!(admin_state(&h, "blue") & 0x3b, 0, "blue ready");
    assert_eq!(admin_state(&h, "green") & 1, 1);
    // Failing probes are in the report.
    let failed = d["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ok"] == false)
        .count();
    assert!(failed >= 3, "{failed}");
    // Step outputs.
    let o = std::fs::read_to_string(&outputs).unwrap();
    assert!(o.contains("live-slot<<") && o.contains("\nblue\n"), "{o}");
    assert!(o.contains("rolled-back<<") && o.contains("\ntrue\n"), "{o}");
    assert!(o.contains("recovery-ms<<"), "{o}");
    // The ledger: blue live, the failed deployment recorded with its timings.
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&out);
    assert_eq!(s["details"]["state"]["live"]["slot"], "blue");
    let last = &s["details"]["state"]["history"][0];
    assert_eq!(last["state"], "failure");
    let desc = last["description"].as_str().unwrap();
    assert!(
        desc.contains("live=blue") && desc.contains("recovery_ms="),
        "{desc}"
    );
}

#[test]
fn green_never_healthy_means_no_switch() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&haproxy_config(&w, &h, "").replace("wait-timeout: 10s", "wait-timeout: 1.5s"));
    let blue_pid = w.slot_pid("blue");
    let out = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .env("SAMPLE_FAIL_AFTER", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = report(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["details"]["result"], "never-healthy");
    assert_eq!(r["details"]["live"]["slot"], "blue");
    assert_eq!(admin_state(&h, "green") & 1, 1, "green never took traffic");
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
    assert_eq!(w.slot_pid("blue"), blue_pid);
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    assert_eq!(report(&out)["details"]["state"]["live"]["release"], "v1");
}

#[test]
fn failing_start_hook_exits_1_and_leaves_blue_untouched() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    let cfg = haproxy_config(&w, &h, "").replace(
        &format!("  start: \"{}\"\n", yaml_escape(&w.start_hook())),
        "  start: \"echo cannot pull image >&2; exit 7\"\n",
    );
    w.write_config(&cfg);
    let before = traffic_states(&h);
    assert_eq!(before.len(), 2);
    let (code, out, _) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 1);
    let r = report(&out);
    assert_eq!(r["details"]["result"], "start-failed");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "start-failed")
        .unwrap();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("exit 7: cannot pull image"),
        "{f}"
    );
    assert_eq!(traffic_states(&h), before);
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
    assert!(!port_open(w.green));
}

#[test]
fn invalid_haproxy_target_changes_nothing_and_exits_5() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(
        &haproxy_config(&w, &h, "").replace("haproxy-backend: app", "haproxy-backend: nope"),
    );
    let before = traffic_states(&h);
    assert_eq!(before.len(), 2);
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 5, "{out}{err}");
    assert!(err.contains("nope/blue"), "{err}");
    assert_eq!(traffic_states(&h), before);
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
    // Found in the plan phase: green was never started (its start hook
    // never ran: no log), and nothing was recorded.
    assert!(!w.path().join("green.log").exists());
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&out);
    assert_eq!(s["details"]["state"]["live"]["slot"], "blue");
    assert_eq!(
        s["details"]["state"]["history"].as_array().unwrap().len(),
        1,
        "only the seed"
    );
    assert!(
        s["details"]["state"]["unfinished"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// The sequence: HAProxy, two slots, an empty ledger. v1 goes to
/// green (blue was "live" behind the proxy, running nothing anyone
/// recorded); v2 fails on blue after the switch and is rolled back to green
/// automatically; gate-rollback must then refuse: the only thing before v1
/// is blue's unknown release. gates.yml has no `rollback:` section:
/// gate-rollback reads `deploy:`.
#[test]
fn rollback_never_puts_an_unknown_release_live() {
    let w = World::new();
    let Some(h) = start_haproxy(&w, false) else {
        return;
    };
    // The start hook notes every start (slot and GATES_VERSION).
    let starts = w.path().join("starts.log");
    let start = format!(
        "echo \"$GATES_SLOT $GATES_VERSION\" >> {}; {}",
        starts.display(),
        w.start_hook()
    );
    let cfg = haproxy_config(&w, &h, "")
        .replace("environment: production", "environment: staging")
        .replace(
            &format!("  start: \"{}\"\n", yaml_escape(&w.start_hook())),
            &format!("  start: \"{}\"\n", yaml_escape(&start)),
        );
    w.write_config(&cfg.replace("watch: 1s\n", "watch: 20s\n"));
    assert!(!cfg.contains("rollback:"));

    let (code, out, err) = w.run(DEPLOY, &["--release", "v1", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["from"]["slot"], "blue");
    assert_eq!(r["details"]["from"]["release"], "unknown");
    assert_eq!(r["details"]["live"]["slot"], "green");
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
    // The first deploy records no made-up previous release.
    let first = std::fs::read_dir(w.path().join(".gates/deployments/staging"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<Vec<_>>();
    assert_eq!(first.len(), 1);
    assert!(!first[0].contains("\"previous_release\""), "{}", first[0]);

    // v2 on blue starts failing 1.5 s after its start: rolled back to green.
    let out = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .env("SAMPLE_FAIL_AFTER", "1.5")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["details"]["result"], "rolled-back");
    assert_eq!(r["details"]["live"]["slot"], "green");
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
    let green_pid = w.slot_pid("green");

    // gate-rollback: no release verified live before v1. Refused, exit 1,
    // nothing started, switched or recorded.
    let ledger_before = files_under(&w.path().join(".gates/deployments"));
    let states_before = traffic_states(&h);
    let (code, out, err) = w.run(&rollback_bin(), &["--format", "json"]);
    assert_eq!(code, 1, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["gate"], "rollback");
    assert_eq!(r["verdict"], "fail");
    assert_eq!(r["details"]["result"], "refused");
    assert_eq!(r["details"]["candidate"]["slot"], "blue");
    assert_eq!(r["details"]["live"]["release"], "v1");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "no-rollback-target")
        .unwrap();
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("refusing to roll back to blue") && msg.contains("unknown"),
        "{msg}"
    );
    assert!(
        !r["summary"]
            .as_str()
            .unwrap()
            .contains("rolled back to blue")
    );
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
    assert_eq!(traffic_states(&h), states_before);
    assert_eq!(w.slot_pid("green"), green_pid, "green untouched");
    assert_eq!(
        std::fs::read_to_string(&starts).unwrap(),
        "green v1\nblue v2\n",
        "no start hook ran with GATES_VERSION=unknown"
    );
    assert_eq!(
        files_under(&w.path().join(".gates/deployments")),
        ledger_before,
        "nothing recorded, v1 not superseded"
    );
    // status agrees: no rollback target.
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&out);
    assert!(s["details"]["state"]["fallback"].is_null(), "{s}");
    assert_eq!(s["details"]["state"]["unverified_fallback"]["slot"], "blue");
    assert!(!s["summary"].as_str().unwrap().contains("rollback target"));
}

/// Every file under `dir` with its contents, sorted.
fn files_under(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap_or_default(),
                ));
            }
        }
    }
    out.sort();
    out
}
