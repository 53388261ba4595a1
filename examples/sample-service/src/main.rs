//! sample-service: the service gates' deploy tests and demo deploy.
//!
//! ```text
//! sample-service [--port N] [--release NAME] [--fail-after SECS] [--fail-every N] [--reuse-port]
//! ```
//!
//! Environment (used when the flag is absent): `GATES_PORT` (or `PORT`),
//! `GATES_VERSION` (or `SAMPLE_RELEASE`), `SAMPLE_FAIL_AFTER` (seconds after
//! start when every endpoint starts answering 500), `SAMPLE_FAIL_EVERY`
//! (a flapping fault: every Nth request, counted over `/` and `/healthz`,
//! fails).
//!
//! `--reuse-port` binds the port with `SO_REUSEPORT`, so the service can
//! take a port its caller holds for it (bound, not listening, with
//! `SO_REUSEPORT`: the tests' `testkit::reserve_port`), which no other
//! process can take between the service's restarts.
//!
//! Endpoints:
//! - `GET /`        `hello from <release>` (500 while faulty); `POST /` the
//!   same (a non-idempotent request, for the deploy benchmark)
//! - `GET /healthz` `ok` (503 while faulty)
//! - `GET /version` the release name
//! - `POST /fault?after_ms=N` become faulty N ms from now (default 0);
//!   `POST /fault?every=N` fail every Nth request from now on (flapping);
//!   `POST /fault?off=1` heals.
//!
//! It listens on 127.0.0.1 only and runs until killed.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

#[derive(Debug)]
struct App {
    release: String,
    /// The instant from which the service fails, if any.
    fail_at: Mutex<Option<Instant>>,
    /// Flapping fault: every Nth request fails (0: off).
    fail_every: AtomicU64,
    /// Requests to `/` and `/healthz` since the flapping fault was set.
    served: AtomicU64,
}

impl App {
    /// Whether this request fails (counts it for the flapping fault).
    fn faulty(&self) -> bool {
        let every = self.fail_every.load(Ordering::SeqCst);
        if every > 0 && (self.served.fetch_add(1, Ordering::SeqCst) + 1).is_multiple_of(every) {
            return true;
        }
        match self.fail_at.lock() {
            Ok(g) => g.is_some_and(|t| Instant::now() >= t),
            Err(_) => true,
        }
    }
}

async fn root(State(app): State<Arc<App>>) -> (StatusCode, String) {
    if app.faulty() {
        (StatusCode::INTERNAL_SERVER_ERROR, "fault injected\n".into())
    } else {
        (StatusCode::OK, format!("hello from {}\n", app.release))
    }
}

async fn healthz(State(app): State<Arc<App>>) -> (StatusCode, &'static str) {
    if app.faulty() {
        (StatusCode::SERVICE_UNAVAILABLE, "faulty\n")
    } else {
        (StatusCode::OK, "ok\n")
    }
}

async fn version(State(app): State<Arc<App>>) -> String {
    format!("{}\n", app.release)
}

async fn fault(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    let Ok(mut g) = app.fail_at.lock() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "poisoned\n".into());
    };
    if q.contains_key("off") {
        *g = None;
        app.fail_every.store(0, Ordering::SeqCst);
        return (StatusCode::OK, "healed\n".into());
    }
    if let Some(every) = q.get("every") {
        return match every.parse::<u64>() {
            Ok(n) => {
                app.served.store(0, Ordering::SeqCst);
                app.fail_every.store(n, Ordering::SeqCst);
                (StatusCode::OK, format!("every {n}th request fails\n"))
            }
            Err(_) => (
                StatusCode::BAD_REQUEST,
                "every must be a whole number\n".into(),
            ),
        };
    }
    let after = match q.get("after_ms").map(|s| s.parse::<u64>()) {
        None => 0,
        Some(Ok(ms)) => ms,
        Some(Err(_)) => {
            return (
                StatusCode::BAD_REQUEST,
                "after_ms must be a number of milliseconds\n".into(),
            );
        }
    };
    *g = Some(Instant::now() + Duration::from_millis(after));
    (StatusCode::OK, format!("faulty in {after} ms\n"))
}

fn arg_or_env(args: &[String], flag: &str, envs: &[&str]) -> Option<String> {
    if let Some(i) = args.iter().position(|a| a == flag) {
        return args.get(i + 1).cloned();
    }
    envs.iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let port: u16 = match arg_or_env(&args, "--port", &["GATES_PORT", "PORT"]).map(|p| p.parse()) {
        Some(Ok(p)) => p,
        None => 8080,
        Some(Err(_)) => return usage("--port / GATES_PORT must be a port number"),
    };
    let release = arg_or_env(&args, "--release", &["GATES_VERSION", "SAMPLE_RELEASE"])
        .unwrap_or_else(|| "dev".into());
    let fail_after =
        match arg_or_env(&args, "--fail-after", &["SAMPLE_FAIL_AFTER"]).map(|s| s.parse::<f64>()) {
            None => None,
            Some(Ok(s)) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            Some(_) => return usage("--fail-after / SAMPLE_FAIL_AFTER must be seconds (>= 0)"),
        };
    let fail_every = match arg_or_env(&args, "--fail-every", &["SAMPLE_FAIL_EVERY"])
        .map(|s| s.parse::<u64>())
    {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return usage("--fail-every / SAMPLE_FAIL_EVERY must be a whole number"),
    };
    let reuse_port = args.iter().any(|a| a == "--reuse-port");
    let app = Arc::new(App {
        release,
        fail_at: Mutex::new(fail_after.map(|d| Instant::now() + d)),
        fail_every: AtomicU64::new(fail_every),
        served: AtomicU64::new(0),
    });
    let router = Router::new()
        .route("/", get(root).post(root))
        .route("/healthz", get(healthz))
        .route("/version", get(version))
        .route("/fault", post(fault))
        .with_state(app);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => return ExitCode::from(70),
    };
    rt.block_on(async move {
        let Ok(listener) = listen(port, reuse_port) else {
            return ExitCode::from(4);
        };
        match axum::serve(listener, router).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(70),
        }
    })
}

/// A listener on 127.0.0.1:`port` (`SO_REUSEADDR`, as tokio's `bind`;
/// plus `SO_REUSEPORT` when asked).
fn listen(port: u16, reuse_port: bool) -> std::io::Result<tokio::net::TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    if reuse_port {
        socket.set_reuseport(true)?;
    }
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(1024)
}

fn usage(msg: &str) -> ExitCode {
    // The one place this example writes: a usage error, before serving.
    #[allow(clippy::print_stderr)]
    {
        eprintln!("sample-service: {msg}");
    }
    ExitCode::from(2)
}
