//! gate-rollback's integration tests: one test binary, a module per subject.
//! Panicking is how a test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod docs;
mod help;
mod inherit;
