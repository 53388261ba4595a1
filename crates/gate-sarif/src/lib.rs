//! gate-sarif: Judge SARIF findings from any tool by severity, with a new-only mode against the base.
//!
//! - [`config`]: the `sarif` section of `gates.yml` (every key is also a
//!   flag and a `GATES_SARIF_<KEY>` variable, generated from it);
//! - [`rules`]: the rule ids this gate can emit;
//! - [`collect`]: all I/O, into [`collect::SarifInput`];
//! - [`evaluate`]: the pure judgement, one function per check;
//! - [`sarif`]: reading SARIF 2.1.0 logs;
//! - [`gate`]: the `impl Gate`.

pub mod collect;
pub mod config;
pub mod evaluate;
pub mod gate;
pub mod rules;
pub mod sarif;

pub use gate::SarifGate;
