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
        /// A latency percentile regressed against the base beyond the noise allowance.
        LatencyRegressed {
            id: "latency-regressed",
            summary: "p50, p95 or p99 latency regressed against the base beyond the noise allowance",
            help: "Compare the `base-latency-*` metrics with the run's: find the change that made it slower, or, if the base run was unusually fast, rerun it; `baseline.floor` sets the smallest regression that counts.",
            severity: Error,
        },
        /// Throughput regressed against the base beyond the noise allowance.
        ThroughputRegressed {
            id: "throughput-regressed",
            summary: "Throughput (ok requests/s) fell against the base beyond the noise allowance",
            help: "A closed model serves fewer requests when the service is slower or failing: look at latency and errors first.",
            severity: Error,
        },
        /// No base result to compare with: the comparison was skipped.
        BaselineMissing {
            id: "baseline-missing",
            summary: "No base result of the same scenario was found, so the baseline comparison was skipped",
            help: "Run gate-load on the base branch too so the ledger records its report, or pass a previous report with --baseline-file.",
            severity: Note,
        },
    }
}

/// Every rule of gate-load.
pub const RULES: &[gate_core::report::Rule] = <LoadRule as gate_core::report::Rules>::ALL;
