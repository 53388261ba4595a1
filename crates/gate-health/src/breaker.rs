//! The circuit breaker as a pure state machine: fed probe
//! results in time order, it says when to trip. No I/O, no clock: times are
//! passed in (milliseconds since the run started).
//!
//! Two modes:
//! - **consecutive**: `breaker-trip-after` failed rounds in a row (a round fails when
//!   any of its probes fails);
//! - **error-rate**: a sliding window of the last `window` probe results
//!   (every probe of every round is one sample); trips once the window holds
//!   at least `min_samples` results and more than `max_rate_pct` percent of
//!   them failed. Flapping that never fails `breaker-trip-after` times in a
//!   row still trips it: with the default `error-rate` (25 %), a slot failing
//!   every second probe does.

use std::collections::VecDeque;

/// A configuration that sets a breaker's mode.
pub trait BreakerConfig {
    /// The mode it sets.
    fn breaker_mode(&self) -> Mode;
}

/// The breaker's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Consecutive {
        trip_after: u32,
    },
    ErrorRate {
        window: usize,
        max_rate_pct: f64,
        min_samples: usize,
    },
}

impl Mode {
    /// The mode a configuration sets (gate-deploy's `breaker`,
    /// `breaker-trip-after`, `error-rate`, ...).
    pub fn from_config(cfg: &impl BreakerConfig) -> Mode {
        cfg.breaker_mode()
    }

    /// For the timeline: what trips it.
    pub fn describe(&self) -> String {
        match self {
            Mode::Consecutive { trip_after } => {
                format!("trip after {trip_after} consecutive failed rounds")
            }
            Mode::ErrorRate {
                window,
                max_rate_pct,
                min_samples,
            } => format!(
                "trip when more than {max_rate_pct}% of the last {window} probe results fail (at least {min_samples} results)"
            ),
        }
    }
}

/// Why and when the breaker opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    /// The first failure that counts towards the trip: the start of the
    /// failing streak, or the oldest failure in the window.
    pub first_failure_ms: f64,
    pub reason: String,
}

/// What one round did to the breaker.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Every probe passed.
    Pass {
        /// The streak of failed rounds this round ended (0: none).
        recovered_after: u32,
    },
    /// Something failed, below the trip point; `progress` for the timeline
    /// (`failure 2/3`, `error rate 30% of 10`).
    Fail {
        progress: String,
    },
    Tripped(Trip),
}

/// The breaker's state.
#[derive(Debug, Clone)]
pub struct Breaker {
    mode: Mode,
    streak: u32,
    streak_start_ms: f64,
    /// (time, passed) of the latest results, oldest first.
    window: VecDeque<(f64, bool)>,
}

