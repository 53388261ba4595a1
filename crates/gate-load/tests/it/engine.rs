//! The generator against real servers on 127.0.0.1: counts, error classes,
//! coordinated omission, dropped arrivals. Every run is bounded (≤ 2 s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{Counters, app, closer, dead_port, url};
use gate_load::{Cancel, Endpoint, Scenario, StatusSet, run_scenario};

fn quick(mut s: Scenario) -> Scenario {
    s.graceful_stop = Duration::from_secs(1);
    s.timeout = Duration::from_secs(1);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_model_counts_match_the_server() {
    let (addr, c) = app().await;
    let s = quick(Scenario::closed(
        vec![Endpoint::get(url(addr, "/fast"))],
        4,
        Duration::from_millis(400),
    ));
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    let served = Counters::get(&c.fast);
    assert!(r.sent > 10, "{r:?}");
    assert_eq!(served, r.sent, "every request sent reached the server");
    assert_eq!(r.overall.requests + r.overall.interrupted, r.sent);
    assert_eq!(r.overall.ok, r.overall.requests);
    assert_eq!(r.overall.error_count(), 0);
    assert_eq!(r.overall.latency.count(), r.overall.requests);
    assert_eq!(
        r.overall.statuses.get(&200).copied(),
        Some(r.overall.requests)
    );
    // keep-alive: one connection per user.
    assert_eq!(Counters::get(&c.connections), 4);
    // The timeline adds up to the total.
    let per_second: u64 = r.timeline.iter().map(|s| s.requests).sum();
    assert_eq!(per_second, r.overall.requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_off_opens_a_connection_per_request() {
    let (addr, c) = app().await;
    let mut s = quick(Scenario::closed(
        vec![Endpoint::get(url(addr, "/fast"))],
        2,
        Duration::from_secs(5),
    ));
    s.keep_alive = false;
    s.max_requests = Some(30);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(r.sent, 30);
    assert_eq!(r.overall.ok, 30);
    assert_eq!(Counters::get(&c.fast), 30);
    assert_eq!(Counters::get(&c.connections), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_split_the_requests() {
    let (addr, c) = app().await;
    let mut a = Endpoint::get(url(addr, "/fast"));
    a.weight = 3;
    let b = Endpoint::get(url(addr, "/other"));
    let mut s = quick(Scenario::closed(vec![a, b], 1, Duration::from_secs(5)));
    s.max_requests = Some(400);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(Counters::get(&c.fast), 300);
    assert_eq!(Counters::get(&c.other), 100);
    assert_eq!(r.endpoints[0].requests, 300);
    assert_eq!(r.endpoints[1].requests, 100);
    assert_eq!(r.overall.requests, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_errors_are_classified_and_expected_statuses_are_not_errors() {
    let (addr, c) = app().await;
    let mut s = quick(Scenario::closed(
        vec![
            Endpoint::get(url(addr, "/fault")),
            Endpoint::get(url(addr, "/fast")),
        ],
        2,
        Duration::from_secs(5),
    ));
    s.max_requests = Some(40);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    let faults = Counters::get(&c.fault);
    assert_eq!(faults, 20);
    assert_eq!(r.endpoints[0].errors.get("status-5xx").copied(), Some(20));
    assert_eq!(r.endpoints[0].statuses.get(&500).copied(), Some(20));
    assert_eq!(r.endpoints[1].error_count(), 0);
    assert_eq!(r.overall.error_rate(), 0.5);
    // 500 declared expected: no error.
    s.expected = StatusSet::parse(&["200-299", "500"]).unwrap();
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(r.overall.error_count(), 0);
    assert_eq!(r.overall.ok, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_failures_are_classified() {
    // Nothing listening.
    let dead = dead_port();
    let mut s = quick(Scenario::closed(
        vec![Endpoint::get(url(dead.addr, "/"))],
        1,
        Duration::from_secs(2),
    ));
    s.max_requests = Some(5);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(
        r.overall.errors.get("connect-refused").copied(),
        Some(5),
        "{:?}",
        r.overall.errors
    );
    assert_eq!(r.overall.latency.count(), 0);

    // The server closes after reading the request.
    let addr = closer(false).await;
    s.endpoints = vec![Endpoint::get(url(addr, "/"))];
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(
        r.overall.errors.get("closed").copied(),
        Some(5),
        "{:?}",
        r.overall.errors
    );

    // The server resets the connection.
    let addr = closer(true).await;
    s.endpoints = vec![Endpoint::get(url(addr, "/"))];
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(
        r.overall.errors.get("reset").copied(),
        Some(5),
        "{:?}",
        r.overall.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_are_errors_but_the_end_of_the_run_is_not() {
    let (addr, c) = app().await;
    // A request timeout shorter than the answer: timeout errors.
    let mut s = quick(Scenario::closed(
        vec![Endpoint::get(url(addr, "/hang"))],
        2,
        Duration::from_secs(2),
    ));
    s.timeout = Duration::from_millis(100);
    s.max_requests = Some(4);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(
        r.overall.errors.get("timeout").copied(),
        Some(4),
        "{:?}",
        r.overall
    );
    assert_eq!(r.overall.interrupted, 0);

    // The run ends while requests hang: interrupted, not errors.
    let before = Counters::get(&c.hang);
    let mut s = quick(Scenario::closed(
        vec![Endpoint::get(url(addr, "/hang"))],
        3,
        Duration::from_millis(200),
    ));
    s.timeout = Duration::from_secs(10);
    s.graceful_stop = Duration::from_millis(100);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(r.overall.interrupted, 3);
    assert_eq!(r.overall.requests, 0);
    assert_eq!(r.overall.error_count(), 0);
    assert_eq!(Counters::get(&c.hang) - before, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_run() {
    let (addr, _c) = app().await;
    let s = quick(Scenario::closed(
        vec![Endpoint::get(url(addr, "/slow"))],
        2,
        Duration::from_secs(60),
    ));
    let cancel = Cancel::new();
    let live = std::sync::Arc::new(gate_load::Live::default());
    let run = tokio::spawn({
        let (cancel, live) = (cancel.clone(), live.clone());
        async move { gate_load::run_scenario_observed(&s, &cancel, live).await }
    });
    // Cancel once requests are flowing (a condition, with a deadline).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while live.completed.load(Ordering::SeqCst) < 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no request completed"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cancel.cancel();
    let r = tokio::time::timeout_at(deadline, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(r.overall.error_count(), 0);
    assert!(r.overall.requests >= 4);
    assert!(r.overall.interrupted <= 2, "at most one per user");
    // Cut short: the scenario's 60 s did not run (how fast it stopped is
    // the bounded wait's business above, not an assertion on speed).
    assert!(r.duration_s < 60.0, "{}", r.duration_s);
}

/// The server handles one request at a time (30 ms each). A closed-model
/// user sees ~30 ms per request and a throughput of at most ~33/s; the open
/// model at 60/s builds a queue, and latency from the intended send time
/// shows it (coordinated omission is what hides it in the closed model).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_model_measures_from_the_intended_time() {
    let (addr, c) = app().await;
    let ep = || vec![Endpoint::get(url(addr, "/serial"))];
    let mut closed = quick(Scenario::closed(ep(), 1, Duration::from_millis(400)));
    closed.graceful_stop = Duration::from_secs(1);
    let rc = run_scenario(&closed, &Cancel::new()).await.unwrap();
    // Every request waited the server's 30 ms (a floor that holds on any
    // machine; how far above it depends on the machine, and is not asserted).
    assert!(
        rc.overall.latency.min_ms() >= 30.0,
        "closed min {}",
        rc.overall.latency.min_ms()
    );
    // Throughput is bounded by the server: at most one per 30 ms.
    assert!(rc.rps() <= 1000.0 / 30.0 + 1.0, "closed rps {}", rc.rps());

    let mut open = quick(Scenario::open(ep(), 60.0, Duration::from_millis(500), 100));
    open.graceful_stop = Duration::from_secs(2);
    open.timeout = Duration::from_secs(3);
    let before = Counters::get(&c.serial);
    let ro = run_scenario(&open, &Cancel::new()).await.unwrap();
    assert_eq!(ro.dropped, 0);
    assert_eq!(Counters::get(&c.serial) - before, ro.sent);
    assert_eq!(ro.overall.requests, ro.sent, "{:?}", ro.overall);
    // 30 arrivals in 0.5 s, served one per 30 ms: the last completes ≥ 0.9 s
    // after the start although intended at ~0.49 s.
    let open_max = ro.overall.latency.max_ms();
    let open_p99 = ro.overall.latency.percentile_ms(99.0);
    assert!((29..=31).contains(&ro.sent), "{}", ro.sent);
    assert!(open_max >= 350.0, "open max {open_max}");
    // The queue shows in p99 too: request k (intended at k/60 s) completes
    // no sooner than (k+1)·30 ms, so the last ones waited ≥ 0.4 s, however
    // fast the machine. (The closed model's figures have no such floor.)
    assert!(open_p99 >= 350.0, "open p99 {open_p99}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_model_drops_what_it_cannot_send() {
    let (addr, c) = app().await;
    // 200/s for 0.5 s = 100 arrivals; 2 connections of a 20 ms endpoint
    // carry at most 100/s: about half must be dropped.
    let mut s = quick(Scenario::open(
        vec![Endpoint::get(url(addr, "/slow"))],
        200.0,
        Duration::from_millis(500),
        2,
    ));
    s.graceful_stop = Duration::from_secs(1);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert!(r.dropped > 0, "{r:?}");
    let arrivals = r.sent + r.dropped;
    assert!((99..=101).contains(&arrivals), "{arrivals}");
    assert_eq!(Counters::get(&c.slow), r.sent);
    // 2 connections × 0.5 s / 20 ms = at most 50 (+2 in flight at the start).
    assert!(r.sent <= 52, "{}", r.sent);
    assert_eq!(r.overall.error_count(), 0);
    assert_eq!(c.connections.load(Ordering::SeqCst), 2);
    // Dropped arrivals are failures: in the error rate, per endpoint too.
    assert_eq!(r.overall.dropped, r.dropped);
    assert_eq!(r.endpoints[0].dropped, r.dropped);
    let rate = r.dropped as f64 / (r.overall.requests + r.dropped) as f64;
    assert!((r.overall.error_rate() - rate).abs() < 1e-9, "{rate}");
    assert!(r.overall.error_rate() > 0.3, "{}", r.overall.error_rate());
}

/// A stall at a fixed rate (the 2 s at 200/s, here 1 s at 100/s
/// with 10 connections): the arrivals that found no connection are failures
/// in `error_rate`, the headline says how many, and the requests that
/// timed out are timed in the failures' histogram, not left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_in_the_open_model_counts_dropped_arrivals_as_failures() {
    let (addr, c) = app().await;
    let mut s = quick(Scenario::open(
        vec![Endpoint::get(url(addr, "/hang"))],
        100.0,
        Duration::from_secs(1),
        10,
    ));
    s.timeout = Duration::from_millis(300);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(Counters::get(&c.hang), r.sent);
    assert!(r.dropped > 0, "{r:?}");
    assert_eq!(r.overall.ok, 0);
    assert_eq!(
        r.overall.errors.get("timeout").copied(),
        Some(r.overall.requests)
    );
    // Every completed request timed out: timed at ≥ the 300 ms timeout.
    assert_eq!(r.overall.failed_latency.count(), r.overall.requests);
    assert!(
        r.overall.failed_latency.min_ms() >= 299.0,
        "{:?}",
        r.overall.failed_latency_ms
    );
    assert_eq!(r.overall.latency.count(), 0);
    assert_eq!(r.overall.error_rate(), 1.0);
    let report = gate_load::gate::evaluate(&gate_load::gate::LoadInput {
        result: r.clone(),
        thresholds: Vec::new(),
        merged: Vec::new(),
        baseline: Default::default(),
    });
    assert!(
        report
            .summary
            .starts_with(&format!("{} arrivals dropped, ", r.dropped)),
        "{}",
        report.summary
    );
    assert!(
        report
            .summary
            .contains("errors 100% (dropped arrivals included)"),
        "{}",
        report.summary
    );
}

/// A TLS failure says what failed, once per class.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_class_has_an_example() {
    let (addr, _c) = app().await;
    let mut s = quick(Scenario::closed(
        vec![Endpoint::get(
            url::Url::parse(&format!("https://localhost:{}/fast", addr.port())).unwrap(),
        )],
        1,
        Duration::from_secs(2),
    ));
    s.max_requests = Some(3);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    let tls = r.overall.examples.get("tls").unwrap();
    assert!(tls.starts_with("TLS handshake: "), "{tls}");
    let dead = dead_port();
    let mut s = quick(Scenario::closed(
        vec![Endpoint::get(url(dead.addr, "/"))],
        1,
        Duration::from_secs(2),
    ));
    s.max_requests = Some(2);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    let refused = r.overall.examples.get("connect-refused").unwrap();
    assert!(refused.starts_with("connecting to 127.0.0.1:"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_a_plain_http_server_is_a_tls_error() {
    let (addr, _c) = app().await;
    let mut s = quick(Scenario::closed(
        vec![Endpoint::get(
            url::Url::parse(&format!("https://localhost:{}/fast", addr.port())).unwrap(),
        )],
        1,
        Duration::from_secs(2),
    ));
    s.max_requests = Some(3);
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert_eq!(
        r.overall.errors.get("tls").copied(),
        Some(3),
        "{:?}",
        r.overall.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramp_up_brings_users_in_one_by_one() {
    let (addr, c) = app().await;
    let mut s = quick(Scenario::closed(
        vec![Endpoint::get(url(addr, "/slow"))],
        3,
        Duration::from_millis(600),
    ));
    // 0 → 3 users over 600 ms: user k starts at k × 200 ms.
    s.model = gate_load::Model::Closed {
        start: 0.0,
        stages: vec![gate_load::Stage {
            duration: Duration::from_millis(600),
            target: 3.0,
        }],
    };
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    // Users 1 and 2 (0-based) were active for 400 ms and 200 ms, user 3 never:
    // at most (400 + 200) / 20 ms + 2 requests; a constant 3 users would send ~90.
    assert!(r.sent <= 32, "{}", r.sent);
    assert!(r.sent >= 10, "{}", r.sent);
    assert_eq!(Counters::get(&c.slow), r.sent);
    assert_eq!(Counters::get(&c.connections), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_model_reuses_warm_connections() {
    let (addr, c) = app().await;
    // 100/s to a sub-millisecond endpoint: about one request in flight at a
    // time, so a handful of connections, not one per allowed connection.
    let s = quick(Scenario::open(
        vec![Endpoint::get(url(addr, "/fast"))],
        100.0,
        Duration::from_millis(500),
        50,
    ));
    let r = run_scenario(&s, &Cancel::new()).await.unwrap();
    assert!((49..=51).contains(&r.sent), "{}", r.sent);
    assert_eq!(r.overall.ok, r.sent);
    assert_eq!(Counters::get(&c.fast), r.sent);
    let conns = Counters::get(&c.connections);
    assert!(conns <= 10, "{conns} connections for ~1 in flight");
}

/// Names of this process's threads.
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect()
}

/// The closed model runs as wrk does: one event loop per thread, as many
/// threads as the runtime has workers (capped by the users), each with a
/// fixed share of the users, instead of work-stealing tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_closed_model_runs_one_event_loop_per_thread() {
    let (addr, c) = app().await;
    for (users, threads) in [(8, 2), (1, 1)] {
        let s = quick(Scenario::closed(
            vec![Endpoint::get(url(addr, "/slow"))],
            users,
            Duration::from_millis(600),
        ));
        let run = tokio::spawn(async move { run_scenario(&s, &Cancel::new()).await.unwrap() });
        let seen = tokio::task::spawn_blocking(move || {
            let mut most = 0;
            testkit::poll_until(Duration::from_secs(5), || {
                let n = thread_names()
                    .iter()
                    .filter(|n| n.starts_with("gate-load-"))
                    .count();
                most = most.max(n);
                most >= threads
            });
            most
        })
        .await
        .unwrap();
        let r = run.await.unwrap();
        assert_eq!(seen, threads, "{users} users");
        assert!(
            r.overall.ok > 0 && r.overall.error_count() == 0,
            "{:?}",
            r.overall.errors
        );
    }
    assert!(Counters::get(&c.slow) > 0);
}
