//! The `Gate` glue of gate-deploy, and the pure `evaluate` shared with
//! gate-rollback.

use gate_core::report::{Chart, Finding, Metric, Report, Rule, Series, SeriesKind, Severity};
use gate_core::{Context, Gate, GateError};

use crate::config::{DeployArgs, DeployCommand, DeployConfig};
use crate::flow::{self, Outcome, Plan, Refusal, Result_, StatusView};

pub const RULES: &[Rule] = &[
    Rule {
        id: "rolled-back",
        summary: "The new release failed after the switch; traffic went back to the old slot",
        help: "Read the incident timeline and probe results; fix the release and deploy again. The old slot is live and verified.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "rollback-failed",
        summary: "The circuit breaker tripped and traffic could not be put back on a healthy slot",
        help: "Traffic may be on a failing slot: run gate-rollback, or fix the proxy by hand; `gate-deploy status` shows what the ledger and the proxy say.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "start-failed",
        summary: "The start hook failed; traffic was not touched",
        help: "Run the start command by hand with GATES_SLOT, GATES_VERSION and GATES_PORT set to see why.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "never-healthy",
        summary: "The new slot never became healthy; traffic was not switched",
        help: "Check the slot's health URL and logs; raise wait-timeout if it starts slowly.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "smoke-failed",
        summary: "The pre-switch load smoke on the new slot crossed a threshold; traffic was not switched",
        help: "The report's smoke details give the error classes and latency; fix the release, or tune `smoke:` (rate, max-error-rate, max-p99) if the thresholds are wrong.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "restore-failed",
        summary: "gate-rollback could not make the known-good slot healthy and live",
        help: "Start the known-good release by hand (its slot and version are in the report), then run gate-rollback again.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "no-rollback-target",
        summary: "gate-rollback found no release verified live to go back to; it changed nothing",
        help: "A rollback target is a slot and release a deployment verified live (a `success` status in the ledger). `gate-deploy status` shows the history; deploy a known-good release instead.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "plan",
        summary: "One step a run would take (`--dry-run`); nothing was done",
        help: "Informational: run without `--dry-run` to do it.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "interrupted-deploy",
        summary: "A deploy or rollback stopped before it finished (runner killed)",
        help: "Run gate-rollback to restore the last known-good slot, or re-run the deploy: both resolve it.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "proxy-disagrees",
        summary: "The proxy sends traffic to another slot than the ledger records",
        help: "Someone changed the proxy by hand, or a run was interrupted mid-switch: run gate-rollback or re-deploy.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "deploy-warning",
        summary: "A non-fatal step failed (stop hook, a ledger status update)",
        help: "The deploy itself stands; fix the step named in the message.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "timeline",
        summary: "One step of the run, in time",
        help: "Informational.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "history",
        summary: "One recorded deployment of the environment",
        help: "Informational.",
        default_severity: Severity::Note,
    },
];

/// What `collect` hands to `evaluate`.
#[derive(Debug, Clone, PartialEq)]
pub enum DeployInput {
    Run(Box<Outcome>),
    Status(Box<StatusView>),
    /// `--dry-run`: what a run would do.
    Plan(Box<Plan>),
}

/// The deploy gate.
#[derive(Debug)]
pub struct DeployGate;

impl Gate for DeployGate {
    const ID: &'static str = "deploy";
    const ABOUT: &'static str = "Blue-green deploy behind a real traffic switch, with a post-switch circuit breaker and automatic rollback";
    const RULES: &'static [Rule] = RULES;
    type Config = DeployConfig;
    type Args = DeployArgs;
    type Input = DeployInput;

    /// `status` and `--dry-run` only read: their reports must not replace
    /// the deploy's own result for the commit.
    fn record(args: &DeployArgs) -> bool {
        !matches!(args.command, Some(DeployCommand::Status { .. })) && !args.dry_run
    }

