//! One function per check of a probe, each adding its findings to the
//! report and returning the probe's health after it.

use gate_core::Report;
use gate_core::report::{Finding, Severity};

use crate::collect::{HealthInput, Mode};
use crate::probe::{Health, human_secs};
use crate::rules::HealthRule;

use super::summary::{failure_reason, longest_failing_streak, status_line};
use super::view::ProbeView;

/// Watch: `circuit-open` for a probe that tripped the breaker, `flaky-probe`
/// for one that failed below the threshold.
pub fn watch(
    report: &mut Report,
    input: &HealthInput,
    p: &ProbeView<'_>,
    health: Health,
) -> Health {
    let mut health = health;
    let longest = longest_failing_streak(&p.history);
    let name = &p.info.name;
    if input
        .tripped
        .as_ref()
        .is_some_and(|t| t.probe == *name || t.also.contains(name))
    {
        health = Health::Failing;
        let reason = p.last.map(failure_reason).unwrap_or_default();
        let at = input.tripped.as_ref().map_or(0.0, |t| t.at_ms);
        let first = input.rounds.len().saturating_sub(longest);
        let from = input.rounds.get(first).map_or(0.0, |r| r.at_ms);
        report.findings.push(
            Finding::new(
                HealthRule::CircuitOpen,
                Severity::Error,
                format!(
                    "{} failed {longest} rounds in a row (from {:.1}s to {:.1}s into the watch; failure-threshold {}): {reason}",
                    p.what,
                    from / 1000.0,
                    at / 1000.0,
                    input.failure_threshold,
                ),
            )
            .with_key(p.key()),
        );
    } else if p.failures > 0 {
        if health == Health::Failing {
            // Failing at the end, below the threshold.
            health = Health::Degraded;
        }
        health = health.max(Health::Degraded);
        let reason = p
            .history
            .iter()
            .rev()
            .find(|r| !r.health.passing())
            .map(|r| failure_reason(r))
            .unwrap_or_default();
        report.findings.push(
            Finding::new(
                HealthRule::FlakyProbe,
                Severity::Warning,
                format!(
                    "{} failed {} of {} rounds (at most {longest} in a row, below failure-threshold {}); last failure: {reason}",
                    p.what,
                    p.failures,
                    p.history.len(),
                    input.failure_threshold
                ),
            )
            .with_key(p.key()),
        );
    }
    health
}

/// Wait: `not-healthy-in-time` for the `i`th probe if it fell short of the
/// streak before the timeout.
pub fn wait(
    report: &mut Report,
    input: &HealthInput,
    i: usize,
    p: &ProbeView<'_>,
    health: Health,
) -> Health {
    let streak = input.streaks.get(i).copied().unwrap_or(0);
    if input.healthy_in_time != Some(false) || streak >= input.success_threshold {
        return health;
    }
    let reason = match p.last {
        Some(r) if !r.health.passing() => failure_reason(r),
        _ => format!("passing, but only {streak} round(s) in a row"),
    };
    report.findings.push(
        Finding::new(
            HealthRule::NotHealthyInTime,
            Severity::Error,
            format!(
                "{} did not pass {} rounds in a row within {}: {reason} ({} rounds)",
                p.what,
                input.success_threshold,
                human_secs(input.timeout_ms / 1000.0),
                p.history.len()
            ),
        )
        .with_key(p.key()),
    );
    Health::Failing
}

/// Once: `probe-failing` for a failing probe.
pub fn once(report: &mut Report, p: &ProbeView<'_>) {
    if let Some(r) = p.last
        && r.health == Health::Failing
    {
        report.findings.push(
            Finding::new(
                HealthRule::ProbeFailing,
                Severity::Error,
                format!("{} is failing: {}", p.what, failure_reason(r)),
            )
            .with_key(p.key()),
        );
    }
}

/// Degradation of a probe that is not failing: `certificate-expiring` and
/// `latency-over-budget` from the last result (once, wait), or from the p95
/// of the window (watch).
pub fn degraded(report: &mut Report, mode: Mode, p: &ProbeView<'_>, health: Health) -> Health {
    let mut health = health;
    let Some(r) = p.last else { return health };
    if health == Health::Failing {
        return health;
    }
    for d in &r.degraded {
        let rule = if d.starts_with("certificate") {
            HealthRule::CertificateExpiring
        } else {
            HealthRule::LatencyOverBudget
        };
        if mode == Mode::Watch && rule == HealthRule::LatencyOverBudget {
            continue;
        }
        health = health.max(Health::Degraded);
        report.findings.push(
            Finding::new(rule, Severity::Warning, format!("{}: {d}", p.what)).with_key(p.key()),
        );
    }
    if mode == Mode::Watch
        && let (Some(b), Some((_, p95))) = (p.info.latency_budget_ms, p.pct)
        && p95 > b
    {
        health = health.max(Health::Degraded);
        report.findings.push(
            Finding::new(
                HealthRule::LatencyOverBudget,
                Severity::Warning,
                format!(
                    "{}: p95 latency {} ms over the budget of {} ms",
                    p.what,
                    gate_core::report::format_number(p95),
                    gate_core::report::format_number(b)
                ),
            )
            .with_key(p.key()),
        );
    }
    health
}

/// The `probe-status` note: how the probe went, in one line.
pub fn status(report: &mut Report, p: &ProbeView<'_>, health: Health) {
    report.findings.push(
        Finding::new(
            HealthRule::ProbeStatus,
            Severity::Note,
            status_line(p.info, health, p.last, p.history.len(), p.failures, p.pct),
        )
        .with_key(p.key()),
    );
}

/// The notes and warnings `collect` gathered, as `probe-note`s.
pub fn notes(report: &mut Report, input: &HealthInput) {
    for note in input.target_note.iter().chain(&input.notes) {
        report.findings.push(Finding::new(
            HealthRule::ProbeNote,
            Severity::Note,
            note.clone(),
        ));
    }
    for w in &input.warnings {
        report.findings.push(Finding::new(
            HealthRule::ProbeNote,
            Severity::Warning,
            w.clone(),
        ));
    }
}
