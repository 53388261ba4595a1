//! Cargo: `cargo metadata` (licenses, dependency kinds, workspace members)
//! when cargo is there, `Cargo.lock` alone otherwise (read by gate-core's
//! parser, [`crate::lockfiles::cargo`]). Checksums always come from
//! `Cargo.lock` (cargo metadata has none).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use packageurl::PackageUrl;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::graph::{Graph, Package, relative_path};
use crate::model::{Hash, Scope};

const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// The purl of a crate from `source` (None: a path package at `rel_dir`).
pub fn purl(name: &str, version: &str, source: Option<&str>, rel_dir: Option<&str>) -> String {
    let mut p = match PackageUrl::new("cargo", name) {
        Ok(p) => p,
        Err(_) => return format!("pkg:cargo/{name}@{version}"),
    };
    let _ = p.with_version(version);
    let mut add = |k: &str, v: String| {
        let _ = p.add_qualifier(k.to_string(), v);
    };
    match source {
        None => {
            if let Some(dir) = rel_dir {
                add("download_url", format!("file://{dir}"));
            }
        }
        Some(s) if CRATES_IO.contains(&s) => {}
        Some(s) if s.starts_with("git+") => {
            // git+https://host/repo?branch=x#<sha>
            let (url, rev) = s.split_once('#').unwrap_or((s, ""));
            let url = url.split('?').next().unwrap_or(url);
            if rev.is_empty() {
                add("vcs_url", url.to_string());
            } else {
                add("vcs_url", format!("{url}@{rev}"));
            }
        }
        Some(s) => {
            let url = s
                .strip_prefix("registry+")
                .or_else(|| s.strip_prefix("sparse+"))
                .unwrap_or(s);
            add("repository_url", url.to_string());
        }
    }
    p.to_string()
}

// ----------------------------------------------------------------- Cargo.lock

/// A parsed Cargo.lock (gate-core's parser, [`crate::lockfiles::cargo`])
/// and its checksums by package.
#[derive(Debug)]
pub struct Lock {
    lock: crate::lockfiles::Lockfile,
    /// (name, version, source) → sha256 hex.
    checksums: HashMap<(String, String, Option<String>), String>,
}

impl Lock {
    pub fn parse(path: &Path, text: &str) -> Result<Lock> {
        let lock =
            crate::lockfiles::cargo::parse(&path.display().to_string(), text).map_err(|e| {
                Error::malformed(
                    path,
                    e.line,
                    if e.message.starts_with("not a valid") {
                        format!(
                            "{}; regenerate it with `cargo generate-lockfile`",
                            e.message
                        )
                    } else {
                        e.message
                    },
                )
            })?;
        if lock.packages.is_empty() {
            return Err(Error::malformed(
                path,
                None,
                "no [[package]] entries: not a Cargo.lock, or an empty one",
            ));
        }
        let mut checksums = HashMap::new();
        for p in &lock.packages {
            if let Some(h) = p.hashes.iter().find(|h| h.algorithm == "sha256") {
                checksums
                    .entry((p.name.clone(), p.version.clone(), p.source.clone()))
                    .or_insert_with(|| h.value.clone());
            }
        }
        Ok(Lock { lock, checksums })
    }

    pub fn checksum(&self, name: &str, version: &str, source: Option<&str>) -> Option<&str> {
        self.checksums
            .get(&(
                name.to_string(),
                version.to_string(),
                source.map(String::from),
            ))
            .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.lock.packages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock.packages.is_empty()
    }
}

fn sha256(hex: Option<&str>) -> Vec<Hash> {
    hex.map(|h| Hash {
        alg: "SHA-256",
        content: h.to_ascii_lowercase(),
    })
    .into_iter()
    .collect()
}

/// The root's name and version from a manifest, when it says.
#[derive(Debug, Default, Clone)]
pub struct RootName {
    pub name: Option<String>,
    pub version: Option<String>,
    pub license: Option<String>,
    pub description: Option<String>,
}

/// Reads `[package]` or `[workspace.package]` of a Cargo.toml, leniently.
pub fn manifest_root(manifest: &Path) -> RootName {
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return RootName::default();
    };
    let Ok(v) = toml::from_str::<toml::Table>(&text) else {
        return RootName::default();
    };
    let get = |t: Option<&toml::Value>, k: &str| {
        t.and_then(|t| t.get(k))
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    let pkg = v.get("package");
    let ws = v.get("workspace").and_then(|w| w.get("package"));
    let repo_tail = get(ws, "repository").and_then(|r| {
        r.trim_end_matches('/')
            .trim_end_matches(".git")
            .rsplit('/')
            .next()
            .map(String::from)
    });
    RootName {
        name: get(pkg, "name").or(repo_tail),
        version: get(pkg, "version").or_else(|| get(ws, "version")),
        license: get(pkg, "license").or_else(|| get(ws, "license")),
        description: get(pkg, "description").or_else(|| get(ws, "description")),
    }
}

