#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `wait` and `watch` against a real server whose health a test switches,
//! with a manual clock (logic) and the real clock (detection latency).

use crate::common;

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use gate_core::secret::Masker;
use gate_health::build::{Defaults, build_probe};
use gate_health::config::ProbeConfig;
use gate_health::{ManualClock, Probe, Round, WaitOptions, WatchOptions, wait, watch};

fn probes(url: String) -> Arc<[Probe]> {
    let root = std::env::temp_dir();
    let d = Defaults {
        probe_timeout: Duration::from_secs(5),
        latency_budget: None,
        cert_expiry_warning: Duration::from_secs(86400),
        base_url: None,
        repo_root: &root,
    };
    let pc = ProbeConfig {
        name: Some("svc".into()),
        url: Some(url),
        conditions: vec!["[BODY] == UP".into()],
        ..ProbeConfig::default()
    };
    vec![build_probe(&pc, "t", &d, &|_| None, &Masker::new(false)).unwrap()].into()
}

fn watch_opts(failure_threshold: u32, rounds: u32) -> WatchOptions {
    WatchOptions {
        duration: Duration::from_secs(u64::from(rounds - 1)),
        interval: Duration::from_secs(1),
        failure_threshold,
        concurrency: 4,
    }
}

#[tokio::test]
async fn watch_trips_on_consecutive_failures() {
    let (addr, on, _h) = common::serve_switch().await;
    let p = probes(format!("http://{addr}/health"));
    let clock = ManualClock::default();
    let mut n = 0;
    // The service goes down after the third round (index 2).
    let mut on_round = |_: &Round| {
        if n == 2 {
            on.store(false, SeqCst);
        }
        n += 1;
    };
    let out = watch(&p, &watch_opts(3, 60), &clock, &mut on_round).await;
    let trip = out.tripped.expect("tripped");
    assert_eq!(trip.probe, "svc");
    // Rounds 3, 4, 5 fail: first failure at 3 s, trip at 5 s.
    assert_eq!(trip.first_failure_ms, 3000.0);
    assert_eq!(trip.at_ms, 5000.0);
    assert_eq!(out.rounds.len(), 6);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(1); 5]);
    let last = &out.rounds[5].results[0];
    assert_eq!(last.status, Some(503));
}

#[tokio::test]
async fn watch_names_every_probe_that_tripped_in_the_same_round() {
    let (addr, on, _h) = common::serve_switch().await;
    let one = probes(format!("http://{addr}/health"));
    let mut two = one[0].clone();
    two.name = "svc-2".into();
    let p: Arc<[Probe]> = vec![one[0].clone(), two].into();
    on.store(false, SeqCst);
    let clock = ManualClock::default();
    let out = watch(&p, &watch_opts(2, 10), &clock, &mut |_| {}).await;
    let trip = out.tripped.unwrap();
    assert_eq!(
        (trip.probe.as_str(), trip.also.clone()),
        ("svc", vec!["svc-2".to_string()])
    );
    assert_eq!(trip.at_ms, 1000.0);
    assert_eq!(out.rounds.len(), 2);
}

#[tokio::test]
async fn watch_tolerates_failures_below_the_threshold() {
    let (addr, on, _h) = common::serve_switch().await;
    let p = probes(format!("http://{addr}/health"));
    let clock = ManualClock::default();
    let mut n = 0u32;
    // Down every other round: never 2 in a row.
    let mut on_round = |_: &Round| {
        n += 1;
        on.store(n.is_multiple_of(2), SeqCst);
    };
    let out = watch(&p, &watch_opts(2, 10), &clock, &mut on_round).await;
    assert!(out.tripped.is_none());
    assert_eq!(out.rounds.len(), 10);
    let failures = out
        .rounds
        .iter()
        .filter(|r| !r.results[0].health.passing())
        .count();
    assert_eq!(failures, 5);
}

#[tokio::test]
async fn wait_backs_off_then_counts_the_success_streak() {
    let (addr, on, _h) = common::serve_switch().await;
    on.store(false, SeqCst);
    let p = probes(format!("http://{addr}/health"));
    let clock = ManualClock::default();
    let opts = WaitOptions {
        success_threshold: 2,
        timeout: Duration::from_secs(60),
        initial_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(1),
        interval: Duration::from_millis(200),
        concurrency: 4,
    };
    let mut n = 0;
    let mut progress = |_: &Round, _: &[u32]| {
        n += 1;
        if n == 3 {
            on.store(true, SeqCst);
        }
    };
    let out = wait(&p, &opts, &clock, &mut progress).await;
    assert!(out.healthy);
    assert_eq!(out.rounds.len(), 5);
    assert_eq!(out.streaks, vec![2]);
    // Three failing rounds: 0.5 s, 1 s, 1 s (capped); then one passing pause.
    assert_eq!(
        clock.sleeps(),
        vec![
            Duration::from_millis(500),
            Duration::from_secs(1),
            Duration::from_secs(1),
            Duration::from_millis(200)
        ]
    );
}

