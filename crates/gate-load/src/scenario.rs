//! What to run: endpoints, the load model (closed or open) and its stages.
//!
//! A [`Scenario`] is plain data; `gate.rs` builds one from `gates.yml` and
//! flags, gate-deploy builds its own. [`crate::engine::run_scenario`] runs it.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use hyper::body::Bytes;

/// One request the generator sends (picked by weight).
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Name in the report (`GET /health` when not given).
    pub name: String,
    pub method: Method,
    /// Absolute `http://` or `https://` URL.
    pub url: url::Url,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// Relative weight (≥ 1).
    pub weight: u32,
}

impl Endpoint {
    /// A `GET` of `url` with weight 1, named `GET <path>`.
    pub fn get(url: url::Url) -> Self {
        let name = format!("GET {}", url.path());
        Endpoint {
            name,
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: Bytes::new(),
            weight: 1,
        }
    }
}

/// A piece of a ramp: go linearly from the previous target to `target`
/// over `duration` (a zero duration is a step).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stage {
    pub duration: Duration,
    /// Users (closed model) or requests per second (open model).
    pub target: f64,
}

/// How load is applied.
#[derive(Clone, Debug, PartialEq)]
pub enum Model {
    /// `users` connections each send a request, wait for the answer, send
    /// the next. The number of users follows the stages from `start`.
    Closed { start: f64, stages: Vec<Stage> },
    /// Requests arrive on a schedule whatever the server does; the rate
    /// follows the stages from `start` (requests/s). Up to
    /// `max_connections` requests are in flight; an arrival with none free
    /// is `dropped`. Latency counts from the *intended* send time.
    Open {
        start: f64,
        stages: Vec<Stage>,
        max_connections: usize,
        /// Connections (workers) created before the first arrival.
        pre_allocated: usize,
    },
}

impl Model {
    pub fn name(&self) -> &'static str {
        match self {
            Model::Closed { .. } => "closed",
            Model::Open { .. } => "open",
        }
    }

    pub fn stages(&self) -> &[Stage] {
        match self {
            Model::Closed { stages, .. } | Model::Open { stages, .. } => stages,
        }
    }

    fn start(&self) -> f64 {
        match self {
            Model::Closed { start, .. } | Model::Open { start, .. } => *start,
        }
    }

    /// Total duration of the stages.
    pub fn duration(&self) -> Duration {
        self.stages().iter().map(|s| s.duration).sum()
    }

    /// Users or rate at `elapsed` since the start (linear within a stage).
    pub fn target_at(&self, elapsed: Duration) -> f64 {
        let mut from = self.start();
        let mut t = elapsed;
        for s in self.stages() {
            if t < s.duration {
                let f = t.as_secs_f64() / s.duration.as_secs_f64();
                return from + (s.target - from) * f;
            }
            t -= s.duration;
            from = s.target;
        }
        from
    }

    /// Largest target over the run (users or rate).
    pub fn peak(&self) -> f64 {
        self.stages()
            .iter()
            .map(|s| s.target)
            .fold(self.start(), f64::max)
    }
}

/// Which HTTP statuses count as success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSet(pub Vec<(u16, u16)>);

impl Default for StatusSet {
    /// 200–399.
    fn default() -> Self {
        StatusSet(vec![(200, 399)])
    }
}

impl StatusSet {
    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|(a, b)| (*a..=*b).contains(&status))
    }

    /// Parses `200`, `200-299`, `2xx` items.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, String> {
        let mut out = Vec::new();
        for item in items {
            for part in item
                .as_ref()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                out.push(parse_status_range(part)?);
            }
        }
        if out.is_empty() {
            return Ok(StatusSet::default());
        }
        Ok(StatusSet(out))
    }
}

