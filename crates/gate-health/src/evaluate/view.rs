//! One probe as `evaluate` sees it: its configuration and its results.

use crate::collect::{HealthInput, ProbeInfo};
use crate::probe::{Health, ProbeResult};
use crate::stats::percentiles;

/// A probe and its history across the rounds.
pub struct ProbeView<'a> {
    pub info: &'a ProbeInfo,
    /// Its result in every round, in order.
    pub history: Vec<&'a ProbeResult>,
    /// Its result in the last round.
    pub last: Option<&'a ProbeResult>,
    /// Latencies of the attempts that got an answer.
    pub latencies: Vec<f64>,
    /// Rounds it failed.
    pub failures: usize,
    /// p50 and p95 of `latencies`.
    pub pct: Option<(f64, f64)>,
    /// `probe `name` (target)`, for messages.
    pub what: String,
}

impl<'a> ProbeView<'a> {
    /// The `i`th probe of `input`.
    pub fn new(input: &'a HealthInput, i: usize, info: &'a ProbeInfo) -> Self {
        let history: Vec<&ProbeResult> = input
            .rounds
            .iter()
            .filter_map(|r| r.results.get(i))
            .collect();
        let last = input.rounds.last().and_then(|r| r.results.get(i));
        let latencies: Vec<f64> = history
            .iter()
            .filter(|r| r.error.is_none())
            .map(|r| r.phases.total)
            .collect();
        let failures = history.iter().filter(|r| !r.health.passing()).count();
        let pct = percentiles(&latencies);
        ProbeView {
            info,
            history,
            last,
            latencies,
            failures,
            pct,
            what: format!("probe `{}` ({})", info.name, info.target),
        }
    }

    /// The report's key of its findings.
    pub fn key(&self) -> String {
        self.info.name.clone()
    }

    /// Health of its last result (failing without one).
    pub fn last_health(&self) -> Health {
        self.last.map_or(Health::Failing, |r| r.health)
    }
}
