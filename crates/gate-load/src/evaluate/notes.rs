//! Findings that explain the run: failed requests by class, dropped
//! arrivals, interrupted requests, a saturated generator.

use gate_core::Report;
use gate_core::report::{Finding, Severity};

use crate::result::{EndpointStats, LoadResult};
use crate::rules::LoadRule;

/// `request-errors`: failed requests by class, overall and per endpoint.
pub fn request_errors(report: &mut Report, r: &LoadResult) {
    // Errors by class, each with an example.
    let classes_of = |e: &EndpointStats| -> Vec<String> {
        e.errors
            .iter()
            .map(|(k, v)| match e.examples.get(k) {
                Some(x) => format!("{k}: {v}, e.g. \"{x}\""),
                None => format!("{k}: {v}"),
            })
            .collect()
    };
    if r.overall.error_count() > 0 {
        let classes = classes_of(&r.overall);
        report.findings.push(
            Finding::new(
                LoadRule::RequestErrors,
                Severity::Note,
                format!(
                    "{} of {} requests failed ({})",
                    r.overall.error_count(),
                    r.overall.requests,
                    classes.join(", ")
                ),
            )
            .with_key("overall"),
        );
        if r.endpoints.len() > 1 {
            for e in r.endpoints.iter().filter(|e| e.error_count() > 0) {
                let classes = classes_of(e);
                report.findings.push(
                    Finding::new(
                        LoadRule::RequestErrors,
                        Severity::Note,
                        format!(
                            "`{}`: {} of {} requests failed ({})",
                            e.name,
                            e.error_count(),
                            e.requests,
                            classes.join(", ")
                        ),
                    )
                    .with_key(e.name.clone()),
                );
            }
        }
    }
}

/// `rate-not-met`, `interrupted-requests` and `generator-saturated`.
pub fn run_notes(report: &mut Report, r: &LoadResult) {
    if r.dropped > 0 {
        report.findings.push(Finding::new(
            LoadRule::RateNotMet,
            Severity::Warning,
            format!(
                "{} arrivals were dropped: no free connection (the service was too slow for the rate with the connections allowed); they count as failures in error_rate",
                r.dropped
            ),
        ));
    }
    if r.overall.interrupted > 0 {
        report.findings.push(Finding::new(
            LoadRule::InterruptedRequests,
            Severity::Note,
            format!(
                "{} requests were still in flight at the end of the run (not counted as errors)",
                r.overall.interrupted
            ),
        ));
    }
    if r.generator.unreliable {
        report.findings.push(Finding::new(
            LoadRule::GeneratorSaturated,
            Severity::Warning,
            format!("results are unreliable: {}", r.generator.reasons.join("; ")),
        ));
    }
}