fn parse_status_range(part: &str) -> Result<(u16, u16), String> {
    let status = |s: &str| -> Result<u16, String> {
        match s.trim().parse::<u16>() {
            Ok(v) if (100..=599).contains(&v) => Ok(v),
            _ => Err(format!(
                "`{part}` is not a status: use a code (200), a range (200-299) or a class (2xx)"
            )),
        }
    };
    let lower = part.to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx") {
        let c = status(&format!("{class}00"))?;
        return Ok((c, c + 99));
    }
    match part.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (status(a)?, status(b)?);
            if a > b {
                return Err(format!("`{part}`: the range is reversed; write {b}-{a}"));
            }
            Ok((a, b))
        }
        None => {
            let s = status(part)?;
            Ok((s, s))
        }
    }
}

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub endpoints: Vec<Endpoint>,
    pub model: Model,
    /// Reuse connections (HTTP/1.1 keep-alive); off sends `Connection: close`
    /// and opens a connection per request.
    pub keep_alive: bool,
    /// Whole-request timeout (connect, send, response, body).
    pub timeout: Duration,
    /// How long requests in flight at the end may take to finish; those
    /// still running then are `interrupted` (not errors).
    pub graceful_stop: Duration,
    /// Statuses that count as success.
    pub expected: StatusSet,
    /// Stop after this many requests were sent (both models).
    pub max_requests: Option<u64>,
    /// PEM CA certificates trusted for `https://` besides the Mozilla roots.
    pub extra_ca: Vec<Vec<u8>>,
    /// Accept any certificate for `https://` (not authenticated).
    pub insecure: bool,
}

impl Scenario {
    /// A closed-model scenario: `users` users for `duration`, no ramp-up.
    pub fn closed(endpoints: Vec<Endpoint>, users: u32, duration: Duration) -> Self {
        Scenario {
            endpoints,
            model: Model::Closed {
                start: f64::from(users),
                stages: vec![Stage {
                    duration,
                    target: f64::from(users),
                }],
            },
            keep_alive: true,
            timeout: Duration::from_secs(10),
            graceful_stop: Duration::from_secs(5),
            expected: StatusSet::default(),
            max_requests: None,
            extra_ca: Vec::new(),
            insecure: false,
        }
    }

    /// An open-model scenario: `rate` requests/s for `duration`, at most
    /// `max_connections` in flight.
    pub fn open(
        endpoints: Vec<Endpoint>,
        rate: f64,
        duration: Duration,
        max_connections: usize,
    ) -> Self {
        let mut s = Scenario::closed(endpoints, 1, duration);
        s.model = Model::Open {
            start: rate,
            stages: vec![Stage {
                duration,
                target: rate,
            }],
            max_connections,
            pre_allocated: max_connections.min((rate.ceil() as usize).clamp(1, 100)),
        };
        s
    }
}

/// Parses a duration as gate-core does (`250ms`, `2s`, `1m30s`, `500us`),
/// up to one year. A bare number is refused (it used to be seconds here):
/// write `30s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let d = gate_core::units::parse_duration(t)?;
    secs_to_duration(d.as_secs_f64(), t)
}

fn secs_to_duration(secs: f64, t: &str) -> Result<Duration, String> {
    if !secs.is_finite() || !(0.0..=31_536_000.0).contains(&secs) {
        return Err(format!("`{t}` is not a duration between 0 and one year"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("10 parsecs").is_err());
        let e = parse_duration("5").unwrap_err();
        assert!(e.contains("5s"), "{e}");
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn statuses() {
        let s = StatusSet::parse(&["2xx", "404", "300-302"]).unwrap();
        assert!(s.contains(204) && s.contains(404) && s.contains(301));
        assert!(!s.contains(500) && !s.contains(303));
        assert!(StatusSet::parse(&["99"]).is_err());
        assert!(StatusSet::parse(&["500-400"]).is_err());
        assert_eq!(StatusSet::parse::<&str>(&[]).unwrap(), StatusSet::default());
    }

    #[test]
    fn ramps_are_linear_and_steps_are_immediate() {
        let m = Model::Open {
            start: 0.0,
            stages: vec![
                Stage {
                    duration: Duration::from_secs(10),
                    target: 100.0,
                },
                Stage {
                    duration: Duration::ZERO,
                    target: 500.0,
                },
                Stage {
                    duration: Duration::from_secs(5),
                    target: 500.0,
                },
            ],
            max_connections: 10,
            pre_allocated: 1,
        };
        assert_eq!(m.target_at(Duration::from_secs(5)), 50.0);
        assert_eq!(m.target_at(Duration::from_secs(10)), 500.0);
        assert_eq!(m.target_at(Duration::from_secs(14)), 500.0);
        assert_eq!(m.duration(), Duration::from_secs(15));
        assert_eq!(m.peak(), 500.0);
    }
}
