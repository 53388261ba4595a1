//! What a run measured: per-endpoint counts, error classes and latency
//! histograms, a per-second timeline and the generator's own load. The JSON
//! form is the report's `details`; [`LoadResult::merge`] combines shards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::hist::Latency;

/// Error classes (keys of `errors`).
pub mod class {
    pub const CONNECT_REFUSED: &str = "connect-refused";
    pub const CONNECT_TIMEOUT: &str = "connect-timeout";
    pub const CONNECT: &str = "connect-error";
    pub const DNS: &str = "dns";
    pub const RESET: &str = "reset";
    pub const CLOSED: &str = "closed";
    pub const TIMEOUT: &str = "timeout";
    pub const TLS: &str = "tls";
    pub const PROTOCOL: &str = "protocol";
    pub const OTHER: &str = "other";

    /// `status-4xx`, `status-5xx`, ... for an unexpected status.
    pub fn status(code: u16) -> String {
        format!("status-{}xx", code / 100)
    }
}

/// Latency figures in milliseconds, for readers of the JSON who do not
/// decode histograms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub min: f64,
    pub avg: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl LatencySummary {
    pub fn of(h: &Latency) -> Self {
        LatencySummary {
            min: h.min_ms(),
            avg: round3(h.mean_ms()),
            p50: h.percentile_ms(50.0),
            p90: h.percentile_ms(90.0),
            p95: h.percentile_ms(95.0),
            p99: h.percentile_ms(99.0),
            max: h.max_ms(),
        }
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Counts and latency of one endpoint (or of all: `overall`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointStats {
    pub name: String,
    /// Requests that completed, with a response or an error (interrupted
    /// ones excluded).
    pub requests: u64,
    /// Responses with an expected status.
    pub ok: u64,
    /// Failed requests by class (`status-5xx`, `connect-refused`, `timeout`, ...).
    pub errors: BTreeMap<String, u64>,
    /// Responses by status code (expected or not).
    pub statuses: BTreeMap<u16, u64>,
    /// Requests still in flight when the test ended (not errors).
    pub interrupted: u64,
    pub bytes_received: u64,
    /// Open model: arrivals for this endpoint that found no free connection
    /// (failures: counted in `error_rate`).
    #[serde(default)]
    pub dropped: u64,
    /// Latency of successful requests (an expected status), µs, HDR
    /// V2-deflate base64.
    pub latency: Latency,
    /// The same latency in ms (informational; recomputed on merge).
    pub latency_ms: LatencySummary,
    /// Latency of failed requests (unexpected status, connection error,
    /// timeout: until the failure), kept apart as k6 does.
    #[serde(default)]
    pub failed_latency: Latency,
    #[serde(default)]
    pub failed_latency_ms: LatencySummary,
    /// One example error message per class.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub examples: BTreeMap<String, String>,
}

impl EndpointStats {
    pub fn new(name: impl Into<String>) -> Self {
        EndpointStats {
            name: name.into(),
            ..EndpointStats::default()
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Failures (failed requests and dropped arrivals) / (completed
    /// requests and dropped arrivals), 0 to 1.
    pub fn error_rate(&self) -> f64 {
        let all = self.requests + self.dropped;
        if all == 0 {
            0.0
        } else {
            (self.error_count() + self.dropped) as f64 / all as f64
        }
    }

    pub fn add(&mut self, other: &EndpointStats) {
        self.requests += other.requests;
        self.ok += other.ok;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.statuses {
            *self.statuses.entry(*k).or_default() += v;
        }
        for (k, v) in &other.examples {
            self.examples.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self.interrupted += other.interrupted;
        self.dropped += other.dropped;
        self.bytes_received += other.bytes_received;
        self.latency.add(&other.latency);
        self.failed_latency.add(&other.failed_latency);
        self.refresh();
    }

    pub(crate) fn refresh(&mut self) {
        self.latency_ms = LatencySummary::of(&self.latency);
        self.failed_latency_ms = LatencySummary::of(&self.failed_latency);
    }
}

/// One second of the run (by completion time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Second {
    /// Seconds since the start.
    pub t: u32,
    pub requests: u64,
    pub errors: u64,
    /// Latency of that second (2 significant digits).
    pub latency: Latency,
}

impl Second {
    pub fn new(t: u32) -> Self {
        Second {
            t,
            requests: 0,
            errors: 0,
            latency: Latency::new(2),
        }
    }

    pub fn add(&mut self, other: &Second) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.latency.add(&other.latency);
    }
}

/// The generator's own load, to tell whether it was the bottleneck.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorStats {
    /// CPU time of the whole process during the run (user + system), s.
    pub cpu_seconds: f64,
    /// `cpu_seconds` / wall time, in percent of one core.
    pub cpu_percent: f64,
    /// Cores the generator could use (runtime worker threads, capped by
    /// the machine).
    pub cores: u32,
    /// Open model: largest lateness of a send versus its intended time, ms.
    pub max_schedule_lag_ms: f64,
    /// Open model: sends more than 10 ms late because the generator was busy.
    pub late_sends: u64,
    /// Peak resident memory of the process, bytes (0 when unknown).
    pub peak_rss_bytes: u64,
    /// Whether the generator itself was the bottleneck.
    pub unreliable: bool,
    /// Why, for people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// Result of one run (or of merged shards).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadResult {
    /// `closed` or `open`.
    pub model: String,
    /// Wall time of the load phase, s (merged: the longest shard).
    pub duration_s: f64,
    /// Requests sent (completed + interrupted).
    pub sent: u64,
    /// Open model: arrivals that found no free connection (like k6's
    /// dropped_iterations).
    pub dropped: u64,
    pub overall: EndpointStats,
    pub endpoints: Vec<EndpointStats>,
    pub timeline: Vec<Second>,
    pub generator: GeneratorStats,
    /// How many runs were merged into this one (1 for a single run).
    pub shards: u32,
}

impl LoadResult {
    /// Successful requests per second over the run (failed connections
    /// are not served requests); for merged shards (run in parallel) the
    /// sum of their throughputs over the longest one.
    pub fn rps(&self) -> f64 {
        if self.duration_s <= 0.0 {
            0.0
        } else {
            self.overall.ok as f64 / self.duration_s
        }
    }

    /// Merges shards that ran at the same time (a matrix): counts and
    /// histograms add up exactly, endpoints match by name, timelines by
    /// second; the duration is the longest.
    pub fn merge(parts: &[LoadResult]) -> Option<LoadResult> {
        let first = parts.first()?;
        let mut out = LoadResult {
            model: first.model.clone(),
            duration_s: 0.0,
            sent: 0,
            dropped: 0,
            overall: EndpointStats::new("overall"),
            endpoints: Vec::new(),
            timeline: Vec::new(),
            generator: GeneratorStats::default(),
            shards: 0,
        };
        let mut timeline: BTreeMap<u32, Second> = BTreeMap::new();
        for p in parts {
            if p.model != out.model {
                out.model = "mixed".into();
            }
            out.duration_s = out.duration_s.max(p.duration_s);
            out.sent += p.sent;
            out.dropped += p.dropped;
            out.overall.add(&p.overall);
            for e in &p.endpoints {
                match out.endpoints.iter_mut().find(|x| x.name == e.name) {
                    Some(x) => x.add(e),
                    None => {
                        let mut x = EndpointStats::new(e.name.clone());
                        x.add(e);
                        out.endpoints.push(x);
                    }
                }
            }
            for s in &p.timeline {
                timeline
                    .entry(s.t)
                    .or_insert_with(|| Second::new(s.t))
                    .add(s);
            }
            let g = &p.generator;
            out.generator.cpu_seconds += g.cpu_seconds;
            out.generator.cpu_percent = out.generator.cpu_percent.max(g.cpu_percent);
            out.generator.cores = out.generator.cores.max(g.cores);
            out.generator.max_schedule_lag_ms =
                out.generator.max_schedule_lag_ms.max(g.max_schedule_lag_ms);
            out.generator.late_sends += g.late_sends;
            out.generator.peak_rss_bytes = out.generator.peak_rss_bytes.max(g.peak_rss_bytes);
            if g.unreliable {
                out.generator.unreliable = true;
                let n = out.shards + p.shards.max(1);
                out.generator
                    .reasons
                    .extend(g.reasons.iter().map(|r| format!("shard {n}: {r}")));
            }
            out.shards += p.shards.max(1);
        }
        out.timeline = timeline.into_values().collect();
        Some(out)
    }
}
