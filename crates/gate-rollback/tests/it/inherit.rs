//! gate-rollback reads gate-deploy's keys: `deploy:`, then `rollback:` over
//! it key by key, then `GATES_ROLLBACK_*` and the flags (its
//! `BASE_SECTION` is `deploy`). A mistake in an inherited key is reported
//! as `deploy.<key>`, at its line.

use std::path::Path;

use gate_core::Gate;
use gate_core::config::ConfigFile;
use gate_deploy::config::DeployConfig;
use gate_rollback::RollbackGate;

fn config(yaml: &str) -> Result<DeployConfig, gate_core::GateError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gates.yml");
    std::fs::write(&path, yaml).unwrap();
    let mut f = ConfigFile::load(&path, true, RollbackGate::ID).unwrap();
    f.section_over::<DeployConfig>(RollbackGate::ID, RollbackGate::BASE_SECTION, &[])
}

#[test]
fn the_base_section_is_deploy() {
    assert_eq!(RollbackGate::BASE_SECTION, Some("deploy"));
}

#[test]
fn rollback_reads_deploy_and_its_own_section_overrides_key_by_key() {
    let deploy = "version: 1\ndeploy:\n  environment: staging\n  switch: haproxy\n  haproxy-socket: /run/h.sock\n  healthy-successes: 5\n  health-path: /up\n";
    let cfg = config(&format!(
        "{deploy}rollback:\n  healthy-successes: 9\n  health-path: /ready\n"
    ))
    .unwrap();
    assert_eq!(cfg.environment, "staging");
    assert_eq!(cfg.haproxy_socket.as_deref(), Some("/run/h.sock"));
    assert_eq!(cfg.healthy_successes, 9, "rollback: wins");
    assert_eq!(cfg.health_path, "/ready", "rollback: wins");
    // Without a rollback section: deploy's keys alone.
    let cfg = config(deploy).unwrap();
    assert_eq!(cfg.environment, "staging");
    assert_eq!(cfg.healthy_successes, 5);
    assert_eq!(cfg.health_path, "/up");
    // Without a deploy section: the rollback section alone, over the defaults.
    let cfg = config("version: 1\nrollback:\n  healthy-successes: 9\n").unwrap();
    assert_eq!(cfg.environment, DeployConfig::default().environment);
    assert_eq!(cfg.healthy_successes, 9);
}

/// The gate with testkit's scrubbed environment, run in `dir`.
fn gate(dir: &Path) -> testkit::GateCmd {
    let mut c = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-rollback"));
    c.current_dir(dir);
    c
}

#[test]
fn a_bad_value_in_an_inherited_deploy_key_is_reported_at_its_line_as_deploy_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\ndeploy:\n  environment: staging\n  switch: haproxyy\nrollback:\n  health-path: /ready\n",
    )
    .unwrap();
    let out = gate(dir.path())
        .args(["--config", "gates.yml", "--dry-run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("gates.yml:4:"), "{stderr}");
    assert!(stderr.contains("`deploy.switch`"), "{stderr}");
    assert!(!stderr.contains("rollback.switch"), "{stderr}");
}

#[test]
fn an_unknown_key_in_deploy_is_reported_as_deploy_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gates.yml"),
        "version: 1\ndeploy:\n  healthy-succeses: 5\n",
    )
    .unwrap();
    let out = gate(dir.path())
        .args(["--config", "gates.yml", "--dry-run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("deploy.healthy-succeses"), "{stderr}");
}

#[test]
fn a_key_set_in_rollback_over_a_bad_deploy_value_is_not_reported() {
    let cfg = config(
        "version: 1\ndeploy:\n  switch: haproxyy\nrollback:\n  switch: haproxy\n  haproxy-socket: /run/h.sock\n",
    )
    .unwrap();
    assert!(cfg.switch.is_some());
}

#[test]
fn a_bad_generated_flag_value_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = gate(dir.path())
        .args(["--healthy-successes", "lots", "--dry-run"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--healthy-successes"), "{stderr}");
}

#[test]
fn a_rollback_anchor_on_deploy_and_an_empty_rollback_section_still_work() {
    let cfg = config(
        "version: 1\ndeploy: &deploy\n  environment: staging\n  healthy-successes: 4\nrollback: *deploy\n",
    )
    .unwrap();
    assert_eq!(cfg.environment, "staging");
    assert_eq!(cfg.healthy_successes, 4);
    let cfg = config("version: 1\ndeploy:\n  environment: staging\nrollback:\n").unwrap();
    assert_eq!(cfg.environment, "staging");
}
