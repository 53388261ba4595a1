//! `baseline:`: p50/p95/p99 and throughput against the base's result of
//! the same scenario, with a noise allowance from the base's histograms.
//!
//! The allowance of a statistic is the larger of `baseline.floor` and the
//! base's own sampling noise, in percent of the base's value:
//!
//! - percentile q of n latencies: the upper end of the distribution-free
//!   99% confidence interval of the quantile, the value at rank
//!   `q + 2.576·sqrt(q(1−q)/n)` of the base's HDR histogram (its maximum
//!   past the top), relative to the base's value there: few requests or
//!   a long tail give a wide allowance, many requests a narrow one;
//! - throughput: 2.576 standard errors of the base's per-second ok counts
//!   (complete seconds of its timeline), relative to their mean.
//!
//! A statistic regresses when head is slower (or serves less) than the
//! base by more than its allowance.

use gate_core::report::{Comparison, Finding, Metric, Report, Severity, Threshold, format_number};

use crate::baseline::{BaseState, Baseline};
use crate::hist::Latency;
use crate::result::LoadResult;
use crate::rules::LoadRule;

/// z of a two-sided 99% interval.
const Z: f64 = 2.576;

/// The percentiles compared.
const PERCENTILES: [(f64, &str); 3] = [(50.0, "p50"), (95.0, "p95"), (99.0, "p99")];

/// Relative sampling noise of percentile `q` (0 to 100) of `h`: infinite
/// when empty.
pub fn percentile_noise(h: &Latency, q: f64) -> f64 {
    let n = h.count() as f64;
    let v = h.percentile_ms(q);
    if n == 0.0 || v <= 0.0 {
        return f64::INFINITY;
    }
    let p = q / 100.0;
    let hi = p + Z * (p * (1.0 - p) / n).sqrt();
    let upper = if hi >= 1.0 {
        h.max_ms()
    } else {
        h.percentile_ms(hi * 100.0)
    };
    ((upper - v) / v).max(0.0)
}

/// Relative noise of the base's throughput: 2.576 standard errors of its
/// complete seconds' ok counts over their mean (0 with fewer than 2).
pub fn throughput_noise(r: &LoadResult) -> f64 {
    let full = r.duration_s.floor() as u32;
    let oks: Vec<f64> = r
        .timeline
        .iter()
        .filter(|s| s.t < full)
        .map(|s| s.requests.saturating_sub(s.errors) as f64)
        .collect();
    let k = oks.len() as f64;
    if oks.len() < 2 {
        return 0.0;
    }
    let mean = oks.iter().sum::<f64>() / k;
    if mean <= 0.0 {
        return f64::INFINITY;
    }
    let var = oks.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
    Z * (var / k).sqrt() / mean
}

fn skipped(r: &mut Report, why: String) {
    r.findings.push(Finding::new(
        LoadRule::BaselineMissing,
        Severity::Note,
        format!("baseline: {why}; the comparison is skipped, not guessed"),
    ));
}

/// Why two results are not the same scenario, if they are not.
fn different_scenario(base: &LoadResult, head: &LoadResult) -> Option<String> {
    if base.model != head.model {
        return Some(format!(
            "the base ran the {} model and this run the {} model",
            base.model, head.model
        ));
    }
    let names = |r: &LoadResult| {
        let mut v: Vec<String> = r.endpoints.iter().map(|e| e.name.clone()).collect();
        v.sort();
        v
    };
    (names(base) != names(head)).then(|| {
        format!(
            "the base's endpoints ({}) are not this run's ({})",
            names(base).join(", "),
            names(head).join(", ")
        )
    })
}

