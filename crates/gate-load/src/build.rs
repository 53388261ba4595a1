//! Turning the `load` section into a [`Scenario`] and its thresholds,
//! validating it whole: every problem names its key.

use std::time::Duration;

use gate_core::GateError;
use http::{HeaderName, HeaderValue, Method};
use hyper::body::Bytes;

use crate::config::{EndpointConfig, LoadConfig, ModelChoice, Profile};
use gate_core::types::Header;

use crate::scenario::{Endpoint, Model, Scenario, Stage, StatusSet};
use crate::threshold::{self, Scoped};

fn cfg_err(key: &str, msg: impl std::fmt::Display) -> GateError {
    GateError::Config(vec![format!("load.{key}: {msg}")])
}

/// Parses every threshold of the configuration; all problems at once, each
/// with its key path and column.
pub fn parse_thresholds(cfg: &LoadConfig) -> Result<Vec<Scoped>, GateError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut one = |key: String, text: &str, endpoint: Option<String>| match threshold::parse(text) {
        Ok(expr) => out.push(Scoped { endpoint, expr }),
        Err(e) => problems.push(format!("load.{key}: `{text}`: {e}")),
    };
    for (i, t) in cfg.thresholds.iter().enumerate() {
        one(format!("thresholds[{i}]"), t, None);
    }
    for (j, ep) in cfg.endpoints.iter().enumerate() {
        for (i, t) in ep.thresholds.iter().enumerate() {
            one(
                format!("endpoints[{j}].thresholds[{i}]"),
                t,
                Some(endpoint_name(ep)),
            );
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(GateError::Config(problems))
    }
}

fn endpoint_name(ep: &EndpointConfig) -> String {
    ep.name.clone().unwrap_or_else(|| {
        let path = url::Url::parse(&ep.url)
            .map(|u| u.path().to_string())
            .unwrap_or_else(|_| ep.url.clone());
        format!("{} {path}", ep.method.to_ascii_uppercase())
    })
}

/// A duration key's value (checked and parsed at load time), at most a year.
fn duration_key(key: &str, d: gate_core::types::Duration) -> Result<Duration, GateError> {
    if d.get() > Duration::from_secs(31_536_000) {
        return Err(cfg_err(key, format!("`{d}` is more than one year")));
    }
    Ok(d.get())
}

fn parse_header(key: &str, h: &Header) -> Result<(HeaderName, HeaderValue), GateError> {
    let name = HeaderName::from_bytes(h.name.as_bytes())
        .map_err(|_| cfg_err(key, format!("`{}` is not a header name", h.name)))?;
    let value = HeaderValue::from_str(&h.value).map_err(|_| {
        cfg_err(
            key,
            format!(
                "the value of `{}` has characters a header cannot hold",
                h.name
            ),
        )
    })?;
    Ok((name, value))
}

fn parse_url(key: &str, base: Option<&url::Url>, text: &str) -> Result<url::Url, GateError> {
    let parsed = match url::Url::parse(text) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => match base {
            Some(b) => b
                .join(text)
                .map_err(|e| cfg_err(key, format!("`{text}`: {e}")))?,
            None => {
                return Err(cfg_err(
                    key,
                    format!(
                        "`{text}` is relative: give an absolute http:// URL or set load.target"
                    ),
                ));
            }
        },
        Err(e) => return Err(cfg_err(key, format!("`{text}` is not a URL: {e}"))),
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(cfg_err(
            key,
            format!("`{text}`: only http:// and https:// URLs with a host are supported"),
        ));
    }
    Ok(parsed)
}

