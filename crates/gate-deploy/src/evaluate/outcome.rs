//! The report of a deploy or rollback run: summary, metrics, the failure
//! finding, notes (warnings, resolved deployments, the timeline) and charts.

use gate_core::report::{Chart, Finding, Metric, Report, Series, SeriesKind, Severity};

use crate::flow::{Conclusion, Outcome};
use crate::rules::DeployRule;

/// A duration for people: `0.6 ms`, `250 ms`, `12.3 s`.
fn fmt_ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v < 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// The slots and the reason, as the summary and the findings name them.
struct Names {
    to: String,
    from: String,
    reason: String,
}

impl Names {
    fn of(o: &Outcome) -> Self {
        Names {
            to: format!("{} ({})", o.to.slot, o.to.release),
            from: o
                .from
                .as_ref()
                .map(|f| format!("{} ({})", f.slot, f.release))
                .unwrap_or_else(|| "nothing".into()),
            reason: o.reason.clone().unwrap_or_default(),
        }
    }
}

/// The report of a deploy or rollback run. Pure.
pub fn evaluate_outcome(gate: &str, o: &Outcome) -> Report {
    let mut r = Report::new(gate);
    let names = Names::of(o);
    r.summary = summary(o, &names);
    // What was probed, and nothing else: an already-live release counts
    // once its probes ran.
    r.checked = o.probes.len() as u64;
    metrics(&mut r, o);
    failure(&mut r, o, &names);
    notes(&mut r, o);
    phase_chart(&mut r, gate, o);
    r.charts.extend(probe_charts(o));
    r.details = serde_json::to_value(o).unwrap_or(serde_json::Value::Null);
    r.finish()
}

/// One line: how the run ended.
fn summary(o: &Outcome, names: &Names) -> String {
    let t = &o.timings;
    let env = &o.environment;
    let Names { to, from, .. } = names;
    match o.result {
        Conclusion::Deployed => format!(
            "{env}: {to} is live (switch {}, passed a {} probe watch)",
            fmt_ms(t.time_to_switch_ms.unwrap_or(0.0)),
            o.probes.iter().filter(|p| p.phase == "watch").count()
        ),
        Conclusion::AlreadyLive => format!("{env}: {to} is already live; nothing changed"),
        Conclusion::StartFailed => format!("{env}: starting {to} failed; traffic stays on {from}"),
        Conclusion::NeverHealthy => {
            format!("{env}: {to} never became healthy; traffic stays on {from}")
        }
        Conclusion::SmokeFailed => {
            format!("{env}: {to} failed its load smoke; traffic stays on {from}")
        }
        Conclusion::RolledBack => format!(
            "{env}: {to} failed after the switch; rolled back to {from}, recovered in {}",
            fmt_ms(t.recovery_ms.unwrap_or(0.0))
        ),
        Conclusion::RollbackFailed => {
            format!("{env}: {to} failed after the switch and the rollback failed")
        }
        Conclusion::Restored => format!(
            "{env}: rolled back to {to}, verified healthy in {}",
            fmt_ms(t.recovery_ms.unwrap_or(0.0))
        ),
        Conclusion::RestoreFailed => format!("{env}: rolling back to {to} failed"),
    }
}

/// Phase timings, probe counts and the smoke's figures.
fn metrics(r: &mut Report, o: &Outcome) {
    let t = &o.timings;
    let failed = o.probes.iter().filter(|p| !p.result.ok).count();
    for (name, v) in [
        ("start-ms", t.start_ms),
        ("time-to-healthy-ms", t.time_to_healthy_ms),
        ("time-to-switch-ms", t.time_to_switch_ms),
        ("time-to-detect-ms", t.time_to_detect_ms),
        ("switch-back-ms", t.switch_back_ms),
        ("time-to-verified-ms", t.time_to_verified_ms),
        ("recovery-ms", t.recovery_ms),
        ("total-ms", Some(t.total_ms)),
    ] {
        if let Some(v) = v {
            r.metrics.push(Metric::info(name, v, "ms"));
        }
    }
    r.metrics
        .push(Metric::info("probes", o.probes.len() as f64, "count"));
    r.metrics
        .push(Metric::info("failed-probes", failed as f64, "count"));
    if let Some(sm) = &o.smoke {
        r.metrics
            .push(Metric::info("smoke-requests", sm.requests as f64, "count"));
        r.metrics
            .push(Metric::info("smoke-error-rate", sm.error_rate_pct, "%"));
        r.metrics
            .push(Metric::info("smoke-p99-ms", sm.p99_ms, "ms"));
    }
}

