#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The gate-health binary end to end: exit codes, reports, outputs, masking,
//! config errors, deployments from the ledger.

use crate::common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn gate(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-health"));
    c.current_dir(dir).args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn one_url_passes_with_phases_and_conditions() {
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/json");
    let o = gate(
        dir.path(),
        &[
            "--url",
            &url,
            "--condition",
            "[BODY].status == UP",
            "--format",
            "json",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["checked"], 1);
    let probe = &r["details"]["probes"][0];
    assert_eq!(probe["health"], "healthy");
    assert_eq!(probe["last"]["status"], 200);
    assert!(probe["last"]["phases"]["connect"].as_f64().is_some());
    assert!(probe["last"]["phases"]["ttfb"].as_f64().is_some());
    let names: Vec<&str> = r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"p95-ms") && names.contains(&"probes-failing"),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with("-ttfb")), "{names:?}");
}

#[test]
fn failing_and_unreachable_probes_fail_the_gate_with_reasons() {
    let addr = common::serve_in_thread();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let down = format!("http://{addr}/status/503");
    let unreachable = format!("http://{dead}/");
    let o = gate(
        dir.path(),
        &[
            "--url",
            &down,
            "--url",
            &unreachable,
            "--format",
            "json",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["verdict"], "fail");
    let msgs: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "probe-failing")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(
        msgs.iter()
            .any(|m| m.contains("`[STATUS] == 2xx` did not hold (was 503)")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("connect:")), "{msgs:?}");
}

