//! Hostile text where gate-deploy prints it (a slot's answers during the
//! probes, in events, the report and the ledger; a release name), under a
//! simulated Actions runner, in every output format: no command is started
//! by the input. The binary runs as a process, so the oracle is
//! `runner_model::injected` (the markers of `run::testing::HOSTILE`).

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::*;
use gate_core::github::escape::runner_model::injected;
use gate_core::run::testing::HOSTILE;

const DEPLOY: &str = env!("CARGO_BIN_EXE_gate-deploy");

/// A slot that answers every request `500` with all the hostile values as
/// its body. Returns its port.
fn hostile_slot() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 2048];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => head.extend_from_slice(&buf[..k]),
                }
            }
            let body = HOSTILE.join("\n");
            let _ = write!(
                s,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nX-Note: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                HOSTILE[0],
                body.len()
            );
        }
    });
    port
}

#[test]
fn hostile_slot_answers_and_release_names_start_no_command() {
    let port = hostile_slot();
    let w = World::new();
    // The live release's name comes from the ledger, which is not trusted
    // (a pull request controls `.gates/`): it is printed in events too.
    w.seed_live("production", "blue", HOSTILE[5]);
    w.start_slot("blue", "v1");
    std::fs::write(w.path().join("traffic"), "blue\n").unwrap();
    let switch = format!("echo $GATES_SLOT > {}/traffic", w.path().display());
    w.write_config(
        &w.base_config(
            "deploy",
            &format!(
                "  switch: command\n  switch-command: \"{}\"\n  green-health-url: http://127.0.0.1:{port}/healthz\n  conditions: [\"[STATUS] == 200\", \"[BODY] == ok\"]\n",
                yaml_escape(&switch)
            ),
        )
        .replace("wait-timeout: 10s\n", "wait-timeout: 1s\n"),
    );
    for release in ["v2", HOSTILE[1], HOSTILE[3], HOSTILE[4]] {
        let out = w
            .command_on(
                DEPLOY,
                &["--ledger", "local"],
                &[
                    "--release",
                    release,
                    "--format",
                    "human,json,markdown,sarif,github",
                ],
            )
            .env("GITHUB_ACTIONS", "true")
            .env_remove("GITHUB_TOKEN")
            .env("GITHUB_SHA", "4444444444444444444444444444444444444444")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(1..=4)),
            "{release:?}: {:?}\n{stderr}",
            out.status
        );
        let bad = injected(&format!("{stdout}\n{stderr}"));
        assert!(
            bad.is_empty(),
            "{release:?}: commands started by the input: {bad:#?}"
        );
        if release == "v2" {
            // The body reached the output (escaped): the test is real.
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert!(stdout.contains("stop-commands"), "{stdout}");
        }
    }
}
