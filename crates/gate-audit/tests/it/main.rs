//! gate-audit's integration tests: one test binary (one link of the whole
//! stack), a module per subject. Panicking is how a test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cache;
mod cargo_audit_compat;
mod cli;
mod differential;
mod docs;
mod example;
mod fetch;
mod fuzz_corpus;
mod fuzz_oracle;
mod help;
mod hostile;
mod new_ecosystems;
mod osv_subset;
mod osv_zip;
mod tls;
mod yanked;