#[test]
fn bad_input_is_a_config_error_naming_the_probe_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\nhealth:\n  probes:\n    - name: api\n      url: http://127.0.0.1:1/\n      conditions:\n        - \"[STATUS] =! 200\"\n    - name: bad-url\n      url: \"http://exa mple.com/\"\n    - name: two\n      url: http://127.0.0.1:1/\n      tcp: 127.0.0.1:1\n",
    )
    .unwrap();
    let o = gate(dir.path(), &["--no-record"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("health.probes[0] (`api`).conditions[0] `[STATUS] =! 200`: column 10"),
        "{e}"
    );
    assert!(e.contains("health.probes[1] (`bad-url`).url"), "{e}");
    assert!(
        e.contains("health.probes[2] (`two`): a probe needs exactly one of"),
        "{e}"
    );
    // Unknown keys are found by the schema, with file:line.
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\nhealth:\n  probes:\n    - url: http://127.0.0.1:1/\n      condition: \"[STATUS] == 200\"\n",
    )
    .unwrap();
    let o = gate(dir.path(), &["--no-record"], &[]);
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    assert!(e.contains("gates.yml:5") && e.contains("condition"), "{e}");
    assert!(e.contains("did you mean `conditions`"), "{e}");
    // No probe at all is a usage error.
    std::fs::remove_file(dir.path().join("gates.yml")).unwrap();
    let o = gate(dir.path(), &["--no-record"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A bad duration flag is a usage error naming the flag and the key.
    let o = gate(
        dir.path(),
        &[
            "--url",
            "http://127.0.0.1:1/",
            "--watch",
            "5 parsecs",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("--watch") && e.contains("health.watch"), "{e}");
}

#[test]
fn a_bad_value_of_a_generated_flag_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--probe-timeout", "soon"),
        ("--base-url", "ftp://example.com/"),
        ("--header", "no colon here"),
        ("--success-threshold", "many"),
    ] {
        let o = gate(
            dir.path(),
            &["--url", "http://127.0.0.1:1/", flag, value, "--no-record"],
            &[],
        );
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("flag {flag}")),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn a_bare_number_duration_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    // On a flag: a usage error.
    let o = gate(
        dir.path(),
        &[
            "--url",
            "http://127.0.0.1:1/",
            "--watch",
            "5",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("--watch") && e.contains("write 90s"), "{e}");
    // In gates.yml and GATES_*: a configuration error, located.
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\nhealth:\n  urls: [\"http://127.0.0.1:1/\"]\n  timeout: 30\n",
    )
    .unwrap();
    let o = gate(dir.path(), &["--no-record"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("gates.yml:4") && e.contains("health.timeout") && e.contains("write 90s"),
        "{e}"
    );
    std::fs::remove_file(dir.path().join("gates.yml")).unwrap();
    let o = gate(
        dir.path(),
        &["--url", "http://127.0.0.1:1/", "--no-record"],
        &[("GATES_HEALTH_PROBE_TIMEOUT", "10")],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("GATES_HEALTH_PROBE_TIMEOUT") && e.contains("write 90s"),
        "{e}"
    );
}

#[test]
fn conditions_and_headers_from_gates_env_keep_their_commas() {
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/echo");
    // One item per line: `any(200, 204)` and a header value with a comma
    // stay whole (split at commas, the condition would not parse).
    let o = gate(
        dir.path(),
        &["--format", "json", "--no-record"],
        &[
            ("GATES_HEALTH_URLS", url.as_str()),
            (
                "GATES_HEALTH_CONDITIONS",
                "[STATUS] == any(200, 204)\n[BODY] == pat(auth=Bearer a,b *)",
            ),
            (
                "GATES_HEALTH_HEADERS",
                "Authorization: Bearer a,b\nX-Other: 1",
            ),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["verdict"], "pass", "{r}");
    assert_eq!(r["checked"], 1);
}

#[test]
fn secrets_in_headers_never_reach_the_output() {
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gates.yml"),
        format!(
            "version: 1\nhealth:\n  probes:\n    - name: echo\n      url: http://{addr}/echo\n      headers:\n        Authorization: \"Bearer ${{PROBE_TOKEN}}\"\n      conditions: [\"[BODY] == nope\"]\n"
        ),
    )
    .unwrap();
    for format in ["json", "human", "markdown", "github"] {
        let o = gate(
            dir.path(),
            &["--format", format, "--no-record"],
            &[("PROBE_TOKEN", "tok-9f8e7d6c5b4a")],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("auth=Bearer ***") || out.contains(r"auth=Bearer \*\*\*"),
            "{format}: {out}"
        );
        assert!(!out.contains("tok-9f8e7d6c5b4a"), "{format}: {out}");
        assert!(!stderr(&o).contains("tok-9f8e7d6c5b4a"));
    }
    // Unset: exit 3 naming the key and the variable.
    let o = gate(dir.path(), &["--no-record"], &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("headers.Authorization") && stderr(&o).contains("PROBE_TOKEN"));
}

#[test]
fn step_outputs_and_annotations_in_actions() {
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("out.txt");
    let summary = dir.path().join("summary.md");
    let ok = format!("http://{addr}/ok");
    let down = format!("http://{addr}/status/500");
    let o = gate(
        dir.path(),
        &["--url", &ok, "--url", &down, "--no-record"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(&outputs).unwrap();
    assert!(
        text.contains("healthy<<") && text.contains("\nfalse\n"),
        "{text}"
    );
    assert!(text.contains(&format!("\n{addr}/status/500\n")), "{text}");
    assert!(text.contains("p95-ms<<"), "{text}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("::error ") && l.contains("probe-failing")),
        "{stdout}"
    );
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("failing")
    );
}

#[test]
fn target_from_the_latest_successful_deployment() {
    use gate_core::ledger::local::LocalLedger;
    use gate_core::ledger::{DeploymentState, NewDeployment, NewStatus};
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    let ledger = LocalLedger::new(dir.path());
    let deploy = |url: String, state: DeploymentState| {
        let d = ledger
            .create_deployment(&NewDeployment {
                environment: "staging".into(),
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
                git_ref: "main".into(),
                description: None,
                payload: Value::Null,
                transient: false,
                production: false,
            })
            .unwrap();
        ledger
            .add_status(
                d.id,
                &NewStatus {
                    state,
                    description: None,
                    log_url: None,
                    environment_url: Some(url),
                    auto_inactive: false,
                },
            )
            .unwrap();
    };
    // No deployment yet: an input error.
    let o = gate(
        dir.path(),
        &[
            "--target-from-deployment",
            "staging",
            "--ledger",
            "local",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("no successful deployment of `staging`"));
    deploy(format!("http://{addr}/"), DeploymentState::Success);
    // A newer failed deployment is not the target.
    deploy("http://127.0.0.1:1/".into(), DeploymentState::Failure);
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\nhealth:\n  probes:\n    - name: json\n      url: /json\n      conditions: [\"[BODY].status == UP\"]\n",
    )
    .unwrap();
    let o = gate(
        dir.path(),
        &[
            "--target-from-deployment",
            "staging",
            "--ledger",
            "local",
            "--format",
            "json",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    let p = &r["details"]["probes"][0];
    assert_eq!(p["target"], format!("GET http://{addr}/json"));
    assert_eq!(p["health"], "healthy");
    assert!(
        r["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("target from deployment")
    );
}

#[test]
fn gatus_endpoints_file() {
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gatus.yaml"),
        format!(
            "endpoints:\n  - name: api\n    group: core\n    url: http://{addr}/json\n    interval: 30s\n    conditions:\n      - \"[STATUS] == 200\"\n      - \"[BODY].status == UP\"\n      - \"[RESPONSE_TIME] < 5000\"\n  - name: socket\n    url: tcp://{addr}\n    conditions: [\"[CONNECTED] == true\"]\n"
        ),
    )
    .unwrap();
    let o = gate(
        dir.path(),
        &[
            "--gatus-file",
            "gatus.yaml",
            "--format",
            "json",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["checked"], 2);
    assert_eq!(r["details"]["probes"][0]["name"], "core/api");
    assert_eq!(r["details"]["probes"][1]["kind"], "tcp");
}

#[test]
fn watch_reports_percentiles_and_a_chart() {
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/ok");
    let o = gate(
        dir.path(),
        &[
            "--url",
            &url,
            "--watch",
            "1s",
            "--interval",
            "250ms",
            "--format",
            "json,markdown",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let end = out.find("\n}\n").unwrap() + 2;
    let r: Value = serde_json::from_str(&out[..end]).unwrap();
    assert_eq!(r["details"]["mode"], "watch");
    assert_eq!(r["details"]["rounds"], 5);
    let p = &r["details"]["probes"][0];
    assert!(p["p95_ms"].as_f64().unwrap() >= p["p50_ms"].as_f64().unwrap());
    assert_eq!(
        r["charts"][0]["series"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(out[end..].contains("```mermaid"), "{}", &out[end..]);
}

#[test]
fn wait_until_healthy_then_pass() {
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/ok");
    let o = gate(
        dir.path(),
        &[
            "--url",
            &url,
            "--wait",
            "--success-threshold",
            "3",
            "--interval",
            "50ms",
            "--format",
            "json",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["details"]["mode"], "wait");
    assert_eq!(r["details"]["rounds"], 3);
    // Never healthy: exit 1 with not-healthy-in-time.
    let down = format!("http://{addr}/status/503");
    let o = gate(
        dir.path(),
        &[
            "--url",
            &down,
            "--wait",
            "--timeout",
            "1s",
            "--backoff",
            "100ms",
            "--format",
            "json",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["findings"][0]["rule"], "not-healthy-in-time");
}

#[test]
fn command_output_is_escaped_in_workflow_commands() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\nhealth:\n  probes:\n    - name: migrations\n      command: \"echo '::error::forged'; echo '::add-mask::x'; exit 2\"\n",
    )
    .unwrap();
    let o = gate(dir.path(), &["--format", "github,json", "--no-record"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    // The only workflow commands are the gate's own; the output is inside one, neutralized.
    for line in out.lines().filter(|l| l.starts_with("::")) {
        assert!(
            !line.starts_with("::error::forged") && !line.starts_with("::add-mask::"),
            "{line}"
        );
    }
    assert!(out.contains("forged"), "{out}");
    let json_start = out.find("{\n").unwrap();
    let r: Value = serde_json::from_str(&out[json_start..]).unwrap();
    let last = &r["details"]["probes"][0]["last"];
    assert_eq!(last["output"], "::error::forged\n::add-mask::x\n");
    assert_eq!(last["conditions"][0]["actual"], "2");
}

fn metric_names(r: &Value) -> Vec<String> {
    r["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

/// `--method`, `--expect-status` and `--ca-file` apply to the --url probes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)]
async fn quick_url_flags_method_expect_status_and_ca_file() {
    testkit::require!("openssl", "apt-get install openssl");
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let echo = format!("http://{addr}/echo");
    let created = format!("http://{addr}/status/201");
    let o = tokio::task::spawn_blocking(move || {
        gate(
            &d,
            &[
                "--url",
                &echo,
                "--method",
                "POST",
                "--expect-status",
                "200,201",
                "--condition",
                "[BODY] == pat(auth=*)",
                "--format",
                "json",
                "--no-record",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // 201 is not 2xx-by-default's problem; a status outside the list fails.
    let d = dir.path().to_path_buf();
    let o = tokio::task::spawn_blocking(move || {
        gate(
            &d,
            &[
                "--url",
                &created,
                "--expect-status",
                "200",
                "--format",
                "json",
                "--no-record",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json(&o);
    let c = &r["details"]["probes"][0]["last"]["conditions"][0];
    assert_eq!(
        (c["condition"].as_str(), c["actual"].as_str()),
        (Some("[STATUS] == 200"), Some("201"))
    );

    // --ca-file, with OpenSSL's standard self-signed certificate; the
    // certificate's time left is shown in days and hours, raw in JSON.
    let (cert, key) = common::openssl_self_signed(dir.path());
    let tls = common::tls_server(&cert, &key).await;
    let d = dir.path().to_path_buf();
    let url = format!("https://localhost:{}/", tls.port());
    let o = tokio::task::spawn_blocking(move || {
        gate(
            &d,
            &[
                "--url",
                &url,
                "--ca-file",
                "openssl-cert.pem",
                "--condition",
                "[CERTIFICATE_EXPIRATION] > 60d",
                "--format",
                "json",
                "--no-record",
            ],
            &[],
        )
    })
    .await
    .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json(&o);
    let c = r["details"]["probes"][0]["last"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["condition"] == "[CERTIFICATE_EXPIRATION] > 60d")
        .unwrap()
        .clone();
    let actual = c["actual"].as_str().unwrap();
    assert!(
        actual.starts_with("29d ") || actual.starts_with("30d "),
        "{actual}"
    );
    let raw = c["raw"].as_f64().unwrap();
    assert!((raw / 86_400_000.0 - 30.0).abs() < 0.1, "{raw}");
    let failing = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "probe-failing")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(failing.contains(&format!("(was {actual})")), "{failing}");
    assert!(!failing.contains(&format!("{}", raw.round())), "{failing}");
}

/// A CA file that cannot be read, or holds no certificate, is an input
/// error (exit 4, as the docs say), naming the file.
#[test]
fn unreadable_ca_file_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.pem"), "no certificate here\n").unwrap();
    for (file, says) in [
        ("missing.pem", "cannot read"),
        ("empty.pem", "no PEM certificate"),
    ] {
        let o = gate(
            dir.path(),
            &[
                "--url",
                "https://127.0.0.1:1/",
                "--ca-file",
                file,
                "--no-record",
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
        assert!(
            stderr(&o).contains(file) && stderr(&o).contains(says),
            "{}",
            stderr(&o)
        );
    }
    // In gates.yml too.
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\nhealth:\n  probes:\n    - name: api\n      url: https://127.0.0.1:1/\n      ca-file: missing.pem\n",
    )
    .unwrap();
    let o = gate(dir.path(), &["--no-record"], &[]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("health.probes[0]"), "{}", stderr(&o));
}

/// `--url http://h:p/` and `--tcp h:p` slug alike: their metric ids are
/// told apart by kind, and stay the same from run to run.
#[test]
fn url_and_tcp_on_the_same_port_have_distinct_metric_ids() {
    let addr = common::serve_in_thread();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{addr}/");
    let tcp = addr.to_string();
    let run = || {
        let o = gate(
            dir.path(),
            &[
                "--url",
                &url,
                "--tcp",
                &tcp,
                "--format",
                "json",
                "--no-record",
            ],
            &[],
        );
        metric_names(&json(&o))
    };
    let names = run();
    let s = gate_health::gate::slug(&tcp);
    assert!(names.contains(&format!("{s}-http-latency")), "{names:?}");
    assert!(names.contains(&format!("{s}-tcp-latency")), "{names:?}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert_eq!(run(), names);
}
