//! gate-coverage: total, per-file and diff coverage from any common report.
//!
//! The engine is pure library code: [`parse`] reads reports (format detected
//! from content), [`diff`] and [`git`] give the changed lines, [`paths`] maps
//! report paths onto the repository's tracked files, [`compute`] gives the
//! figures the gates check, and [`compat`] reproduces diff-cover 11.

pub mod comment;
pub mod compat;
pub mod compute;
pub mod diff;
pub mod error;
pub mod gate;
pub mod git;
pub mod model;
pub mod parse;
pub mod paths;

pub use error::{CoverageError, Result};
pub use model::{CoverageMap, FileCoverage, Format, LineCov, Report};
pub use parse::{parse_file, parse_reader};
