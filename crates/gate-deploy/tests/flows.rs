//! Symlink and command switches, interrupted runs, the lock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::process::CommandExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");

#[test]
fn symlink_switch_is_atomic_and_first_deploy_needs_no_ledger() {
    let w = World::new();
    let releases = w.path().join("releases");
    for slot in ["blue", "green"] {
        std::fs::create_dir_all(releases.join(slot)).unwrap();
        std::fs::write(releases.join(slot).join("index.html"), slot).unwrap();
    }
    let link = w.path().join("current");
    std::os::unix::fs::symlink("releases/blue", &link).unwrap();
    w.start_slot("blue", "v1");
    w.write_config(&w.base_config(
        "deploy",
        "  switch: symlink\n  symlink: current\n  blue-target: releases/blue\n  green-target: releases/green\n",
    ));

    // A reader follows the link the whole time (bounded by the deploy).
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        let page = link.join("index.html");
        std::thread::spawn(move || {
            let (mut misses, mut seen) = (0u64, Vec::<String>::new());
            let mut reads = 0u64;
            while !done.load(Ordering::Relaxed) && reads < 50_000_000 {
                reads += 1;
                match std::fs::read_to_string(&page) {
                    Ok(t) if !seen.contains(&t) => seen.push(t),
                    Ok(_) => {}
                    Err(_) => misses += 1,
                }
            }
            (misses, seen, reads)
        })
    };
    // Empty ledger: the link says blue is live, so green is the idle slot.
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    done.store(true, Ordering::Relaxed);
    let (misses, seen, reads) = reader.join().unwrap();
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["from"]["slot"], "blue");
    assert_eq!(r["details"]["live"]["slot"], "green");
    assert_eq!(
        std::fs::read_link(&link).unwrap().to_str(),
        Some("releases/green")
    );
    assert_eq!(misses, 0, "the link was never missing ({reads} reads)");
    assert_eq!(seen, ["blue", "green"], "the reader saw the switch");
    // No temporary link left behind.
    let leftovers: Vec<_> = std::fs::read_dir(w.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".gates-"))
        .collect();
    assert!(leftovers.is_empty());

    // Next release goes to blue (restarted by the start hook: it was stopped).
    let (code, out, err) = w.run(DEPLOY, &["--release", "v3", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(report(&out)["details"]["live"]["slot"], "blue");
    assert_eq!(
        std::fs::read_link(&link).unwrap().to_str(),
        Some("releases/blue")
    );
    assert_eq!(get(w.blue, "/version").unwrap().1.trim(), "v3");
}

fn command_world() -> World {
    let w = World::new();
    let d = w.path().display();
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    std::fs::write(w.path().join("traffic"), "blue\n").unwrap();
    let switch = format!(
        "echo $GATES_SLOT > {d}/traffic; if [ -f {d}/hang ]; then touch {d}/reached; i=0; while [ -f {d}/hang ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done; fi"
    );
    w.write_config(&w.base_config(
        "deploy",
        &format!(
            "  switch: command\n  switch-command: \"{}\"\n",
            yaml_escape(&switch)
        ),
    ));
    let cfg = std::fs::read_to_string(w.path().join("gates.yml")).unwrap();
    let body: String = cfg
        .lines()
        .skip_while(|l| !l.starts_with("deploy:"))
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        w.path().join("gates.yml"),
        format!("{cfg}rollback:\n{body}"),
    )
    .unwrap();
    w
}

