//! gate-sbom's integration tests: one test binary (one link of the whole
//! stack), a module per subject. Panicking is how a test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod check;
mod common;
mod diff_commits;
mod docs;
mod ecosystems;
mod flags;
mod generate;
mod help;
mod hostile;
mod hostile_charts;
mod xml;