/// Graph from Cargo.lock alone: no licenses, no dependency kinds. Roots are
/// the path packages nothing else depends on.
pub fn from_lock(lock: &Lock, source: &str, root: &RootName) -> Graph {
    let packages = &lock.lock.packages;
    let key = |p: &crate::lockfiles::Package| purl(&p.name, &p.version, p.source.as_deref(), None);
    let mut g = Graph {
        ecosystem: "cargo",
        source: source.to_string(),
        method: "Cargo.lock".into(),
        ..Graph::default()
    };
    let mut depended: BTreeSet<usize> = BTreeSet::new();
    let mut unresolved = 0usize;
    for p in packages {
        let id = key(p);
        let mut deps = BTreeSet::new();
        for d in &p.dependencies {
            match d.index.and_then(|i| packages.get(i).map(|t| (i, t))) {
                Some((i, t)) => {
                    depended.insert(i);
                    deps.insert(key(t));
                }
                None => unresolved += 1,
            }
        }
        let e = g.packages.entry(id.clone()).or_insert_with(|| Package {
            name: p.name.clone(),
            version: Some(p.version.clone()),
            purl: Some(id.clone()),
            hashes: sha256(lock.checksum(&p.name, &p.version, p.source.as_deref())),
            kind: "library",
            ..Package::default()
        });
        e.deps.extend(deps);
    }
    if unresolved > 0 {
        g.notes.push(format!(
            "{unresolved} dependency entries of {source} name no package in it"
        ));
    }
    let roots: Vec<String> = packages
        .iter()
        .enumerate()
        .filter(|(i, p)| p.source.is_none() && !depended.contains(i))
        .map(|(_, p)| key(p))
        .collect();
    set_root(&mut g, roots, root);
    g
}

/// One root: that package; several (or none): a synthetic workspace root.
fn set_root(g: &mut Graph, roots: Vec<String>, root: &RootName) {
    if roots.len() == 1
        && root
            .name
            .as_deref()
            .is_none_or(|n| g.packages[&roots[0]].name == n)
    {
        g.root = roots[0].clone();
        if let Some(p) = g.packages.get_mut(&g.root) {
            p.kind = "application";
            if p.license.is_none() {
                p.license.clone_from(&root.license);
            }
        }
        return;
    }
    let name = root.name.clone().unwrap_or_else(|| "workspace".into());
    let version = root.version.clone();
    let id = purl(
        &name,
        version.as_deref().unwrap_or("0.0.0"),
        None,
        Some("."),
    );
    let id = if g.packages.contains_key(&id) {
        format!("{id}#workspace")
    } else {
        id
    };
    g.packages.insert(
        id.clone(),
        Package {
            name,
            version,
            purl: None,
            license: root.license.clone(),
            description: root.description.clone(),
            kind: "application",
            deps: roots.into_iter().collect(),
            ..Package::default()
        },
    );
    g.root = id;
}

// ------------------------------------------------------------- cargo metadata

#[derive(Debug, Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    workspace_members: Vec<String>,
    resolve: Option<Resolve>,
    workspace_root: PathBuf,
}

#[derive(Debug, Deserialize)]
struct MetaPackage {
    name: String,
    version: String,
    id: String,
    license: Option<String>,
    description: Option<String>,
    source: Option<String>,
    manifest_path: PathBuf,
    #[serde(default)]
    targets: Vec<Target>,
    repository: Option<String>,
    homepage: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Target {
    #[serde(default)]
    kind: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Debug, Deserialize)]
struct Node {
    id: String,
    #[serde(default)]
    deps: Vec<NodeDep>,
}

#[derive(Debug, Deserialize)]
struct NodeDep {
    pkg: String,
    #[serde(default)]
    dep_kinds: Vec<DepKind>,
}

#[derive(Debug, Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// Runs `cargo metadata --format-version 1 --locked --offline` for the
/// manifest. `Ok(None)` when cargo is not installed.
pub fn run_metadata(cargo: &str, manifest: &Path) -> Result<Option<String>> {
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--offline",
            "--manifest-path",
        ])
        .arg(manifest)
        .env("CARGO_TERM_COLOR", "never")
        .output();
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Input(format!("cannot run `{cargo} metadata`: {e}"))),
        Ok(o) if o.status.success() => Ok(Some(String::from_utf8_lossy(&o.stdout).into_owned())),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let first = err
                .lines()
                .find(|l| l.contains("error"))
                .unwrap_or_else(|| err.lines().next().unwrap_or(""))
                .trim()
                .to_string();
            Err(Error::Input(format!(
                "`cargo metadata --locked --offline` failed for {}: {first}\n  hint: run `cargo fetch` (the lockfile must be current and the crates downloaded), or set `cargo-metadata: never` to read Cargo.lock alone",
                manifest.display()
            )))
        }
    }
}

