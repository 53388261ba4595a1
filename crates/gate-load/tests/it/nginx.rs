#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]
//! The generator against a real nginx on loopback (Debian's `nginx-light`,
//! installed by `.ci/run`), started on a free port with a generated
//! configuration in a tempdir, as a single process (`master_process off`)
//! so that SIGSTOP freezes the whole server. Skipped, saying so, when
//! /usr/sbin/nginx is absent. Every run is bounded (≤ 4 s); the figures are
//! printed (`cargo test -p gate-load --test nginx -- --nocapture`).

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{SLOW, app, dead_port};
use gate_load::{
    Cancel, Endpoint, Live, LoadResult, Scenario, run_scenario, run_scenario_observed,
};
use tokio::time::Instant;

/// A real nginx on loopback (testkit's, one process), stopped on drop.
struct Nginx {
    port: u16,
    nginx: testkit::Nginx,
    _gone: testkit::DeadPort,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Paths: `/ok` (200), `/down` (503), `/drop` (444: closes without a
    /// response), `/slow` (proxied to `upstream`'s `/slow`, keep-alive
    /// upstream), `/gone` (proxied to a port with nothing listening: 502).
    /// `None` (after saying so) when nginx is not installed.
    async fn start(upstream: SocketAddr) -> Option<Nginx> {
        let dir = tempfile::tempdir().unwrap();
        let gone = dead_port();
        let body = |ports: &[u16]| {
            let (port, gone) = (ports[0], gone.addr);
            format!(
                r#"  keepalive_requests 100000;
  upstream backend {{ server {upstream}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port} backlog=1024;
    location = /ok {{ default_type text/plain; return 200 "ok\n"; }}
    location = /down {{ default_type text/plain; return 503 "down\n"; }}
    location = /drop {{ return 444; }}
    location = /slow {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
    location = /gone {{ proxy_pass http://{gone}; }}
  }}"#
            )
        };
        let nginx = testkit::Nginx::start_on(dir.path(), 1, false, body)?;
        Some(Nginx {
            port: nginx.ports[0],
            _gone: gone,
            nginx,
            _dir: dir,
        })
    }

    fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://127.0.0.1:{}{path}", self.port)).unwrap()
    }

    /// Sends `signal` (`STOP`, `CONT`) to the nginx process.
    fn signal(&self, signal: &str) {
        self.nginx.signal(signal);
    }
}

fn p(r: &LoadResult, q: f64) -> f64 {
    r.overall.latency.percentile_ms(q)
}

fn per_second(r: &LoadResult) -> Vec<(u32, u64)> {
    r.timeline.iter().map(|s| (s.t, s.requests)).collect()
}

/// A backend that answers after a known delay (20 ms, behind nginx): every
/// percentile lies at or above the delay, in order, and every request sent
/// is counted once. Both models. (How far above the delay depends on the
/// machine: printed, not asserted.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn percentiles_match_a_known_backend_delay() {
    let (upstream, counters) = app().await;
    let Some(nginx) = Nginx::start(upstream).await else {
        return;
    };
    let delay = SLOW.as_secs_f64() * 1000.0;

    let mut closed = Scenario::closed(
        vec![Endpoint::get(nginx.url("/slow"))],
        4,
        Duration::from_millis(1500),
    );
    closed.graceful_stop = Duration::from_secs(1);
    let mut open = Scenario::open(
        vec![Endpoint::get(nginx.url("/slow"))],
        100.0,
        Duration::from_millis(1500),
        50,
    );
    open.graceful_stop = Duration::from_secs(1);

    for s in [closed, open] {
        let before = common::Counters::get(&counters.slow);
        let r = run_scenario(&s, &Cancel::new()).await.unwrap();
        let served = common::Counters::get(&counters.slow) - before;
        let (min, p50, p90, p99) = (
            r.overall.latency.min_ms(),
            p(&r, 50.0),
            p(&r, 90.0),
            p(&r, 99.0),
        );
        eprintln!(
            "known delay {delay} ms, {} model: {} requests ({:.0}/s), min {min:.2} p50 {p50:.2} p90 {p90:.2} p99 {p99:.2} max {:.2} ms, errors {:?}, dropped {}",
            r.model,
            r.overall.requests,
            r.rps(),
            r.overall.latency.max_ms(),
            r.overall.errors,
            r.dropped
        );
        assert!(r.overall.requests > 50, "{r:?}");
        assert_eq!(r.overall.error_count(), 0, "{:?}", r.overall.errors);
        assert_eq!(r.overall.ok, r.overall.requests);
        assert_eq!(served, r.sent, "every request sent reached the backend");
        assert_eq!(r.overall.latency.count(), r.overall.requests);
        // Nothing can answer faster than the backend's delay.
        assert!(min >= delay, "min {min} ms < delay {delay} ms");
        assert!(
            p50 >= min && p90 >= p50 && p99 >= p90,
            "p50 {p50} p90 {p90} p99 {p99} ms"
        );
    }
}

/// Runs `s` against `nginx`, freezing nginx (SIGSTOP) from 1 s after the
/// start of the run for 1 s (SIGCONT). Returns the result, the length of
/// the freeze (measured inside it: never more than the real one) and the
/// requests completed while nginx was stopped.
async fn run_with_freeze(nginx: &Nginx, s: &Scenario) -> (LoadResult, Duration, u64) {
    let live = Arc::new(Live::default());
    let cancel = Cancel::new();
    let start = Instant::now();
    let run = tokio::spawn({
        let (s, cancel, live) = (s.clone(), cancel.clone(), live.clone());
        async move { run_scenario_observed(&s, &cancel, live).await }
    });
    // The timer causes the event (the freeze); the run's end is awaited.
    tokio::time::sleep_until(start + Duration::from_secs(1)).await;
    let completed = || live.completed.load(std::sync::atomic::Ordering::SeqCst);
    let before = completed();
    nginx.signal("STOP");
    let stopped = Instant::now();
    let at_stop = completed();
    tokio::time::sleep_until(stopped + Duration::from_secs(1)).await;
    let during = completed() - at_stop;
    let frozen = stopped.elapsed();
    nginx.signal("CONT");
    assert!(before > 0, "requests were flowing before the freeze");
    let r = run.await.unwrap().unwrap();
    (r, frozen, during)
}

/// The open model keeps sending on schedule while nginx is frozen, so the
/// frozen second shows in p99 (latency counted from the intended send time);
/// the closed model's users wait, so the same freeze shows as requests that
/// stop completing while nginx is stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_backend_shows_in_open_p99_and_in_closed_throughput() {
    let (upstream, _c) = app().await;
    let Some(nginx) = Nginx::start(upstream).await else {
        return;
    };
    let freeze_ms = |d: Duration| d.as_secs_f64() * 1000.0;

