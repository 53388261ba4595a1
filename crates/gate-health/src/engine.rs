//! The engine API of gate-health: what other crates (gate-deploy) use.
//! Nothing outside this crate should reach into `gate`, `config`, `collect`
//! or `evaluate`.
//!
//! - Probes: [`Probe`] (a [`Target`] with [`Condition`]s, a timeout and a
//!   latency budget), built from a few settings with [`http_probe`];
//!   [`probe_once`] runs one attempt into a [`ProbeResult`] of three-level
//!   [`Health`].
//! - Conditions: [`Condition`] (gatus syntax) judged against an
//!   [`Observation`].
//! - Rounds: [`probe_round`] runs every probe once with bounded concurrency;
//!   [`wait`] until every probe passes `success-threshold` times in a row;
//!   [`watch`] trips the circuit breaker after `failure-threshold`
//!   consecutive failures. Both take a [`Clock`].
//! - [`breaker`]: the circuit breaker as a pure state machine.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use gate_core::secret::Masker;

use crate::build::{Defaults, build_probe};
use crate::config::ProbeConfig;

pub use crate::breaker;
pub use crate::expr::{Condition, Observation, parse_duration};
pub use crate::modes::{
    Clock, ManualClock, Round, TokioClock, Trip, WaitOptions, WaitOutcome, WatchOptions,
    WatchOutcome, probe_round, wait, watch,
};
pub use crate::probe::{Health, HttpTarget, Probe, ProbeResult, Target, probe_once};

/// An HTTP(S) probe as another gate configures it: a URL and the settings
/// its probes share.
#[derive(Debug, Clone, Default)]
pub struct HttpProbeSpec {
    /// The URL; `${VAR}` reads a variable (masked).
    pub url: String,
    /// Request headers; `${VAR}` in a value reads a variable (masked).
    pub headers: BTreeMap<String, String>,
    /// Conditions, in gatus syntax.
    pub conditions: Vec<String>,
    /// Latency budget (`300ms`), past which a passing probe is degraded.
    pub latency_budget: Option<String>,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// PEM file of extra CA certificates (relative to `repo_root`).
    pub ca_file: Option<String>,
    /// Time limit of one attempt.
    pub timeout: Duration,
}

/// Builds an HTTP(S) probe from `spec`; `at` names it in messages
/// (`deploy.conditions[0] ...`), `get` reads `${VAR}`s (every value used is
/// registered with `masker`). No certificate-expiry warning. All problems
/// at once.
pub fn http_probe(
    spec: &HttpProbeSpec,
    at: &str,
    repo_root: &Path,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
) -> Result<Probe, Vec<String>> {
    let defaults = Defaults {
        probe_timeout: spec.timeout,
        latency_budget: None,
        cert_expiry_warning: Duration::ZERO,
        base_url: None,
        repo_root,
    };
    let latency_budget = match &spec.latency_budget {
        Some(b) => Some(
            b.parse::<gate_core::types::Duration>()
                .map_err(|e| vec![format!("{at}: latency-budget: {e}")])?,
        ),
        None => None,
    };
    let pc = ProbeConfig {
        url: Some(spec.url.clone()),
        headers: spec.headers.clone(),
        conditions: spec.conditions.clone(),
        latency_budget,
        insecure: spec.insecure,
        ca_file: spec.ca_file.clone(),
        ..ProbeConfig::default()
    };
    build_probe(&pc, at, &defaults, get, masker)
}
