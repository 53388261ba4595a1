//! gate-deploy behind a real nginx and a real Caddy on loopback.

use crate::common;

use std::time::Duration;

use common::*;
use gate_deploy::switch::children;

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");

fn nginx_config(w: &World, n: &Nginx) -> String {
    w.base_config(
        "deploy",
        &format!(
            "  switch: nginx\n  nginx-bin: {}\n  nginx-prefix: {}\n  nginx-conf: {}\n  nginx-include: {}\n",
            which("nginx").unwrap().display(),
            n.prefix.display(),
            n.conf.display(),
            n.include.display()
        ),
    )
}

fn master_pid(n: &Nginx) -> u32 {
    std::fs::read_to_string(n.prefix.join("logs/nginx.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn nginx_switch_waits_for_old_workers_and_serves_every_request() {
    let w = World::new();
    let Some(n) = start_nginx(&w) else { return };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&nginx_config(&w, &n));
    wait_until("nginx proxies to blue", Duration::from_secs(10), || {
        get(n.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v1")
    });
    let master = master_pid(&n);
    let old_workers = children(master);
    assert!(!old_workers.is_empty());

    let load_run = load(n.port, 200, Duration::from_secs(3));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    let stats = load_run.join().unwrap();
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["live"]["slot"], "green");
    // Reported, not only asserted: what a reload costs.
    note(&format!(
        "nginx blue->green under 200 req/s x 3 s: sent {}, ok {}, HTTP errors {}, resets {}",
        stats.sent, stats.ok, stats.http_errors, stats.resets
    ));
    // The switch was reported done only after every pre-reload worker exited.
    let now = children(master);
    assert!(
        old_workers.is_disjoint(&now),
        "old {old_workers:?} now {now:?}"
    );
    assert!(
        old_workers
            .iter()
            .all(|p| !std::path::Path::new(&format!("/proc/{p}")).exists()),
        "pre-reload workers gone"
    );
    let note_text = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .find(|m| m.contains("pre-reload worker"))
        .unwrap()
        .to_string();
    assert!(
        note_text.contains(&format!("master {master}")),
        "{note_text}"
    );
    let include = std::fs::read_to_string(&n.include).unwrap();
    assert!(
        include.contains(&format!("server 127.0.0.1:{};", w.green)),
        "{include}"
    );
    assert_eq!(get(n.port, "/").unwrap().1.trim(), "hello from v2");
    // The old slot was stopped only after the old workers exited: no 502s.
    assert_eq!(stats.http_errors, 0, "{stats:?}");
    assert!(
        stats.releases.contains(&"hello from v2".to_string()),
        "{stats:?}"
    );
}

#[test]
fn invalid_nginx_configuration_changes_nothing_and_exits_5() {
    let w = World::new();
    let Some(n) = start_nginx(&w) else { return };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&nginx_config(&w, &n));
    wait_until("nginx proxies to blue", Duration::from_secs(10), || {
        get(n.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v1")
    });
    // Someone broke the main configuration since nginx started.
    let mut conf = std::fs::read_to_string(&n.conf).unwrap();
    conf.push_str("this_is_not_a_directive on;\n");
    std::fs::write(&n.conf, conf).unwrap();
    let include_before = std::fs::read(&n.include).unwrap();
    let workers_before = children(master_pid(&n));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 5, "{out}\n{err}");
    assert!(
        err.contains("nginx -t") && err.contains("this_is_not_a_directive"),
        "{err}"
    );
    assert_eq!(std::fs::read(&n.include).unwrap(), include_before);
    assert_eq!(
        children(master_pid(&n)),
        workers_before,
        "no reload happened"
    );
    assert_eq!(get(n.port, "/").unwrap().1.trim(), "hello from v1");
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    assert_eq!(report(&out)["details"]["state"]["live"]["slot"], "blue");
}

fn caddy_config(w: &World, c: &Caddy, path: &str) -> String {
    w.base_config(
        "deploy",
        &format!(
            "  switch: caddy\n  caddy-admin: http://127.0.0.1:{}\n  caddy-upstreams-path: {path}\n",
            c.admin
        ),
    )
}

const UPSTREAMS: &str = "/config/apps/http/servers/srv0/routes/0/handle/0/upstreams";

#[test]
fn caddy_switch_through_the_admin_api() {
    let w = World::new();
    let Some(c) = start_caddy(&w) else { return };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&caddy_config(&w, &c, UPSTREAMS));
    wait_until("caddy proxies to blue", Duration::from_secs(10), || {
        get(c.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v1")
    });
    let load_run = load(c.port, 200, Duration::from_secs(3));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    let stats = load_run.join().unwrap();
    assert_eq!(code, 0, "{err}\n{out}");
    note(&format!(
        "caddy blue->green under 200 req/s x 3 s: sent {}, ok {}, HTTP errors {}, resets {}",
        stats.sent, stats.ok, stats.http_errors, stats.resets
    ));
    assert_eq!(report(&out)["details"]["live"]["slot"], "green");
    assert_eq!(get(c.port, "/").unwrap().1.trim(), "hello from v2");
    assert!(
        stats.releases.contains(&"hello from v2".to_string()),
        "{stats:?}"
    );
    let (status, body) = get(c.admin, UPSTREAMS).unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"dial": format!("127.0.0.1:{}", w.green)}])
    );
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    assert_eq!(report(&out)["details"]["proxy_live"], "green");
}

#[test]
fn caddy_wrong_config_path_changes_nothing_and_exits_5() {
    let w = World::new();
    let Some(c) = start_caddy(&w) else { return };
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    w.write_config(&caddy_config(
        &w,
        &c,
        "/config/apps/http/servers/nope/routes/0/handle/0/upstreams",
    ));
    let (status, before) = get(c.admin, "/config/").unwrap();
    assert_eq!(status, 200);
    assert!(
        before.contains(&format!("127.0.0.1:{}", w.blue)),
        "{before}"
    );
    let (code, _, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("caddy-upstreams-path"), "{err}");
    let (_, after) = get(c.admin, "/config/").unwrap();
    assert_eq!(before, after);
    wait_until("caddy proxies to blue", Duration::from_secs(10), || {
        get(c.port, "/").is_ok_and(|(_, b)| b.trim() == "hello from v1")
    });
}