/// The comparison: base and head metrics side by side, the change and its
/// allowance, and a finding per regression. Returns the summary's part and
/// the details' `baseline` (base and head side by side).
pub fn compare(
    r: &mut Report,
    head: &LoadResult,
    baseline: &Baseline,
) -> Option<(String, serde_json::Value)> {
    let (source, base) = match &baseline.state {
        BaseState::NotRequested => return None,
        BaseState::NoBase => {
            skipped(r, "no base commit is known (no baseline.base, no pull request base); pass --baseline-file or set baseline.base".into());
            return None;
        }
        BaseState::Missing { tried, ledger } if ledger == "git" => {
            skipped(
                r,
                format!(
                    "the base `{tried}` is not a commit git knows here (fetch it, e.g. actions/checkout with fetch-depth: 0)"
                ),
            );
            return None;
        }
        BaseState::Missing { tried, ledger } => {
            skipped(
                r,
                format!(
                    "no gate-load report is recorded for the base {} in the {ledger} ledger; run gate-load on the base branch too so it records one",
                    crate::baseline::short(tried)
                ),
            );
            return None;
        }
        BaseState::NoDetails { source, why } => {
            skipped(r, format!("the base {source} cannot be compared: {why}"));
            return None;
        }
        BaseState::Found { source, result } => (source, result.as_ref()),
    };
    if let Some(why) = different_scenario(base, head) {
        skipped(r, format!("{source} is not the same scenario: {why}"));
        return None;
    }
    if base.overall.latency.count() == 0 || head.overall.latency.count() == 0 {
        let side = if base.overall.latency.count() == 0 {
            "the base"
        } else {
            "this run"
        };
        skipped(
            r,
            format!("no request of {side} succeeded, so there is no latency to compare ({source})"),
        );
        return None;
    }
    let mut out = Versus::default();
    latency(r, head, base, baseline, source, &mut out);
    throughput(r, head, base, baseline, source, &mut out);
    let details = serde_json::json!({
        "source": source,
        "floor": baseline.floor,
        "statistics": out.rows,
    });
    Some((out.parts.join(", "), details))
}

/// What the comparison adds to the summary line and the details.
#[derive(Default)]
struct Versus {
    parts: Vec<String>,
    rows: Vec<serde_json::Value>,
}

/// A statistic side by side: base, head, change and its limit (percent;
/// negative for throughput, a floor).
fn row(name: &str, base: f64, head: f64, change: f64, limit: f64) -> serde_json::Value {
    serde_json::json!({
        "statistic": name,
        "base": base,
        "head": head,
        "change_percent": change,
        "allowance_percent": limit,
    })
}

/// p50, p95 and p99 against the base's.
fn latency(
    r: &mut Report,
    head: &LoadResult,
    base: &LoadResult,
    baseline: &Baseline,
    source: &str,
    out: &mut Versus,
) {
    for (q, name) in PERCENTILES {
        let b = base.overall.latency.percentile_ms(q);
        let h = head.overall.latency.percentile_ms(q);
        let allowance = round2(
            baseline
                .floor
                .max(percentile_noise(&base.overall.latency, q) * 100.0),
        );
        let change = round2((h / b - 1.0) * 100.0);
        r.metrics
            .push(Metric::info(format!("base-latency-{name}"), b, "ms"));
        r.metrics.push(
            Metric::info(format!("latency-{name}-change"), change, "%")
                .with_threshold(Threshold::new(Comparison::AtMost, allowance)),
        );
        if change > allowance {
            r.findings.push(
                Finding::new(
                    LoadRule::LatencyRegressed,
                    Severity::Error,
                    format!(
                        "{name} latency regressed {change}%, from {} ms on the base {source} to {} ms; the allowance is {}% (the larger of baseline.floor {}% and the base's noise)",
                        format_number(b),
                        format_number(h),
                        format_number(allowance),
                        format_number(baseline.floor)
                    ),
                )
                .with_key(format!("baseline.{name}")),
            );
        }
        out.rows.push(row(name, b, h, change, allowance));
        if name == "p99" {
            out.parts.push(format!(
                "p99 {} ms vs base {} ms ({change:+}%)",
                format_number(h),
                format_number(b)
            ));
        }
    }
}

/// Throughput (ok requests/s) against the base's.
fn throughput(
    r: &mut Report,
    head: &LoadResult,
    base: &LoadResult,
    baseline: &Baseline,
    source: &str,
    out: &mut Versus,
) {
    let (b, h) = (base.rps(), head.rps());
    r.metrics.push(Metric::info("base-rps", round2(b), "rps"));
    if b > 0.0 {
        let allowance = round2(baseline.floor.max(throughput_noise(base) * 100.0));
        let change = round2((h / b - 1.0) * 100.0);
        r.metrics.push(
            Metric::info("rps-change", change, "%")
                .with_threshold(Threshold::new(Comparison::AtLeast, -allowance)),
        );
        if -change > allowance {
            r.findings.push(
                Finding::new(
                    LoadRule::ThroughputRegressed,
                    Severity::Error,
                    format!(
                        "throughput fell {}%, from {} ok/s on the base {source} to {} ok/s; the allowance is {}%",
                        format_number(-change),
                        format_number(round2(b)),
                        format_number(round2(h)),
                        format_number(allowance)
                    ),
                )
                .with_key("baseline.rps"),
            );
        }
        out.rows
            .push(row("rps", round2(b), round2(h), change, -allowance));
        out.parts.push(format!(
            "{} ok/s vs base {} ({change:+}%)",
            format_number(round2(h)),
            format_number(round2(b))
        ));
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
