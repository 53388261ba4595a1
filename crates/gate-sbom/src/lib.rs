//! gate-sbom: reproducible CycloneDX SBOMs from Cargo, npm, yarn, pnpm,
//! Python, Go, Ruby and PHP lockfiles,
//! validated against the official JSON Schemas and semantic checks, held to
//! a quality policy, with attestation subjects for release files.
//!
//! [`config`] declares the `gates.yml` section and the flags, [`rules`] the
//! rule ids. [`sources`] finds the lockfiles and builds each one's
//! [`graph::Graph`]: [`lockfile`] adapts the lockfiles gate-core parses
//! ([`lockfiles`]), [`cargo`] does it for Cargo.lock (workspace roots) and
//! `cargo metadata`. [`generate`] writes the graph as CycloneDX (serde
//! structs in [`model`], XML in [`xml`]); [`doc`] reads any CycloneDX
//! document back and [`validate`]s it; [`attest`] digests artifacts and
//! writes the subjects file and the in-toto Statement; [`revision`] turns a
//! commit or directory into SBOMs for [`diff`]. [`collect`] does the I/O,
//! [`evaluate`] the pure judgement, [`outputs`] the step outputs, and
//! [`gate`] is the `impl Gate`.

pub mod attest;
pub mod cargo;
pub mod collect;
pub mod config;
pub mod diff;
pub mod doc;
pub mod error;
pub mod evaluate;
pub mod gate;
pub mod generate;
pub mod graph;
pub mod lockfile;
pub mod model;
pub mod outputs;
pub mod revision;
pub mod rules;
pub mod sources;
pub mod validate;
pub mod xml;

pub use gate::SbomGate;
/// The lockfile parsers and model gate-sbom reads (gate-core's): the one
/// place this crate names where they live.
pub use gates_lockfile as lockfiles;
