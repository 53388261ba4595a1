//! The pure judgement: each probe through the checks of its mode, then the
//! metrics, notes, summary and details.

mod checks;
mod metrics;
mod summary;
mod view;

use gate_core::Report;

use crate::collect::{HealthInput, Mode};
use crate::probe::Health;

pub use metrics::{metric_ids, slug};
pub use summary::failure_reason;

use summary::ProbeSummary;
use view::ProbeView;

/// The pure judgement.
pub fn evaluate(input: &HealthInput) -> Report {
    let mut report = Report::new("health");
    report.checked = input.probes.len() as u64;
    let mut all_latencies = Vec::new();
    let mut summaries = Vec::new();
    let mut counts = (0usize, 0usize, 0usize);
    let ids = metric_ids(&input.probes);
    for (i, info) in input.probes.iter().enumerate() {
        let p = ProbeView::new(input, i, info);
        all_latencies.extend(p.latencies.iter().copied());
        let mut health = p.last_health();
        match input.mode {
            Mode::Watch => health = checks::watch(&mut report, input, &p, health),
            Mode::Wait => health = checks::wait(&mut report, input, i, &p, health),
            Mode::Once => checks::once(&mut report, &p),
        }
        health = checks::degraded(&mut report, input.mode, &p, health);
        checks::status(&mut report, &p, health);
        match health {
            Health::Healthy => counts.0 += 1,
            Health::Degraded => counts.1 += 1,
            Health::Failing => counts.2 += 1,
        }
        metrics::probe(&mut report, input.mode, &ids[i], &p);
        summaries.push(ProbeSummary::new(&p, health));
    }
    metrics::overall(&mut report, &all_latencies, counts);
    checks::notes(&mut report, input);
    if input.mode == Mode::Watch && input.rounds.len() > 1 {
        report.charts.push(summary::latency_chart(input));
    }
    report.summary = summary::summary_line(input, counts);
    summary::details(&mut report, input, &summaries);
    report.finish()
}

#[cfg(test)]
mod tests;
