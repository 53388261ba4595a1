//! gate-deploy's integration tests: one test binary (one link of the whole
//! stack), a module per subject. Panicking is how a test fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod config;
mod docs;
mod fallback;
mod flows;
mod github;
mod haproxy;
mod help;
mod hostile;
mod kill;
mod probes;
mod proxies;
mod proxy_setup;
mod secrets;
