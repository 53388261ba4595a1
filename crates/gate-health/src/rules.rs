//! The rules of gate-health: every finding it emits is one of these.

gate_core::rules! {
    /// Rules of gate-health, in the order of the report's rule table.
    pub enum HealthRule {
        /// A probe failed once (`once` mode).
        ProbeFailing {
            id: "probe-failing",
            summary: "A probe failed: it could not connect, timed out, or a condition did not hold",
            help: "Look at the reason and the phase that failed; fix the service or the condition.",
            severity: Error,
        },
        /// A passing probe was slower than its budget.
        LatencyOverBudget {
            id: "latency-over-budget",
            summary: "A probe passed but took longer than its latency budget",
            help: "Find the slow phase (DNS, connect, TLS, TTFB) in the report, or raise `latency-budget`.",
            severity: Warning,
        },
        /// The certificate is close to expiry.
        CertificateExpiring {
            id: "certificate-expiring",
            summary: "The server's TLS certificate expires soon",
            help: "Renew the certificate; the warning starts at `cert-expiry-warning` before expiry.",
            severity: Warning,
        },
        /// `--wait` ran out of time.
        NotHealthyInTime {
            id: "not-healthy-in-time",
            summary: "A probe did not pass `success-threshold` rounds in a row before `timeout`",
            help: "Check the service's start-up; raise `timeout` if it is just slow to start.",
            severity: Error,
        },
        /// `--watch` tripped.
        CircuitOpen {
            id: "circuit-open",
            summary: "A probe failed `failure-threshold` rounds in a row while watching",
            help: "The service went unhealthy after the change: roll back (gate-rollback) and look at the failing probe.",
            severity: Error,
        },
        /// `--watch` saw failures below the threshold.
        FlakyProbe {
            id: "flaky-probe",
            summary: "A probe failed some rounds while watching, fewer than `failure-threshold` in a row",
            help: "Intermittent failures: look at the failing rounds' reasons in the JSON report.",
            severity: Warning,
        },
        /// One line per probe.
        ProbeStatus {
            id: "probe-status",
            summary: "Each probe's health, latency, phases and status (one note per probe)",
            help: "Nothing to do: the line says how the probe went.",
            severity: Note,
        },
        /// Notes about the probes.
        ProbeNote {
            id: "probe-note",
            summary: "Something about the probes worth knowing (skipped gatus endpoints, target source)",
            help: "Nothing to do.",
            severity: Note,
        },
    }
}

/// Every rule of gate-health.
pub const RULES: &[gate_core::report::Rule] = <HealthRule as gate_core::report::Rules>::ALL;
