//! gate-deploy: blue-green deploys behind a real traffic switch, a
//! post-switch circuit breaker and automatic rollback.
//!
//! - [`config`]: the `deploy` section and the flags;
//! - [`probe`]: a minimal HTTP/command probe behind the [`probe::Probe`]
//!   trait (gate-health's probes can replace it);
//! - [`switch`]: HAProxy, nginx, Caddy, symlink and command switches;
//! - [`state`]: the environment's state derived from the ledger alone;
//! - [`flow`]: the deploy, rollback and status flows (all I/O);
//! - [`gate`]: the `Gate` glue and the pure `evaluate` (shared with gate-rollback).

pub mod config;
pub mod flow;
pub mod gate;
pub mod hooks;
pub mod http;
pub mod probe;
pub mod state;
pub mod switch;

pub use gate::{DeployGate, DeployInput};