    async fn collect(
        ctx: &Context,
        config: &DeployConfig,
        args: &DeployArgs,
    ) -> Result<DeployInput, GateError> {
        match &args.command {
            Some(DeployCommand::Status { limit }) => Ok(DeployInput::Status(Box::new(
                flow::status(ctx, config, *limit).await?,
            ))),
            None if args.dry_run => Ok(DeployInput::Plan(Box::new(flow::plan(ctx, config).await?))),
            None => Ok(DeployInput::Run(Box::new(flow::deploy(ctx, config).await?))),
        }
    }

    fn evaluate(input: &DeployInput, _config: &DeployConfig) -> Report {
        match input {
            DeployInput::Run(o) => evaluate_outcome("deploy", o),
            DeployInput::Status(s) => evaluate_status(s),
            DeployInput::Plan(p) => evaluate_plan("deploy", p),
        }
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        outputs(report)
    }
}

fn fmt_ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v < 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// The report of a deploy or rollback run. Pure.
pub fn evaluate_outcome(gate: &str, o: &Outcome) -> Report {
    let mut r = Report::new(gate);
    let t = &o.timings;
    let env = &o.environment;
    let to = format!("{} ({})", o.to.slot, o.to.release);
    let from = o
        .from
        .as_ref()
        .map(|f| format!("{} ({})", f.slot, f.release))
        .unwrap_or_else(|| "nothing".into());
    let reason = o.reason.clone().unwrap_or_default();
    r.summary = match o.result {
        Result_::Deployed => format!(
            "{env}: {to} is live (switch {}, passed a {} probe watch)",
            fmt_ms(t.time_to_switch_ms.unwrap_or(0.0)),
            o.probes.iter().filter(|p| p.phase == "watch").count()
        ),
        Result_::AlreadyLive => format!("{env}: {to} is already live; nothing changed"),
        Result_::StartFailed => format!("{env}: starting {to} failed; traffic stays on {from}"),
        Result_::NeverHealthy => {
            format!("{env}: {to} never became healthy; traffic stays on {from}")
        }
        Result_::SmokeFailed => {
            format!("{env}: {to} failed its load smoke; traffic stays on {from}")
        }
        Result_::RolledBack => format!(
            "{env}: {to} failed after the switch; rolled back to {from}, recovered in {}",
            fmt_ms(t.recovery_ms.unwrap_or(0.0))
        ),
        Result_::RollbackFailed => {
            format!("{env}: {to} failed after the switch and the rollback failed")
        }
        Result_::Restored => format!(
            "{env}: rolled back to {to}, verified healthy in {}",
            fmt_ms(t.recovery_ms.unwrap_or(0.0))
        ),
        Result_::RestoreFailed => format!("{env}: rolling back to {to} failed"),
    };
    // What was probed, and nothing else: an already-live release counts
    // once its probes ran.
    r.checked = o.probes.len() as u64;
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

    let sev_rule = match o.result {
        Result_::Deployed | Result_::AlreadyLive | Result_::Restored => None,
        Result_::StartFailed => Some("start-failed"),
        Result_::NeverHealthy => Some("never-healthy"),
        Result_::SmokeFailed => Some("smoke-failed"),
        Result_::RolledBack => Some("rolled-back"),
        Result_::RollbackFailed => Some("rollback-failed"),
        Result_::RestoreFailed => Some("restore-failed"),
    };
    if let Some(rule) = sev_rule {
        let mut msg = match o.result {
            Result_::RolledBack => format!(
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
    for w in &o.warnings {
        r.findings
            .push(Finding::new("deploy-warning", Severity::Warning, w.clone()));
    }
    for id in &o.resolved {
        r.findings.push(
            Finding::new(
                "interrupted-deploy",
                Severity::Note,
                format!("deployment {id} had been interrupted; this run resolved it"),
            )
            .with_key(format!("deployment-{id}")),
        );
    }
    for (i, e) in o.timeline.iter().enumerate() {
        r.findings.push(
            Finding::new(
                "timeline",
                Severity::Note,
                format!("+{} {}: {}", fmt_ms(e.at_ms), e.phase, e.message),
            )
            .with_key(format!("t{i:05}")),
        );
    }

    // Where the time went, phase by phase.
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
    r.charts.extend(probe_charts(o));
    r.details = serde_json::to_value(o).unwrap_or(serde_json::Value::Null);
    r.finish()
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

/// The report of `--dry-run` (gate-deploy or gate-rollback). Pure.
pub fn evaluate_plan(gate: &str, p: &Plan) -> Report {
    let mut r = Report::new(gate);
    let env = &p.environment;
    r.checked = p.inspected;
    let show = |sr: &crate::state::SlotRelease| format!("{} ({})", sr.slot, sr.release);
    let now = p
        .from
        .as_ref()
        .map(show)
        .unwrap_or_else(|| "no slot".into());
    r.summary = match (p.operation.as_str(), &p.to) {
        (_, None) => format!("{env}: dry run: no rollback (live now: {now}); nothing was changed"),
        ("rollback", Some(to)) => format!(
            "{env}: dry run: would roll back from {now} to {} through the {} switch; nothing was changed",
            show(to),
            p.switch
        ),
        (_, Some(to)) if p.already_live => format!(
            "{env}: dry run: {} is already live on {}; a run would probe it and change nothing if it is healthy",
            to.release,
            p.from.as_ref().map(|f| f.slot.as_str()).unwrap_or("?")
        ),
        (_, Some(to)) => format!(
            "{env}: dry run: would put {} live through the {} switch (live now: {now}); nothing was changed",
            show(to),
            p.switch
        ),
    };
    for (i, st) in p.steps.iter().enumerate() {
        let mut msg = format!("{}: {}", st.phase, st.action);
        if let Some(c) = &st.command {
            msg.push_str(&format!(": `sh -c {c}`"));
        }
        if !st.env.is_empty() {
            let env: Vec<String> = st.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            msg.push_str(&format!(" with {}", env.join(" ")));
        }
        r.findings
            .push(Finding::new("plan", Severity::Note, msg).with_key(format!("s{i:03}")));
    }
    for w in &p.warnings {
        r.findings
            .push(Finding::new("deploy-warning", Severity::Warning, w.clone()));
    }
    if let Some(why) = &p.refused {
        r.findings.push(
            Finding::new("no-rollback-target", Severity::Error, why.clone()).with_key(env.clone()),
        );
    }
    r.details = serde_json::to_value(p).unwrap_or(serde_json::Value::Null);
    r.finish()
}

/// The report of a gate-rollback that found no target verified live. Pure.
pub fn evaluate_refusal(f: &Refusal) -> Report {
    let mut r = Report::new("rollback");
    let env = &f.environment;
    // The ledger's deployments were what it checked.
    r.checked = f.deployments_read;
    r.summary = match &f.candidate {
        Some(c) => format!(
            "{env}: refused to roll back to {} ({}): not a release verified live; nothing changed",
            c.slot, c.release
        ),
        None => format!("{env}: nothing to roll back to; nothing changed"),
    };
    r.findings.push(
        Finding::new("no-rollback-target", Severity::Error, f.reason.clone()).with_key(env.clone()),
    );
    r.metrics.push(Metric::info(
        "deployments",
        f.deployments_read as f64,
        "count",
    ));
    r.details = serde_json::to_value(f).unwrap_or(serde_json::Value::Null);
    r.finish()
}

/// The report of `gate-deploy status`. Pure.
pub fn evaluate_status(s: &StatusView) -> Report {
    let mut r = Report::new("deploy");
    let st = &s.state;
    let env = &st.environment;
    r.checked = (st.history.len() as u64).max(1);
    r.summary = match &st.live {
        Some(l) => format!(
            "{env}: {} live with {}{}",
            l.slot,
            l.release,
            st.live_since
                .map(|id| format!(" (deployment {id})"))
                .unwrap_or_default()
        ),
        None if st.history.is_empty() => format!("{env}: no deployment recorded yet"),
        None => format!("{env}: no slot is known to be live"),
    };
    if let Some(f) = &st.fallback {
        r.summary
            .push_str(&format!("; rollback target {} ({})", f.slot, f.release));
    }
    for u in &st.unfinished {
        let (sev, msg) = if s.running.contains(&u.id) {
            (
                Severity::Note,
                format!(
                    "deployment {} ({} {} to {}) is running now, in phase {}",
                    u.id, u.kind, u.release, u.slot, u.phase
                ),
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "deployment {} ({} {} to {}) stopped in phase {} at {} and never finished{}; run gate-rollback to restore {}, or re-run the deploy",
                    u.id,
                    u.kind,
                    u.release,
                    u.slot,
                    u.phase,
                    u.last_update.format("%Y-%m-%d %H:%M:%S UTC"),
                    if u.live_at_last_status.is_none() {
                        " while switching: traffic may be on either slot"
                    } else {
                        ""
                    },
                    st.live
                        .as_ref()
                        .or(u.previous.as_ref())
                        .map(|l| format!("{} ({})", l.slot, l.release))
                        .unwrap_or_else(|| "the last known-good slot".into())
                ),
            )
        };
        r.findings.push(
            Finding::new("interrupted-deploy", sev, msg).with_key(format!("deployment-{}", u.id)),
        );
    }
    match (&st.live, s.proxy_live) {
        (Some(l), Some(p)) if l.slot != p => r.findings.push(Finding::new(
            "proxy-disagrees",
            Severity::Warning,
            format!(
                "the ledger records {} live but the {} switch sends traffic to {p}",
                l.slot,
                s.switch.clone().unwrap_or_default()
            ),
        )),
        _ => {}
    }
    if let Some(e) = &s.proxy_error {
        r.findings.push(Finding::new(
            "deploy-warning",
            Severity::Warning,
            format!("could not ask the switch which slot is live: {e}"),
        ));
    }
    for h in &st.history {
        r.findings.push(
            Finding::new(
                "history",
                Severity::Note,
                format!(
                    "#{} {} {} to {} at {}: {}{}",
                    h.id,
                    h.kind,
                    h.release.clone().unwrap_or_else(|| "?".into()),
                    h.slot.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                    h.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    h.state.clone().unwrap_or_else(|| "no status".into()),
                    h.description
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ),
            )
            .with_key(format!("h{:010}", u64::MAX - h.id)),
        );
    }
    r.metrics.push(Metric::info(
        "deployments",
        st.history.len() as f64,
        "count",
    ));
    r.details = serde_json::to_value(s).unwrap_or(serde_json::Value::Null);
    r.finish()
}

/// Step outputs: `live-slot`, `version`, `rolled-back`, `recovery-ms`.
pub fn outputs(report: &Report) -> Vec<(String, String)> {
    let d = &report.details;
    let live = d
        .get("live")
        .or_else(|| d.pointer("/state/live"))
        .filter(|v| !v.is_null());
    let mut out = vec![
        (
            "live-slot".to_string(),
            live.and_then(|l| l.get("slot"))
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_string(),
        ),
        (
            "version".to_string(),
            live.and_then(|l| l.get("release"))
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_string(),
        ),
        (
            "rolled-back".to_string(),
            (d.get("result").and_then(|r| r.as_str()) == Some("rolled-back")).to_string(),
        ),
    ];
    let recovery = d
        .pointer("/timings/recovery_ms")
        .and_then(|v| v.as_f64())
        .map(|v| format!("{}", v.round() as i64))
        .unwrap_or_default();
    out.push(("recovery-ms".to_string(), recovery));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::config::Slot;
    use crate::flow::{Event, Sample, Timings};
    use crate::probe::ProbeResult;
    use crate::state::SlotRelease;

    fn rolled_back() -> Outcome {
        let sample = |at_ms: f64, ok: bool| Sample {
            at_ms,
            phase: "watch".into(),
            probe: "green".into(),
            result: ProbeResult {
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
            result: Result_::RolledBack,
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
        o.result = Result_::Deployed;
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
        o.result = Result_::AlreadyLive;
        o.reason = None;
        o.probes.clear();
        let r = evaluate_outcome("deploy", &o);
        assert_eq!(r.checked, 0, "nothing probed: nothing claimed");
        let mut o = rolled_back();
        o.result = Result_::AlreadyLive;
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
