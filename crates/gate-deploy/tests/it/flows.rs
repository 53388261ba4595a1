//! Symlink and command switches, interrupted runs, the lock.

use crate::common;

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
    // A bare number is no duration (it used to be seconds).
    w.write_config("version: 1\ndeploy:\n  interval: 0\n");
    let (code, _, err) = w.run(DEPLOY, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("deploy.interval"), "{err}");
    assert!(err.contains("write 90s"), "{err}");
    // A duration out of the key's range.
    w.write_config("version: 1\ndeploy:\n  switch: symlink\n  symlink: x\n  blue-target: a\n  green-target: b\n  interval: 0s\n");
    let (code, _, err) = w.run(DEPLOY, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("deploy.interval: 0s is out of range: write a duration from 50ms to 5m"),
        "{err}"
    );
}

/// Blue live with v1 (ledger and process), a command switch writing the
/// slot to `traffic`; `extra` is appended to the `deploy` section, and
/// `stop: false` drops the stop hook.
fn simple_world(extra: &str, stop: bool) -> World {
    let w = World::new();
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    std::fs::write(w.path().join("traffic"), "blue\n").unwrap();
    let switch = format!("echo $GATES_SLOT > {}/traffic", w.path().display());
    let mut cfg = w.base_config(
        "deploy",
        &format!(
            "  switch: command\n  switch-command: \"{}\"\n{extra}",
            yaml_escape(&switch)
        ),
    );
    if !stop {
        cfg = cfg.replace(
            &format!("  stop: \"{}\"\n", yaml_escape(&w.stop_hook())),
            "",
        );
        assert!(!cfg.contains("  stop:"));
    }
    w.write_config(&cfg);
    w
}

fn traffic(w: &World) -> String {
    std::fs::read_to_string(w.path().join("traffic"))
        .unwrap()
        .trim()
        .to_string()
}