    // Open: 100/s for 3 s; enough connections to keep the schedule during the freeze.
    let mut open = Scenario::open(
        vec![Endpoint::get(nginx.url("/ok"))],
        100.0,
        Duration::from_secs(3),
        300,
    );
    open.timeout = Duration::from_secs(5);
    open.graceful_stop = Duration::from_secs(1);
    let (o, frozen, _) = run_with_freeze(&nginx, &open).await;
    let f = freeze_ms(frozen);
    eprintln!(
        "open model, nginx frozen {f:.0} ms: sent {}, completed {}, dropped {}, errors {:?}, p50 {:.2} p90 {:.2} p99 {:.2} max {:.2} ms, per second {:?}",
        o.sent,
        o.overall.requests,
        o.dropped,
        o.overall.errors,
        p(&o, 50.0),
        p(&o, 90.0),
        p(&o, 99.0),
        o.overall.latency.max_ms(),
        per_second(&o)
    );
    assert_eq!(o.overall.error_count(), 0, "{:?}", o.overall.errors);
    assert_eq!(o.dropped, 0, "the schedule was kept");
    assert!(o.sent >= 280, "{}", o.sent);
    // About 100 of 300 requests waited 0..f ms: p99 is near the whole freeze.
    assert!(
        p(&o, 99.0) >= 0.8 * f,
        "open p99 {} ms does not show the {f} ms freeze",
        p(&o, 99.0)
    );
    assert!(o.overall.latency.max_ms() >= 0.9 * f);

