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
    /// Lockfile, manifest or directory to describe, one SBOM each. Accepted: Cargo.toml, Cargo.lock, package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, requirements*.txt, go.mod, Gemfile.lock, composer.lock. Default: the lockfiles in the repository root.
    #[schemars(extend("x-gates-flag" = "input", "x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub inputs: Vec<String>,
    /// Where to write the SBOM, relative to the repository. With several inputs it must contain `{product}` (the root component's name).
    pub sbom_path: String,
    /// CycloneDX version to write: `1.5` or `1.6`.
    pub spec_version: SpecVersion,
    /// Also write the SBOM as CycloneDX XML here. Same content and serial number as the JSON; with several inputs it must contain `{product}`.
    pub xml_path: Option<String>,
    /// When to read Cargo graphs with `cargo metadata --locked --offline`. `auto`: when cargo is installed and a Cargo.toml sits beside the lockfile; `always`; `never` (Cargo.lock alone).
    pub cargo_metadata: CargoMetadata,
    /// Name of the root component. Default: the manifest's package, or the workspace's repository name.
    pub name: Option<String>,
    /// Release file to add to the root component with its sha256 and list in the subjects file.
    #[schemars(extend("x-gates-flag" = "artifact", "x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "PATH"))]
    pub artifacts: Vec<String>,
    /// Subjects file (`sha256sum` format) for actions/attest `subject-checksums`. Written when there are artifacts.
    pub subjects_path: String,
    /// Also write an unsigned in-toto Statement v1 with a SLSA v1 provenance predicate here.
    pub provenance_path: Option<String>,
    /// Minimum share of components with at least one hash, in percent.
    pub min_hashes: Option<Percent>,
    /// Minimum share of components with a license, in percent.
    pub min_licenses: Option<Percent>,
    /// Minimum share of components with a purl, in percent.
    pub min_purls: Option<Percent>,
    /// SPDX license id no component may require. A component passes when its license expression can be satisfied without the denied ids.
    #[schemars(extend("x-gates-flag" = "deny-license", "x-gates-separator" = ","))]
    #[schemars(extend("x-gates-value-name" = "SPDX-ID"))]
    pub deny_licenses: Vec<String>,
    /// How a component that the dependency graph does not reach from the root counts. `error`, `warning`, `note` or `ignore`.
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

/// Flags of gate-sbom that are not config keys: the subcommands. Every
/// `sbom` key is also a flag, made from [`SbomConfig`]'s schema: gate-core
/// generates most of them; the policy keys' flags ([`GLOBAL_KEYS`]) are made
/// here from the same schema, only marked global, so that they are accepted
/// after `check` and `diff` as well as before.
#[derive(Debug, Clone)]
pub struct SbomArgs {
    pub command: Option<SbomCommand>,
}

/// The keys whose flags are global: the policy, which `check` and `diff`
/// apply too (`gate-sbom check x.cdx.json --min-hashes 90`).
pub const GLOBAL_KEYS: [&str; 5] = [
    "min-hashes",
    "min-licenses",
    "min-purls",
    "deny-licenses",
    "unreachable",
];

/// The subcommand, as clap derives it.
#[derive(Debug, Clone, clap::Args)]
struct Subcommands {
    #[command(subcommand)]
    command: Option<SbomCommand>,
}

/// The flags of [`GLOBAL_KEYS`], made from the schema as gate-core makes
/// every other key's flag (long name, alias, help, value name, repetition,
/// separator), plus `global`. gate-core then sees their ids taken and
/// generates none, and reads their values as any config flag's (same
/// coercion and schema check, exit 2 on a bad one).
fn global_key_flags(cmd: clap::Command) -> clap::Command {
    use gate_core::config::{KeyKind, key_specs, section_schema};
    let schema = section_schema::<SbomConfig>();
    let flags = key_specs(&schema)
        .into_iter()
        .filter(|spec| GLOBAL_KEYS.contains(&spec.key.as_str()))
        .map(|spec| {
            let mut arg = clap::Arg::new(spec.key.replace('-', "_"))
                .long(spec.flag.clone())
                .help(spec.summary())
                .help_heading(None)
                .value_name(spec.value_name())
                .global(true);
            if spec.flag != spec.key {
                arg = arg.alias(spec.key.clone());
            }
            match spec.kind {
                KeyKind::List if spec.separator.as_deref() == Some(",") => {
                    arg.action(clap::ArgAction::Append).value_delimiter(',')
                }
                KeyKind::List => arg.action(clap::ArgAction::Append),
                _ => arg.action(clap::ArgAction::Set),
            }
        });
    cmd.args(flags.collect::<Vec<_>>())
}

impl clap::FromArgMatches for SbomArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let s = Subcommands::from_arg_matches(m)?;
        Ok(SbomArgs { command: s.command })
    }
    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        let mut s = Subcommands {
            command: self.command.take(),
        };
        let r = s.update_from_arg_matches(m);
        self.command = s.command;
        r
    }
}

impl clap::Args for SbomArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        global_key_flags(Subcommands::augment_args(cmd))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        global_key_flags(Subcommands::augment_args_for_update(cmd))
    }
}
