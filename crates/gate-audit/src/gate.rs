//! The `Gate` glue: the `impl Gate` for [`AuditGate`], delegating to
//! [`prepare`](crate::prepare) and [`collect`](crate::collect) (databases,
//! lockfiles, ignore lists, the clock) and the pure
//! [`evaluate`](crate::evaluate). The re-exports keep the paths this module
//! has always offered.

use gate_core::report::{Report, Rule, Rules};
use gate_core::{Context, Gate};

pub use crate::collect::{
    AuditInput, DbSummary, InvalidName, LockSummary, collect_at, collect_with,
};
pub use crate::config::{AuditArgs, AuditConfig, FailOnSeverity, MaxAge};
pub use crate::discover::{Skipped, discover};
pub use crate::evaluate::{evaluate, security_score};
pub use crate::prepare::prepare;
use crate::rules::{AuditRule, GATE_ID};
use crate::{collect, evaluate, prepare};

pub const RULES: &[Rule] = <AuditRule as Rules>::ALL;

/// The audit gate.
#[derive(Debug)]
pub struct AuditGate;

impl Gate for AuditGate {
    const ID: &'static str = GATE_ID;
    const ABOUT: &'static str = "Known vulnerabilities in every lockfile (Cargo.lock, package-lock.json, npm-shrinkwrap.json, requirements*.txt, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, go.mod, Gemfile.lock/gems.locked, composer.lock) against RustSec and OSV data, offline";
    const RULES: &'static [Rule] = RULES;
    // Reading files and matching: sequential; `--fetch` and `--osv-api`
    // still overlap their requests on one thread.
    const WORKER_THREADS: usize = 0;
    type Config = AuditConfig;
    type Args = AuditArgs;
    type Input = AuditInput;

    async fn collect(
        ctx: &Context,
        config: &Self::Config,
        _args: &Self::Args,
    ) -> gate_core::Result<Self::Input> {
        let root = &ctx.repo_root;
        let (config, api, notes) = prepare::prepare(root, config).await?;
        for n in &notes {
            gate_core::out::diag(Self::ID, "info", n);
        }
        let mut input = collect::collect_inner(
            root,
            &config,
            collect::today(),
            ctx.github.base_sha.as_deref(),
            api,
        )?;
        input.fetch = notes;
        Ok(input)
    }

    fn evaluate(input: &Self::Input, config: &Self::Config) -> Report {
        evaluate::evaluate(input, config)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (m, k) in [
            ("vulnerabilities", "vulnerabilities"),
            ("warnings", "warnings"),
            ("security-score", "score"),
        ] {
            if let Some(m) = report.metric(m) {
                out.push((k.to_string(), gate_core::report::format_number(m.value)));
            }
        }
        out
    }
}
