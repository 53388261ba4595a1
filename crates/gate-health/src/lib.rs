//! gate-health: health probes with gatus-style conditions, latency budgets,
//! wait-until-healthy and a watch circuit breaker.
//!
//! The library is what other gates reuse (gate-deploy runs [`modes::watch`]
//! after a switch):
//! - [`probe::probe_once`]: one attempt of one [`probe::Probe`] (HTTP(S) with
//!   real timing phases, TCP, DNS, command), judged by its [`expr::Condition`]s
//!   into a three-level [`probe::Health`];
//! - [`modes::probe_round`]: every probe once, with bounded concurrency;
//! - [`modes::wait`]: rounds until every probe passes `success-threshold`
//!   times in a row, with backoff, or a timeout;
//! - [`modes::watch`]: rounds at an interval, returning as soon as a probe
//!   fails `failure-threshold` times in a row.
//!
//! All of them are cancelled by dropping their future; `wait` and `watch`
//! take a [`modes::Clock`] so tests can drive time.

pub mod config;
pub mod dns;
pub mod expr;
pub mod gate;
pub mod gatus;
pub mod modes;
pub mod probe;
pub mod stats;

pub use expr::{Condition, Observation, parse_duration};
pub use modes::{
    Clock, ManualClock, Round, TokioClock, WaitOptions, WaitOutcome, WatchOptions, WatchOutcome,
    probe_round, wait, watch,
};
pub use probe::{Health, Probe, ProbeResult, Target, probe_once};
