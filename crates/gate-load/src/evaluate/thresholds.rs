//! The metrics of each scope (the run, and each endpoint when there are
//! several or a threshold names one) and the thresholds judged on them.

use gate_core::Report;
use gate_core::Verdict;
use gate_core::report::{Finding, Metric, Severity};

use crate::collect::LoadInput;
use crate::result::EndpointStats;
use crate::rules::LoadRule;
use crate::threshold::{Scoped, Stat, judge};

/// Kebab-case slug of an endpoint name, for metric names.
pub fn slug(name: &str) -> String {
    gate_core::text::slug(name, "root")
}

const DEFAULT_STATS: &[Stat] = &[
    Stat::Requests,
    Stat::Rps,
    Stat::Percentile(50.0),
    Stat::Percentile(95.0),
    Stat::Percentile(99.0),
    Stat::Max,
    Stat::ErrorRate,
];

/// Every scope's metrics, each thresholded stat judged.
pub fn scopes(report: &mut Report, input: &LoadInput) {
    let r = &input.result;
    let mut scopes: Vec<(Option<&EndpointStats>, String)> = vec![(None, String::new())];
    if r.endpoints.len() > 1 || input.thresholds.iter().any(|t| t.endpoint.is_some()) {
        for e in &r.endpoints {
            scopes.push((Some(e), format!("{}.", slug(&e.name))));
        }
    }
    for (scope, prefix) in &scopes {
        scope_metrics(report, input, *scope, prefix);
    }
}

/// One scope: the default statistics and every thresholded one.
fn scope_metrics(
    report: &mut Report,
    input: &LoadInput,
    scope: Option<&EndpointStats>,
    prefix: &str,
) {
    let r = &input.result;
    let stats = scope.unwrap_or(&r.overall);
    let name = scope.map(|e| e.name.clone());
    let mine: Vec<&Scoped> = input
        .thresholds
        .iter()
        .filter(|t| t.endpoint == name)
        .collect();
    let mut wanted: Vec<Stat> = DEFAULT_STATS.to_vec();
    if scope.is_none() && r.model != "closed" {
        wanted.push(Stat::Dropped);
    }
    for t in &mine {
        if !wanted.contains(&t.expr.stat) {
            wanted.push(t.expr.stat);
        }
    }
    let scope_text = match scope {
        Some(e) => format!(" on `{}`", e.name),
        None => String::new(),
    };
    for stat in wanted {
        if stat.is_latency() && stats.latency.count() == 0 {
            // No request succeeded: there is no latency, not a 0 ms one.
            for t in mine.iter().filter(|t| t.expr.stat == stat) {
                report.findings.push(
                    Finding::new(
                        LoadRule::ThresholdBreached,
                        severity(judge(&t.expr, stats, r).verdict),
                        format!(
                            "`{}`{scope_text}: no request succeeded, so there is no latency to judge",
                            t.expr.text
                        ),
                    )
                    .with_key(format!("{prefix}{}", t.expr.text)),
                );
            }
            continue;
        }
        let value = stat.value(stats, r);
        let mut m = Metric::info(
            format!("{prefix}{}", stat.metric_name()),
            value,
            stat.unit(),
        );
        for t in mine.iter().filter(|t| t.expr.stat == stat) {
            m = m.with_threshold(t.expr.threshold());
            let v = judge(&t.expr, stats, r).verdict;
            if v != Verdict::Pass {
                report.findings.push(
                    Finding::new(
                        LoadRule::ThresholdBreached,
                        severity(v),
                        format!(
                            "`{}`{scope_text}: {} is {}",
                            t.expr.text,
                            stat.metric_name(),
                            m.display_value()
                        ),
                    )
                    .with_key(format!("{prefix}{}", t.expr.text)),
                );
            }
        }
        report.metrics.push(m);
    }
}

/// A breached threshold's severity: error when it fails, else a warning.
fn severity(v: Verdict) -> Severity {
    if v == Verdict::Fail {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// Thresholds on an endpoint that the result does not have.
pub fn missing_endpoints(report: &mut Report, input: &LoadInput) {
    let r = &input.result;
    for t in &input.thresholds {
        if let Some(name) = &t.endpoint
            && !r.endpoints.iter().any(|e| &e.name == name)
        {
            report.findings.push(
                Finding::new(
                    LoadRule::ThresholdBreached,
                    Severity::Error,
                    format!(
                        "`{}` on `{name}`: the results have no such endpoint",
                        t.expr.text
                    ),
                )
                .with_key(format!("{name}.{}", t.expr.text)),
            );
        }
    }
}
