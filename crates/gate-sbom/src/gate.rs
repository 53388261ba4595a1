//! The `Gate` glue: configuration, flags (and the `check` subcommand),
//! `collect` (read lockfiles, write the SBOM, subjects and Statement, read
//! them back and validate) and the pure `evaluate` (validity and policy).

use std::path::{Path, PathBuf};

use gate_core::report::{Comparison, Finding, Location, Metric, Report, Rule, Severity, Threshold};
use gate_core::{Context, Gate, GateError};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::attest::{self, BuildFacts};
use crate::cargo;
use crate::generate::{self, Artifact, Options, SpecVersion};
use crate::graph::Graph;
use crate::validate::{self, Analysis, Issue};

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

/// How a policy failure counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Fails the gate.
    #[default]
    Error,
    /// Warns.
    Warning,
    /// Not checked.
    Ignore,
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
    #[schemars(range(min = 0.0, max = 100.0))]
    pub min_hashes: Option<f64>,
    /// Minimum share of components with a license, in percent.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub min_licenses: Option<f64>,
    /// Minimum share of components with a purl, in percent.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub min_purls: Option<f64>,
    /// SPDX license ids no component may require (a component passes when its expression can be satisfied without them).
    pub deny_licenses: Vec<String>,
    /// Components the dependency graph does not reach from the root: `error`, `warning` or `ignore`.
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

/// One SBOM read back (generated) or handed in (`check`).
#[derive(Debug, Clone)]
pub struct Doc {
    /// Path as shown (relative to the repository when inside it).
    pub path: String,
    pub sha256: String,
    pub analysis: Analysis,
    /// Schema errors, or why the schema could not be applied.
    pub schema: Result<Vec<Issue>, String>,
    /// How the SBOM was generated (empty for `check`).
    pub method: String,
    pub notes: Vec<String>,
    /// Fallbacks taken while generating it (warnings).
    pub warnings: Vec<String>,
    /// `diff` between commits: the lockfile does not exist on this side, so
    /// every component of the other side is added (or removed).
    pub absent: bool,
    /// The XML encoding written beside it: (path, sha256).
    pub xml: Option<(String, String)>,
}

impl Doc {
    /// The side of a `diff` where a lockfile does not exist.
    pub fn absent(path: String) -> Doc {
        Doc {
            path,
            sha256: String::new(),
            analysis: Analysis::default(),
            schema: Ok(Vec::new()),
            method: String::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            absent: true,
            xml: None,
        }
    }
}

/// What `collect` gathers.
#[derive(Debug, Clone)]
pub struct SbomInput {
    /// `generate` or `check`.
    pub mode: &'static str,
    pub docs: Vec<Doc>,
    pub artifacts: Vec<Artifact>,
    pub subjects_path: Option<String>,
    pub provenance_path: Option<String>,
    /// `diff`: the base SBOMs, one per head SBOM in `docs`, in the same order.
    pub bases: Vec<Doc>,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "schema-invalid",
        summary: "The SBOM does not validate against the official CycloneDX JSON Schema of its specVersion",
        help: "Fix the field named in the message (unknown fields, wrong types, bad enum values are refused by consumers).",
        default_severity: Severity::Error,
    },
    Rule {
        id: "schema-unavailable",
        summary: "No schema was applied: no embedded JSON Schema for the SBOM's specVersion, or an XML document",
        help: "gate-sbom embeds the 1.5, 1.6 and 1.7 JSON Schemas: produce one of those versions in JSON to have it validated, or validate XML with `xmllint --noout --schema bom-<version>.xsd`.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "missing-serial-number",
        summary: "No serialNumber, or not urn:uuid:<uuid>",
        help: "Give every SBOM a serialNumber `urn:uuid:<RFC 4122 UUID>`; actions/attest and SBOM stores require one.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "duplicate-bom-ref",
        summary: "Two components or services share a bom-ref",
        help: "bom-refs identify components in the dependency graph: make each one unique (e.g. the purl).",
        default_severity: Severity::Error,
    },
    Rule {
        id: "dangling-dependency-ref",
        summary: "A dependency entry names a bom-ref that no component has",
        help: "Add the missing component or remove the edge; consumers drop or reject dangling edges.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "invalid-purl",
        summary: "A component's purl does not parse",
        help: "Write purls per the package-url spec: pkg:TYPE/NAMESPACE/NAME@VERSION, percent-encoded (`@scope` is `%40scope`).",
        default_severity: Severity::Error,
    },
    Rule {
        id: "invalid-license-expression",
        summary: "A license is not a valid SPDX expression or id",
        help: "Use SPDX license ids and AND/OR/WITH (`MIT OR Apache-2.0`); put other licenses in license.name.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "hash-length-mismatch",
        summary: "A hash's length does not match its algorithm",
        help: "The content must be the full hex digest of the named algorithm (SHA-256: 64 hex digits).",
        default_severity: Severity::Error,
    },
    Rule {
        id: "missing-hash",
        summary: "A component has no hash while `min-hashes` is not met",
        help: "Generate from a lockfile that records checksums (Cargo.lock, package-lock.json integrity).",
        default_severity: Severity::Error,
    },
    Rule {
        id: "missing-license",
        summary: "A component has no license while `min-licenses` is not met",
        help: "Generate with `cargo metadata` (cargo installed, crates fetched), or lower `min-licenses`.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "missing-purl",
        summary: "A component has no purl while `min-purls` is not met",
        help: "Give every package component a purl so scanners can match it to advisories.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "unreachable-component",
        summary: "A component is not reachable from the root through the dependency graph",
        help: "Add the missing edges, or remove the component; an unreachable component is either stale or a hole in the graph.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "generation-fallback",
        summary: "The SBOM was generated by a fallback poorer than asked (`cargo metadata` failed or cargo is missing: Cargo.lock alone, no licenses)",
        help: "Make `cargo metadata --locked --offline` work where the gate runs (`cargo fetch` first, dev-dependencies included), or set `cargo-metadata: never` to choose Cargo.lock alone, or `always` to fail instead.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "reachability-unchecked",
        summary: "Reachability is not checked: the SBOM has no root component the graph starts at",
        help: "Nothing to do for an SBOM of an environment or an image; give it a `metadata.component` with a `bom-ref` and a `dependencies` entry for it to have its reachability checked.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "no-dependency-graph",
        summary: "The SBOM has no `dependencies` graph",
        help: "Produce the SBOM with its dependency graph (gate-sbom always writes it).",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "denied-license",
        summary: "A component requires a license listed in `deny-licenses`",
        help: "Replace the dependency, or obtain it under another license; an `OR` choice with an allowed license passes.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "component-added",
        summary: "`diff`: a component in HEAD that BASE does not have",
        help: "Review the new dependency (license, maintenance, advisories).",
        default_severity: Severity::Note,
    },
    Rule {
        id: "component-removed",
        summary: "`diff`: a component of BASE that HEAD no longer has",
        help: "Nothing to do unless the removal was not intended.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "version-changed",
        summary: "`diff`: a component whose version changed",
        help: "Review the upgrade (changelog, advisories).",
        default_severity: Severity::Note,
    },
    Rule {
        id: "license-changed",
        summary: "`diff`: a component whose license changed",
        help: "Check the new license is acceptable.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "generation-note",
        summary: "Something to know about how the SBOM was generated",
        help: "Read the note; it says what was left out or which fallback was taken.",
        default_severity: Severity::Note,
    },
];