/// Another process on `port`, answering every request `200 ok` (it would
/// pass any slot's health probe), for at most 60 s or until dropped. The
/// slot's port is held for the sample service (`testkit::reserve_port`),
/// so the squatter binds it as the service would.
struct Squatter {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Squatter {
    fn on(port: u16) -> Squatter {
        use std::io::{Read, Write};
        let l = testkit::listen_on_reserved(port);
        l.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let end = std::time::Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::Relaxed) && std::time::Instant::now() < end {
                match l.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                        let mut buf = [0u8; 1024];
                        let _ = s.read(&mut buf);
                        let _ = s.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Squatter {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Squatter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_slot_address_taken_by_another_process_is_exit_4_naming_it() {
    for with_stop in [false, true] {
        let w = simple_world("", with_stop);
        let _squatter = Squatter::on(w.green);
        let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
        assert_eq!(code, 4, "stop hook {with_stop}: {err}\n{out}");
        let addr = format!("127.0.0.1:{}", w.green);
        assert!(err.contains(&addr), "{err}");
        if with_stop {
            assert!(
                err.contains("still answers after the stop hook ran for green"),
                "{err}"
            );
        } else {
            assert!(
                err.contains("already answers before the start hook ran"),
                "{err}"
            );
        }
        assert!(!err.contains("is live"), "{err}");
        assert_eq!(traffic(&w), "blue");
        // The attempt is recorded as a failure that left blue live.
        let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
        let s = report(&out);
        assert_eq!(s["details"]["state"]["live"]["slot"], "blue");
        assert_eq!(s["details"]["state"]["history"][0]["state"], "failure");
        assert!(
            s["details"]["state"]["unfinished"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn a_stale_process_in_the_idle_slot_is_stopped_before_the_start() {
    let w = simple_world("", true);
    // green still runs an old release (a rolled-back deploy leaves it running).
    w.start_slot("green", "v0");
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(
        err.contains("already answers: stopping green first"),
        "{err}"
    );
    assert_eq!(traffic(&w), "green");
    assert_eq!(get(w.green, "/version").unwrap().1.trim(), "v2");
}

#[test]
fn a_start_hook_whose_process_is_gone_is_a_failed_start() {
    // The start hook starts the sample service in a session of its own (so
    // it answers green's probes and passes them), and leaves in its own
    // group only a process that exits at once: the release it was to start
    // is gone, whatever answers on the address.
    let w = simple_world("", true);
    let foreign = w.path().join("foreign.pid");
    let start = format!(
        "setsid -f sh -c 'echo $$ > {}; exec {} --port $GATES_PORT --reuse-port --release foreign' >/dev/null 2>&1; (sleep 0.05) &",
        foreign.display(),
        sample_bin().display()
    );
    let cfg = std::fs::read_to_string(w.path().join("gates.yml"))
        .unwrap()
        .replace(
            &format!("  start: \"{}\"\n", yaml_escape(&w.start_hook())),
            &format!("  start: \"{}\"\n", yaml_escape(&start)),
        );
    w.write_config(&cfg);
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    if let Ok(pid) = std::fs::read_to_string(&foreign) {
        let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    }
    assert_eq!(code, 1, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["result"], "start-failed");
    let reason = r["details"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("the process the start hook left running for green")
            && reason.contains("exited"),
        "{reason}"
    );
    assert_eq!(traffic(&w), "blue");
    assert!(r["details"]["timings"]["total_ms"].as_f64().unwrap() < 8000.0);
}

#[test]
fn an_already_live_release_is_probed_before_it_counts() {
    let w = simple_world("", true);
    let (code, out, err) = w.run(DEPLOY, &["--release", "v1", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["result"], "already-live");
    assert!(r["checked"].as_u64().unwrap() >= 1, "{r}");
    let verify: Vec<_> = r["details"]["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["phase"] == "verify")
        .collect();
    assert!(
        !verify.is_empty() && verify.iter().all(|p| p["ok"] == true),
        "{verify:?}"
    );

    // blue dies: v1 is recorded live but does not answer. Deploying v1
    // again puts it in green rather than calling the dead blue "live".
    let pid = w.slot_pid("blue").unwrap();
    std::process::Command::new("kill")
        .arg(pid.to_string())
        .status()
        .unwrap();
    wait_until("blue down", Duration::from_secs(5), || !port_open(w.blue));
    let cfg = std::fs::read_to_string(w.path().join("gates.yml")).unwrap();
    w.write_config(&cfg.replace("wait-timeout: 10s", "wait-timeout: 1s"));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v1", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["result"], "deployed");
    assert_eq!(r["details"]["live"]["slot"], "green");
    assert_eq!(r["verdict"], "warn");
    assert!(
        r["details"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("v1 is live on blue but failed its probes"),
        "{r}"
    );
    assert_eq!(traffic(&w), "green");
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
                out.push((p.display().to_string(), "(dir)".into()));
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

#[allow(clippy::too_many_lines)]
#[test]
fn dry_run_prints_the_plan_and_touches_nothing() {
    let w = simple_world("", true);
    let marker = w.path().join("hook-ran");
    let start = format!("touch {}; {}", marker.display(), w.start_hook());
    let cfg = std::fs::read_to_string(w.path().join("gates.yml"))
        .unwrap()
        .replace(
            &format!("  start: \"{}\"\n", yaml_escape(&w.start_hook())),
            &format!("  start: \"{}\"\n", yaml_escape(&start)),
        );
    w.write_config(&cfg);
    let gates = w.path().join(".gates");
    let before = files_under(&gates);
    let sha = "0123456789abcdef0123456789abcdef01234567";
    // The deprecated key still works (with a warning).
    let cfg = std::fs::read_to_string(w.path().join("gates.yml")).unwrap();
    w.write_config(&cfg.replace("breaker-trip-after: 3", "threshold: 2"));
    for flag in ["--dry-run", "--plan"] {
        // Recording is on (a commit, no --no-record): a real run would
        // write a check run and a deployment; the dry run writes nothing.
        let out = w
            .command_on(
                DEPLOY,
                &["--ledger", "local"],
                &[flag, "--release", "v2", "--format", "json"],
            )
            .env_remove("GITHUB_ACTIONS")
            .env("GITHUB_SHA", sha)
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(0), "{stderr}\n{stdout}");
        assert!(stderr.contains("threshold is deprecated"), "{stderr}");
        let r = report(&stdout);
        assert_eq!(r["details"]["to"]["slot"], "green");
        assert_eq!(r["details"]["to"]["release"], "v2");
        assert_eq!(r["details"]["from"]["slot"], "blue");
        assert_eq!(
            r["details"]["breaker"],
            "trip after 2 consecutive failed rounds"
        );
        assert!(
            r["summary"]
                .as_str()
                .unwrap()
                .contains("nothing was changed")
        );
        let steps = r["details"]["steps"].as_array().unwrap();
        let phases: Vec<&str> = steps.iter().map(|s| s["phase"].as_str().unwrap()).collect();
        for p in [
            "lock", "record", "start", "wait", "switch", "watch", "rollback", "stop",
        ] {
            assert!(phases.contains(&p), "{p} in {phases:?}");
        }
        let start = steps
            .iter()
            .find(|s| s["phase"] == "start" && s["command"].is_string())
            .unwrap();
        let env: Vec<String> = start["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kv| format!("{}={}", kv[0].as_str().unwrap(), kv[1].as_str().unwrap()))
            .collect();
        for want in [
            "GATES_SLOT=green".to_string(),
            "GATES_VERSION=v2".to_string(),
            format!("GATES_PORT={}", w.green),
            format!("GATES_ADDRESS=127.0.0.1:{}", w.green),
            "GATES_ENVIRONMENT=production".to_string(),
        ] {
            assert!(env.contains(&want), "{want} in {env:?}");
        }
        let switch = steps.iter().find(|s| s["phase"] == "switch").unwrap();
        assert!(
            switch["action"]
                .as_str()
                .unwrap()
                .contains("switch-command"),
            "{switch}"
        );
        assert!(
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "plan"
                    && f["message"].as_str().unwrap().contains("GATES_VERSION=v2"))
        );
    }
    // The new name wins over the deprecated key; the deprecated flag is
    // the new one under its old name.
    for (args, n) in [
        (&["--trip-after", "4"][..], 4),
        (&["--breaker-trip-after", "5"][..], 5),
        (&["--threshold", "6"][..], 6),
    ] {
        let mut all = vec!["--dry-run", "--release", "v2", "--format", "json"];
        all.extend_from_slice(args);
        let (code, out, err) = w.run(DEPLOY, &all);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            report(&out)["details"]["breaker"],
            format!("trip after {n} consecutive failed rounds")
        );
        assert!(
            err.contains("threshold (2) is deprecated and ignored"),
            "{err}"
        );
    }
    assert!(!marker.exists(), "no hook ran");
    assert_eq!(traffic(&w), "blue", "no switch");
    assert_eq!(files_under(&gates), before, "no ledger write, no lock file");
    assert_eq!(get(w.blue, "/version").unwrap().1.trim(), "v1");

    // gate-rollback --dry-run: only blue v1 was ever live, nothing to go
    // back to; it says so (exit 1, as the real run would) and touches nothing.
    let (code, out, err) = w.run(&rollback_bin(), &["--dry-run", "--format", "json"]);
    assert_eq!(code, 1, "{err}\n{out}");
    let r = report(&out);
    assert!(
        r["details"]["refused"]
            .as_str()
            .unwrap()
            .contains("nothing to roll back to")
    );
    assert_eq!(files_under(&gates), before);
}
