//! The shape every gate has.
//!
//! A gate is two functions: `collect` does the I/O (read reports, run git,
//! probe endpoints) and `evaluate` is a *pure* function from the collected
//! input and the configuration to a [`Report`]. Everything else (flags,
//! config, rendering, GitHub, the ledger, exit codes) is [`crate::run`]'s.

use std::fmt::Debug;
use std::future::Future;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::context::Context;
use crate::error::Result;
use crate::report::{Report, Rule};

pub trait Gate {
    /// Gate id: kebab-case, the `gates.yml` section, `gate-<ID>` binary,
    /// `gates/<ID>` check run, `GATES_<ID>_*` environment variables.
    const ID: &'static str;

    /// One line for `--help`.
    const ABOUT: &'static str;

    /// Every rule id the gate can emit, for SARIF and the docs.
    const RULES: &'static [Rule];

    /// Worker threads of the async runtime `collect` runs on. `0`: a
    /// current-thread runtime (no thread to start and join, ~0.2 ms less per
    /// run), for gates whose I/O is mostly sequential; gates that drive
    /// many connections at once (load, health, deploy) keep the default.
    const WORKER_THREADS: usize = 2;

    /// A section whose keys this gate's section inherits, key by key: the
    /// gate reads `BASE_SECTION:`, then its own section over it, then its
    /// `GATES_<ID>_*` variables and flags (gate-rollback reads `deploy:`).
    /// `Config` must then take the base section's keys. `None`: its own
    /// section alone.
    const BASE_SECTION: Option<&'static str> = None;

    /// The gate's `gates.yml` section. Use `#[serde(deny_unknown_fields,
    /// rename_all = "kebab-case", default)]`; doc comments become the schema's
    /// descriptions.
    type Config: DeserializeOwned + JsonSchema + Debug;

    /// Gate-specific flags. A flag whose id (field name, `_` read as `-`) is a
    /// key of `Config` overrides that key; others are for `collect` alone.
    type Args: clap::Args + Debug;

    /// What `collect` gathers for `evaluate`.
    type Input;

    /// Gathers inputs: all I/O happens here. Errors carry exit codes.
    fn collect(
        ctx: &Context,
        config: &Self::Config,
        args: &Self::Args,
    ) -> impl Future<Output = Result<Self::Input>>;

    /// Judges the input: pure, deterministic, no I/O. Call
    /// [`Report::finish`] at the end.
    fn evaluate(input: &Self::Input, config: &Self::Config) -> Report;

    /// Step outputs (`$GITHUB_OUTPUT`) for a report. `verdict` is always
    /// added by the runner.
    fn outputs(report: &Report) -> Vec<(String, String)> {
        let _ = report;
        Vec::new()
    }

    /// Whether this run's report is a result worth recording in the ledger
    /// (a check run `gates/<ID>` on the commit). A read-only subcommand, such
    /// as `gate-deploy status`, says no, so it never replaces the real result.
    fn record(args: &Self::Args) -> bool {
        let _ = args;
        true
    }

    /// The instance this run records under when `--instance` is not given
    /// (its record is then `gates/<ID>/<instance>`): a subcommand that
    /// judges something else than the default run does (gate-sbom's `check`
    /// and `diff`) keeps its own record instead of replacing the default's.
    fn default_instance(args: &Self::Args) -> Option<&'static str> {
        let _ = args;
        None
    }

    /// Extra publishing after the report is recorded (e.g. a sticky PR
    /// comment). Default: nothing.
    fn publish(
        ctx: &Context,
        config: &Self::Config,
        report: &Report,
    ) -> impl Future<Output = Result<()>> {
        let _ = (ctx, config, report);
        async { Ok(()) }
    }
}
