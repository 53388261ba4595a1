//! gate-sbom: reproducible CycloneDX SBOMs from Cargo, npm, yarn, pnpm,
//! Python, Go, Ruby and PHP lockfiles,
//! validated against the official JSON Schemas and semantic checks, held to
//! a quality policy, with attestation subjects for release files.
//!
//! [`lockfile`] adapts the lockfiles gate-core parses into a
//! [`graph::Graph`]; [`cargo`] does it for Cargo.lock (workspace roots) and
//! `cargo metadata`;
//! [`generate`] writes it as CycloneDX (serde structs in [`model`]);
//! [`validate`] checks any CycloneDX JSON; [`attest`] digests artifacts and
//! writes the subjects file and the in-toto Statement; [`gate`] is the glue.

pub mod attest;
pub mod cargo;
pub mod diff;
pub mod error;
pub mod gate;
pub mod generate;
pub mod graph;
pub mod lockfile;
pub mod model;
pub mod revision;
pub mod validate;
pub mod xml;

pub use gate::SbomGate;
