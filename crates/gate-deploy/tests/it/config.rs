//! The deploy keys as gate-core loads them: generated flags, list
//! separators and domain types (durations, URLs, headers, percentages).

use std::path::Path;

use gate_core::config::{ConfigFile, env_overrides};
use gate_deploy::config::DeployConfig;

fn load(yaml: &str, env: &[(&str, &str)]) -> Result<DeployConfig, gate_core::GateError> {
    let mut f = ConfigFile::parse(Path::new("gates.yml"), yaml, "deploy").unwrap();
    let overrides = env_overrides(
        "deploy",
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    );
    f.section::<DeployConfig>("deploy", &overrides)
}

fn problems(r: Result<DeployConfig, gate_core::GateError>) -> String {
    match r {
        Err(gate_core::GateError::Config(p)) => p.join("\n"),
        other => panic!("expected a config error, got {other:?}"),
    }
}

/// The gate with testkit's scrubbed environment, run in `dir`.
fn gate(dir: &Path) -> testkit::GateCmd {
    let mut c = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-deploy"));
    c.current_dir(dir);
    c
}

#[test]
fn a_bad_generated_flag_value_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = gate(dir.path())
        .args(["--watch", "30", "--dry-run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("flag --watch"), "{stderr}");
    assert!(stderr.contains("write 90s"), "{stderr}");
}

#[test]
fn a_bare_number_duration_is_refused_with_the_fix() {
    let all = problems(load("version: 1\ndeploy:\n  watch: 30\n", &[]));
    assert!(all.contains("gates.yml:3:"), "{all}");
    assert!(all.contains("`deploy.watch`"), "{all}");
    assert!(
        all.contains("write a duration with its unit") && all.contains("write 90s"),
        "{all}"
    );
    let all = problems(load(
        "version: 1\ndeploy: {}\n",
        &[("GATES_DEPLOY_WAIT_TIMEOUT", "60")],
    ));
    assert!(all.contains("GATES_DEPLOY_WAIT_TIMEOUT"), "{all}");
    assert!(all.contains("write 90s"), "{all}");
    // The smoke's durations too.
    let all = problems(load(
        "version: 1\ndeploy:\n  smoke:\n    duration: 5\n",
        &[],
    ));
    assert!(all.contains("deploy.smoke.duration"), "{all}");
}

#[test]
fn durations_with_their_unit_are_read() {
    let cfg = load(
        "version: 1\ndeploy:\n  interval: 250ms\n  watch: 1m30s\n  lock-timeout: 2h\n  smoke:\n    max-p99: 300ms\n",
        &[("GATES_DEPLOY_KEEP_OLD", "5m")],
    )
    .unwrap();
    assert_eq!(cfg.interval().as_millis(), 250);
    assert_eq!(cfg.watch().as_secs(), 90);
    assert_eq!(cfg.lock_timeout().as_secs(), 7200);
    assert_eq!(cfg.keep_old().as_secs(), 300);
    assert_eq!(cfg.smoke.unwrap().max_p99.unwrap().get().as_millis(), 300);
}

#[test]
fn a_condition_holding_a_comma_in_gates_deploy_conditions_stays_one_item() {
    let cfg = load(
        "version: 1\ndeploy: {}\n",
        &[
            (
                "GATES_DEPLOY_CONDITIONS",
                "[STATUS] == any(200, 204)\n[BODY] == pat(ok*)",
            ),
            (
                "GATES_DEPLOY_HEADERS",
                "Accept: text/plain, application/json",
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        cfg.conditions,
        ["[STATUS] == any(200, 204)", "[BODY] == pat(ok*)"]
    );
    assert_eq!(cfg.headers.len(), 1);
    assert_eq!(cfg.headers[0].name, "Accept");
    assert_eq!(cfg.headers[0].value, "text/plain, application/json");
}

#[test]
fn urls_headers_and_the_error_rate_are_checked_at_load() {
    let all = problems(load(
        "version: 1\ndeploy:\n  public-url: ftp://example.com/\n  caddy-admin: localhost:2019\n  headers: [\"no colon here\"]\n  error-rate: 120\n",
        &[],
    ));
    for key in [
        "deploy.public-url",
        "deploy.caddy-admin",
        "deploy.headers",
        "deploy.error-rate",
    ] {
        assert!(all.contains(key), "{key}: {all}");
    }
}

#[test]
fn the_published_flag_spellings_are_kept() {
    let cmd = gate_core::run::command::<gate_deploy::DeployGate>();
    let longs: Vec<&str> = cmd.get_arguments().filter_map(|a| a.get_long()).collect();
    for flag in [
        "environment",
        "release",
        "artifact-digest",
        "switch",
        "start",
        "stop",
        "interval",
        "breaker-trip-after",
        "breaker",
        "error-rate",
        "watch",
        "wait-timeout",
        "keep-old",
        "dry-run",
    ] {
        assert!(longs.contains(&flag), "--{flag} missing: {longs:?}");
    }
    let trip = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some("breaker-trip-after"))
        .unwrap();
    let aliases: Vec<&str> = trip.get_all_aliases().unwrap_or_default();
    assert!(aliases.contains(&"trip-after"), "{aliases:?}");
    // `--environment` is global: `gate-deploy status --environment staging`.
    let env = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some("environment"))
        .unwrap();
    assert!(env.is_global_set());
}

#[test]
fn canary_steps_and_switch_are_validated_with_their_keys() {
    let ok = load(
        "version: 1\ndeploy:\n  switch: haproxy\n  haproxy-socket: /run/h.sock\n  blue-address: 127.0.0.1:8081\n  green-address: 127.0.0.1:8082\n  canary:\n    steps: [5, 25, 50, 100]\n    step-time: 10s\n",
        &[],
    )
    .unwrap();
    assert!(ok.validate("deploy").is_ok());
    let c = ok.canary.unwrap();
    assert_eq!(c.steps, [5, 25, 50, 100]);
    assert_eq!(c.step_time.get(), std::time::Duration::from_secs(10));
    // Defaults when the mapping is empty.
    let d = load(
        "version: 1\ndeploy:\n  switch: haproxy\n  canary: {}\n",
        &[],
    )
    .unwrap();
    assert_eq!(d.canary.unwrap().steps, [5, 25, 50, 100]);
    let bad = load(
        "version: 1\ndeploy:\n  switch: nginx\n  nginx-include: /tmp/u.conf\n  blue-address: 127.0.0.1:8081\n  green-address: 127.0.0.1:8082\n  canary:\n    steps: [50, 25]\n    step-time: 10ms\n",
        &[],
    )
    .unwrap();
    let p = problems(bad.validate("deploy").map(|_| bad.clone()));
    assert!(
        p.contains("deploy.canary.steps: the last step must be 100"),
        "{p}"
    );
    assert!(p.contains("deploy.canary: needs `switch: haproxy`"), "{p}");
    assert!(
        p.contains("deploy.canary.step-time: 10ms is out of range"),
        "{p}"
    );
    // A mapping cannot come from a flag or GATES_ variable.
    let e = problems(load(
        "version: 1\ndeploy:\n  switch: haproxy\n",
        &[("GATES_DEPLOY_CANARY", "5")],
    ));
    assert!(e.contains("mapping"), "{e}");
}