/// Findings per rule and document beyond which they are counted, not listed.
const MAX_LISTED: usize = 50;

fn display_path(root: &Path, p: &Path) -> String {
    match p.strip_prefix(root) {
        Ok(r) => r.to_string_lossy().replace('\\', "/"),
        Err(_) => p.to_string_lossy().into_owned(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `bytes` look like XML (a `<` first, after a byte-order mark and
/// white space) rather than JSON.
fn looks_like_xml(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'<')
}

/// Reads a CycloneDX document, JSON or XML, and validates it: JSON against
/// the official JSON Schema of its specVersion and semantically; XML
/// semantically (read into the same form, see [`crate::xml::read`]), its XSD
/// validation left to `xmllint` and said so in a `schema-unavailable`
/// warning.
pub fn check_bytes(display: &str, path: &Path, bytes: &[u8]) -> gate_core::Result<Doc> {
    let xml = looks_like_xml(bytes);
    let doc: serde_json::Value = if xml {
        crate::xml::read(bytes).map_err(|(line, m)| {
            GateError::malformed(
                path,
                line,
                format!("{m}; gate-sbom checks CycloneDX documents (JSON or XML)"),
            )
        })?
    } else {
        serde_json::from_slice(bytes).map_err(|e| {
            GateError::malformed(
                path,
                Some(e.line() as u64),
                format!("not JSON: {e}; gate-sbom checks CycloneDX documents (JSON or XML)"),
            )
        })?
    };
    match doc.get("bomFormat").and_then(|v| v.as_str()) {
        Some("CycloneDX") => {}
        other => {
            let hint = if doc.get("spdxVersion").is_some() {
                " (this is an SPDX document)"
            } else {
                ""
            };
            return Err(GateError::malformed(
                path,
                None,
                format!(
                    "not a CycloneDX document{hint}: bomFormat is {}, expected \"CycloneDX\"",
                    other
                        .map(|s| format!("\"{s}\""))
                        .unwrap_or_else(|| "absent".into())
                ),
            ));
        }
    }
    let analysis = validate::analyse(&doc);
    let schema = if xml {
        Err(format!(
            "CycloneDX {v} XML is not validated against the XSD here (run `xmllint --noout --schema bom-{v}.xsd`)",
            v = analysis.spec_version
        ))
    } else {
        validate::schema_issues(&doc, &analysis.spec_version, 50)
    };
    Ok(Doc {
        path: display.to_string(),
        sha256: sha256_hex(bytes),
        analysis,
        schema,
        method: String::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
        absent: false,
        xml: None,
    })
}

/// What a path names: a Cargo manifest, a Cargo.lock or an npm lockfile.
pub(crate) enum Source {
    Cargo {
        lock: PathBuf,
        manifest: Option<PathBuf>,
    },
    Npm(PathBuf),
    /// Any other lockfile gate-core reads (yarn, pnpm, Python, Go, Ruby, PHP).
    Lock(PathBuf, gate_core::lockfile::Kind),
}

/// Lockfiles a directory is searched for besides Cargo.lock and
/// package-lock.json, in this order (`requirements*.txt` only when named).
const OTHER_LOCKFILES: [&str; 9] = [
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "go.mod",
    "Gemfile.lock",
    "gems.locked",
    "composer.lock",
];

pub(crate) fn classify(p: &Path) -> gate_core::Result<Vec<Source>> {
    if p.is_dir() {
        let mut v = Vec::new();
        let (lock, manifest) = (p.join("Cargo.lock"), p.join("Cargo.toml"));
        if lock.is_file() {
            v.push(Source::Cargo {
                lock,
                manifest: manifest.is_file().then_some(manifest),
            });
        }
        for n in ["package-lock.json", "npm-shrinkwrap.json"] {
            if p.join(n).is_file() {
                v.push(Source::Npm(p.join(n)));
                break;
            }
        }
        for n in OTHER_LOCKFILES {
            let f = p.join(n);
            if f.is_file()
                && let Some(kind) = gate_core::lockfile::kind_of(&f)
            {
                v.push(Source::Lock(f, kind));
            }
        }
        return Ok(v);
    }
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with("Cargo.toml") {
        let lock = p.with_file_name("Cargo.lock");
        return Ok(vec![Source::Cargo {
            lock,
            manifest: Some(p.to_path_buf()),
        }]);
    }
    if name.ends_with("Cargo.lock") {
        let manifest = (name == "Cargo.lock")
            .then(|| p.with_file_name("Cargo.toml"))
            .filter(|m| m.is_file());
        return Ok(vec![Source::Cargo {
            lock: p.to_path_buf(),
            manifest,
        }]);
    }
    if name.ends_with("package-lock.json") || name.ends_with("npm-shrinkwrap.json") {
        return Ok(vec![Source::Npm(p.to_path_buf())]);
    }
    if name == "go.sum" {
        let m = p.with_file_name("go.mod");
        return Ok(vec![Source::Lock(m, gate_core::lockfile::Kind::GoMod)]);
    }
    if let Some(kind) = gate_core::lockfile::kind_of(p) {
        return Ok(vec![Source::Lock(p.to_path_buf(), kind)]);
    }
    Err(GateError::Usage(format!(
        "input {}: not a Cargo.toml or a lockfile gate-sbom reads ({}), nor a directory holding one",
        p.display(),
        gate_core::lockfile::SUPPORTED_NAMES
    )))
}

fn read_text(p: &Path) -> gate_core::Result<String> {
    let bytes = std::fs::read(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => GateError::Input(format!(
            "{}: no such file\n  hint: generate the lockfile first (`cargo generate-lockfile`, `npm install --package-lock-only`) or fix `inputs`",
            p.display()
        )),
        _ => GateError::read(p, e),
    })?;
    String::from_utf8(bytes)
        .map_err(|_| GateError::malformed(p, None, "not UTF-8 text: not a lockfile"))
}

/// The graph of a lockfile gate-core parses (every kind but Cargo.lock).
fn lock_graph(root: &Path, p: &Path, kind: gate_core::lockfile::Kind) -> gate_core::Result<Graph> {
    use gate_core::lockfile::Kind;
    let bytes = std::fs::read(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => GateError::Input(format!(
            "{}: no such file\n  hint: generate the lockfile first{} or fix `inputs`",
            p.display(),
            if kind == Kind::Npm {
                " (`npm install --package-lock-only`)"
            } else {
                ""
            }
        )),
        _ => GateError::read(p, e),
    })?;
    let shown = display_path(root, p);
    let lock = gate_core::lockfile::parse_file(kind, p, &shown, &bytes).map_err(|e| {
        let message = if kind == Kind::Npm && e.message.starts_with("not valid JSON") {
            format!("not a valid package-lock.json: {}", e.message)
        } else {
            e.message
        };
        GateError::malformed(
            e.file.clone().unwrap_or_else(|| p.to_path_buf()),
            e.line,
            message,
        )
    })?;
    if kind == Kind::Npm && lock.direct.is_none() {
        // No `packages` map (lockfile v1): no root entry, no licences, and
        // no record of the project's own dependencies.
        let version = lock.format.rsplit_once(" v").map_or("1", |(_, v)| v);
        return Err(GateError::malformed(
            p,
            None,
            format!(
                "lockfileVersion {version} has no `packages` map; gate-sbom reads lockfile versions 2 and 3: run `npm install --package-lock-only --lockfile-version 3`"
            ),
        ));
    }
    let dir = shown.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let info = crate::lockfile::manifest_info(p, lock.ecosystem);
    Ok(crate::lockfile::to_graph(&lock, &shown, dir, &info))
}

pub(crate) fn graph_for(
    root: &Path,
    config: &SbomConfig,
    src: &Source,
) -> gate_core::Result<Graph> {
    let mut g = match src {
        Source::Npm(p) => lock_graph(root, p, gate_core::lockfile::Kind::Npm)?,
        Source::Lock(p, kind) => lock_graph(root, p, *kind)?,
        Source::Cargo { lock, manifest } => {
            let text = read_text(lock)?;
            let parsed = cargo::Lock::parse(lock, &text)?;
            let mut rn = manifest
                .as_deref()
                .map(cargo::manifest_root)
                .unwrap_or_default();
            if config.name.is_some() {
                rn.name.clone_from(&config.name);
            }
            let source = display_path(root, lock);
            let mut warnings = Vec::new();
            let meta = match (config.cargo_metadata, manifest) {
                (CargoMetadata::Never, _) => None,
                (CargoMetadata::Always, None) => {
                    return Err(GateError::Usage(format!(
                        "cargo-metadata: always needs a Cargo.toml beside {}",
                        lock.display()
                    )));
                }
                (mode, Some(m)) => {
                    let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                    match cargo::run_metadata(&cargo_bin, m) {
                        Ok(Some(json)) => Some(json),
                        Ok(None) if mode == CargoMetadata::Always => {
                            return Err(GateError::Input(format!(
                                "cargo-metadata: always, but `{cargo_bin}` is not installed"
                            )));
                        }
                        Ok(None) => {
                            warnings.push(format!("cargo is not installed: {} was read alone (no licenses, no dependency kinds, no scopes); install cargo, or set `cargo-metadata: never` to choose this", source));
                            None
                        }
                        Err(e) if mode == CargoMetadata::Always => return Err(e),
                        Err(e) => {
                            warnings.push(format!(
                                "{e}\n  so {source} was read alone: no licenses, no dependency kinds, no scopes (set `cargo-metadata: always` to make this an error, or `never` to choose it)"
                            ));
                            None
                        }
                    }
                }
                (CargoMetadata::Auto, None) => None,
            };
            let mut g = match meta {
                Some(json) => cargo::from_metadata(&json, Some(&parsed), &source, &rn)?,
                None => cargo::from_lock(&parsed, &source, &rn),
            };
            g.warnings.extend(warnings);
            g
        }
    };
    if let Some(n) = &config.name
        && let Some(p) = g.packages.get_mut(&g.root)
    {
        p.name.clone_from(n);
    }
    Ok(g)
}

fn commit_time(repo: &Path) -> Option<i64> {
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["log", "-1", "--format=%ct"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !o.status.success() {
        return None;
    }
    String::from_utf8_lossy(&o.stdout).trim().parse().ok()
}

fn source_date(repo: &Path, has_commit: bool) -> gate_core::Result<Option<String>> {
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH")
        && !v.trim().is_empty()
    {
        let secs: i64 = v.trim().parse().map_err(|_| {
            GateError::Usage(format!(
                "SOURCE_DATE_EPOCH `{v}` is not a number of seconds since 1970-01-01 UTC"
            ))
        })?;
        return generate::timestamp(secs)
            .map(Some)
            .ok_or_else(|| GateError::Usage(format!("SOURCE_DATE_EPOCH `{v}` is out of range")));
    }
    if !has_commit {
        return Ok(None);
    }
    Ok(commit_time(repo).and_then(generate::timestamp))
}

fn write(path: &Path, bytes: &[u8]) -> gate_core::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| GateError::write(dir, e))?;
    }
    gate_core::ledger::local::atomic_write(path, bytes)
}