/// Builds the scenario a configuration describes (validating it whole).
pub fn scenario_from_config(cfg: &LoadConfig) -> Result<Scenario, GateError> {
    let base = match &cfg.target {
        Some(t) => Some(parse_url("target", None, t.as_str())?),
        None => None,
    };
    let endpoints = endpoints(cfg, base.as_ref())?;
    let expected =
        StatusSet::parse(&cfg.expected_statuses).map_err(|e| cfg_err("expected-statuses", e))?;
    let timeout = duration_key("timeout", cfg.timeout)?;
    if timeout.is_zero() {
        return Err(cfg_err("timeout", "must be more than 0"));
    }
    let graceful_stop = duration_key("graceful-stop", cfg.graceful_stop)?;
    let duration = cfg
        .duration
        .map(|d| duration_key("duration", d))
        .transpose()?;
    if duration.is_some_and(|d| d.is_zero()) {
        return Err(cfg_err("duration", "must be more than 0"));
    }
    let ramp_up = cfg
        .ramp_up
        .map(|d| duration_key("ramp-up", d))
        .transpose()?
        .unwrap_or_default();
    let profile = cfg.profile.unwrap_or(if !cfg.stages.is_empty() {
        Profile::Stages
    } else if cfg.users.is_some() || cfg.rate.is_some() || cfg.duration.is_some() {
        Profile::Sustained
    } else {
        Profile::Smoke
    });
    let open = match cfg.model {
        Some(ModelChoice::Open) => true,
        Some(ModelChoice::Closed) => false,
        None => cfg.rate.is_some(),
    };
    if open && profile != Profile::Stages && cfg.rate.is_none() {
        return Err(cfg_err(
            "rate",
            "the open model needs a rate (requests per second)",
        ));
    }
    if let Some(r) = cfg.rate
        && !(r.is_finite() && r > 0.0)
    {
        return Err(cfg_err("rate", "must be more than 0"));
    }
    let base_load = if open {
        cfg.rate.unwrap_or(0.0)
    } else {
        f64::from(cfg.users.unwrap_or(match profile {
            Profile::Smoke => 1,
            _ => 50,
        }))
    };
    let mut max_requests = cfg.requests;
    let (start, stages) = stages(
        cfg,
        profile,
        open,
        base_load,
        (duration, ramp_up),
        &mut max_requests,
    )?;
    let model = model(cfg, open, start, stages);
    let scenario = Scenario {
        endpoints,
        model,
        keep_alive: cfg.keep_alive,
        timeout,
        graceful_stop,
        expected,
        max_requests,
        // The CA file is read by `collect`, relative to the repository.
        extra_ca: Vec::new(),
        insecure: cfg.insecure,
    };
    if scenario.model.duration().is_zero() {
        return Err(cfg_err("stages", "the stages add up to no time at all"));
    }
    if scenario.model.peak() <= 0.0 {
        return Err(cfg_err(
            "stages",
            "every target is 0: nothing would be sent",
        ));
    }
    Ok(scenario)
}

