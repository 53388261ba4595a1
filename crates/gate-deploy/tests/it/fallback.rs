//! A bad release users never see (issue 16): HAProxy's fallback mode (the
//! old slot kept as a backup during the watch, passive health checks,
//! layer-7 retries) and the canary on HAProxy weights, against a real
//! HAProxy on loopback.

use crate::common;
use crate::proxy_setup;

use std::time::Duration;

use common::*;
use proxy_setup::*;

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");

fn config(w: &World, h: &Haproxy, extra: &str) -> String {
    w.base_config(
        "deploy",
        &format!(
            "  switch: haproxy\n  haproxy-socket: {}\n  haproxy-backend: app\n{extra}",
            h.socket.display()
        ),
    )
}

/// The new release fails every request 1 s after the switch, under load:
/// with the old slot as a backup, HAProxy takes green out at its first 500
/// and retries the failed GETs on blue; the breaker then rolls back.
#[test]
fn a_bad_release_behind_fallback_mode_is_rolled_back_and_users_see_almost_nothing() {
    let w = World::new();
    let Some(h) = start_haproxy_with(&w, &haproxy_backend(&w, HaproxyMode::Fallback)) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&config(&w, &h, "").replace("watch: 1s\n", "watch: 20s\n"));
    // HAProxy's active check has seen blue up (rise 2, inter 1s).
    wait_until("HAProxy sees blue up", Duration::from_secs(10), || {
        server_state(&h, "blue").0 == 2
    });
    let child = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .spawn()
        .unwrap();
    wait_until("green live", Duration::from_secs(20), || {
        get(h.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v2")
    });
    let twins = (
        server_state(&h, "blue-backup"),
        server_state(&h, "green-backup"),
    );
    let load_run = load(h.port, 200, Duration::from_secs(3));
    assert_eq!(post(w.green, "/fault?after_ms=500"), 200);
    let out = child.wait_with_output().unwrap();
    let stats = load_run.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&String::from_utf8_lossy(&out.stdout));
    // The old slot's twin served as a backup during the watch.
    assert_eq!(
        twins.0.1 & 0x3b,
        0,
        "blue-backup ready: {twins:?} {}",
        r["details"]["timeline"]
    );
    assert_eq!(twins.1.1 & 1, 1, "green-backup maint");
    assert_eq!(r["details"]["result"], "rolled-back");
    assert_eq!(r["details"]["live"]["slot"], "blue");
    let failed = stats.http_errors + stats.resets;
    note(&format!(
        "fallback mode, bad release under 200 GET/s: sent {}, failed {failed} ({:?})",
        stats.sent, stats.first_errors
    ));
    // Without fallback mode about a quarter of the requests in the
    // detection window fail (~100 here); with it, at most the few already
    // in flight on green when HAProxy marked it down.
    assert!(failed <= 5, "{stats:?}");
    assert!(
        stats.releases.contains(&"hello from v1".to_string()),
        "{stats:?}"
    );
    // HAProxy's passive check took green out; the rollback left green's
    // twin in maintenance and no failing slot as anyone's backup.
    assert_eq!(server_state(&h, "green").0, 0, "green down");
    assert_eq!(server_state(&h, "green").1 & 1, 1, "green maint");
    assert_eq!(server_state(&h, "green-backup").1 & 1, 1);
    assert_eq!(server_state(&h, "blue").1 & 0x3b, 0, "blue ready");
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
}

/// A backup twin declared without `backup` would take traffic next to the
/// live slot: refused before anything starts, exit 5.
#[test]
fn a_twin_not_declared_backup_is_refused_in_the_plan() {
    let w = World::new();
    let backend = haproxy_backend(&w, HaproxyMode::Fallback).replace(
        &format!("{} backup disabled", w.green),
        &format!("{} disabled", w.green),
    );
    let Some(h) = start_haproxy_with(&w, &backend) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&config(&w, &h, ""));
    wait_until("HAProxy sees blue up", Duration::from_secs(10), || {
        server_state(&h, "blue").0 == 2
    });
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 5, "{out}{err}");
    assert!(
        err.contains("app/green-backup") && err.contains("backup"),
        "{err}"
    );
    assert!(!port_open(w.green), "green never started");
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
}