    // Closed: 4 users for 3 s under the same freeze.
    let mut closed = Scenario::closed(
        vec![Endpoint::get(nginx.url("/ok"))],
        4,
        Duration::from_secs(3),
    );
    closed.timeout = Duration::from_secs(5);
    closed.graceful_stop = Duration::from_secs(1);
    let (c, frozen, during) = run_with_freeze(&nginx, &closed).await;
    let f = freeze_ms(frozen);
    eprintln!(
        "closed model (4 users), nginx frozen {f:.0} ms: completed {} ({:.0}/s), errors {:?}, p50 {:.3} p90 {:.3} p99 {:.3} max {:.2} ms, per second {:?}",
        c.overall.requests,
        c.rps(),
        c.overall.errors,
        p(&c, 50.0),
        p(&c, 90.0),
        p(&c, 99.0),
        c.overall.latency.max_ms(),
        per_second(&c)
    );
    assert_eq!(c.overall.error_count(), 0, "{:?}", c.overall.errors);
    // The freeze happened to these users too (their requests waited) ...
    assert!(c.overall.latency.max_ms() >= 0.9 * f);
    // ... but shows as throughput: while nginx was stopped the users
    // waited, and at most one answer per user (already on its way when
    // the freeze began) completed; before it, requests flowed.
    assert!(c.overall.requests > during, "{}", c.overall.requests);
    assert!(
        during <= 4,
        "{during} requests completed while nginx was stopped"
    );
}

/// Error classes through nginx: nothing listening, a 503, an upstream that
/// is gone (502), and a connection closed without a response (`return 444`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_classified_through_nginx() {
    let (upstream, _c) = app().await;
    let Some(nginx) = Nginx::start(upstream).await else {
        return;
    };
    let run = |url: url::Url| async move {
        let mut s = Scenario::closed(vec![Endpoint::get(url)], 2, Duration::from_secs(3));
        s.timeout = Duration::from_secs(2);
        s.graceful_stop = Duration::from_secs(1);
        s.max_requests = Some(20);
        run_scenario(&s, &Cancel::new()).await.unwrap()
    };
    let dead_port = dead_port();
    let dead = url::Url::parse(&format!("http://{}/ok", dead_port.addr)).unwrap();
    for (what, url, class, status) in [
        ("nothing listening", dead, "connect-refused", None),
        ("return 503", nginx.url("/down"), "status-5xx", Some(503)),
        ("upstream gone", nginx.url("/gone"), "status-5xx", Some(502)),
        ("return 444", nginx.url("/drop"), "closed", None),
    ] {
        let r = run(url).await;
        eprintln!(
            "{what}: sent {}, errors {:?}, statuses {:?}, histogram count {}",
            r.sent,
            r.overall.errors,
            r.overall.statuses,
            r.overall.latency.count()
        );
        assert_eq!(r.sent, 20, "{what}");
        assert_eq!(
            r.overall.errors.get(class).copied(),
            Some(20),
            "{what}: {:?}",
            r.overall.errors
        );
        assert_eq!(r.overall.error_count(), 20, "{what}: one class only");
        assert_eq!(r.overall.ok, 0);
        // Nothing succeeded: no latency of successes; every failure is timed
        // in the failures' histogram, and its class has an example.
        assert_eq!(
            r.overall.latency.count(),
            0,
            "{what}: no success, no latency"
        );
        assert_eq!(
            r.overall.failed_latency.count(),
            20,
            "{what}: failures are timed"
        );
        assert!(
            r.overall.examples.contains_key(class),
            "{what}: {:?}",
            r.overall.examples
        );
        if let Some(code) = status {
            assert_eq!(r.overall.statuses.get(&code).copied(), Some(20));
        }
    }

    // nginx still serves after all that.
    let r = run(nginx.url("/ok")).await;
    assert_eq!(r.overall.ok, 20, "{:?}", r.overall.errors);
}
