//! gate-health: health probes with gatus-style conditions, latency budgets,
//! wait-until-healthy and a watch circuit breaker.
//!
//! Other crates use [`engine`] (re-exported here), never `gate` or `config`:
//! - [`probe::probe_once`]: one attempt of one [`probe::Probe`] (HTTP(S) with
//!   real timing phases, TCP, DNS, command), judged by its [`expr::Condition`]s
//!   into a three-level [`probe::Health`]; [`engine::http_probe`] builds an
//!   HTTP(S) probe from a few settings (gate-deploy's slot probes);
//! - [`modes::probe_round`]: every probe once, with bounded concurrency;
//! - [`modes::wait`]: rounds until every probe passes `success-threshold`
//!   times in a row, with backoff, or a timeout (gate-deploy waits for a
//!   slot with it);
//! - [`modes::watch`]: rounds at an interval, returning as soon as a probe
//!   fails `failure-threshold` times in a row;
//! - [`breaker`]: the circuit breaker, a pure state machine (consecutive
//!   failed rounds, or an error rate over a sliding window) that `watch`
//!   runs per probe and gate-deploy runs over its post-switch watch.
//!
//! All of them are cancelled by dropping their future; `wait` and `watch`
//! take a [`modes::Clock`] so tests can drive time.
//!
//! The gate itself: [`config`] (the `health` section and flags), [`rules`],
//! [`build`] (configuration into probes), [`collect`], [`evaluate`] and
//! [`gate`] (the `impl Gate`).

pub mod breaker;
pub mod build;
pub mod collect;
pub mod config;
pub mod dns;
pub mod engine;
pub mod evaluate;
pub mod expr;
pub mod gate;
pub mod gatus;
pub mod modes;
pub mod probe;
pub mod rules;
pub mod stats;

pub use engine::*;
