//! Which lockfiles the configuration names ([`sources_under`], [`classify`])
//! and the dependency [`Graph`] of each ([`graph_for`]): Cargo through
//! [`cargo`] (and `cargo metadata`), every other lockfile through gate-core's
//! parsers and [`crate::lockfile`].

use std::path::{Path, PathBuf};

use gate_core::GateError;

use crate::cargo;
use crate::config::{CargoMetadata, SbomConfig};
use crate::doc::{Doc, check_bytes};
use crate::generate::{self, Options};
use crate::graph::Graph;
use crate::lockfiles::{self, Kind};

/// `p` relative to `root` with `/` separators, or as it is outside it.
pub fn display_path(root: &Path, p: &Path) -> String {
    match p.strip_prefix(root) {
        Ok(r) => r.to_string_lossy().replace('\\', "/"),
        Err(_) => p.to_string_lossy().into_owned(),
    }
}

/// What a path names: a Cargo manifest, a Cargo.lock or an npm lockfile.
#[derive(Debug)]
pub enum Source {
    Cargo {
        lock: PathBuf,
        manifest: Option<PathBuf>,
    },
    Npm(PathBuf),
    /// Any other lockfile gate-core reads (yarn, pnpm, Python, Go, Ruby, PHP).
    Lock(PathBuf, Kind),
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

pub fn classify(p: &Path) -> gate_core::Result<Vec<Source>> {
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
                && let Some(kind) = lockfiles::kind_of(&f)
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
        return Ok(vec![Source::Lock(m, Kind::GoMod)]);
    }
    if let Some(kind) = lockfiles::kind_of(p) {
        return Ok(vec![Source::Lock(p.to_path_buf(), kind)]);
    }
    Err(GateError::Usage(format!(
        "input {}: not a Cargo.toml or a lockfile gate-sbom reads ({}), nor a directory holding one",
        p.display(),
        lockfiles::SUPPORTED_NAMES
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
fn lock_graph(root: &Path, p: &Path, kind: Kind) -> gate_core::Result<Graph> {
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
    let lock = lockfiles::parse_file(kind, p, &shown, &bytes).map_err(|e| {
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

pub fn graph_for(root: &Path, config: &SbomConfig, src: &Source) -> gate_core::Result<Graph> {
    let mut g = match src {
        Source::Npm(p) => lock_graph(root, p, Kind::Npm)?,
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
pub fn lock_path(src: &Source) -> &Path {
    match src {
        Source::Cargo { lock, .. } => lock,
        Source::Npm(p) | Source::Lock(p, _) => p,
    }
}

/// The inputs the configuration names (default: what `root` holds), under
/// `root`. With `skip_missing`, a named lockfile that does not exist is left
/// out instead of failing (a commit that predates it).
pub fn sources_under(
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
        .map(|s| s.trim())
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
pub fn sbom_bytes(g: &Graph, opts: &Options) -> gate_core::Result<Vec<u8>> {
    generate::to_bytes(generate::bom(g, opts))
        .map_err(|e| GateError::Internal(format!("cannot serialize the SBOM: {e}")))
}

/// Every input under `root` as a generated, validated SBOM in memory, keyed
/// by the lockfile's path relative to `root`. Missing inputs are left out.
pub fn docs_under(
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