impl Breaker {
    pub fn new(mode: Mode) -> Breaker {
        Breaker {
            mode,
            streak: 0,
            streak_start_ms: 0.0,
            window: VecDeque::new(),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Feeds one round: its time and whether each probe passed.
    /// `why` is the first failure's description (for the trip reason).
    pub fn round(&mut self, at_ms: f64, passed: &[bool], why: &str) -> Step {
        let failed = passed.iter().filter(|p| !**p).count();
        let round_ok = failed == 0 && !passed.is_empty();
        let was = self.streak;
        if round_ok {
            self.streak = 0;
        } else {
            if self.streak == 0 {
                self.streak_start_ms = at_ms;
            }
            self.streak += 1;
        }
        match self.mode {
            Mode::Consecutive { trip_after } => {
                if round_ok {
                    Step::Pass {
                        recovered_after: was,
                    }
                } else if self.streak >= trip_after {
                    Step::Tripped(Trip {
                        first_failure_ms: self.streak_start_ms,
                        reason: format!(
                            "{} consecutive failed probe rounds (trips after {trip_after}); last: {why}",
                            self.streak
                        ),
                    })
                } else {
                    Step::Fail {
                        progress: format!("failure {}/{trip_after}", self.streak),
                    }
                }
            }
            Mode::ErrorRate {
                window,
                max_rate_pct,
                min_samples,
            } => {
                // An empty round (no probe answered at all) is one failure.
                if passed.is_empty() {
                    self.window.push_back((at_ms, false));
                }
                for p in passed {
                    self.window.push_back((at_ms, *p));
                }
                while self.window.len() > window {
                    self.window.pop_front();
                }
                let n = self.window.len();
                let bad = self.window.iter().filter(|(_, p)| !p).count();
                let rate = 100.0 * bad as f64 / n.max(1) as f64;
                if n >= min_samples && bad > 0 && rate > max_rate_pct {
                    let first = self
                        .window
                        .iter()
                        .find(|(_, p)| !p)
                        .map(|(t, _)| *t)
                        .unwrap_or(at_ms);
                    Step::Tripped(Trip {
                        first_failure_ms: first,
                        reason: format!(
                            "error rate {:.0}% ({bad} of the last {n} probe results failed) is over {max_rate_pct}%; last: {why}",
                            rate
                        ),
                    })
                } else if round_ok {
                    Step::Pass {
                        recovered_after: was,
                    }
                } else {
                    Step::Fail {
                        progress: format!(
                            "error rate {rate:.0}% of {n} result(s) (trips over {max_rate_pct}% with at least {min_samples})"
                        ),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tripped(s: &Step) -> Option<&Trip> {
        match s {
            Step::Tripped(t) => Some(t),
            _ => None,
        }
    }

    #[test]
    fn consecutive_trips_at_trip_after_and_resets_on_a_pass() {
        let mut b = Breaker::new(Mode::Consecutive { trip_after: 3 });
        assert_eq!(
            b.round(0.0, &[false], "x"),
            Step::Fail {
                progress: "failure 1/3".into()
            }
        );
        assert_eq!(
            b.round(100.0, &[false], "x"),
            Step::Fail {
                progress: "failure 2/3".into()
            }
        );
        // A pass resets the streak and reports what it ended.
        assert_eq!(
            b.round(200.0, &[true], ""),
            Step::Pass { recovered_after: 2 }
        );
        assert!(tripped(&b.round(300.0, &[true, false], "y")).is_none());
        assert!(tripped(&b.round(400.0, &[false, true], "y")).is_none());
        let s = b.round(500.0, &[false], "z");
        let t = tripped(&s).expect("third failed round trips");
        assert_eq!(t.first_failure_ms, 300.0);
        assert!(
            t.reason
                .starts_with("3 consecutive failed probe rounds (trips after 3); last: z"),
            "{}",
            t.reason
        );
    }

    #[test]
    fn consecutive_never_trips_on_alternating_failures() {
        let mut b = Breaker::new(Mode::Consecutive { trip_after: 3 });
        for i in 0..100 {
            let s = b.round(f64::from(i), &[i % 2 == 0], "x");
            assert!(tripped(&s).is_none(), "round {i}");
        }
    }

    #[test]
    fn error_rate_trips_on_alternating_failures() {
        // Half the probes fail, never two in a row: over 40% of a window of
        // 10 with at least 6 samples.
        let mut b = Breaker::new(Mode::ErrorRate {
            window: 10,
            max_rate_pct: 40.0,
            min_samples: 6,
        });
        let mut trip_at = None;
        for i in 0..20 {
            let s = b.round(f64::from(i) * 100.0, &[i % 2 == 1], "HTTP 503");
            if let Some(t) = tripped(&s) {
                trip_at = Some((i, t.clone()));
                break;
            }
        }
        let (i, t) = trip_at.expect("trips");
        // Samples 0..=5: 3 of 6 failed (50% > 40%) once the 6th arrives.
        assert_eq!(i, 5);
        assert_eq!(t.first_failure_ms, 0.0);
        assert!(
            t.reason
                .starts_with("error rate 50% (3 of the last 6 probe results failed) is over 40%"),
            "{}",
            t.reason
        );
    }

    #[test]
    fn error_rate_waits_for_min_samples() {
        let mut b = Breaker::new(Mode::ErrorRate {
            window: 20,
            max_rate_pct: 10.0,
            min_samples: 5,
        });
        for i in 0..4 {
            assert!(
                tripped(&b.round(f64::from(i), &[false], "x")).is_none(),
                "sample {i}"
            );
        }
        assert!(tripped(&b.round(4.0, &[false], "x")).is_some());
    }

    #[test]
    fn error_rate_at_the_limit_does_not_trip_and_old_failures_slide_out() {
        let mut b = Breaker::new(Mode::ErrorRate {
            window: 4,
            max_rate_pct: 25.0,
            min_samples: 4,
        });
        // 1 of 4 = 25%: not over 25%.
        for (i, ok) in [false, true, true, true].iter().enumerate() {
            assert!(tripped(&b.round(i as f64, &[*ok], "x")).is_none());
        }
        // The old failure slides out; a new one is again 1 of 4.
        assert!(tripped(&b.round(4.0, &[false], "x")).is_none());
        assert!(tripped(&b.round(5.0, &[true], "x")).is_none());
        // A second failure within the window: 2 of 4 = 50%.
        let s = b.round(6.0, &[false], "x");
        let t = tripped(&s).expect("trips");
        assert_eq!(
            t.first_failure_ms, 4.0,
            "oldest failure still in the window"
        );
    }

    #[test]
    fn error_rate_counts_every_probe_of_a_round() {
        let mut b = Breaker::new(Mode::ErrorRate {
            window: 6,
            max_rate_pct: 50.0,
            min_samples: 6,
        });
        assert!(tripped(&b.round(0.0, &[true, false, false], "x")).is_none());
        // 4 of 6 failed = 67%.
        let s = b.round(1.0, &[true, false, false], "x");
        assert!(tripped(&s).is_some());
    }

    #[test]
    fn healthy_stream_never_trips_either_mode() {
        for mode in [
            Mode::Consecutive { trip_after: 1 },
            Mode::ErrorRate {
                window: 5,
                max_rate_pct: 0.0,
                min_samples: 1,
            },
        ] {
            let mut b = Breaker::new(mode);
            for i in 0..50 {
                assert_eq!(
                    b.round(f64::from(i), &[true, true], ""),
                    Step::Pass { recovered_after: 0 }
                );
            }
        }
    }
}