/// The error finding of a run that failed (its rule says how).
fn failure(r: &mut Report, o: &Outcome, names: &Names) {
    let t = &o.timings;
    let env = &o.environment;
    let Names { to, from, reason } = names;
    let sev_rule = match o.result {
        Conclusion::Deployed | Conclusion::AlreadyLive | Conclusion::Restored => None,
        Conclusion::StartFailed => Some(DeployRule::StartFailed),
        Conclusion::NeverHealthy => Some(DeployRule::NeverHealthy),
        Conclusion::SmokeFailed => Some(DeployRule::SmokeFailed),
        Conclusion::RolledBack => Some(DeployRule::RolledBack),
        Conclusion::RollbackFailed => Some(DeployRule::RollbackFailed),
        Conclusion::RestoreFailed => Some(DeployRule::RestoreFailed),
    };
    if let Some(rule) = sev_rule {
        let mut msg = match o.result {
            Conclusion::RolledBack => format!(
                "Incident: {to} failed after the switch: {reason}. Traffic is back on {from}, verified healthy. Time to detect {}, switch back {}, recovery (first failing probe to verified healthy) {}.",
                fmt_ms(t.time_to_detect_ms.unwrap_or(0.0)),
                fmt_ms(t.switch_back_ms.unwrap_or(0.0)),
                fmt_ms(t.recovery_ms.unwrap_or(0.0)),
            ),
            _ => reason.clone(),
        };
        if let Some(id) = o.deployment_id {
            msg.push_str(&format!(" (ledger deployment {id})"));
        }
        r.findings
            .push(Finding::new(rule, Severity::Error, msg).with_key(env.clone()));
    }
}

/// Non-fatal warnings, interrupted deployments this run resolved, and the
/// timeline.
fn notes(r: &mut Report, o: &Outcome) {
    for w in &o.warnings {
        r.findings.push(Finding::new(
            DeployRule::DeployWarning,
            Severity::Warning,
            w.clone(),
        ));
    }
    for id in &o.resolved {
        r.findings.push(
            Finding::new(
                DeployRule::InterruptedDeploy,
                Severity::Note,
                format!("deployment {id} had been interrupted; this run resolved it"),
            )
            .with_key(format!("deployment-{id}")),
        );
    }
    for (i, e) in o.timeline.iter().enumerate() {
        r.findings.push(
            Finding::new(
                DeployRule::Timeline,
                Severity::Note,
                format!("+{} {}: {}", fmt_ms(e.at_ms), e.phase, e.message),
            )
            .with_key(format!("t{i:05}")),
        );
    }
}

/// Where the time went, phase by phase.
fn phase_chart(r: &mut Report, gate: &str, o: &Outcome) {
    let t = &o.timings;
    let phases: Vec<(&str, f64)> = [
        ("start", t.start_ms),
        ("healthy", t.time_to_healthy_ms),
        ("switch", t.time_to_switch_ms),
        ("detect", t.time_to_detect_ms),
        ("switch back", t.switch_back_ms),
        ("verified", t.time_to_verified_ms),
    ]
    .into_iter()
    .filter_map(|(n, v)| v.map(|v| (n, v)))
    .collect();
    if !phases.is_empty() {
        r.charts.push(Chart {
            y_max: None,
            title: format!("{gate} timeline (ms per phase)"),
            x_label: "phase".into(),
            y_label: "ms".into(),
            x: phases.iter().map(|(n, _)| n.to_string()).collect(),
            series: vec![Series {
                name: "ms".into(),
                kind: SeriesKind::Bar,
                values: phases
                    .iter()
                    .map(|(_, v)| (v * 10.0).round() / 10.0)
                    .collect(),
            }],
        });
    }
}

/// Most points of a probe chart.
const CHART_POINTS: usize = 60;