/// `canary: {steps: [30, 100]}`: green takes part of the traffic first,
/// then all of it; the weights end as haproxy.cfg set them.
#[test]
fn canary_moves_a_share_then_all_traffic_and_restores_weights() {
    let w = World::new();
    let Some(h) = start_haproxy_with(&w, &haproxy_backend(&w, HaproxyMode::Plain)) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&config(
        &w,
        &h,
        "  canary:\n    steps: [30, 100]\n    step-time: 1500ms\n",
    ));
    // The dry run names the steps.
    let (code, out, err) = w.run(
        DEPLOY,
        &["--release", "v2", "--dry-run", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(
        out.contains("canary: 30 % of requests to app/green"),
        "{out}"
    );
    let load_run = load(h.port, 100, Duration::from_secs(4));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    let stats = load_run.join().unwrap();
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["result"], "deployed");
    assert_eq!(r["details"]["live"]["slot"], "green");
    let events = r["details"]["timeline"].to_string();
    assert!(events.contains("30 % of requests on green"), "{events}");
    assert!(events.contains("100 % on green"), "{events}");
    assert_eq!(stats.http_errors + stats.resets, 0, "{stats:?}");
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v2");
    assert!(haproxy_cmd(&h, "get weight app/green").starts_with("1 (initial 1)"));
    assert!(haproxy_cmd(&h, "get weight app/blue").starts_with("1 (initial 1)"));
    assert_eq!(server_state(&h, "blue").1 & 1, 1, "blue maint");
}

/// nginx's fallback mode: the include holds the old slot as a `backup`
/// server and the location retries a failed request on it
/// (`proxy_next_upstream ... http_500`): no GET fails during a bad deploy,
/// and the switch keeps the backup line (pointing at the other slot).
#[test]
fn nginx_fallback_mode_retries_every_failed_get_on_the_old_slot() {
    let w = World::new();
    let Some(n) = start_nginx_with(&w, "", true) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(
        &w.base_config(
            "deploy",
            &format!(
                "{}  nginx-server-params: {NGINX_FALLBACK_PARAMS}\n",
                nginx_keys(&n)
            ),
        )
        .replace("watch: 1s\n", "watch: 20s\n"),
    );
    wait_until("nginx proxies to blue", Duration::from_secs(10), || {
        get(n.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v1")
    });
    let child = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .spawn()
        .unwrap();
    wait_until("green live", Duration::from_secs(20), || {
        get(n.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v2")
    });
    let include = std::fs::read_to_string(&n.include).unwrap();
    let load_run = load(n.port, 200, Duration::from_secs(2));
    assert_eq!(post(w.green, "/fault?after_ms=300"), 200);
    let out = child.wait_with_output().unwrap();
    let stats = load_run.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["details"]["result"], "rolled-back");
    assert!(
        include.contains(&format!(
            "server 127.0.0.1:{} {NGINX_FALLBACK_PARAMS};",
            w.green
        )) && include.contains(&format!("server 127.0.0.1:{} backup;", w.blue)),
        "{include}"
    );
    note(&format!(
        "nginx fallback mode, bad release under 200 GET/s: sent {}, failed {}; {}",
        stats.sent,
        stats.http_errors + stats.resets,
        r["details"]["timeline"]
    ));
    assert_eq!(stats.http_errors + stats.resets, 0, "{stats:?}");
    assert!(
        stats.releases.contains(&"hello from v1".to_string()),
        "{stats:?}"
    );
}

/// A trip at a canary step below 100 %: rolled back, all traffic on blue,
/// both weights as haproxy.cfg set them.
#[test]
fn a_canary_step_that_trips_rolls_back_and_restores_weights() {
    let w = World::new();
    let Some(h) = start_haproxy_with(&w, &haproxy_backend(&w, HaproxyMode::Plain)) else {
        return;
    };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&config(
        &w,
        &h,
        "  canary:\n    steps: [30, 100]\n    step-time: 20s\n",
    ));
    let child = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .spawn()
        .unwrap();
    wait_until("green takes a share", Duration::from_secs(20), || {
        haproxy_cmd(&h, "get weight app/green").starts_with("30 ")
    });
    assert!(haproxy_cmd(&h, "get weight app/blue").starts_with("70 "));
    assert_eq!(post(w.green, "/fault"), 200);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(r["details"]["result"], "rolled-back");
    assert_eq!(r["details"]["live"]["slot"], "blue");
    let trip = r["details"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["phase"] == "trip")
        .unwrap()["message"]
        .to_string();
    assert!(trip.contains("at 30 %"), "{trip}");
    assert!(haproxy_cmd(&h, "get weight app/blue").starts_with("1 (initial 1)"));
    assert!(haproxy_cmd(&h, "get weight app/green").starts_with("1 (initial 1)"));
    assert_eq!(server_state(&h, "green").1 & 1, 1, "green maint");
    assert_eq!(get(h.port, "/").unwrap().1.trim(), "hello from v1");
}
