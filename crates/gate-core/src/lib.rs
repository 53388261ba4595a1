//! gate-core: the runner every gate shares.
//!
//! A gate (`crates/gate-<name>`) implements [`gate::Gate`]: `collect` gathers
//! inputs, `evaluate` judges them purely into a [`report::Report`]. This crate
//! does the rest, in one place: command line and `gates.yml` ([`config`]),
//! the run itself ([`run`]), the context a gate sees ([`context`]), pipeline
//! state ([`ledger`]: the local ledger here, GitHub's in `gates-github`),
//! the one printer ([`out`]), output files ([`outfile`]), TLS ([`tls`]),
//! git ([`git`], [`gitfs`]) and the file system ([`fs`]).
//!
//! The contract (report model, rules, renderers, exit codes, escaping,
//! masking) lives in `gates-report` and the GitHub client in
//! `gates-github`; both are re-exported here under their usual paths, so a
//! gate depends on gate-core alone. See `ARCHITECTURE.md`.

pub mod config;
pub mod context;
pub mod fs;
pub mod gate;
pub mod git;
pub mod gitfs;
pub mod ledger;
pub mod out;
pub mod outfile;
pub mod procfs;
pub mod run;
pub mod tls;
pub mod types;
pub mod units;

pub use gates_report::{error, escape, exit, records, render, report, rules, secret, text};

/// GitHub: the REST client, the runner's files, and workflow-command
/// escaping (re-exported from `gates-github` and `gates-report`).
pub mod github {
    pub use gates_github::{api, env, sinks};
    pub use gates_report::escape;
}

pub use context::Context;
pub use error::{GateError, Result};
pub use exit::ExitCode;
pub use gate::Gate;
pub use report::{
    Comparison, Finding, Location, Metric, Report, Rule, Rules, Severity, Threshold, Verdict,
};
