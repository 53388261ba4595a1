//! gate-load's integration tests: one test binary (one link of the whole
//! stack), a module per subject. Panicking is how a test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod baseline;
mod common;
mod docs;
mod engine;
mod gate;
mod hostile;
mod nginx;
mod tls;
