//! gate-score: one go/no-go decision from the evidence of a commit.
//!
//! It knows the other gates only through their JSON report v1 (the
//! `gates-report` contract), never through their crates.
//!
//! - [`config`]: the `score` section of `gates.yml`: required gates,
//!   categories, inputs with their curves, weights and targets;
//! - [`validate`]: what the schema cannot say (exit 3 with the key path);
//! - [`curve`]: monotone piecewise-linear curves;
//! - [`rules`]: the rule ids this gate can emit;
//! - [`collect`]: all I/O: check runs, the local ledger, report files;
//! - [`evaluate`]: the pure judgement;
//! - [`summary`]: the job summary's breakdown table;
//! - [`gate`]: the `impl Gate`.

pub mod collect;
pub mod config;
pub mod curve;
pub mod evaluate;
pub mod gate;
pub mod rules;
pub mod summary;
pub mod validate;

pub use gate::ScoreGate;
