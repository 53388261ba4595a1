//! Probing over time: one concurrent round, `wait` until healthy, `watch`
//! with a circuit breaker.
//!
//! Every function here is cancelled by dropping its future: probes in flight
//! are aborted (their tasks live in a `JoinSet`) and command probes' child
//! processes are killed. Time goes through a [`Clock`], so tests can drive
//! `wait` and `watch` without real sleeping.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::breaker::{self, Breaker, Step};
use crate::probe::{Probe, ProbeResult, probe_once};

/// Where `wait` and `watch` get the time and sleep.
pub trait Clock: Send + Sync {
    /// Time since an arbitrary, fixed origin.
    fn now(&self) -> Duration;
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real clock (tokio's, so paused test time works too).
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock that only moves when slept on: `sleep(d)` returns at once and
/// advances the time by `d`. For tests of the loops' logic.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Mutex<Duration>,
    slept: Mutex<Vec<Duration>>,
}

impl ManualClock {
    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.slept.lock().map(|s| s.clone()).unwrap_or_default()
    }
    pub fn advance(&self, d: Duration) {
        if let Ok(mut n) = self.now.lock() {
            *n += d;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        self.now.lock().map(|n| *n).unwrap_or_default()
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.advance(d);
        if let Ok(mut s) = self.slept.lock() {
            s.push(d);
        }
        Box::pin(async {})
    }
}

/// One round: every probe once, `at` on the clock when the round started.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    pub at_ms: f64,
    pub results: Vec<ProbeResult>,
}

/// Probes everything once, at most `concurrency` at a time; results in the
/// order of `probes`.
pub async fn probe_round(probes: &Arc<[Probe]>, concurrency: usize) -> Vec<ProbeResult> {
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..probes.len() {
        let probes = Arc::clone(probes);
        let sem = Arc::clone(&sem);
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, probe_once(&probes[i]).await)
        });
    }
    let mut out: Vec<Option<ProbeResult>> = vec![None; probes.len()];
    while let Some(r) = set.join_next().await {
        // A task that panicked leaves its slot empty: reported as failing below.
        if let Ok((i, res)) = r {
            out[i] = Some(res);
        }
    }
    out.into_iter()
        .zip(probes.iter())
        .map(|(r, p)| r.unwrap_or_else(|| internal_failure(p)))
        .collect()
}

