//! gates-report: the contract of the gates toolkit, as nextest-metadata is
//! nextest's. What a gate produces and how it is shown, with no runner, no
//! network and no configuration:
//!
//! - [`report`]: the report model (verdict, metrics, findings) and rules
//!   ([`rules!`] declares a gate's rules as an enum);
//! - [`records`]: what the ledger stores (gate results, deployments);
//! - [`render`]: human, JSON v1, Markdown, SARIF and GitHub renderings;
//! - [`exit`] and [`error`]: the documented exit codes and the error type
//!   that maps onto them;
//! - leaf modules used by all of the above: [`escape`] (workflow-command
//!   escaping, the runner model), [`secret`] (masking every printed form of
//!   a secret), [`text`] (slugs, percent-encoding, hex).
//!
//! Tools that read gates' reports (gate-score, dashboards) depend on this
//! crate alone.

pub mod error;
pub mod escape;
pub mod exit;
pub mod records;
pub mod render;
pub mod report;
pub mod secret;
pub mod text;

pub use error::{GateError, Result};
pub use exit::ExitCode;
pub use report::{
    Comparison, Finding, Location, Metric, Report, Rule, Rules, Severity, Threshold, Verdict,
};
