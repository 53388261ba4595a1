//! gate-tests: Gate on test results: JUnit XML reports, failures, flaky and quarantined tests.
//!
//! - [`config`]: the `tests` section of `gates.yml` (every key is also a
//!   flag and a `GATES_TESTS_<KEY>` variable, generated from it);
//! - [`rules`]: the rule ids this gate can emit;
//! - [`collect`]: all I/O, into [`collect::TestsInput`];
//! - [`evaluate`]: the pure judgement, one function per check;
//! - [`gate`]: the `impl Gate`.

pub mod collect;
pub mod config;
pub mod evaluate;
pub mod gate;
pub mod junit;
pub mod rules;

pub use gate::TestsGate;