fn internal_failure(p: &Probe) -> ProbeResult {
    ProbeResult {
        name: p.name.clone(),
        kind: p.target.kind(),
        target: p.target.display(),
        health: crate::probe::Health::Failing,
        error: Some("the probe task stopped unexpectedly".into()),
        conditions: Vec::new(),
        degraded: Vec::new(),
        phases: crate::probe::Phases::default(),
        status: None,
        http_version: None,
        ip: None,
        redirects: 0,
        certificate_expires_in_s: None,
        output: None,
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// Settings of [`wait`].
#[derive(Debug, Clone)]
pub struct WaitOptions {
    /// Consecutive passing rounds each probe needs.
    pub success_threshold: u32,
    /// Give up after this long.
    pub timeout: Duration,
    /// Pause after a round where something failed; doubles up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Pause between rounds while everything passes (counting up the streaks).
    pub interval: Duration,
    pub concurrency: usize,
}

/// What [`wait`] saw.
#[derive(Debug, Clone, Serialize)]
pub struct WaitOutcome {
    /// Every probe reached its success threshold.
    pub healthy: bool,
    pub rounds: Vec<Round>,
    /// Current passing streak of each probe.
    pub streaks: Vec<u32>,
    pub elapsed_ms: f64,
}

/// Probes in rounds until every probe passed `success_threshold` rounds in a
/// row, or until `timeout`: a pause that would pass the deadline is cut
/// short so that the last round runs at the deadline. `progress` is
/// called after each round with the streaks.
pub async fn wait(
    probes: &Arc<[Probe]>,
    opts: &WaitOptions,
    clock: &dyn Clock,
    progress: &mut (dyn FnMut(&Round, &[u32]) + Send),
) -> WaitOutcome {
    let start = clock.now();
    let threshold = opts.success_threshold.max(1);
    let mut streaks = vec![0u32; probes.len()];
    let mut rounds = Vec::new();
    let mut backoff = opts.initial_backoff;
    loop {
        let at = clock.now() - start;
        let results = probe_round(probes, opts.concurrency).await;
        let mut all_passed = true;
        for (s, r) in streaks.iter_mut().zip(&results) {
            if r.health.passing() {
                *s += 1;
            } else {
                *s = 0;
                all_passed = false;
            }
        }
        let round = Round {
            at_ms: millis(at),
            results,
        };
        progress(&round, &streaks);
        rounds.push(round);
        if streaks.iter().all(|s| *s >= threshold) {
            return WaitOutcome {
                healthy: true,
                rounds,
                streaks,
                elapsed_ms: millis(clock.now() - start),
            };
        }
        let pause = if all_passed {
            backoff = opts.initial_backoff;
            opts.interval
        } else {
            let p = backoff;
            backoff = (backoff * 2).min(opts.max_backoff.max(opts.initial_backoff));
            p
        };
        let elapsed = clock.now() - start;
        if elapsed >= opts.timeout {
            return WaitOutcome {
                healthy: false,
                rounds,
                streaks,
                elapsed_ms: millis(elapsed),
            };
        }
        // The last pause ends at the deadline, where one more round runs.
        clock.sleep(pause.min(opts.timeout - elapsed)).await;
    }
}

/// Settings of [`watch`].
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Watch this long.
    pub duration: Duration,
    /// Start a round every `interval` (a slow round delays the next one).
    pub interval: Duration,
    /// Trip when a probe fails this many rounds in a row.
    pub failure_threshold: u32,
    pub concurrency: usize,
}

/// The breaker opened.
#[derive(Debug, Clone, Serialize)]
pub struct Trip {
    pub probe: String,
    /// Time of the round that tripped, from the start of the watch.
    pub at_ms: f64,
    /// Start of the failing streak.
    pub first_failure_ms: f64,
    /// Other probes that reached the threshold in the same round.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

/// What [`watch`] saw.
#[derive(Debug, Clone, Serialize)]
pub struct WatchOutcome {
    pub tripped: Option<Trip>,
    pub rounds: Vec<Round>,
    pub elapsed_ms: f64,
}

/// Probes every `interval` for `duration`; returns as soon as a probe fails
/// `failure_threshold` rounds in a row (a [`Breaker`] per probe), with
/// `tripped` set. `on_round` is called after each round.
pub async fn watch(
    probes: &Arc<[Probe]>,
    opts: &WatchOptions,
    clock: &dyn Clock,
    on_round: &mut (dyn FnMut(&Round) + Send),
) -> WatchOutcome {
    let start = clock.now();
    let threshold = opts.failure_threshold.max(1);
    let interval = opts.interval.max(Duration::from_millis(1));
    // One consecutive-failures breaker per probe.
    let mut breakers: Vec<Breaker> = probes
        .iter()
        .map(|_| {
            Breaker::new(breaker::Mode::Consecutive {
                trip_after: threshold,
            })
        })
        .collect();
    let mut rounds = Vec::new();
    let mut tick: u32 = 0;
    loop {
        let at = clock.now() - start;
        let results = probe_round(probes, opts.concurrency).await;
        let mut tripped = None;
        for (r, b) in results.iter().zip(&mut breakers) {
            if let Step::Tripped(t) = b.round(millis(at), &[r.health.passing()], "") {
                match &mut tripped {
                    None => {
                        tripped = Some(Trip {
                            probe: r.name.clone(),
                            at_ms: millis(at),
                            first_failure_ms: t.first_failure_ms,
                            also: Vec::new(),
                        })
                    }
                    Some(t) => t.also.push(r.name.clone()),
                }
            }
        }
        let round = Round {
            at_ms: millis(at),
            results,
        };
        on_round(&round);
        rounds.push(round);
        if tripped.is_some() {
            return WatchOutcome {
                tripped,
                rounds,
                elapsed_ms: millis(clock.now() - start),
            };
        }
        tick += 1;
        let next = interval * tick;
        if next > opts.duration {
            return WatchOutcome {
                tripped: None,
                rounds,
                elapsed_ms: millis(clock.now() - start),
            };
        }
        let now = clock.now() - start;
        if next > now {
            clock.sleep(next - now).await;
        }
    }
}
