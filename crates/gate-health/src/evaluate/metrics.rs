//! The report's metrics: per probe (latency and phases, or p50/p95 over
//! the rounds) and overall.

use std::collections::BTreeMap;

use gate_core::report::{Metric, Threshold};
use gate_core::{Comparison, Report};

use crate::collect::{Mode, ProbeInfo};
use crate::stats::percentiles;

use super::view::ProbeView;

/// Stable kebab-case slug of a probe name, for metric names.
pub fn slug(name: &str) -> String {
    gate_core::text::slug(name, "probe")
}

/// The metric id of each probe: the slug of its name, and where two probes'
/// slugs are the same (`--url http://h:1/` and `--tcp h:1`), that slug with
/// the probe's kind (`h-1-http`, `h-1-tcp`), then with its position among
/// those still alike. An id that collides with no other is the plain slug,
/// so ids stay what they were unless a collision forces a change.
pub fn metric_ids(probes: &[ProbeInfo]) -> Vec<String> {
    let count = |ids: &[String], id: &str| ids.iter().filter(|x| *x == id).count();
    let mut ids: Vec<String> = probes.iter().map(|p| slug(&p.name)).collect();
    let with_kind: Vec<String> = ids
        .iter()
        .zip(probes)
        .map(|(id, p)| {
            if count(&ids, id) > 1 {
                format!("{id}-{}", p.kind)
            } else {
                id.clone()
            }
        })
        .collect();
    ids = with_kind;
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let alike: Vec<bool> = ids.iter().map(|id| count(&ids, id) > 1).collect();
    for (id, alike) in ids.iter_mut().zip(alike) {
        if alike {
            let n = seen.entry(id.clone()).or_insert(0);
            *n += 1;
            *id = format!("{id}-{n}");
        }
    }
    ids
}

/// A probe's metrics under its id `s`: the last attempt's latency and
/// phases when there is one round, else p50 and p95 over the rounds; the
/// latency budget as a warn-only threshold.
pub fn probe(report: &mut Report, mode: Mode, s: &str, p: &ProbeView<'_>) {
    if mode == Mode::Once || p.history.len() <= 1 {
        if let Some(r) = p.last {
            let mut m = Metric::info(format!("{s}-latency"), r.phases.total, "ms");
            if let Some(b) = p.info.latency_budget_ms {
                m = m.with_threshold(Threshold::new(Comparison::AtMost, b).warn_only());
            }
            report.metrics.push(m);
            for (phase, v) in [
                ("dns", r.phases.dns),
                ("connect", r.phases.connect),
                ("tls", r.phases.tls),
                ("ttfb", r.phases.ttfb),
            ] {
                if let Some(v) = v {
                    report
                        .metrics
                        .push(Metric::info(format!("{s}-{phase}"), v, "ms"));
                }
            }
        }
    } else if let Some((p50, p95)) = p.pct {
        report
            .metrics
            .push(Metric::info(format!("{s}-p50"), p50, "ms"));
        let mut m = Metric::info(format!("{s}-p95"), p95, "ms");
        if let Some(b) = p.info.latency_budget_ms {
            m = m.with_threshold(Threshold::new(Comparison::AtMost, b).warn_only());
        }
        report.metrics.push(m);
    }
}

/// Overall p50/p95 of every answered attempt and the count of probes by
/// health.
pub fn overall(report: &mut Report, all_latencies: &[f64], counts: (usize, usize, usize)) {
    if let Some((p50, p95)) = percentiles(all_latencies) {
        report.metrics.push(Metric::info("p50-ms", p50, "ms"));
        report.metrics.push(Metric::info("p95-ms", p95, "ms"));
    }
    report
        .metrics
        .push(Metric::info("probes-healthy", counts.0 as f64, "count"));
    report
        .metrics
        .push(Metric::info("probes-degraded", counts.1 as f64, "count"));
    report
        .metrics
        .push(Metric::info("probes-failing", counts.2 as f64, "count"));
}
