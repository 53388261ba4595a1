//! gate-health's probes in the deploy (https with a CA file or `insecure`,
//! conditions), the pre-switch load smoke (gate-load), and the error-rate
//! circuit breaker. Command switch (a file says which slot takes traffic),
//! the sample service in both slots; nginx terminates TLS in front of them.

use crate::common;

use std::time::Duration;

use common::*;

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");

/// Blue live with v1, a command switch writing the slot to `traffic`.
fn command_world(extra: &str) -> World {
    let w = World::new();
    w.seed_live("production", "blue", "v1");
    w.start_slot("blue", "v1");
    std::fs::write(w.path().join("traffic"), "blue\n").unwrap();
    let switch = format!("echo $GATES_SLOT > {}/traffic", w.path().display());
    w.write_config(&w.base_config(
        "deploy",
        &format!(
            "  switch: command\n  switch-command: \"{}\"\n{extra}",
            yaml_escape(&switch)
        ),
    ));
    w
}

fn traffic(w: &World) -> String {
    std::fs::read_to_string(w.path().join("traffic"))
        .unwrap()
        .trim()
        .to_string()
}

/// A self-signed certificate for localhost and 127.0.0.1: (cert PEM, key PEM).
fn self_signed() -> (String, String) {
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn https_health_urls_through_gate_health_with_ca_file_insecure_and_conditions() {
    let (cert, key) = self_signed();
    // nginx terminates TLS in front of each slot.
    let w = command_world("");
    let prefix = w.path().join("nginx");
    std::fs::create_dir_all(&prefix).unwrap();
    std::fs::write(prefix.join("cert.pem"), &cert).unwrap();
    std::fs::write(prefix.join("key.pem"), &key).unwrap();
    let p = prefix.display();
    let body = |ports: &[u16]| {
        format!(
            "  ssl_certificate {p}/cert.pem;\n  ssl_certificate_key {p}/key.pem;\n\
             server {{ listen 127.0.0.1:{} ssl; location / {{ proxy_pass http://127.0.0.1:{}; }} }}\n\
             server {{ listen 127.0.0.1:{} ssl; location / {{ proxy_pass http://127.0.0.1:{}; }} }}\n",
            ports[0], w.blue, ports[1], w.green
        )
    };
    let Some(nginx) = testkit::Nginx::start_on(&prefix, 2, true, body) else {
        return;
    };
    let (tls_blue, tls_green) = (nginx.ports[0], nginx.ports[1]);
    let urls = format!(
        "  blue-health-url: https://localhost:{tls_blue}/healthz\n  green-health-url: https://localhost:{tls_green}/healthz\n  headers: [\"X-Probe: gates\"]\n"
    );
    let config = |extra: &str| {
        let switch = format!("echo $GATES_SLOT > {}/traffic", w.path().display());
        w.base_config(
            "deploy",
            &format!(
                "  switch: command\n  switch-command: \"{}\"\n{urls}{extra}",
                yaml_escape(&switch)
            ),
        )
        .replace("wait-timeout: 10s\n", "wait-timeout: 2s\n")
    };

    // Not trusted: the TLS error keeps green from ever being healthy.
    w.write_config(&config(""));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 1, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["result"], "never-healthy");
    let reason = r["details"]["reason"].as_str().unwrap().to_lowercase();
    assert!(reason.contains("certificate"), "{reason}");
    assert_eq!(traffic(&w), "blue");

    // Trusted through ca-file, but a condition on the body fails.
    w.write_config(&config(
        "  ca-file: nginx/cert.pem\n  conditions: [\"[STATUS] == 200\", \"[BODY] == pat(nope*)\"]\n",
    ));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 1, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["result"], "never-healthy");
    let reason = r["details"]["reason"].as_str().unwrap();
    assert!(reason.contains("[BODY] == pat(nope*)"), "{reason}");
    assert_eq!(traffic(&w), "blue");

    // Trusted, conditions met: deployed over https, after a load smoke
    // that trusts the slot through the same CA file.
    w.write_config(&config(
        "  ca-file: nginx/cert.pem\n  conditions: [\"[STATUS] == 200\", \"[BODY] == pat(ok*)\"]\n  smoke:\n    rate: 20\n    duration: 1s\n",
    ));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v2", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = report(&out);
    assert_eq!(r["details"]["live"]["slot"], "green");
    let sm = &r["details"]["smoke"];
    assert!(sm["requests"].as_u64().unwrap() >= 10, "{sm}");
    assert_eq!(sm["failed"], 0, "{sm}");
    assert_eq!(traffic(&w), "green");
    let probes = r["details"]["probes"].as_array().unwrap();
    assert!(
        probes.iter().any(|p| p["phase"] == "watch"
            && p["ok"] == true
            && p["status"] == 200
            && p["probe"]
                .as_str()
                .unwrap()
                .starts_with(&format!("green https://localhost:{tls_green}/"))),
        "{probes:?}"
    );

    // `insecure: true` accepts the certificate without a CA.
    w.write_config(&config("  insecure: true\n"));
    let (code, out, err) = w.run(DEPLOY, &["--release", "v3", "--format", "json"]);
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(report(&out)["details"]["live"]["slot"], "blue");
    assert_eq!(traffic(&w), "blue");
}