/// The packages reachable from a workspace member through normal edges
/// only (scope `required`).
fn required<'a>(members: &'a [String], nodes: &HashMap<&'a str, &'a Node>) -> BTreeSet<&'a str> {
    let mut required: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = members.iter().map(String::as_str).collect();
    while let Some(id) = stack.pop() {
        if !required.insert(id) {
            continue;
        }
        if let Some(n) = nodes.get(id) {
            for d in &n.deps {
                if d.dep_kinds.is_empty() || d.dep_kinds.iter().any(|k| k.kind.is_none()) {
                    stack.push(d.pkg.as_str());
                }
            }
        }
    }
    required
}

/// The kinds by which each package is reached (for a property).
fn dependency_kinds(nodes: &[Node]) -> HashMap<&str, BTreeSet<&str>> {
    let mut kinds: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for n in nodes {
        for d in &n.deps {
            for k in &d.dep_kinds {
                kinds
                    .entry(d.pkg.as_str())
                    .or_default()
                    .insert(k.kind.as_deref().unwrap_or("normal"));
            }
        }
    }
    kinds
}

/// A package's repository and homepage as external references.
fn external_refs(p: &MetaPackage) -> Vec<(&'static str, String)> {
    let mut external = Vec::new();
    for (kind, url) in [("vcs", &p.repository), ("website", &p.homepage)] {
        if let Some(u) = url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty() && !u.contains(char::is_whitespace))
        {
            external.push((kind, u.to_string()));
        }
    }
    external
}

/// Graph from `cargo metadata` JSON plus the lockfile's checksums.
pub fn from_metadata(
    json: &str,
    lock: Option<&Lock>,
    source: &str,
    root: &RootName,
) -> Result<Graph> {
    let meta: Metadata = serde_json::from_str(json)
        .map_err(|e| Error::Input(format!("unexpected `cargo metadata` output: {e}")))?;
    let resolve = meta.resolve.ok_or_else(|| {
        Error::Input("`cargo metadata` gave no dependency graph (`resolve` is null)".into())
    })?;
    let ws = &meta.workspace_root;
    let mut ids: HashMap<&str, String> = HashMap::new();
    for p in &meta.packages {
        let rel = p.manifest_path.parent().map(|d| relative_path(ws, d));
        ids.insert(
            p.id.as_str(),
            purl(&p.name, &p.version, p.source.as_deref(), rel.as_deref()),
        );
    }
    let pkgs: HashMap<&str, &MetaPackage> =
        meta.packages.iter().map(|p| (p.id.as_str(), p)).collect();
    let nodes: HashMap<&str, &Node> = resolve.nodes.iter().map(|n| (n.id.as_str(), n)).collect();

    let required = required(&meta.workspace_members, &nodes);
    let kinds = dependency_kinds(&resolve.nodes);

    let mut g = Graph {
        ecosystem: "cargo",
        source: source.to_string(),
        method: "cargo metadata".into(),
        ..Graph::default()
    };
    let members: BTreeSet<&str> = meta.workspace_members.iter().map(String::as_str).collect();
    for n in &resolve.nodes {
        let Some(p) = pkgs.get(n.id.as_str()) else {
            continue;
        };
        let Some(id) = ids.get(n.id.as_str()) else {
            continue;
        };
        let is_app = p.targets.iter().any(|t| t.kind.iter().any(|k| k == "bin"));
        let mut properties = Vec::new();
        if let Some(ks) = kinds.get(n.id.as_str()) {
            properties.push((
                "gates:cargo:dependency-kind".to_string(),
                ks.iter().copied().collect::<Vec<_>>().join(","),
            ));
        }
        if members.contains(n.id.as_str()) {
            properties.push(("gates:cargo:workspace-member".to_string(), "true".into()));
        }
        let external = external_refs(p);
        g.packages.insert(
            id.clone(),
            Package {
                name: p.name.clone(),
                version: Some(p.version.clone()),
                purl: Some(id.clone()),
                hashes: sha256(
                    lock.and_then(|l| l.checksum(&p.name, &p.version, p.source.as_deref())),
                ),
                license: p.license.clone(),
                scope: Some(if required.contains(n.id.as_str()) {
                    Scope::Required
                } else {
                    Scope::Excluded
                }),
                description: p.description.as_ref().map(|d| d.trim().to_string()),
                kind: if is_app { "application" } else { "library" },
                deps: n
                    .deps
                    .iter()
                    .filter_map(|d| ids.get(d.pkg.as_str()).cloned())
                    .collect(),
                properties,
                group: None,
                external,
            },
        );
    }
    let roots: Vec<String> = meta
        .workspace_members
        .iter()
        .filter_map(|m| ids.get(m.as_str()).cloned())
        .collect();
    set_root(&mut g, roots, root);
    Ok(g)
}

/// Whether `s` is a purl this module could have written (used by tests).
pub fn parses(s: &str) -> bool {
    PackageUrl::from_str(s).is_ok()
}
