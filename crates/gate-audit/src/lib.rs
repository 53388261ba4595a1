//! gate-audit: known-vulnerability audit of lockfiles, offline first.
//!
//! - [`lockfile`] (gate-core's, re-exported) reads Cargo.lock (v1–v4),
//!   package-lock.json / npm-shrinkwrap.json (v1–v3), pinned
//!   requirements*.txt, yarn.lock (classic, Berry), pnpm-lock.yaml (5.x, 6.x,
//!   9.x), poetry.lock, uv.lock, Pipfile.lock, go.mod (+ go.sum),
//!   Gemfile.lock and composer.lock, keeping the line of every package entry;
//! - [`rustsec`] loads a RustSec advisory-db directory and matches with
//!   cargo-audit's exact semantics;
//! - [`osv`] loads OSV JSON directories and matches with OSV semantics
//!   (SemVer for npm, PEP 440 for PyPI, Go semver, `Gem::Version`,
//!   Composer's order: [`version`]); [`osv_zip`] reads osv.dev's `all.zip`
//!   archives in place;
//! - [`matcher`] runs both and groups aliases into one finding per
//!   vulnerability per package;
//! - [`policy`] holds the ignore lists (gates.yml, `.cargo/audit.toml`,
//!   `osv-scanner.toml`) and the database age check;
//! - [`yanked`] reads the crates.io index (Cargo's local cache first);
//! - [`fetch`] downloads data only when asked (`fetch`, `osv-api`);
//! - the gate itself: [`config`] (the `audit` section and the flags),
//!   [`rules`] (`AuditRule`), [`discover`] (which lockfiles),
//!   [`prepare`] (fetched or cached data), [`collect`], the pure
//!   [`evaluate`] (one function per check), and [`gate`], the `impl Gate`.

pub mod collect;
pub mod config;
pub mod discover;
pub mod evaluate;
pub mod fetch;
pub mod gate;
pub use gates_lockfile as lockfile;
pub mod matcher;
pub mod osv;
pub mod osv_zip;
pub mod policy;
pub mod prepare;
pub mod rules;
pub mod rustsec;
pub mod severity;
pub mod version;
pub mod yanked;
