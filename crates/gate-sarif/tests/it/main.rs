//! gate-sarif's integration tests: one test binary (one link of the whole
//! stack), a module per subject. Panicking is how a test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
mod docs;
mod hostile;
mod real;
