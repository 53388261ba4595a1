//! gate-coverage: total, per-file and diff coverage from any common report.
//!
//! The engine is pure library code: [`parse`] reads reports (format detected
//! from content), [`diff`] and [`git`] give the changed lines, [`paths`] maps
//! report paths onto the repository's tracked files, [`compute`] gives the
//! figures the gates check, and [`compat`] reproduces diff-cover 11.
//!
//! The gate: [`config`] (the `gates.yml` section and flags), [`rules`],
//! [`collect`] (all I/O, into a [`collect::CoverageInput`]), the pure
//! [`evaluate`], [`comment`] (the pull-request comment) and [`gate`] (the
//! `impl Gate`).

pub mod collect;
pub mod comment;
pub mod compat;
pub mod compute;
pub mod config;
pub mod diff;
pub mod error;
pub mod evaluate;
pub mod gate;
pub mod git;
pub mod lang;
pub mod model;
pub mod parse;
pub mod paths;
pub mod rules;

pub use error::{CoverageError, Result};
pub use model::{CoverageMap, FileCoverage, Format, LineCov, ParsedReport};
pub use parse::{parse_file, parse_reader};