/// `path` under `root` unless it is absolute.
fn resolve_under(root: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

/// The lockfile a source reads.
fn lock_path(src: &Source) -> &Path {
    match src {
        Source::Cargo { lock, .. } => lock,
        Source::Npm(p) | Source::Lock(p, _) => p,
    }
}

/// The inputs the configuration names (default: what `root` holds), under
/// `root`. With `skip_missing`, a named lockfile that does not exist is left
/// out instead of failing (a commit that predates it).
pub(crate) fn sources_under(
    root: &Path,
    config: &SbomConfig,
    skip_missing: bool,
) -> gate_core::Result<Vec<Source>> {
    let mut sources = Vec::new();
    if config.inputs.is_empty() {
        sources = classify(root)?;
        if sources.is_empty() && !skip_missing {
            return Err(GateError::Input(format!(
                "no lockfile in {} (looked for Cargo.lock, package-lock.json, {})\n  hint: name the lockfiles with `inputs` (--input PATH)",
                root.display(),
                OTHER_LOCKFILES.join(", ")
            )));
        }
        return Ok(sources);
    }
    for i in config
        .inputs
        .iter()
        .flat_map(|s| s.split(['\n', ',']))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let p = resolve_under(root, i);
        if skip_missing && !p.exists() {
            continue;
        }
        let found = classify(&p)?;
        if found.is_empty() && !skip_missing {
            return Err(GateError::Input(format!(
                "input {}: no lockfile there (Cargo.lock, package-lock.json, {})",
                p.display(),
                OTHER_LOCKFILES.join(", ")
            )));
        }
        sources.extend(
            found
                .into_iter()
                .filter(|s| !skip_missing || lock_path(s).is_file()),
        );
    }
    Ok(sources)
}

