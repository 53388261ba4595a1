//! Canary on HAProxy weights: the new slot takes a growing share of the
//! requests (`canary.steps`, such as 5 → 25 → 50 → 100 %), each step below
//! 100 % watched for `canary.step-time` by the circuit breaker. A trip at
//! any step aborts: all traffic back on the old slot.
//!
//! [`Canary`] is the pure part: it is told the time and what the breaker
//! said, and answers what to do next. The clock is passed in, so its tests
//! run on a manual clock.

use std::time::{Duration, Instant};

use crate::config::CanaryConfig;

/// What the deploy does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Give the new slot this share of the requests (percent, < 100), then
    /// keep judging.
    Share(u8),
    /// Keep watching the current step.
    Watch,
    /// The last step below 100 % passed: switch all traffic (the whole
    /// switch), then the normal watch window.
    Promote,
    /// The breaker tripped at `share` percent: all traffic back on the old
    /// slot.
    Abort { share: u8, reason: String },
}

/// What the breaker said about one probe round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Not tripped (a failed round the breaker tolerates counts as this).
    Fine,
    Tripped(String),
}

/// The canary's progress through its steps.
#[derive(Debug, Clone)]
pub struct Canary {
    /// The steps below 100 %.
    steps: Vec<u8>,
    step_time: Duration,
    /// Index of the current step and when it started.
    at: Option<(usize, Instant)>,
}

impl Canary {
    pub fn new(cfg: &CanaryConfig) -> Canary {
        Canary {
            steps: cfg.steps.iter().copied().filter(|s| *s < 100).collect(),
            step_time: cfg.step_time.get(),
            at: None,
        }
    }

    /// The share the new slot has now (0 before the start).
    pub fn share(&self) -> u8 {
        self.at.map(|(i, _)| self.steps[i]).unwrap_or(0)
    }

    /// The first move: the first step's share, or straight to the whole
    /// switch when the steps hold only 100.
    pub fn start(&mut self, now: Instant) -> Next {
        match self.steps.first() {
            Some(s) => {
                self.at = Some((0, now));
                Next::Share(*s)
            }
            None => Next::Promote,
        }
    }

    /// After a probe round at `now`: abort on a trip, move to the next step
    /// once this one was watched for `step-time`, else keep watching.
    pub fn round(&mut self, now: Instant, round: Round) -> Next {
        let Some((i, since)) = self.at else {
            return self.start(now);
        };
        if let Round::Tripped(reason) = round {
            return Next::Abort {
                share: self.steps[i],
                reason,
            };
        }
        if now.saturating_duration_since(since) < self.step_time {
            return Next::Watch;
        }
        match self.steps.get(i + 1) {
            Some(s) => {
                self.at = Some((i + 1, now));
                Next::Share(*s)
            }
            None => Next::Promote,
        }
    }

    /// When the current step is over (for the watch of one step).
    pub fn step_ends(&self) -> Option<Instant> {
        self.at.map(|(_, since)| since + self.step_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gate_core::types::Duration as Dur;

    fn cfg(steps: &[u8], secs: u64) -> CanaryConfig {
        CanaryConfig {
            steps: steps.to_vec(),
            step_time: Dur::from_secs(secs),
        }
    }

    #[test]
    fn steps_advance_only_after_step_time_and_end_in_promotion() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let mut c = Canary::new(&cfg(&[5, 25, 50, 100], 10));
        assert_eq!(c.share(), 0);
        assert_eq!(c.start(t0), Next::Share(5));
        assert_eq!(c.round(s(1), Round::Fine), Next::Watch);
        assert_eq!(c.round(s(9), Round::Fine), Next::Watch);
        assert_eq!(c.step_ends(), Some(s(10)));
        assert_eq!(c.round(s(10), Round::Fine), Next::Share(25));
        assert_eq!(c.share(), 25);
        // The step's clock restarts at the move, not at the planned time.
        assert_eq!(c.round(s(19), Round::Fine), Next::Watch);
        assert_eq!(c.round(s(21), Round::Fine), Next::Share(50));
        assert_eq!(c.round(s(30), Round::Fine), Next::Watch);
        assert_eq!(c.round(s(31), Round::Fine), Next::Promote);
    }

    #[test]
    fn a_trip_at_any_step_aborts_at_that_share() {
        for (trip_at, share) in [(3, 5u8), (12, 25), (25, 50)] {
            let t0 = Instant::now();
            let mut c = Canary::new(&cfg(&[5, 25, 50, 100], 10));
            c.start(t0);
            let mut last = Next::Watch;
            for n in 1..=trip_at {
                let r = if n == trip_at {
                    Round::Tripped("3 failed rounds".into())
                } else {
                    Round::Fine
                };
                last = c.round(t0 + Duration::from_secs(n), r);
            }
            assert_eq!(
                last,
                Next::Abort {
                    share,
                    reason: "3 failed rounds".into()
                },
                "trip at {trip_at} s"
            );
        }
    }

    #[test]
    fn only_100_is_a_plain_switch_and_a_round_before_start_starts() {
        let t0 = Instant::now();
        assert_eq!(Canary::new(&cfg(&[100], 10)).start(t0), Next::Promote);
        let mut c = Canary::new(&cfg(&[10, 100], 5));
        assert_eq!(c.round(t0, Round::Fine), Next::Share(10));
        assert_eq!(
            c.round(t0 + Duration::from_secs(5), Round::Fine),
            Next::Promote
        );
    }

    #[test]
    fn step_problems() {
        assert_eq!(cfg(&[5, 25, 50, 100], 1).problem(), None);
        assert!(cfg(&[5, 25], 1).problem().unwrap().contains("last step"));
        assert!(cfg(&[], 1).problem().unwrap().contains("last step"));
        assert!(cfg(&[0, 100], 1).problem().unwrap().contains("1 to 100"));
        assert!(
            cfg(&[50, 25, 100], 1)
                .problem()
                .unwrap()
                .contains("increase")
        );
        assert!(
            cfg(&[50, 50, 100], 1)
                .problem()
                .unwrap()
                .contains("increase")
        );
    }
}