#[tokio::test]
async fn wait_gives_up_at_the_timeout() {
    let (addr, on, _h) = common::serve_switch().await;
    on.store(false, SeqCst);
    let p = probes(format!("http://{addr}/health"));
    let clock = ManualClock::default();
    let opts = WaitOptions {
        success_threshold: 1,
        timeout: Duration::from_secs(10),
        initial_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(4),
        interval: Duration::from_secs(1),
        concurrency: 4,
    };
    let out = wait(&p, &opts, &clock, &mut |_, _| {}).await;
    assert!(!out.healthy);
    // 1 + 2 + 4 = 7 s slept; the next 4 s pause is cut to the 3 s left, and
    // the last round runs at the deadline.
    assert_eq!(
        clock.sleeps(),
        vec![
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(4),
            Duration::from_secs(3)
        ]
    );
    assert_eq!(out.rounds.len(), 5);
    assert_eq!(out.rounds[4].at_ms, 10_000.0);
    assert_eq!(out.elapsed_ms, 10_000.0);
    assert_eq!(out.streaks, vec![0]);
}

/// The case: `--timeout 12s`, a server up at 8 s. Rounds at 0, 0.5,
/// 1.5, 3.5 and 7.5 s fail; the next 8 s pause would pass the deadline, so
/// it is cut to 4.5 s and the round at 12 s sees the server up.
#[tokio::test]
async fn wait_keeps_probing_until_the_deadline() {
    let (addr, on, _h) = common::serve_switch().await;
    on.store(false, SeqCst);
    let p = probes(format!("http://{addr}/health"));
    let clock = ManualClock::default();
    let opts = WaitOptions {
        success_threshold: 1,
        timeout: Duration::from_secs(12),
        initial_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(8),
        interval: Duration::from_secs(1),
        concurrency: 4,
    };
    // The server comes up between the round at 7.5 s and the next one.
    let mut progress = |r: &Round, _: &[u32]| {
        if r.at_ms >= 7500.0 {
            on.store(true, SeqCst);
        }
    };
    let out = wait(&p, &opts, &clock, &mut progress).await;
    assert!(out.healthy, "{:?}", clock.sleeps());
    let at: Vec<f64> = out.rounds.iter().map(|r| r.at_ms).collect();
    assert_eq!(at, vec![0.0, 500.0, 1500.0, 3500.0, 7500.0, 12_000.0]);
    assert_eq!(clock.sleeps().last(), Some(&Duration::from_millis(4500)));
}

/// The detection-latency bound: interval 1 s, failure-threshold 3,
/// backend killed mid-watch → tripped within 3.5 s, on the watch's own clock
/// (a manual one: the figure is the loop's, not the machine's speed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_backend_is_detected_within_bound() {
    let (addr, _on, handle) = common::serve_switch().await;
    let p = probes(format!("http://{addr}/health"));
    let opts = WatchOptions {
        duration: Duration::from_secs(30),
        interval: Duration::from_secs(1),
        failure_threshold: 3,
        concurrency: 4,
    };
    let clock = ManualClock::default();
    let mut killed_at: Option<f64> = None;
    let mut handle = Some(handle);
    let mut on_round = |r: &Round| {
        // Kill right after the first round passed (mid-watch), and wait
        // (bounded) until the port refuses: the next round sees it dead.
        if let Some(h) = handle.take() {
            assert!(r.results[0].health.passing());
            h.abort();
            testkit::wait_until(
                "the aborted server to close",
                Duration::from_secs(10),
                || std::net::TcpStream::connect(addr).is_err(),
            );
            killed_at = Some(r.at_ms);
        }
    };
    let out = watch(&p, &opts, &clock, &mut on_round).await;
    let killed_at = killed_at.unwrap();
    let trip = out.tripped.expect("tripped");
    assert_eq!(trip.probe, "svc");
    // Three failing rounds, one interval apart, the first one interval
    // after the kill: tripped 3 s after it, within the 3.5 s bound.
    assert_eq!(trip.first_failure_ms, killed_at + 1000.0, "{trip:?}");
    assert_eq!(trip.at_ms, killed_at + 3000.0, "{trip:?}");
    assert!(trip.at_ms - killed_at <= 3500.0);
}
