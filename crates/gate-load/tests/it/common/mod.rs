//! Real servers on 127.0.0.1 for the tests: an axum app with counters, and
//! raw TCP servers that close or reset connections.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::io::AsyncReadExt;

#[derive(Default, Debug)]
pub struct Counters {
    pub fast: AtomicU64,
    pub other: AtomicU64,
    pub slow: AtomicU64,
    pub fault: AtomicU64,
    pub serial: AtomicU64,
    pub hang: AtomicU64,
    pub connections: AtomicU64,
    /// Serialises `/serial`: one request at a time, 30 ms each.
    pub lock: tokio::sync::Mutex<()>,
}

impl Counters {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::SeqCst)
    }
}

/// Service time of `/slow`.
pub const SLOW: Duration = Duration::from_millis(20);
/// Service time of `/serial` (one request at a time).
pub const SERIAL: Duration = Duration::from_millis(30);

/// Starts the app on 127.0.0.1:0 (on the current runtime).
pub async fn app() -> (SocketAddr, Arc<Counters>) {
    let c = Arc::new(Counters::default());
    let router = Router::new()
        .route(
            "/fast",
            get(|State(c): State<Arc<Counters>>| async move {
                c.fast.fetch_add(1, Ordering::SeqCst);
                "ok"
            }),
        )
        .route(
            "/other",
            get(|State(c): State<Arc<Counters>>| async move {
                c.other.fetch_add(1, Ordering::SeqCst);
                "other"
            }),
        )
        .route(
            "/slow",
            get(|State(c): State<Arc<Counters>>| async move {
                c.slow.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(SLOW).await;
                "slow"
            }),
        )
        .route(
            "/fault",
            get(|State(c): State<Arc<Counters>>| async move {
                c.fault.fetch_add(1, Ordering::SeqCst);
                (StatusCode::INTERNAL_SERVER_ERROR, "boom")
            }),
        )
        .route(
            "/serial",
            get(|State(c): State<Arc<Counters>>| async move {
                c.serial.fetch_add(1, Ordering::SeqCst);
                let _g = c.lock.lock().await;
                tokio::time::sleep(SERIAL).await;
                "serial"
            }),
        )
        .route(
            "/post",
            axum::routing::post(|body: String| async move {
                if body == "hello" {
                    (StatusCode::OK, "got it")
                } else {
                    (StatusCode::BAD_REQUEST, "expected the body `hello`")
                }
            }),
        )
        .route(
            "/hang",
            get(|State(c): State<Arc<Counters>>| async move {
                c.hang.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .with_state(c.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = c.clone();
    let listener = listener.tap_io(move |_tcp| {
        counter.connections.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (addr, c)
}

/// A server that reads a request and closes the connection without
/// answering (`reset: true`: with an RST).
pub async fn closer(reset: bool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                // Read until the end of the request head.
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                if reset {
                    let _ = s.set_zero_linger();
                }
                drop(s);
            });
        }
    });
    addr
}

/// A port with nothing listening (testkit's).
#[allow(unused_imports)]
pub use testkit::dead_port;

pub fn url(addr: SocketAddr, path: &str) -> url::Url {
    url::Url::parse(&format!("http://{addr}{path}")).unwrap()
}

/// The process environment of an in-process run: `NO_COLOR`, the `vars`
/// given, and `dir` as the working directory.
pub struct TestEnv {
    pub dir: std::path::PathBuf,
    pub vars: Vec<(String, String)>,
}

impl gate_core::run::Env for TestEnv {
    fn var(&self, key: &str) -> Option<String> {
        if key == "NO_COLOR" {
            return Some("1".into());
        }
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
    fn vars(&self) -> Vec<(String, String)> {
        self.vars.clone()
    }
    fn cwd(&self) -> gate_core::Result<std::path::PathBuf> {
        Ok(self.dir.clone())
    }
}

/// Runs `gate-load ARGS --no-record` in process in `dir`: (exit code,
/// stdout, stderr).
pub fn run_gate(dir: &std::path::Path, args: &[&str]) -> (gate_core::ExitCode, String, String) {
    run_gate_env(dir, args, &[])
}

/// [`run_gate`] with these environment variables (`GATES_LOAD_*`).
#[allow(dead_code)]
pub fn run_gate_env(
    dir: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (gate_core::ExitCode, String, String) {
    let mut argv: Vec<std::ffi::OsString> = vec!["gate-load".into()];
    argv.extend(args.iter().map(std::ffi::OsString::from));
    argv.push("--no-record".into());
    let env = TestEnv {
        dir: dir.to_path_buf(),
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    gate_core::out::capture(|| gate_core::run::run::<gate_load::LoadGate>(argv, &env))
}