#[test]
fn a_failing_load_smoke_means_no_switch_exit_1_and_a_record() {
    let w = command_world("  smoke:\n    rate: 60\n    duration: 1s\n    max-error-rate: 1\n");
    // Green fails every third request (the start hook passes the variable on).
    let out = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .env("SAMPLE_FAIL_EVERY", "3")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&stdout);
    let d = &r["details"];
    assert_eq!(d["result"], "smoke-failed");
    // Every third request of the smoke failed: about a third of them.
    let sm = &d["smoke"];
    let (requests, failed) = (
        sm["requests"].as_u64().unwrap(),
        sm["failed"].as_u64().unwrap(),
    );
    assert!(requests >= 40, "{sm}");
    assert_eq!(sm["errors"]["status-5xx"].as_u64().unwrap(), failed);
    let expected = requests as f64 / 3.0;
    assert!(
        (failed as f64 - expected).abs() <= 2.0,
        "{failed} of {requests} failed, expected about {expected}"
    );
    assert!(
        sm["failures"][0]
            .as_str()
            .unwrap()
            .contains("max-error-rate 1%")
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "smoke-failed" && f["severity"] == "error"),
        "{r}"
    );
    // Traffic untouched, green stopped, blue still serving v1.
    assert_eq!(traffic(&w), "blue");
    assert_eq!(get(w.blue, "/version").unwrap().1.trim(), "v1");
    wait_until("green stopped", Duration::from_secs(10), || {
        !port_open(w.green)
    });
    // The ledger: blue live, the deployment failed in phase smoke.
    let (_, out, _) = w.run(DEPLOY, &["status", "--format", "json"]);
    let s = report(&out);
    assert_eq!(s["details"]["state"]["live"]["slot"], "blue");
    let last = &s["details"]["state"]["history"][0];
    assert_eq!(last["state"], "failure");
    assert!(
        last["description"]
            .as_str()
            .unwrap()
            .contains("phase=smoke"),
        "{last}"
    );
}

#[test]
fn the_error_rate_breaker_trips_on_a_flapping_slot_after_a_passing_smoke() {
    // The breaker's defaults (error-rate, error-window, error-min-samples):
    // the documented case must trip them.
    let w = command_world(
        "  breaker: error-rate\n  smoke:\n    rate: 50\n    duration: 1s\n    max-p99: 1s\n",
    );
    let cfg = std::fs::read_to_string(w.path().join("gates.yml")).unwrap();
    w.write_config(&cfg.replace("watch: 1s\n", "watch: 20s\n"));
    let child = w
        .command(DEPLOY, &["--release", "v2", "--format", "json"])
        .spawn()
        .unwrap();
    wait_until("green live", Duration::from_secs(20), || {
        traffic(&w) == "green"
    });
    // Every second request fails: never `threshold` (3) in a row.
    assert_eq!(post(w.green, "/fault?every=2"), 200);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report(&stdout);
    let d = &r["details"];
    assert_eq!(d["result"], "rolled-back");
    assert!(
        d["reason"].as_str().unwrap().starts_with("error rate "),
        "{}",
        d["reason"]
    );
    assert!(
        d["breaker"]
            .as_str()
            .unwrap()
            .contains("more than 25% of the last 20"),
        "{}",
        d["breaker"]
    );
    assert_eq!(traffic(&w), "blue");
    // The smoke ran and passed before the switch.
    let sm = &d["smoke"];
    assert_eq!(sm["failed"], 0, "{sm}");
    assert!(sm["requests"].as_u64().unwrap() >= 40, "{sm}");
    assert!(sm["failures"].as_array().unwrap().is_empty());
    // It was the error rate, not a streak: no three failed watch probes in a row.
    let watch: Vec<bool> = d["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["phase"] == "watch")
        .map(|p| p["ok"].as_bool().unwrap())
        .collect();
    let failed = watch.iter().filter(|ok| !**ok).count();
    assert!(failed >= 3, "{watch:?}");
    assert!(
        !watch.windows(3).any(|w| w.iter().all(|ok| !ok)),
        "{watch:?}"
    );
}
