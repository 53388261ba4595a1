#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Hostile text where gate-health prints it (an HTTP body and header values
//! from the service under test, the URL), under a simulated Actions runner,
//! in every output format: no command is started by the input.

use std::net::SocketAddr;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use gate_core::ExitCode;
use gate_core::run::testing::{HOSTILE, sweep};
use gate_health::gate::HealthGate;

/// Serves every hostile value as a failing page body (and, where a header
/// value can hold it, as a header), on a thread with its own runtime.
fn serve_hostile() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut app = Router::new();
            for (i, h) in HOSTILE.iter().enumerate() {
                let header = h.replace(['\r', '\n'], " ");
                app = app.route(
                    &format!("/{i}"),
                    get(move || async move {
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            [("x-note", header)],
                            h.to_string(),
                        )
                    }),
                );
            }
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            let _ = axum::serve(l, app).await;
        });
    });
    rx.recv().unwrap()
}

#[test]
fn hostile_bodies_and_headers_start_no_command_in_any_format() {
    let addr = serve_hostile();
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = Vec::new();
    for (i, h) in HOSTILE.iter().enumerate() {
        let fragment = h.replace(['\r', '\n'], " ");
        args.extend(["--url".into(), format!("http://{addr}/{i}#{fragment}")]);
    }
    args.extend(
        [
            "--condition",
            "[STATUS] == 200",
            "--condition",
            "[BODY] == ok",
            "--condition",
            "[HEADER].x-note == ok",
            "--no-record",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, c, extra) = sweep::<HealthGate>(dir.path(), &args, &[]);
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert!(
        extra.is_empty(),
        "commands started by the input: {extra:#?}"
    );
    let errors = c
        .commands
        .iter()
        .filter(|l| l.starts_with("::error"))
        .count();
    assert!(errors >= 1, "the gate's own annotations: {:#?}", c.commands);
    // The body did reach the report (quoted, escaped), so the test is real.
    assert!(c.stdout.contains("stop-commands"), "{}", c.stdout);
}
