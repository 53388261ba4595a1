#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Hostile text in what gate-load prints (an endpoint's name and URL, a
//! header value, the errors), under a simulated Actions runner, in every
//! output format: no command is started by the input.

use gate_core::ExitCode;
use gate_core::run::testing::{HOSTILE, sweep};
use gate_load::gate::LoadGate;

#[test]
fn hostile_urls_and_headers_start_no_command_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let dead_port = testkit::dead_port();
    let dead = dead_port.addr;
    for h in HOSTILE {
        let url = format!("http://{dead}/p?q=1#{h}");
        let header = format!("X-Note: {}", h.replace(['\r', '\n'], " "));
        let (code, c, extra) = sweep::<LoadGate>(
            dir.path(),
            &[
                "--url",
                &url,
                "--header",
                &header,
                "--requests",
                "2",
                "--no-record",
            ],
            &[],
        );
        assert_eq!(code, ExitCode::Fail, "{h:?}: {}", c.stderr);
        assert!(
            extra.is_empty(),
            "{h:?}: commands started by the input: {extra:#?}"
        );
    }
}
