//! gate-coverage's integration tests: one test binary (one link of the whole
//! stack), a module per subject. Panicking is how a test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod actions;
mod baseline;
mod binary;
mod comment;
mod common;
mod diff_cover_compat;
mod docs;
mod encoding;
mod flags;
mod formats_agree;
mod fuzz_corpus;
mod gate;
mod help;
mod hostile;
mod large_fixture;
mod no_git;
mod truncated;
mod unmeasured;
