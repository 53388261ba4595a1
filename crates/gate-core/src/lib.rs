//! gate-core: the one shared library of the gates toolkit.
//!
//! A gate (`crates/gate-<name>`) implements [`gate::Gate`]: `collect` gathers
//! inputs, `evaluate` judges them purely into a [`report::Report`]. This crate
//! does the rest, in one place: command line and `gates.yml` ([`config`]),
//! rendering ([`render`]), GitHub ([`github`]), pipeline state ([`ledger`]),
//! and exit codes ([`exit`]). See `ARCHITECTURE.md`.

pub mod config;
pub mod context;
pub mod error;
pub mod exit;
pub mod gate;
pub mod gitfs;
pub mod github;
pub mod ledger;
pub mod lockfile;
pub mod out;
pub mod outfile;
pub mod procfs;
pub mod render;
pub mod report;
pub mod run;
pub mod secret;
pub mod text;
pub mod tls;
pub mod types;
pub mod units;

pub use context::Context;
pub use error::{GateError, Result};
pub use exit::ExitCode;
pub use gate::Gate;
pub use report::{
    Comparison, Finding, Location, Metric, Report, Rule, Severity, Threshold, Verdict,
};
