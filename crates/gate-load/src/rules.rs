//! The rules of gate-load: every finding it emits is one of these.

gate_core::rules! {
    /// Rules of gate-load, in the order of the report's rule table.
    pub enum LoadRule {
        /// A threshold failed (or warned).
        ThresholdBreached {
            id: "threshold-breached",
            summary: "A load threshold was not met",
            help: "Find the cause (the endpoint, the error classes, the latency chart) or, if the load was unrealistic, change the threshold in gates.yml.",
            severity: Error,
        },
        /// Failed requests by class.
        RequestErrors {
            id: "request-errors",
            summary: "Some requests failed (by class)",
            help: "The classes say where: status-5xx (the service), connect-refused (nothing listening), reset/closed (the connection broke), timeout, tls. Thresholds on error_rate decide the verdict.",
            severity: Note,
        },
        /// Open model: dropped arrivals.
        RateNotMet {
            id: "rate-not-met",
            summary: "Open model: arrivals were dropped (no free connection)",
            help: "The service answered too slowly for the rate with max-connections in flight. Raise max-connections, or treat it as a failure with the threshold `dropped == 0`.",
            severity: Warning,
        },
        /// The generator was the bottleneck.
        GeneratorSaturated {
            id: "generator-saturated",
            summary: "The load generator was the bottleneck: results are unreliable",
            help: "Lower the load per runner and scale out across a matrix (`gate-load merge`), or give the generator more cores.",
            severity: Warning,
        },
        /// Requests in flight at the end.
        InterruptedRequests {
            id: "interrupted-requests",
            summary: "Requests were still in flight when the run ended",
            help: "They are not errors. Raise graceful-stop to let them finish.",
            severity: Note,
        },
    }
}

/// Every rule of gate-load.
pub const RULES: &[gate_core::report::Rule] = <LoadRule as gate_core::report::Rules>::ALL;