/// The SBOM of a graph, as written.
pub(crate) fn sbom_bytes(g: &Graph, opts: &Options) -> gate_core::Result<Vec<u8>> {
    generate::to_bytes(generate::bom(g, opts))
        .map_err(|e| GateError::Internal(format!("cannot serialize the SBOM: {e}")))
}

/// Every input under `root` as a generated, validated SBOM in memory, keyed
/// by the lockfile's path relative to `root`. Missing inputs are left out.
pub(crate) fn docs_under(
    root: &Path,
    config: &SbomConfig,
    opts: &Options,
) -> gate_core::Result<std::collections::BTreeMap<String, Doc>> {
    let mut out = std::collections::BTreeMap::new();
    for src in sources_under(root, config, true)? {
        let g = graph_for(root, config, &src)?;
        let bytes = sbom_bytes(&g, opts)?;
        let mut doc = check_bytes(&g.source, lock_path(&src), &bytes)?;
        doc.method = format!("{} from {}", g.method, g.source);
        doc.notes = g.notes.clone();
        doc.warnings = g.warnings.clone();
        out.insert(g.source.clone(), doc);
    }
    Ok(out)
}

fn collect_sync(
    ctx: &Context,
    config: &SbomConfig,
    args: &SbomArgs,
) -> gate_core::Result<SbomInput> {
    let root = &ctx.repo_root;
    for l in &config.deny_licenses {
        if spdx::license_id(l).is_none() {
            return Err(GateError::Config(vec![format!(
                "sbom.deny-licenses: `{l}` is not an SPDX license id (e.g. GPL-3.0-only, AGPL-3.0-or-later)"
            )]));
        }
    }
    if let Some(SbomCommand::Diff { base, head }) = &args.command {
        return crate::revision::diff_input(ctx, config, base, head);
    }
    if let Some(SbomCommand::Check { files }) = &args.command {
        let mut docs = Vec::new();
        for f in files {
            let p = ctx.resolve(f);
            let bytes = std::fs::read(&p).map_err(|e| GateError::read(&p, e))?;
            docs.push(check_bytes(&display_path(root, &p), &p, &bytes)?);
        }
        return Ok(SbomInput {
            mode: "check",
            docs,
            artifacts: Vec::new(),
            subjects_path: None,
            provenance_path: None,
            bases: Vec::new(),
        });
    }

    // Generate.
    let sources = sources_under(root, config, false)?;
    if sources.len() > 1 && !config.sbom_path.contains("{product}") {
        return Err(GateError::Config(vec![format!(
            "sbom.sbom-path `{}`: {} inputs give {} SBOMs; put `{{product}}` in the path (e.g. sbom/{{product}}.cdx.json)",
            config.sbom_path,
            sources.len(),
            sources.len()
        )]));
    }
    if let Some(xp) = &config.xml_path
        && sources.len() > 1
        && !xp.contains("{product}")
    {
        return Err(GateError::Config(vec![format!(
            "sbom.xml-path `{xp}`: {} inputs give {} SBOMs; put `{{product}}` in the path (e.g. sbom/{{product}}.cdx.xml)",
            sources.len(),
            sources.len()
        )]));
    }

    let mut artifacts = Vec::new();
    for a in config
        .artifacts
        .iter()
        .flat_map(|s| s.split('\n'))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let p = ctx.resolve(a);
        let name = match p.strip_prefix(root) {
            Ok(r) => r.to_string_lossy().replace('\\', "/"),
            Err(_) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| a.to_string()),
        };
        artifacts.push(attest::digest_file(&p, name)?);
    }
    artifacts.sort_by(|a, b| a.name.cmp(&b.name));

    let opts = Options {
        spec: config.spec_version,
        timestamp: source_date(root, ctx.commit.is_some())?,
        artifacts: artifacts.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut docs = Vec::new();
    let mut written = std::collections::BTreeSet::new();
    for src in &sources {
        let g = graph_for(root, config, src)?;
        let product = g
            .packages
            .get(&g.root)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "product".into());
        let safe: String = product
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let out = ctx.resolve(config.sbom_path.replace("{product}", &safe));
        if !written.insert(out.clone()) {
            return Err(GateError::Config(vec![format!(
                "sbom.sbom-path: two inputs would both write {}; give the products different names",
                out.display()
            )]));
        }
        let bom = generate::bom(&g, &opts);
        let bytes = generate::to_bytes(bom.clone())
            .map_err(|e| GateError::Internal(format!("cannot serialize the SBOM: {e}")))?;
        write(&out, &bytes)?;
        let mut xml = None;
        if let Some(xp) = &config.xml_path {
            let xout = ctx.resolve(xp.replace("{product}", &safe));
            if xout == out || !written.insert(xout.clone()) {
                return Err(GateError::Config(vec![format!(
                    "sbom.xml-path: {} is already written by another SBOM; give each its own path (with `{{product}}` when there are several inputs)",
                    xout.display()
                )]));
            }
            let xbytes = generate::to_xml_bytes(&bom).map_err(|e| {
                GateError::Internal(format!("cannot serialize the SBOM as XML: {e}"))
            })?;
            write(&xout, &xbytes)?;
            xml = Some((display_path(root, &xout), sha256_hex(&xbytes)));
        }
        // Validate what was written, as a consumer would read it.
        let back = std::fs::read(&out).map_err(|e| GateError::read(&out, e))?;
        let mut doc = check_bytes(&display_path(root, &out), &out, &back)?;
        doc.method = format!("{} from {}", g.method, g.source);
        doc.notes = g.notes.clone();
        doc.warnings = g.warnings.clone();
        doc.xml = xml;
        docs.push(doc);
    }

    let mut subjects_path = None;
    let mut provenance_path = None;
    if !artifacts.is_empty() {
        let p = ctx.resolve(&config.subjects_path);
        write(&p, attest::subjects(&artifacts).as_bytes())?;
        subjects_path = Some(display_path(root, &p));
    }
    if let Some(pp) = &config.provenance_path {
        if artifacts.is_empty() {
            return Err(GateError::Config(vec![
                "sbom.provenance-path: a Statement needs subjects; pass the release files with --artifact".into(),
            ]));
        }
        let gh = &ctx.github;
        let workflow_ref = std::env::var("GITHUB_WORKFLOW_REF")
            .ok()
            .filter(|s| !s.is_empty());
        let facts = BuildFacts {
            server_url: gh.server_url.clone(),
            repository: gh.repository.clone(),
            git_ref: gh.git_ref.clone(),
            commit: gh.sha.clone().or_else(|| ctx.commit.clone()),
            workflow_path: workflow_ref
                .as_deref()
                .and_then(|w| attest::workflow_path(w, &gh.repository)),
            workflow_ref,
            event_name: gh.event_name.clone(),
            run_id: gh.run_id.clone(),
            run_attempt: gh.run_attempt.clone(),
            runner_environment: std::env::var("RUNNER_ENVIRONMENT")
                .ok()
                .filter(|s| !s.is_empty()),
        };
        let st = attest::statement(&artifacts, &facts);
        let mut bytes = serde_json::to_vec_pretty(&st)
            .map_err(|e| GateError::Internal(format!("cannot serialize the Statement: {e}")))?;
        bytes.push(b'\n');
        let p = ctx.resolve(pp);
        write(&p, &bytes)?;
        provenance_path = Some(display_path(root, &p));
    }
    Ok(SbomInput {
        mode: "generate",
        docs,
        artifacts,
        subjects_path,
        provenance_path,
        bases: Vec::new(),
    })
}