/// The endpoints: `urls` (with the common method, body and headers), then
/// `endpoints`, else the target itself; names distinct.
fn endpoints(cfg: &LoadConfig, base: Option<&url::Url>) -> Result<Vec<Endpoint>, GateError> {
    let mut common_headers = Vec::new();
    for (i, h) in cfg.headers.iter().enumerate() {
        common_headers.push(parse_header(&format!("headers[{i}]"), h)?);
    }
    let mut endpoints = Vec::new();
    let urls_method = match &cfg.method {
        None => Method::GET,
        Some(m) => Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| cfg_err("method", format!("`{m}` is not an HTTP method")))?,
    };
    for (i, u) in cfg.urls.iter().enumerate() {
        let url = parse_url(&format!("urls[{i}]"), base, u.trim())?;
        let mut e = Endpoint::get(url);
        e.method = urls_method.clone();
        e.body = Bytes::from(cfg.body.clone().unwrap_or_default());
        e.headers = common_headers.clone();
        endpoints.push(e);
    }
    for (i, ep) in cfg.endpoints.iter().enumerate() {
        let key = format!("endpoints[{i}]");
        let url = parse_url(&format!("{key}.url"), base, ep.url.trim())?;
        let method =
            Method::from_bytes(ep.method.trim().to_ascii_uppercase().as_bytes()).map_err(|_| {
                cfg_err(
                    &format!("{key}.method"),
                    format!("`{}` is not an HTTP method", ep.method),
                )
            })?;
        let mut headers = common_headers.clone();
        for (j, h) in ep.headers.iter().enumerate() {
            headers.push(parse_header(&format!("{key}.headers[{j}]"), h)?);
        }
        if ep.weight == 0 {
            return Err(cfg_err(&format!("{key}.weight"), "must be at least 1"));
        }
        endpoints.push(Endpoint {
            name: endpoint_name(ep),
            method,
            url,
            headers,
            body: Bytes::from(ep.body.clone().unwrap_or_default()),
            weight: ep.weight,
        });
    }
    if endpoints.is_empty() {
        if let Some(b) = base.cloned() {
            endpoints.push(Endpoint::get(b));
        } else {
            return Err(cfg_err(
                "urls",
                "nothing to load: give --url URL, load.urls, load.endpoints or load.target",
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for e in &endpoints {
        if !seen.insert(e.name.clone()) {
            return Err(cfg_err(
                "endpoints",
                format!(
                    "two endpoints are named `{}`: give each a distinct `name`",
                    e.name
                ),
            ));
        }
    }
    Ok(endpoints)
}

/// The start and stages of the profile; `smoke` also caps the requests.
fn stages(
    cfg: &LoadConfig,
    profile: Profile,
    open: bool,
    base_load: f64,
    (duration, ramp_up): (Option<Duration>, Duration),
    max_requests: &mut Option<u64>,
) -> Result<(f64, Vec<Stage>), GateError> {
    Ok(match profile {
        Profile::Smoke => {
            if max_requests.is_none() {
                *max_requests = Some(10);
            }
            let d = duration.unwrap_or(Duration::from_secs(30));
            (
                base_load,
                vec![Stage {
                    duration: d,
                    target: base_load,
                }],
            )
        }
        Profile::Sustained => {
            let d = duration.unwrap_or(Duration::from_secs(300));
            if open || ramp_up.is_zero() {
                (
                    base_load,
                    vec![Stage {
                        duration: d,
                        target: base_load,
                    }],
                )
            } else {
                (
                    0.0,
                    vec![
                        Stage {
                            duration: ramp_up,
                            target: base_load,
                        },
                        Stage {
                            duration: d,
                            target: base_load,
                        },
                    ],
                )
            }
        }
        Profile::Burst => burst_stages(cfg, base_load, duration)?,
        Profile::Stages => listed_stages(cfg, open)?,
    })
}

/// `burst`: the base load, a step up to `burst-factor` times it for
/// `burst-duration` in the middle, and back.
fn burst_stages(
    cfg: &LoadConfig,
    base_load: f64,
    duration: Option<Duration>,
) -> Result<(f64, Vec<Stage>), GateError> {
    let d = duration.unwrap_or(Duration::from_secs(30));
    let b = duration_key("burst-duration", cfg.burst_duration)?;
    if b >= d {
        return Err(cfg_err(
            "burst-duration",
            format!(
                "the burst ({}) must be shorter than the run ({})",
                cfg.burst_duration,
                cfg.duration
                    .map_or_else(|| "30s".to_string(), |d| d.to_string())
            ),
        ));
    }
    let before = (d - b) / 2;
    let after = d - b - before;
    let peak = base_load * cfg.burst_factor;
    Ok((
        base_load,
        vec![
            Stage {
                duration: before,
                target: base_load,
            },
            Stage {
                duration: Duration::ZERO,
                target: peak,
            },
            Stage {
                duration: b,
                target: peak,
            },
            Stage {
                duration: Duration::ZERO,
                target: base_load,
            },
            Stage {
                duration: after,
                target: base_load,
            },
        ],
    ))
}

/// `stages`: the listed stages, from 0 (closed) or `rate` (open).
fn listed_stages(cfg: &LoadConfig, open: bool) -> Result<(f64, Vec<Stage>), GateError> {
    if cfg.stages.is_empty() {
        return Err(cfg_err(
            "stages",
            "profile `stages` needs at least one stage",
        ));
    }
    let mut st = Vec::new();
    for (i, s) in cfg.stages.iter().enumerate() {
        if !(s.target.is_finite() && s.target >= 0.0) {
            return Err(cfg_err(&format!("stages[{i}].target"), "must be 0 or more"));
        }
        st.push(Stage {
            duration: duration_key(&format!("stages[{i}].duration"), s.duration)?,
            target: s.target,
        });
    }
    let start = if open { cfg.rate.unwrap_or(0.0) } else { 0.0 };
    Ok((start, st))
}

/// The open model (`max-connections` defaults to the peak rate, 10 to
/// 100,000) or the closed one.
fn model(cfg: &LoadConfig, open: bool, start: f64, stages: Vec<Stage>) -> Model {
    if open {
        let peak = stages.iter().map(|s| s.target).fold(start, f64::max);
        let max_connections = cfg
            .max_connections
            .map(|m| m as usize)
            .unwrap_or_else(|| (peak.ceil() as usize).clamp(10, 100_000));
        Model::Open {
            start,
            stages,
            max_connections,
            pre_allocated: max_connections.min((start.ceil() as usize).clamp(1, 100)),
        }
    } else {
        Model::Closed { start, stages }
    }
}