/// Probe latency and failed probes over time, as two charts of one series
/// each (a chart's axes are its legend): the slowest probe per point in
/// milliseconds, and the number of failed probes per point. Every sample is
/// in some point (at most [`CHART_POINTS`] of them), so no failure is
/// dropped; failures are never drawn on the latency axis.
pub fn probe_charts(o: &Outcome) -> Vec<Chart> {
    let samples: Vec<_> = o.probes.iter().filter(|p| p.phase != "check").collect();
    if samples.is_empty() {
        return Vec::new();
    }
    let per_point = samples.len().div_ceil(CHART_POINTS).max(1);
    let points: Vec<_> = samples.chunks(per_point).collect();
    let x: Vec<String> = points
        .iter()
        .map(|c| format!("{:.1}", c[0].at_ms / 1000.0))
        .collect();
    let x_label = if per_point == 1 {
        "seconds since start (one probe per point)".to_string()
    } else {
        format!("seconds since start (up to {per_point} probes per point)")
    };
    let latency: Vec<f64> = points
        .iter()
        .map(|c| {
            let slowest = c.iter().map(|p| p.result.latency_ms).fold(0.0, f64::max);
            (slowest * 10.0).round() / 10.0
        })
        .collect();
    let failed: Vec<f64> = points
        .iter()
        .map(|c| c.iter().filter(|p| !p.result.ok).count() as f64)
        .collect();
    let mut charts = vec![Chart {
        y_max: None,
        // Mermaid titles take no commas.
        title: "Probe latency in ms (slowest probe per point; failed probes included)".into(),
        x_label: x_label.clone(),
        y_label: "latency (ms)".into(),
        x: x.clone(),
        series: vec![Series {
            name: "probe latency (ms)".into(),
            kind: SeriesKind::Line,
            values: latency,
        }],
    }];
    if failed.iter().any(|f| *f > 0.0) {
        charts.push(Chart {
            y_max: Some(per_point as f64),
            title: "Failed probes (count per point)".into(),
            x_label,
            y_label: "failed probes".into(),
            x,
            series: vec![Series {
                name: "failed probes".into(),
                kind: SeriesKind::Bar,
                values: failed,
            }],
        });
    }
    charts
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::config::Slot;
    use crate::flow::{Event, Sample, Timings};
    use crate::outputs::outputs;
    use crate::probe::ProbeOutcome;
    use crate::state::SlotRelease;

    fn rolled_back() -> Outcome {
        let sample = |at_ms: f64, ok: bool| Sample {
            at_ms,
            phase: "watch".into(),
            probe: "green".into(),
            result: ProbeOutcome {
                ok,
                status: Some(if ok { 200 } else { 503 }),
                latency_ms: 1.5,
                error: (!ok).then(|| "HTTP 503".into()),
                degraded: None,
            },
        };
        Outcome {
            operation: "deploy".into(),
            environment: "production".into(),
            switch: "haproxy".into(),
            result: Conclusion::RolledBack,
            reason: Some("3 consecutive failed probe rounds (trips after 3)".into()),
            deployment_id: Some(7),
            from: Some(SlotRelease {
                slot: Slot::Blue,
                release: "v1".into(),
            }),
            to: SlotRelease {
                slot: Slot::Green,
                release: "v2".into(),
            },
            live: Some(SlotRelease {
                slot: Slot::Blue,
                release: "v1".into(),
            }),
            timings: Timings {
                time_to_switch_ms: Some(0.6),
                time_to_detect_ms: Some(2001.0),
                switch_back_ms: Some(0.5),
                time_to_verified_ms: Some(3.0),
                recovery_ms: Some(2012.4),
                total_ms: 4000.0,
                ..Timings::default()
            },
            timeline: vec![Event {
                at_ms: 10.0,
                phase: "switch".into(),
                message: "to green".into(),
            }],
            probes: vec![
                sample(100.0, true),
                sample(1100.0, false),
                sample(2100.0, false),
                sample(3100.0, false),
            ],
            interval_ms: 1000.0,
            trip_after: 3,
            breaker: "trip after 3 consecutive failed rounds".into(),
            smoke: None,
            resolved: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn a_rollback_fails_the_gate_with_an_incident_report() {
        let r = evaluate_outcome("deploy", &rolled_back());
        assert_eq!(r.verdict, gate_core::report::Verdict::Fail);
        assert_eq!(r.checked, 4);
        let f = r.findings.iter().find(|f| f.rule == "rolled-back").unwrap();
        assert!(
            f.message.contains("Traffic is back on blue (v1)"),
            "{}",
            f.message
        );
        assert!(
            f.message
                .contains("recovery (first failing probe to verified healthy) 2012 ms")
        );
        assert_eq!(r.metric("failed-probes").unwrap().value, 3.0);
        assert_eq!(r.metric("recovery-ms").unwrap().value, 2012.4);
        // Phases, probe latency, failed probes: one labelled series each.
        assert_eq!(r.charts.len(), 3);
        let latency = &r.charts[1];
        assert_eq!(latency.y_label, "latency (ms)");
        assert_eq!(latency.series.len(), 1);
        assert_eq!(latency.series[0].values, vec![1.5; 4]);
        let failed = &r.charts[2];
        assert_eq!(failed.y_label, "failed probes");
        assert_eq!(failed.series[0].name, "failed probes");
        assert_eq!(failed.series[0].values, vec![0.0, 1.0, 1.0, 1.0]);
        // Deterministic: same input, same report.
        assert_eq!(r, evaluate_outcome("deploy", &rolled_back()));
        let out = outputs(&r);
        assert_eq!(
            out,
            vec![
                ("live-slot".to_string(), "blue".to_string()),
                ("version".to_string(), "v1".to_string()),
                ("rolled-back".to_string(), "true".to_string()),
                ("recovery-ms".to_string(), "2012".to_string()),
            ]
        );
    }

    #[test]
    fn a_deploy_that_passed_the_watch_passes() {
        let mut o = rolled_back();
        o.result = Conclusion::Deployed;
        o.reason = None;
        o.live = Some(o.to.clone());
        o.timings.recovery_ms = None;
        let r = evaluate_outcome("deploy", &o);
        assert_eq!(r.verdict, gate_core::report::Verdict::Pass);
        assert!(r.summary.contains("green (v2) is live"), "{}", r.summary);
        let out = outputs(&r);
        assert_eq!(out[0].1, "green");
        assert_eq!(out[2].1, "false");
        assert_eq!(out[3].1, "");
    }

    #[test]
    fn an_already_live_release_counts_only_its_probes() {
        let mut o = rolled_back();
        o.result = Conclusion::AlreadyLive;
        o.reason = None;
        o.probes.clear();
        let r = evaluate_outcome("deploy", &o);
        assert_eq!(r.checked, 0, "nothing probed: nothing claimed");
        let mut o = rolled_back();
        o.result = Conclusion::AlreadyLive;
        o.reason = None;
        o.probes.truncate(1);
        o.probes[0].phase = "verify".into();
        let r = evaluate_outcome("deploy", &o);
        assert_eq!(r.checked, 1);
        assert_eq!(r.verdict, gate_core::report::Verdict::Pass);
    }

    #[test]
    fn many_probes_fold_into_sixty_points_without_losing_a_failure() {
        let mut o = rolled_back();
        let template = o.probes[0].clone();
        o.probes = (0..600)
            .map(|i| {
                let mut p = template.clone();
                p.at_ms = f64::from(i) * 100.0;
                p.result.latency_ms = f64::from(i % 7);
                p.result.ok = i != 301;
                p
            })
            .collect();
        let charts = probe_charts(&o);
        assert_eq!(charts.len(), 2);
        assert_eq!(charts[0].x.len(), 60);
        assert_eq!(
            charts[0].series[0]
                .values
                .iter()
                .cloned()
                .fold(0.0, f64::max),
            6.0
        );
        let failed = &charts[1].series[0].values;
        assert_eq!(failed.iter().sum::<f64>(), 1.0, "the one failure is kept");
        assert_eq!(failed[30], 1.0);
        // Without a failure, no failure chart.
        o.probes[301].result.ok = true;
        assert_eq!(probe_charts(&o).len(), 1);
    }
}
