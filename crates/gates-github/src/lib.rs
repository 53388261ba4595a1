//! gates-github: everything that talks to GitHub, and the only crate that
//! links octocrab.
//!
//! - [`env`]: the runner's environment (`GITHUB_*`, the event payload);
//! - [`api`]: the REST client (retries, rate limits, token scrubbing);
//! - [`sinks`]: the runner's files (step outputs, job summary);
//! - [`ledger`]: pipeline state on GitHub (check runs per commit,
//!   deployments and statuses per environment);
//! - [`read`]: the reading API (a commit's check runs with gates' reports,
//!   deployments with statuses across environments), through the client's
//!   ETag cache.

pub mod api;
pub mod env;
pub mod ledger;
pub mod read;
pub mod sinks;

pub use env::GithubEnv;
