//! What the report says in words: one status line per probe, why a probe
//! failed, the summary line, the details and the latency chart.

use gate_core::Report;
use gate_core::report::{Chart, Series, SeriesKind};
use serde::Serialize;

use crate::collect::{HealthInput, Mode, ProbeInfo};
use crate::modes::Round;
use crate::probe::{Health, ProbeResult, human_secs};

use super::view::ProbeView;

/// One line per probe for people: health, latency and phases, status.
pub fn status_line(
    info: &ProbeInfo,
    health: Health,
    last: Option<&ProbeResult>,
    rounds: usize,
    failures: usize,
    pct: Option<(f64, f64)>,
) -> String {
    use gate_core::report::format_number as n;
    let mut s = format!("`{}` {}: {}", info.name, info.target, health.as_str());
    if rounds > 1 {
        s.push_str(&format!(", {failures} of {rounds} rounds failed"));
        if let Some((p50, p95)) = pct {
            s.push_str(&format!(", p50 {} ms, p95 {} ms", n(p50), n(p95)));
        }
    }
    if let Some(r) = last {
        let phases: Vec<String> = [
            ("DNS", r.phases.dns),
            ("connect", r.phases.connect),
            ("TLS", r.phases.tls),
            ("TTFB", r.phases.ttfb),
        ]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k} {} ms", n(v))))
        .collect();
        s.push_str(&format!("; last {} ms", n(r.phases.total)));
        if !phases.is_empty() {
            s.push_str(&format!(" ({})", phases.join(", ")));
        }
        if let Some(st) = r.status {
            s.push_str(&format!(", status {st}"));
        }
        if let Some(v) = &r.http_version {
            s.push_str(&format!(", {v}"));
        }
        if let Some(c) = r.certificate_expires_in_s {
            s.push_str(&format!(", certificate expires in {}", human_secs(c)));
        }
    }
    s
}

/// The longest run of failing results.
pub fn longest_failing_streak(history: &[&ProbeResult]) -> usize {
    let (mut best, mut cur) = (0, 0);
    for r in history {
        if r.health.passing() {
            cur = 0;
        } else {
            cur += 1;
            best = best.max(cur);
        }
    }
    best
}

/// Why a failing result failed, in one line.
pub fn failure_reason(r: &ProbeResult) -> String {
    let mut parts = Vec::new();
    if let Some(e) = &r.error {
        parts.push(e.clone());
    }
    for c in r.conditions.iter().filter(|c| !c.passed) {
        parts.push(format!("`{}` did not hold (was {})", c.condition, c.actual));
    }
    if parts.is_empty() {
        parts.push("failed".into());
    }
    let mut s = parts.join("; ");
    if let Some(o) = &r.output
        && !o.trim().is_empty()
    {
        let tail: String = o.trim().chars().take(500).collect();
        s.push_str(&format!("; output: {tail}"));
    }
    s
}

/// A probe in the report's details.
#[derive(Debug, Serialize)]
pub struct ProbeSummary<'a> {
    name: &'a str,
    kind: &'a str,
    target: &'a str,
    health: Health,
    rounds: usize,
    failures: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p95_ms: Option<f64>,
    last: Option<&'a ProbeResult>,
}

impl<'a> ProbeSummary<'a> {
    /// The summary of a judged probe.
    pub fn new(p: &ProbeView<'a>, health: Health) -> Self {
        ProbeSummary {
            name: &p.info.name,
            kind: p.info.kind,
            target: &p.info.target,
            health,
            rounds: p.history.len(),
            failures: p.failures,
            p50_ms: p.pct.map(|x| x.0),
            p95_ms: p.pct.map(|x| x.1),
            last: p.last,
        }
    }
}

/// The summary line: probes by health, and how the rounds went.
pub fn summary_line(input: &HealthInput, counts: (usize, usize, usize)) -> String {
    let mode = match input.mode {
        Mode::Once => String::new(),
        Mode::Wait => format!(
            " after {} round(s) in {}",
            input.rounds.len(),
            human_secs(input.elapsed_ms / 1000.0)
        ),
        Mode::Watch => format!(
            " over {} round(s) in {}{}",
            input.rounds.len(),
            human_secs(input.elapsed_ms / 1000.0),
            match &input.tripped {
                Some(t) => format!(", tripped by `{}`", t.probe),
                None => String::new(),
            }
        ),
    };
    format!(
        "{} probe(s): {} healthy, {} degraded, {} failing{mode}",
        input.probes.len(),
        counts.0,
        counts.1,
        counts.2
    )
}

/// The report's details: the mode, the rounds and each probe's summary.
pub fn details(report: &mut Report, input: &HealthInput, probes: &[ProbeSummary<'_>]) {
    report.details = serde_json::json!({
        "mode": input.mode,
        "rounds": input.rounds.len(),
        "elapsed_ms": input.elapsed_ms,
        "success_threshold": input.success_threshold,
        "failure_threshold": input.failure_threshold,
        "tripped": input.tripped,
        "probes": probes,
    });
}

/// Watch: each probe's worst latency over time.
pub fn latency_chart(input: &HealthInput) -> Chart {
    const MAX_POINTS: usize = 60;
    const MAX_SERIES: usize = 8;
    let rounds = &input.rounds;
    let per = rounds.len().div_ceil(MAX_POINTS).max(1);
    let buckets: Vec<&[Round]> = rounds.chunks(per).collect();
    let x = buckets
        .iter()
        .map(|b| format!("{:.0}s", b.first().map_or(0.0, |r| r.at_ms) / 1000.0))
        .collect();
    let series = input
        .probes
        .iter()
        .enumerate()
        .take(MAX_SERIES)
        .map(|(i, p)| Series {
            name: p.name.clone(),
            kind: SeriesKind::Line,
            // Worst latency of each bucket; a failed attempt counts as 0.
            values: buckets
                .iter()
                .map(|b| {
                    b.iter()
                        .filter_map(|r| r.results.get(i))
                        .filter(|r| r.error.is_none())
                        .map(|r| r.phases.total)
                        .fold(0.0, f64::max)
                })
                .collect(),
        })
        .collect();
    Chart {
        y_max: None,
        title: "Probe latency while watching".into(),
        x_label: "time".into(),
        y_label: "ms".into(),
        x,
        series,
    }
}