/// A first-party path package (`download_url=file:…` in its purl): the
/// lockfile has no checksum for it, so `min-hashes` does not count it against.
fn is_local(c: &validate::Comp) -> bool {
    c.purl.as_deref().is_some_and(|p| {
        p.split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("download_url=file:")))
    })
}

/// `n` of `d` in percent; a share of nothing is no figure at all (not 100 %).
#[allow(clippy::cast_precision_loss)]
fn percent(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| ((n as f64) * 10000.0 / (d as f64)).round() / 100.0)
}

/// Whether a component's license expression cannot be satisfied without a denied id.
fn requires_denied(expr: &str, denied: &[String]) -> Option<bool> {
    let e = spdx::Expression::parse_mode(expr, spdx::ParseMode::LAX).ok()?;
    Some(!e.evaluate(|req| match req.license.id() {
        Some(id) => !denied.iter().any(|d| d == id.name),
        None => true,
    }))
}

fn push_limited(
    r: &mut Report,
    counts: &mut std::collections::BTreeMap<(String, &'static str), usize>,
    doc: &str,
    rule: &'static str,
    f: Finding,
) {
    let n = counts.entry((doc.to_string(), rule)).or_insert(0);
    *n += 1;
    if *n <= MAX_LISTED {
        r.findings.push(f);
    }
}

/// The pure judgement.
pub fn evaluate_input(input: &SbomInput, config: &SbomConfig) -> Report {
    let mut r = Report::new("sbom");
    let mut counts = std::collections::BTreeMap::new();
    let (mut total, mut hashed, mut licensed, mut purled) = (0usize, 0usize, 0usize, 0usize);
    let mut lacking: Vec<(&str, &validate::Comp)> = Vec::new();
    let mut unreachable = 0usize;
    let mut denied = 0usize;
    let mut invalid_docs = 0usize;
    let mut edges = 0usize;
    for d in input.docs.iter().filter(|d| !d.absent) {
        let loc = || Location::file(d.path.clone());
        let a = &d.analysis;
        let mut bad = false;
        match &d.schema {
            Ok(issues) => {
                for i in issues {
                    bad = true;
                    let mut f = Finding::new(i.rule, Severity::Error, i.message.clone()).at(loc());
                    if let Some(c) = &i.component {
                        f = f.with_key(c.clone());
                    }
                    push_limited(&mut r, &mut counts, &d.path, i.rule, f);
                }
            }
            Err(why) => r.findings.push(
                Finding::new(
                    "schema-unavailable",
                    Severity::Warning,
                    format!("{why}; only the semantic checks ran"),
                )
                .at(loc()),
            ),
        }
        for i in &a.issues {
            bad = true;
            let mut f = Finding::new(i.rule, Severity::Error, i.message.clone()).at(loc());
            if let Some(c) = &i.component {
                f = f.with_key(c.clone());
            }
            push_limited(&mut r, &mut counts, &d.path, i.rule, f);
        }
        if bad {
            invalid_docs += 1;
        }
        for w in &d.warnings {
            r.findings
                .push(Finding::new("generation-fallback", Severity::Warning, w.clone()).at(loc()));
        }
        for n in &d.notes {
            r.findings
                .push(Finding::new("generation-note", Severity::Note, n.clone()).at(loc()));
        }
        edges += a.edges;
        for c in a.components.iter().filter(|c| !c.in_root) {
            total += 1;
            // A local path package has no registry archive to hash: it counts as hashed.
            hashed += usize::from(c.has_hash || is_local(c));
            licensed += usize::from(!c.licenses.is_empty());
            purled += usize::from(c.purl.is_some());
            lacking.push((d.path.as_str(), c));
            if config.unreachable != Level::Ignore
                && a.has_graph
                && a.unrooted.is_none()
                && c.bom_ref.as_ref().is_none_or(|b| !a.reachable.contains(b))
            {
                unreachable += 1;
                let sev = if config.unreachable == Level::Error {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                push_limited(
                    &mut r,
                    &mut counts,
                    &d.path,
                    "unreachable-component",
                    Finding::new(
                        "unreachable-component",
                        sev,
                        format!(
                            "{} is not reachable from the root component through `dependencies`",
                            c.label()
                        ),
                    )
                    .at(loc())
                    .with_key(c.bom_ref.clone().unwrap_or_else(|| c.name.clone())),
                );
            }
            if !config.deny_licenses.is_empty() {
                for l in &c.licenses {
                    if requires_denied(l, &config.deny_licenses) == Some(true) {
                        denied += 1;
                        push_limited(
                            &mut r,
                            &mut counts,
                            &d.path,
                            "denied-license",
                            Finding::new(
                                "denied-license",
                                Severity::Error,
                                format!(
                                    "{} is licensed `{l}`, which needs a denied license ({})",
                                    c.label(),
                                    config.deny_licenses.join(", ")
                                ),
                            )
                            .at(loc())
                            .with_key(c.bom_ref.clone().unwrap_or_else(|| c.name.clone())),
                        );
                    }
                }
            }
        }
        if let (true, Some(why), false) = (
            a.has_graph,
            &a.unrooted,
            config.unreachable == Level::Ignore,
        ) {
            r.findings.push(
                Finding::new(
                    "reachability-unchecked",
                    Severity::Note,
                    format!(
                        "reachability is not checked: {why}; the dependency graph itself is (every ref must name a component)"
                    ),
                )
                .at(loc()),
            );
        }
        if !a.has_graph && config.unreachable != Level::Ignore {
            r.findings.push(
                Finding::new(
                    "no-dependency-graph",
                    Severity::Warning,
                    "no `dependencies`: reachability from the root cannot be checked",
                )
                .at(loc()),
            );
        }
    }

    let coverage = [
        (
            "hash-coverage",
            hashed,
            config.min_hashes,
            "missing-hash",
            "hash",
        ),
        (
            "license-coverage",
            licensed,
            config.min_licenses,
            "missing-license",
            "license",
        ),
        (
            "purl-coverage",
            purled,
            config.min_purls,
            "missing-purl",
            "purl",
        ),
    ];
    let mut shares = Vec::new();
    for (name, n, min, rule, what) in coverage {
        let key = match what {
            "hash" => "min-hashes",
            "license" => "min-licenses",
            _ => "min-purls",
        };
        let Some(value) = percent(n, total) else {
            continue;
        };
        shares.push(value);
        let mut m = Metric::info(name, value, "%");
        if let Some(min) = min {
            m = m.with_threshold(Threshold::new(Comparison::AtLeast, min));
            if value < min {
                for (path, c) in &lacking {
                    let has = match what {
                        "hash" => c.has_hash || is_local(c),
                        "license" => !c.licenses.is_empty(),
                        _ => c.purl.is_some(),
                    };
                    if !has {
                        push_limited(
                            &mut r,
                            &mut counts,
                            path,
                            rule,
                            Finding::new(
                                rule,
                                Severity::Error,
                                format!(
                                    "{} has no {what} ({key} {min}%, have {value}%)",
                                    c.label()
                                ),
                            )
                            .at(Location::file(path.to_string()))
                            .with_key(c.bom_ref.clone().unwrap_or_else(|| c.name.clone())),
                        );
                    }
                }
            }
        }
        r.metrics.push(m);
    }
    #[allow(clippy::cast_precision_loss)]
    {
        r.metrics
            .push(Metric::info("components", total as f64, "count"));
        r.metrics
            .push(Metric::info("dependency-edges", edges as f64, "count"));
        r.metrics.push(Metric::info(
            "unreachable-components",
            unreachable as f64,
            "count",
        ));
        if !config.deny_licenses.is_empty() {
            r.metrics
                .push(Metric::info("denied-licenses", denied as f64, "count"));
        }
        r.metrics.push(
            Metric::info("invalid-sboms", invalid_docs as f64, "count")
                .with_threshold(Threshold::new(Comparison::AtMost, 0.0)),
        );
    }
    // License mix of the dependency components, for the job summary: the
    // ten most frequent expressions, the rest as `other`, none as `none`.
    if total > 0 {
        let mut mix: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for (_, c) in &lacking {
            let key = if c.licenses.is_empty() {
                "none".to_string()
            } else {
                c.licenses.join(" AND ")
            };
            *mix.entry(key).or_default() += 1;
        }
        let none = mix.remove("none").unwrap_or(0);
        let mut top: Vec<(String, usize)> = mix.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let other: usize = top.iter().skip(10).map(|(_, n)| n).sum();
        top.truncate(10);
        if other > 0 {
            top.push(("other".into(), other));
        }
        if none > 0 {
            top.push(("none".into(), none));
        }
        #[allow(clippy::cast_precision_loss)]
        r.charts.push(gate_core::report::Chart {
            title: "License mix (components)".into(),
            x_label: "license".into(),
            y_label: "components".into(),
            x: top.iter().map(|(l, _)| l.clone()).collect(),
            series: vec![gate_core::report::Series {
                name: "components".into(),
                kind: gate_core::report::SeriesKind::Bar,
                values: top.iter().map(|(_, n)| *n as f64).collect(),
            }],
            y_max: None,
        });
    }
    for ((path, rule), n) in &counts {
        if *n > MAX_LISTED {
            r.findings.push(
                Finding::new(
                    "generation-note",
                    Severity::Note,
                    format!("{} more `{rule}` findings not listed", n - MAX_LISTED),
                )
                .at(Location::file(path.clone())),
            );
        }
    }
    // `diff`: one comparison per (base, head) pair.
    let changes: Vec<(&Doc, &Doc, crate::diff::Changes)> = input
        .bases
        .iter()
        .zip(&input.docs)
        .map(|(b, h)| (b, h, crate::diff::diff(&b.analysis, &h.analysis)))
        .collect();
    let diffing = input.mode == "diff";
    if diffing {
        let (mut added, mut removed, mut versions, mut licenses) = (0, 0, 0, 0);
        for (b, h, c) in &changes {
            // Findings land on the head's lockfile (or SBOM); an absent head
            // has no file, its base names it.
            let at = if h.absent { &b.path } else { &h.path };
            for f in c.findings() {
                r.findings.push(f.at(Location::file(at.clone())));
            }
            added += c.added.len();
            removed += c.removed.len();
            versions += c.version_changed.len();
            licenses += c.license_changed.len();
        }
        #[allow(clippy::cast_precision_loss)]
        {
            r.metrics
                .push(Metric::info("components-added", added as f64, "count"));
            r.metrics
                .push(Metric::info("components-removed", removed as f64, "count"));
            r.metrics
                .push(Metric::info("versions-changed", versions as f64, "count"));
            r.metrics
                .push(Metric::info("licenses-changed", licenses as f64, "count"));
        }
    }
    // What was checked is components: a document that lists none checked
    // nothing (its schema validity alone describes no software). `diff` also
    // compared the base's components.
    let base_components: usize = input
        .bases
        .iter()
        .filter(|b| !b.absent)
        .map(|b| b.analysis.components.iter().filter(|c| !c.in_root).count())
        .sum();
    r.checked = (total + base_components) as u64;
    if r.checked == 0 {
        let empty: Vec<&str> = input
            .docs
            .iter()
            .filter(|d| !d.absent)
            .map(|d| d.path.as_str())
            .collect();
        r.findings.push(Finding::new(
            gate_core::report::NOTHING_CHECKED.id,
            Severity::Error,
            format!(
                "{} list{} no component: an SBOM of nothing is not evidence of anything. Point the gate at the lockfile of a project with dependencies, or check the SBOM another tool wrote in full",
                if empty.is_empty() { "the inputs".to_string() } else { empty.join(", ") },
                if empty.len() == 1 { "s" } else { "" }
            ),
        ));
    }
    let verb = match input.mode {
        "check" => "checked",
        "diff" => "compared",
        _ => "wrote",
    };
    let names: Vec<String> = input
        .docs
        .iter()
        .map(|d| {
            if d.absent {
                format!("{} (absent)", d.path)
            } else {
                format!("{} (CycloneDX {})", d.path, d.analysis.spec_version)
            }
        })
        .collect();
    let mut summary = match shares[..] {
        [h, l, p] => format!(
            "{verb} {}: {total} components, hashes {}%, licenses {}%, purls {}%, {} invalid",
            names.join(", "),
            gate_core::report::format_number(h),
            gate_core::report::format_number(l),
            gate_core::report::format_number(p),
            invalid_docs
        ),
        _ => format!(
            "{verb} {}: 0 components (no hash, licence or purl share to measure), {} invalid",
            names.join(", "),
            invalid_docs
        ),
    };
    if diffing {
        let sum = |f: fn(&crate::diff::Changes) -> usize| -> usize {
            changes.iter().map(|(_, _, c)| f(c)).sum()
        };
        let bases: Vec<&str> = input.bases.iter().map(|b| b.path.as_str()).collect();
        summary.push_str(&format!(
            "; against {}: {} added, {} removed, {} version-changed, {} license-changed",
            bases.join(", "),
            sum(|c| c.added.len()),
            sum(|c| c.removed.len()),
            sum(|c| c.version_changed.len()),
            sum(|c| c.license_changed.len())
        ));
    }
    if !input.artifacts.is_empty() {
        summary.push_str(&format!(", {} artifact(s) digested", input.artifacts.len()));
    }
    r.summary = summary;
    r.details = serde_json::json!({
        "mode": input.mode,
        "sboms": input.docs.iter().filter(|d| !d.absent).map(|d| serde_json::json!({
            "path": d.path,
            "sha256": d.sha256,
            "spec_version": d.analysis.spec_version,
            "serial_number": d.analysis.serial_number,
            "components": d.analysis.components.iter().filter(|c| !c.in_root).count(),
            "dependency_edges": d.analysis.edges,
            "method": d.method,
            "xml_path": d.xml.as_ref().map(|x| &x.0),
            "xml_sha256": d.xml.as_ref().map(|x| &x.1),
        })).collect::<Vec<_>>(),
        "artifacts": input.artifacts.iter().map(|a| serde_json::json!({"name": a.name, "sha256": a.sha256, "size": a.size})).collect::<Vec<_>>(),
        "subjects_path": input.subjects_path,
        "provenance_path": input.provenance_path,
        "diff": changes.iter().map(|(b, h, c)| {
            let mut j = c.to_json();
            j["base"] = serde_json::json!(b.path);
            j["head"] = serde_json::json!(h.path);
            j["base_sha256"] = serde_json::json!(b.sha256);
            j["head_sha256"] = serde_json::json!(h.sha256);
            j
        }).collect::<Vec<_>>(),
    });
    r.finish()
}

/// The gate.
#[derive(Debug)]
pub struct SbomGate;

impl Gate for SbomGate {
    const ID: &'static str = "sbom";
    const ABOUT: &'static str = "Reproducible CycloneDX SBOMs from Cargo, npm, yarn, pnpm, Python, Go, Ruby and PHP lockfiles, validated (official schemas + semantic checks) and held to a quality policy; attestation subjects for release files";
    const RULES: &'static [Rule] = RULES;
    type Config = SbomConfig;
    type Args = SbomArgs;
    type Input = SbomInput;

    /// `check` and `diff` judge other documents than the generated SBOM:
    /// each keeps its own record (`gates/sbom/check`, `gates/sbom/diff`),
    /// so the three never overwrite one another.
    fn default_instance(args: &SbomArgs) -> Option<&'static str> {
        match args.command {
            Some(SbomCommand::Check { .. }) => Some("check"),
            Some(SbomCommand::Diff { .. }) => Some("diff"),
            None => None,
        }
    }

    async fn collect(
        ctx: &Context,
        config: &Self::Config,
        args: &Self::Args,
    ) -> gate_core::Result<Self::Input> {
        collect_sync(ctx, config, args)
    }

    fn evaluate(input: &Self::Input, config: &Self::Config) -> Report {
        evaluate_input(input, config)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        let d = &report.details;
        let list = |k: &str| -> String {
            d.get("sboms")
                .and_then(|s| s.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.get(k).and_then(|v| v.as_str()))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default()
        };
        let str_of = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let components = report
            .metric("components")
            .map(|m| gate_core::report::format_number(m.value))
            .unwrap_or_default();
        vec![
            ("sbom-path".into(), list("path")),
            ("sbom-sha256".into(), list("sha256")),
            ("sbom-xml-path".into(), list("xml_path")),
            ("subjects-path".into(), str_of("subjects_path")),
            ("provenance-path".into(), str_of("provenance_path")),
            ("components".into(), components),
        ]
    }
}
