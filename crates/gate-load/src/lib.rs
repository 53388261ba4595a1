//! gate-load: an HTTP/1.1 load generator whose verdict is the point.
//!
//! # Library API (used by gate-deploy)
//!
//! ```no_run
//! use std::time::Duration;
//! use gate_load::{Cancel, Endpoint, Scenario, run_scenario};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let url = url::Url::parse("http://127.0.0.1:8080/health")?;
//! // Closed model: 4 users for 2 s (or `Scenario::open(eps, rate, duration, max_connections)`).
//! let mut scenario = Scenario::closed(vec![Endpoint::get(url)], 4, Duration::from_secs(2));
//! scenario.graceful_stop = Duration::from_millis(500);
//! let cancel = Cancel::new(); // `cancel.cancel()` from another task stops the run early
//! let result = run_scenario(&scenario, &cancel).await?;
//! let failed = result.overall.error_count();          // by class in `result.overall.errors`
//! let p99_ms = result.overall.latency.percentile_ms(99.0);
//! # let _ = (failed, p99_ms); Ok(()) }
//! ```
//!
//! - [`Scenario`]: endpoints ([`Endpoint`]: method, URL, headers, body,
//!   weight), a [`Model`] (`Closed { start, stages }` users, or
//!   `Open { start, stages, max_connections, pre_allocated }` requests/s;
//!   [`Stage`]s ramp linearly, a zero-length stage is a step), keep-alive,
//!   request timeout, graceful stop, expected statuses, optional request
//!   budget (`max_requests`).
//! - [`run_scenario`]`(&Scenario, &Cancel) -> Result<LoadResult, LoadError>`
//!   runs on the caller's tokio runtime; [`run_scenario_observed`] also
//!   updates a [`Live`] (atomics: completed, errors, dropped, last-second
//!   p95 and rps) for progress displays. `LoadError` is only an invalid
//!   scenario; failed requests are data.
//! - [`LoadResult`]: `overall` and per-endpoint [`EndpointStats`]
//!   (`requests` completed, `ok`, `errors` by class — `status-4xx`,
//!   `status-5xx`, `connect-refused`, `connect-timeout`, `connect-error`,
//!   `dns`, `reset`, `closed`, `timeout`, `tls`, `protocol`, `other` —,
//!   `statuses`, `interrupted` (in flight at the end: not errors), and the
//!   latency [`Latency`] HDR histogram in µs), `sent`, `dropped` (open
//!   model: arrivals with no free connection, like k6's
//!   dropped_iterations), a per-second `timeline`, and [`GeneratorStats`]
//!   (process CPU, schedule lag, `unreliable` when the generator was the
//!   bottleneck). [`LoadResult::merge`] adds shards exactly.
//! - Latency: closed model from the real send; open model from the
//!   **intended** send time (no coordinated omission). Only requests that
//!   got a response are in the histogram; failures are counted by class.
//! - CPU is the whole process's: in gate-deploy it includes whatever else
//!   the process does during the run.
//!
//! For a zero-failed-requests proof during a switch: run an open-model
//! scenario over the switch window and require
//! `result.overall.error_count() == 0 && result.dropped == 0`.
//!
//! # The gate
//!
//! [`gate::LoadGate`] reads the `load` section of `gates.yml` (see
//! `docs/gates/load.md`, [`config`]), builds the scenario ([`build`]), runs
//! it ([`collect`]), and judges k6-style thresholds ([`evaluate`]);
//! `gate-load merge a.json b.json` judges the merged results of several
//! shards.
//!
//! # Thresholds (used by gate-deploy's smoke)
//!
//! [`threshold::parse`] reads `p(95) < 200ms`-style expressions into an
//! [`Expr`] (or [`Expr::new`] makes one); [`judge`] is the one threshold
//! judge: an expression's statistic ([`Stat::value`]) of a run against its
//! limit.

pub mod baseline;
pub mod build;
pub(crate) mod client;
pub mod collect;
pub mod config;
pub mod engine;
pub mod evaluate;
pub mod gate;
pub mod hist;
pub mod result;
pub mod rules;
pub mod scenario;
pub mod threshold;

pub use engine::{Cancel, Live, LoadError, run_scenario, run_scenario_observed};
pub use gate::LoadGate;
pub use hist::Latency;
pub use result::{EndpointStats, GeneratorStats, LatencySummary, LoadResult, Second};
pub use scenario::{Endpoint, Model, Scenario, Stage, StatusSet, parse_duration};
pub use threshold::{Expr, Judged, Scoped, Stat, judge};
