//! gates-lockfile's integration tests: one test binary (one link of the whole
//! stack), a module per subject. Panicking is how a test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cargo_lock_fast_path;
mod fuzz_corpus;
mod lockfiles_real;