fn kill_group(pid: u32) {
    let st = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn runner_killed_mid_switch_then_rollback_restores_a_consistent_state() {
    let w = command_world();
    let rollback = rollback_bin();
    std::fs::write(w.path().join("hang"), "").unwrap();
    let mut child = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .process_group(0)
        .spawn()
        .unwrap();
    wait_until("the switch under way", Duration::from_secs(30), || {
        w.path().join("reached").exists()
    });
    kill_group(child.id());
    child.wait().unwrap();
    std::fs::remove_file(w.path().join("hang")).unwrap();
    // Half switched: the proxy (here, the traffic file) says green, nothing verified.
    assert_eq!(
        std::fs::read_to_string(w.path().join("traffic"))
            .unwrap()
            .trim(),
        "green"
    );

    // `status` explains it.
    let (code, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    assert_eq!(code, 0);
    let s = report(&out);
    assert_eq!(s["verdict"], "warn");
    let f = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "interrupted-deploy")
        .unwrap();
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("phase switch")
            && msg.contains("traffic may be on either slot")
            && msg.contains("gate-rollback"),
        "{msg}"
    );
    assert_eq!(s["details"]["state"]["live"]["slot"], "blue");

    // gate-rollback restores the last consistent state from the ledger alone.
    let (code, out, err) = w.run(&rollback, &["--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["result"], "restored");
    assert_eq!(r["details"]["live"]["slot"], "blue");
    assert_eq!(r["details"]["live"]["release"], "v1");
    let interrupted = s["details"]["state"]["unfinished"][0]["id"]
        .as_u64()
        .unwrap();
    assert_eq!(r["details"]["resolved"], serde_json::json!([interrupted]));
    assert_eq!(
        std::fs::read_to_string(w.path().join("traffic"))
            .unwrap()
            .trim(),
        "blue"
    );
    assert_eq!(get(w.blue, "/version").unwrap().1.trim(), "v1");

    let (code, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    assert_eq!(code, 0);
    let s = report(&out);
    assert_eq!(s["verdict"], "pass");
    assert!(
        s["details"]["state"]["unfinished"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(s["details"]["state"]["history"][1]["state"], "error");

    // And a re-run of the deploy now goes through.
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(
        std::fs::read_to_string(w.path().join("traffic"))
            .unwrap()
            .trim(),
        "green"
    );
}

#[test]
fn runner_killed_mid_switch_then_the_next_deploy_resolves_it() {
    let w = command_world();
    std::fs::write(w.path().join("hang"), "").unwrap();
    let mut child = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .process_group(0)
        .spawn()
        .unwrap();
    wait_until("the switch under way", Duration::from_secs(30), || {
        w.path().join("reached").exists()
    });
    kill_group(child.id());
    child.wait().unwrap();
    std::fs::remove_file(w.path().join("hang")).unwrap();
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["live"]["slot"], "green");
    assert_eq!(r["details"]["resolved"].as_array().unwrap().len(), 1);
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&out);
    assert_eq!(s["verdict"], "pass");
    assert_eq!(s["details"]["state"]["live"]["slot"], "green");
    assert_eq!(s["details"]["state"]["fallback"]["slot"], "blue");
}

#[test]
fn two_deploys_of_one_environment_never_interleave() {
    let w = command_world();
    let rollback = rollback_bin();
    std::fs::write(w.path().join("hang"), "").unwrap();
    let mut first = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .process_group(0)
        .spawn()
        .unwrap();
    wait_until(
        "the first deploy switching",
        Duration::from_secs(30),
        || w.path().join("reached").exists(),
    );
    let (code, _, err) = w.run(DEPLOY, &["--release", "v3", "--format", "json"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("is running"), "{err}");
    let (code, _, err) = w.run(&rollback, &["--format", "json"]);
    assert_eq!(code, 4, "{err}");
    // status sees a running deploy, not an interrupted one.
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&out);
    assert_eq!(s["details"]["lock_held"], true);
    assert_eq!(s["verdict"], "pass");
    kill_group(first.id());
    first.wait().unwrap();
    std::fs::remove_file(w.path().join("hang")).unwrap();
}

#[test]
fn bad_configuration_is_exit_3_naming_the_key() {
    let w = World::new();
    w.write_config("version: 1\ndeploy:\n  environment: production\n  blue-address: nowhere\n");
    let (code, _, err) = w.run(DEPLOY, &["--release", "v2"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("deploy.switch: missing"), "{err}");
    w.write_config("version: 1\ndeploy:\n  switch: haproxy\n  blue-address: nowhere\n");
    let (code, _, err) = w.run(DEPLOY, &["--release", "v2"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("deploy.blue-address: `nowhere` is not host:port"),
        "{err}"
    );
    assert!(
        err.contains("deploy.haproxy-socket: required with `switch: haproxy`"),
        "{err}"
    );
    w.write_config("version: 1\ndeploy:\n  switch: symlink\n  symlink: x\n  blue-target: a\n  green-target: b\n  release: \"has space\"\n");
    let (code, _, err) = w.run(DEPLOY, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("deploy.release"), "{err}");
    w.write_config("version: 1\ndeploy:\n  interval: 0\n");
    let (code, _, err) = w.run(DEPLOY, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("interval"), "{err}");
}
