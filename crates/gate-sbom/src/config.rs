//! The `sbom` section of `gates.yml` ([`SbomConfig`]) and gate-sbom's flags
//! and subcommands ([`SbomArgs`], [`SbomCommand`]).

use gate_core::types::{Level, Percent};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::generate::SpecVersion;

/// When to ask cargo for the dependency graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CargoMetadata {
    /// `cargo metadata` when cargo is installed and a Cargo.toml sits beside the lockfile; else Cargo.lock alone.
    #[default]
    Auto,
    /// Always `cargo metadata`; fail when it cannot run.
    Always,
    /// Cargo.lock alone (no licenses, no dependency kinds).
    Never,
}

/// The `sbom` section of `gates.yml`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SbomConfig {
    /// Lockfiles, manifests or directories to describe, one SBOM each (Cargo.toml, Cargo.lock, package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, requirements*.txt, go.mod, Gemfile.lock, composer.lock). Default: the lockfiles in the repository root.
    pub inputs: Vec<String>,
    /// Where to write the SBOM (relative to the repository). With several inputs it must contain `{product}` (the root component's name).
    pub sbom_path: String,
    /// CycloneDX version to write: `1.5` or `1.6`.
    pub spec_version: SpecVersion,
    /// Also write the SBOM as CycloneDX XML here (same content and serial number as the JSON; with several inputs it must contain `{product}`).
    pub xml_path: Option<String>,
    /// Cargo graphs: `auto`, `always` or `never` run `cargo metadata --locked --offline`.
    pub cargo_metadata: CargoMetadata,
    /// Name of the root component (default: the manifest's package, or the workspace's repository name).
    pub name: Option<String>,
    /// Release files: each is added to the root component with its sha256 and listed in the subjects file.
    pub artifacts: Vec<String>,
    /// `sha256sum`-format subjects file for actions/attest `subject-checksums` (written when there are artifacts).
    pub subjects_path: String,
    /// Also write an unsigned in-toto Statement v1 with a SLSA v1 provenance predicate here.
    pub provenance_path: Option<String>,
    /// Minimum share of components with at least one hash, in percent.
    pub min_hashes: Option<Percent>,
    /// Minimum share of components with a license, in percent.
    pub min_licenses: Option<Percent>,
    /// Minimum share of components with a purl, in percent.
    pub min_purls: Option<Percent>,
    /// SPDX license ids no component may require (a component passes when its expression can be satisfied without them).
    pub deny_licenses: Vec<String>,
    /// Components the dependency graph does not reach from the root: `error`, `warning`, `note` or `ignore`.
    pub unreachable: Level,
}

impl Default for SbomConfig {
    fn default() -> Self {
        SbomConfig {
            inputs: Vec::new(),
            sbom_path: "sbom.cdx.json".into(),
            spec_version: SpecVersion::V1_5,
            xml_path: None,
            cargo_metadata: CargoMetadata::Auto,
            name: None,
            artifacts: Vec::new(),
            subjects_path: "subjects.sha256".into(),
            provenance_path: None,
            min_hashes: None,
            min_licenses: None,
            min_purls: None,
            deny_licenses: Vec::new(),
            unreachable: Level::Error,
        }
    }
}

/// Subcommands of gate-sbom (default: generate).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum SbomCommand {
    /// Validate CycloneDX JSON files (1.5, 1.6, 1.7 schemas; semantic checks; policy) instead of generating
    Check {
        /// CycloneDX JSON files
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Compare two SBOMs, or two commits or directories (their lockfiles, generated with the same options): components added, removed, version- and license-changed (HEAD is also validated and held to the policy)
    Diff {
        /// Before: a CycloneDX JSON file, a git revision (e.g. origin/main) or a directory
        #[arg(value_name = "BASE")]
        base: String,
        /// After: a CycloneDX JSON file, a git revision (e.g. HEAD) or a directory (`.`: the checkout as it is)
        #[arg(value_name = "HEAD")]
        head: String,
    },
}

/// Flags of gate-sbom (each overrides the `gates.yml` key of the same name).
#[derive(Debug, Clone, clap::Args)]
pub struct SbomArgs {
    #[command(subcommand)]
    pub command: Option<SbomCommand>,
    /// Lockfile, manifest or directory to describe (repeatable)
    #[arg(long = "input", id = "inputs", value_name = "PATH")]
    pub inputs: Vec<String>,
    /// Where to write the SBOM
    #[arg(long = "sbom-path", id = "sbom_path", value_name = "PATH")]
    pub sbom_path: Option<String>,
    /// CycloneDX version to write: 1.5 or 1.6
    #[arg(long = "spec-version", id = "spec_version", value_name = "VERSION")]
    pub spec_version: Option<String>,
    /// Also write the SBOM as CycloneDX XML here
    #[arg(long = "xml-path", id = "xml_path", value_name = "PATH")]
    pub xml_path: Option<String>,
    /// auto, always or never run `cargo metadata`
    #[arg(long = "cargo-metadata", id = "cargo_metadata", value_name = "WHEN")]
    pub cargo_metadata: Option<String>,
    /// Name of the root component
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Release file to add with its sha256 (repeatable)
    #[arg(long = "artifact", id = "artifacts", value_name = "PATH")]
    pub artifacts: Vec<String>,
    /// Subjects file (sha256sum format) for actions/attest
    #[arg(long = "subjects-path", id = "subjects_path", value_name = "PATH")]
    pub subjects_path: Option<String>,
    /// Write an unsigned in-toto Statement (SLSA v1 provenance) here
    #[arg(long = "provenance-path", id = "provenance_path", value_name = "PATH")]
    pub provenance_path: Option<String>,
    /// Minimum share of components with hashes, percent
    #[arg(
        long = "min-hashes",
        id = "min_hashes",
        value_name = "PERCENT",
        global = true
    )]
    pub min_hashes: Option<String>,
    /// Minimum share of components with licenses, percent
    #[arg(
        long = "min-licenses",
        id = "min_licenses",
        value_name = "PERCENT",
        global = true
    )]
    pub min_licenses: Option<String>,
    /// Minimum share of components with purls, percent
    #[arg(
        long = "min-purls",
        id = "min_purls",
        value_name = "PERCENT",
        global = true
    )]
    pub min_purls: Option<String>,
    /// SPDX license id no component may require (repeatable)
    #[arg(
        long = "deny-license",
        id = "deny_licenses",
        value_name = "SPDX-ID",
        global = true
    )]
    pub deny_licenses: Vec<String>,
    /// Unreachable components: error, warning or ignore
    #[arg(long, value_name = "LEVEL", global = true)]
    pub unreachable: Option<String>,
}
