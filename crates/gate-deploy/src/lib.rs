//! gate-deploy: blue-green deploys behind a real traffic switch, a
//! post-switch circuit breaker and automatic rollback.
//!
//! - [`config`]: the `deploy` section and the flags;
//! - [`probe`]: gate-health's HTTP(S) probes (conditions, TLS, latency
//!   budgets) and a command probe, behind the [`probe::Probe`] trait;
//! - [`breaker`]: the post-switch circuit breaker as a pure state machine
//!   (consecutive failures or an error rate over a sliding window);
//! - [`switch`]: HAProxy, nginx, Caddy, symlink and command switches;
//! - [`state`]: the environment's state derived from the ledger alone;
//! - [`flow`]: the deploy, rollback and status flows (all I/O);
//! - [`rules`]: the rules of gate-deploy and gate-rollback ([`rules::DeployRule`]);
//! - [`collect`]: which flow a run takes, into a [`collect::DeployInput`];
//! - [`evaluate`]: the pure reports (shared with gate-rollback);
//! - [`outputs`]: the step outputs (shared with gate-rollback);
//! - [`gate`]: the `Gate` glue.

pub mod breaker;
pub mod collect;
pub mod config;
pub mod evaluate;
pub mod flow;
pub mod gate;
pub mod hooks;
pub mod http;
pub mod machine;
pub mod outputs;
pub mod probe;
pub mod rules;
pub mod state;
pub mod switch;

pub use collect::DeployInput;
pub use gate::DeployGate;
