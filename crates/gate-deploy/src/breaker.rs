//! The post-switch circuit breaker is gate-health's
//! ([`gate_health::breaker`]): a pure state machine fed probe rounds, in
//! `consecutive` or `error-rate` mode. This module reads its mode from the
//! `deploy` section.

pub use gate_health::breaker::{Breaker, BreakerConfig, Mode, Step, Trip};

use crate::config::{BreakerKind, DeployConfig};

impl BreakerConfig for DeployConfig {
    /// `breaker: consecutive` trips after `breaker-trip-after` failed rounds
    /// in a row; `breaker: error-rate` over `error-rate` percent of the last
    /// `error-window` results (at least `error-min-samples`).
    fn breaker_mode(&self) -> Mode {
        let cfg = self;
        match cfg.breaker {
            BreakerKind::Consecutive => Mode::Consecutive {
                trip_after: cfg.trip_after(),
            },
            BreakerKind::ErrorRate => Mode::ErrorRate {
                window: cfg.error_window.max(1) as usize,
                max_rate_pct: cfg.error_rate.get(),
                min_samples: cfg.error_min_samples.max(1) as usize,
            },
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

    /// The documented case, with the defaults of `gates.yml`: a slot
    /// failing every second probe (50 %) trips the `error-rate` breaker.
    #[test]
    fn the_default_error_rate_trips_on_every_second_probe_failing() {
        let cfg = DeployConfig {
            breaker: BreakerKind::ErrorRate,
            ..DeployConfig::default()
        };
        let mode = Mode::from_config(&cfg);
        assert_eq!(
            mode,
            Mode::ErrorRate {
                window: 20,
                max_rate_pct: 25.0,
                min_samples: 10,
            }
        );
        for first_ok in [true, false] {
            let mut b = Breaker::new(mode);
            let trip = (0..65).find_map(|i| {
                let ok = (i % 2 == 0) == first_ok;
                tripped(&b.round(f64::from(i) * 200.0, &[ok], "HTTP 503")).cloned()
            });
            let t = trip.expect("every second probe failing trips the default breaker");
            assert!(t.reason.contains("is over 25%"), "{}", t.reason);
        }
        // Also when the failures are one probe of two per round (the slot
        // fails, the public URL passes): 50 % again.
        let mut b = Breaker::new(mode);
        let trip = (0..65).find_map(|i| {
            tripped(&b.round(f64::from(i) * 200.0, &[false, true], "HTTP 503")).cloned()
        });
        assert!(trip.is_some());
        // Every third probe failing (33 %) trips it too.
        let mut b = Breaker::new(mode);
        assert!((0..65).any(|i| tripped(&b.round(f64::from(i), &[i % 3 != 0], "x")).is_some()));
    }

    #[test]
    fn the_default_error_rate_lets_a_stray_failure_pass() {
        let cfg = DeployConfig {
            breaker: BreakerKind::ErrorRate,
            ..DeployConfig::default()
        };
        let mut b = Breaker::new(Mode::from_config(&cfg));
        // One failure in every ten probes (10 %), for a long watch.
        for i in 0..200 {
            let s = b.round(f64::from(i), &[i % 10 != 3], "x");
            assert!(tripped(&s).is_none(), "round {i}");
        }
    }

    #[test]
    fn trip_after_reads_the_deprecated_threshold_and_the_new_key_wins() {
        let mut cfg = DeployConfig::default();
        assert_eq!(Mode::from_config(&cfg), Mode::Consecutive { trip_after: 3 });
        cfg.threshold = Some(5);
        assert_eq!(Mode::from_config(&cfg), Mode::Consecutive { trip_after: 5 });
        assert_eq!(cfg.deprecations("deploy").len(), 1);
        assert!(cfg.deprecations("deploy")[0].contains("breaker-trip-after: 5"));
        cfg.breaker_trip_after = Some(2);
        assert_eq!(Mode::from_config(&cfg), Mode::Consecutive { trip_after: 2 });
        assert!(cfg.deprecations("deploy")[0].contains("ignored"));
    }
}
