//! One adapter from gate-core's lockfile model ([`crate::lockfiles`]:
//! yarn, pnpm, poetry, uv, Pipfile, requirements, Go, Gemfile, composer, and
//! npm/Cargo too) to the SBOM [`Graph`]: purls per ecosystem, hashes as
//! CycloneDX algorithms, scopes, every resolved edge, and a root.

use std::collections::BTreeSet;

use crate::lockfiles::{Ecosystem, HashEncoding, Lockfile, Scope as LockScope};
use base64::Engine;
use packageurl::PackageUrl;

use crate::graph::{Graph, Package};
use crate::model::{Hash, Scope};

/// The registries a purl names by its type alone (no `repository_url`).
fn default_registry(eco: Ecosystem, url: &str) -> bool {
    let u = url.trim_end_matches('/');
    match eco {
        Ecosystem::PyPI => {
            u.starts_with("https://pypi.org/")
                || u.starts_with("https://files.pythonhosted.org/")
                || u == "https://pypi.org"
                || u == "https://pypi.python.org/simple"
        }
        Ecosystem::RubyGems => u == "https://rubygems.org" || u == "https://rubygems.org/",
        Ecosystem::Go => u == "https://proxy.golang.org",
        _ => false,
    }
}

/// A source that is a URL (not an index name such as Pipfile's `pypi`).
fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://") || s.starts_with("git+")
}

/// The purl of a package of `eco`, qualified by where it came from.
pub fn purl(eco: Ecosystem, name: &str, version: Option<&str>, source: Option<&str>) -> String {
    match eco {
        Ecosystem::CratesIo => {
            return crate::cargo::purl(name, version.unwrap_or(""), source, None);
        }
        Ecosystem::Npm => return npm_purl(name, version, source),
        _ => {}
    }
    let ty = eco.purl_type();
    // Namespace / name per the purl spec's type rules.
    let (ns, n): (Option<String>, String) = match eco {
        Ecosystem::PyPI => (None, eco.normalize_name(name)),
        // The purl spec's golang rules: namespace and name lower-cased (the
        // component's `name` keeps the module path as written).
        Ecosystem::Go => match name.to_lowercase().rsplit_once('/') {
            Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
            None => (None, name.to_lowercase()),
        },
        Ecosystem::Packagist => match name.split_once('/') {
            Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
            None => (None, name.to_string()),
        },
        _ => (None, name.to_string()),
    };
    let Ok(mut p) = PackageUrl::new(ty, n.clone()) else {
        return format!("pkg:{ty}/{name}");
    };
    if let Some(ns) = &ns {
        let _ = p.with_namespace(ns.clone());
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        let _ = p.with_version(v.to_string());
    }
    if let Some(s) = source.filter(|s| is_url(s)) {
        match eco {
            // composer's source.url is the package's own repository (even
            // for Packagist packages); Go's is a `replace` target: the
            // package's identity does not change with it.
            Ecosystem::Packagist | Ecosystem::Go => {}
            _ if default_registry(eco, s) => {}
            _ if s.starts_with("git+") || s.ends_with(".git") => {
                let _ = p.add_qualifier("vcs_url", s.to_string());
            }
            _ if [".whl", ".tar.gz", ".zip", ".gem", ".tgz"]
                .iter()
                .any(|e| s.ends_with(e)) =>
            {
                let _ = p.add_qualifier("download_url", s.to_string());
            }
            _ => {
                let _ = p.add_qualifier("repository_url", s.to_string());
            }
        }
    }
    p.to_string()
}

/// The purl of an npm package, qualified by where it came from (the npm
/// registry is the type's default; a git URL is a `vcs_url`, another
/// tarball a `download_url`).
fn npm_purl(full_name: &str, version: Option<&str>, resolved: Option<&str>) -> String {
    let (ns, name) = npm_split(full_name);
    let Ok(mut p) = PackageUrl::new("npm", name) else {
        return format!("pkg:npm/{full_name}");
    };
    if let Some(ns) = ns {
        let _ = p.with_namespace(ns);
    }
    if let Some(v) = version {
        let _ = p.with_version(v);
    }
    if let Some(r) = resolved {
        if r.starts_with("https://registry.npmjs.org/")
            || r.starts_with("https://registry.yarnpkg.com/")
        {
        } else if r.starts_with("git+") || r.starts_with("git:") || r.starts_with("github:") {
            let _ = p.add_qualifier("vcs_url", r.to_string());
        } else if r.starts_with("http://") || r.starts_with("https://") {
            let _ = p.add_qualifier("download_url", r.to_string());
        }
    }
    p.to_string()
}

/// `@scope/name` → (`@scope`, `name`); anything else has no namespace.
fn npm_split(full_name: &str) -> (Option<&str>, &str) {
    match full_name.split_once('/') {
        Some((ns, n)) if ns.starts_with('@') => (Some(ns), n),
        _ => (None, full_name),
    }
}

/// A lockfile digest as a CycloneDX hash (hex, a CycloneDX algorithm name,
/// the right length), or `None` (go.sum's `h1:` is not a file digest).
pub fn hash(h: &crate::lockfiles::Hash) -> Option<Hash> {
    let alg = match h.algorithm.to_ascii_lowercase().as_str() {
        "md5" => "MD5",
        "sha1" => "SHA-1",
        "sha256" => "SHA-256",
        "sha384" => "SHA-384",
        "sha512" => "SHA-512",
        _ => return None,
    };
    let content = match h.encoding {
        HashEncoding::Hex => h.value.trim().to_ascii_lowercase(),
        HashEncoding::Base64 => gate_core::text::hex(
            &base64::engine::general_purpose::STANDARD
                .decode(h.value.trim())
                .ok()?,
        ),
    };
    let ok = crate::model::hash_hex_len(alg) == Some(content.len())
        && content.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then_some(Hash { alg, content })
}

fn scope(s: LockScope) -> Scope {
    match s {
        LockScope::Required => Scope::Required,
        LockScope::Optional => Scope::Optional,
        LockScope::Dev => Scope::Excluded,
    }
}

/// What names the root when the lockfile does not.
#[derive(Debug, Clone, Default)]
pub struct RootInfo {
    pub name: Option<String>,
    pub version: Option<String>,
    pub license: Option<String>,
    pub description: Option<String>,
}

/// The project's name, version, licence and description from the manifest
/// beside the lockfile (`package.json`, `pyproject.toml`, `composer.json`),
/// where there is one.
pub fn manifest_info(lock_path: &std::path::Path, eco: Ecosystem) -> RootInfo {
    let dir = lock_path.parent().unwrap_or(std::path::Path::new("."));
    let s = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(String::from);
    match eco {
        Ecosystem::Npm | Ecosystem::Packagist => {
            let file = if eco == Ecosystem::Npm {
                "package.json"
            } else {
                "composer.json"
            };
            let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
                return RootInfo::default();
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                return RootInfo::default();
            };
            let license = match v.get("license") {
                Some(serde_json::Value::Array(a)) => {
                    let ids: Vec<&str> = a.iter().filter_map(|x| x.as_str()).collect();
                    (!ids.is_empty()).then(|| ids.join(" OR "))
                }
                other => s(other),
            };
            RootInfo {
                name: s(v.get("name")),
                version: s(v.get("version")),
                license,
                description: s(v.get("description")),
            }
        }
        Ecosystem::PyPI => {
            let Ok(text) = std::fs::read_to_string(dir.join("pyproject.toml")) else {
                return RootInfo::default();
            };
            let Ok(t) = toml::from_str::<toml::Table>(&text) else {
                return RootInfo::default();
            };
            let project = t.get("project");
            let poetry = t.get("tool").and_then(|t| t.get("poetry"));
            let get = |k: &str| {
                project
                    .and_then(|p| p.get(k))
                    .or_else(|| poetry.and_then(|p| p.get(k)))
                    .and_then(|v| v.as_str())
                    .map(String::from)
            };
            RootInfo {
                name: get("name"),
                version: get("version"),
                license: get("license").filter(|l| spdx::Expression::parse(l).is_ok()),
                description: get("description"),
            }
        }
        _ => RootInfo::default(),
    }
}

/// The graph of a parsed lockfile. `source` is the lockfile's path relative
/// to the repository, `dir` its directory (for the root's `download_url`).
pub fn to_graph(lock: &Lockfile, source: &str, dir: &str, root: &RootInfo) -> Graph {
    let eco = lock.ecosystem;
    let mut b = Build {
        lock,
        eco,
        ids: lock
            .packages
            .iter()
            .map(|p| purl(eco, &p.name, Some(&p.version), p.source.as_deref()))
            .collect(),
        root,
        g: Graph {
            // The purl type is the short name (`cargo`, `npm`, `pypi`, …).
            ecosystem: eco.purl_type(),
            source: source.to_string(),
            method: lock.format.clone(),
            ..Graph::default()
        },
        unresolved: BTreeSet::new(),
        incoming: BTreeSet::new(),
    };

    // The root: a package of the lockfile when it names exactly one project
    // that is also a package entry, else a component of its own.
    let path_like = |r: &str| r.is_empty() || r == "." || r.starts_with("./") || r.contains('\\');
    let single =
        (lock.roots.len() == 1 && !path_like(&lock.roots[0])).then(|| lock.roots[0].clone());
    let root_index = single.as_ref().and_then(|n| {
        lock.packages
            .iter()
            .position(|p| eco.normalize_name(&p.name) == eco.normalize_name(n))
    });
    let wanted = root.name.clone().or(single).or_else(|| {
        // A lockfile in a folder: the folder's name.
        dir.rsplit('/')
            .next()
            .filter(|d| !d.is_empty() && *d != "." && *d != "..")
            .map(String::from)
    });

    for (i, p) in lock.packages.iter().enumerate() {
        b.package(i, p, Some(i) == root_index);
    }
    let direct = b.direct();
    if let Some(rp) = &lock.root_package {
        b.npm_root(rp);
    } else {
        match root_index {
            Some(i) => b.package_root(i, direct.as_ref()),
            None => b.own_root(wanted, direct, dir),
        }
    }
    b.notes(source);
    b.g
}

/// A graph being built from a lockfile.
struct Build<'a> {
    lock: &'a Lockfile,
    eco: Ecosystem,
    /// The purl of each package, by index.
    ids: Vec<String>,
    root: &'a RootInfo,
    g: Graph,
    /// Required dependencies no package resolves, as noted.
    unresolved: BTreeSet<String>,
    /// Packages another package depends on.
    incoming: BTreeSet<usize>,
}

impl Build<'_> {
    /// Adds package `i` (merged with an earlier entry of the same purl).
    fn package(&mut self, i: usize, p: &crate::lockfiles::Package, is_root: bool) {
        let (eco, ids, g) = (self.eco, &self.ids, &mut self.g);
        let (unresolved, incoming) = (&mut self.unresolved, &mut self.incoming);
        let id = ids[i].clone();
        let mut deps = BTreeSet::new();
        for d in &p.dependencies {
            match d.index.and_then(|j| ids.get(j).map(|id| (j, id))) {
                Some((j, t)) => {
                    if j != i {
                        incoming.insert(j);
                    }
                    deps.insert(t.clone());
                }
                None if d.scope == LockScope::Required => {
                    unresolved.insert(format!("{} (needed by {})", d.name, p.name));
                }
                None => {}
            }
        }
        let (group, name) = match eco {
            Ecosystem::Npm | Ecosystem::Packagist => match p.name.split_once('/') {
                Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
                None => (None, p.name.clone()),
            },
            _ => (None, p.name.clone()),
        };
        let mut hashes: Vec<Hash> = Vec::with_capacity(p.hashes.len());
        let mut properties = Vec::new();
        for h in &p.hashes {
            match hash(h) {
                Some(c) => hashes.push(c),
                // Digests that are not of the archive (go.sum's dirhash
                // `h1:`, Yarn Berry's cache-zip checksum) are kept as
                // properties, as written.
                None => {
                    let value = if h.algorithm == "go-h1" {
                        format!("h1:{}", h.value)
                    } else {
                        h.value.clone()
                    };
                    properties.push((format!("gates:hash:{}", h.algorithm), value));
                }
            }
        }
        hashes.sort();
        hashes.dedup();
        if eco == Ecosystem::Npm && p.dev {
            properties.push(("cdx:npm:package:development".into(), "true".into()));
        }
        let s = scope(p.scope());
        let entry = g.packages.entry(id.clone()).or_insert_with(|| Package {
            group,
            name,
            version: (!p.version.is_empty()).then(|| p.version.clone()),
            purl: Some(id.clone()),
            hashes,
            license: p.license.clone().filter(|l| !l.trim().is_empty()),
            scope: Some(s),
            description: None,
            kind: if is_root { "application" } else { "library" },
            deps: BTreeSet::new(),
            properties,
            external: Vec::new(),
        });
        // The same package listed twice (several install paths): the most
        // required scope, the union of edges.
        entry.scope = entry.scope.map(|e| e.min(s)).or(Some(s));
        entry.deps.extend(deps);
    }

    /// The project's direct dependencies, when the lockfile records them
    /// (npm's root entry has its own edges, see [`Build::npm_root`]):
    /// `direct` merges its workspace members'.
    fn direct(&mut self) -> Option<BTreeSet<String>> {
        let (lock, ids, unresolved) = (self.lock, &self.ids, &mut self.unresolved);
        lock.direct
            .as_ref()
            .filter(|_| lock.root_package.is_none())
            .map(|ds| {
                ds.iter()
                    .filter_map(|d| match d.index.and_then(|j| ids.get(j)) {
                        Some(t) => Some(t.clone()),
                        None => {
                            if d.scope == LockScope::Required {
                                unresolved.insert(format!("{} (a direct dependency)", d.name));
                            }
                            None
                        }
                    })
                    .collect()
            })
    }

    /// The root when the lockfile records the project itself.
    fn npm_root(&mut self, rp: &crate::lockfiles::RootPackage) {
        let (eco, ids, root, lock) = (self.eco, &self.ids, self.root, self.lock);
        let (g, unresolved) = (&mut self.g, &mut self.unresolved);
        // The lockfile records the project itself (npm `packages[""]`): the
        // root is that entry, as npm names it (no `download_url`), with
        // its workspace members as components it depends on.
        let member_id =
            |m: &crate::lockfiles::RootPackage| purl(eco, &m.name, m.version.as_deref(), None);
        let members: Vec<(String, &crate::lockfiles::RootPackage)> =
            lock.members.iter().map(|m| (member_id(m), m)).collect();
        // An edge npm resolves through a `link` entry names a member.
        let target = |d: &crate::lockfiles::Dependency| -> Option<String> {
            d.index.and_then(|j| ids.get(j).cloned()).or_else(|| {
                members
                    .iter()
                    .find(|(_, m)| m.name == d.name)
                    .map(|(id, _)| id.clone())
            })
        };
        let mut project = |p: &crate::lockfiles::RootPackage, kind: &'static str| {
            let mut deps = BTreeSet::new();
            for d in &p.dependencies {
                match target(d) {
                    Some(t) => {
                        deps.insert(t);
                    }
                    None if d.scope == LockScope::Required => {
                        unresolved.insert(format!("{} (needed by {})", d.name, p.name));
                    }
                    None => {}
                }
            }
            let (group, name) = npm_split(&p.name);
            let pick = |own: &Option<String>, manifest: &Option<String>| {
                own.clone()
                    .or_else(|| (kind == "application").then(|| manifest.clone()).flatten())
            };
            Package {
                group: group.map(String::from),
                name: name.to_string(),
                version: p.version.clone(),
                license: pick(&p.license, &root.license),
                description: pick(&p.description, &root.description),
                kind,
                deps,
                ..Package::default()
            }
        };
        for (id, m) in &members {
            let mut c = project(m, "library");
            c.purl = Some(id.clone());
            c.scope = Some(Scope::Required);
            g.packages.entry(id.clone()).or_insert(c);
        }
        let mut r = project(rp, "application");
        if rp.name.is_empty() {
            // Neither `packages[""]` nor the lockfile names the project.
            let (group, name) = npm_split(root.name.as_deref().unwrap_or("root"));
            r.group = group.map(String::from);
            r.name = name.to_string();
        }
        let full = match &r.group {
            Some(g) => format!("{g}/{}", r.name),
            None => r.name.clone(),
        };
        let id = purl(
            eco,
            &full,
            rp.version.as_deref().or(root.version.as_deref()),
            None,
        );
        r.purl = Some(id.clone());
        r.version = r.version.or_else(|| root.version.clone());
        r.deps.extend(members.iter().map(|(id, _)| id.clone()));
        g.packages.insert(id.clone(), r);
        g.root = id;
    }

    /// The root is package `i` of the lockfile.
    fn package_root(&mut self, i: usize, direct: Option<&BTreeSet<String>>) {
        let (ids, root, g) = (&self.ids, self.root, &mut self.g);
        g.root = ids[i].clone();
        if let Some(r) = g.packages.get_mut(&g.root) {
            r.scope = None;
            if let Some(d) = direct {
                r.deps.extend(d.iter().cloned());
            }
            if r.license.is_none() {
                r.license.clone_from(&root.license);
            }
        }
    }

    /// The root is a component of its own, named `wanted`, in `dir`.
    fn own_root(&mut self, wanted: Option<String>, direct: Option<BTreeSet<String>>, dir: &str) {
        let (eco, ids, root, lock) = (self.eco, &self.ids, self.root, self.lock);
        let (g, incoming) = (&mut self.g, &self.incoming);
        let name = wanted.unwrap_or_else(|| "project".into());
        let rel = if dir.is_empty() { "." } else { dir };
        let base = purl(eco, &name, root.version.as_deref(), None);
        let mut id = match <PackageUrl as std::str::FromStr>::from_str(&base) {
            Ok(mut p) => {
                let _ = p.add_qualifier("download_url", format!("file://{rel}"));
                p.to_string()
            }
            Err(_) => format!("project:{name}"),
        };
        if g.packages.contains_key(&id) {
            id.push_str("#project");
        }
        let deps = match &direct {
            // go.mod lists the main module's whole module graph (Go
            // 1.17+): every `require` is the root's, `// indirect` ones
            // included, and no module-to-module edge is recorded.
            Some(d) if eco == Ecosystem::Go => {
                let all: BTreeSet<String> = ids.iter().cloned().collect();
                for id in all.difference(d) {
                    if let Some(p) = g.packages.get_mut(id) {
                        p.properties
                            .push(("gates:go:indirect".into(), "true".into()));
                    }
                }
                all
            }
            Some(d) => d.clone(),
            None => inferred_direct(g, ids, incoming),
        };
        if direct.is_none() && !deps.is_empty() {
            g.notes.push(format!(
            "{} does not record the project's direct dependencies: the root depends on the {} packages nothing else in it depends on",
            lock.format,
            deps.len()
        ));
        }
        g.packages.insert(
            id.clone(),
            Package {
                name,
                version: root.version.clone(),
                purl: None,
                license: root.license.clone(),
                description: root.description.clone(),
                kind: "application",
                deps,
                ..Package::default()
            },
        );
        g.root = id;
    }

    /// Notes on what the lockfile holds that the graph does not describe.
    fn notes(&mut self, source: &str) {
        let (lock, unresolved, g) = (self.lock, &self.unresolved, &mut self.g);
        if !lock.unchecked.is_empty() {
            let shown: Vec<String> = lock
                .unchecked
                .iter()
                .take(5)
                .map(|(line, text)| format!("line {line}: {text}"))
                .collect();
            g.notes.push(format!(
            "{} entries of {source} are not described (not from a registry, or not pinned): {}{}",
            lock.unchecked.len(),
            shown.join("; "),
            if lock.unchecked.len() > 5 {
                "; ..."
            } else {
                ""
            }
        ));
        }
        if !unresolved.is_empty() {
            let shown: Vec<&str> = unresolved.iter().take(5).map(String::as_str).collect();
            g.notes.push(format!(
                "{} dependencies not in {source}: {}{}",
                unresolved.len(),
                shown.join(", "),
                if unresolved.len() > 5 { ", ..." } else { "" }
            ));
        }
    }
}

/// Without recorded direct dependencies: the packages nothing depends on,
/// then one package of each cycle still out of reach, so every component
/// hangs off the root.
fn inferred_direct(g: &Graph, ids: &[String], incoming: &BTreeSet<usize>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = (0..ids.len())
        .filter(|i| !incoming.contains(i))
        .map(|i| ids[i].clone())
        .collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let walk = |from: &String, seen: &mut BTreeSet<String>| {
        let mut stack = vec![from.clone()];
        while let Some(id) = stack.pop() {
            if seen.insert(id.clone())
                && let Some(p) = g.packages.get(&id)
            {
                stack.extend(p.deps.iter().filter(|d| !seen.contains(*d)).cloned());
            }
        }
    };
    for id in &out {
        walk(id, &mut seen);
    }
    for id in g.packages.keys() {
        if !seen.contains(id) {
            out.insert(id.clone());
            walk(id, &mut seen);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::too_many_lines)]
mod tests {
    use super::*;

    #[test]
    fn purls_per_ecosystem() {
        assert_eq!(
            purl(
                Ecosystem::Go,
                "github.com/Azure/Go-AutoRest",
                Some("v14.2.0+incompatible"),
                None
            ),
            "pkg:golang/github.com/azure/go-autorest@v14.2.0%2Bincompatible"
        );
        assert_eq!(
            purl(
                Ecosystem::PyPI,
                "Typing_Extensions",
                Some("4.12.2"),
                Some("https://pypi.org/simple")
            ),
            "pkg:pypi/typing-extensions@4.12.2"
        );
        assert_eq!(
            purl(Ecosystem::PyPI, "zope.interface", Some("6.0"), None),
            "pkg:pypi/zope-interface@6.0"
        );
        assert_eq!(
            purl(
                Ecosystem::PyPI,
                "x",
                Some("1"),
                Some("https://example.com/simple")
            ),
            "pkg:pypi/x@1?repository_url=https:%2F%2Fexample.com%2Fsimple"
        );
        assert_eq!(
            purl(
                Ecosystem::Go,
                "github.com/spf13/cobra",
                Some("v1.8.0"),
                None
            ),
            "pkg:golang/github.com/spf13/cobra@v1.8.0"
        );
        assert_eq!(
            purl(
                Ecosystem::Go,
                "golang.org/x/sys",
                Some("v0.0.0-20220811171246-fbc7d0a398ab"),
                None
            ),
            "pkg:golang/golang.org/x/sys@v0.0.0-20220811171246-fbc7d0a398ab"
        );
        assert_eq!(
            purl(
                Ecosystem::RubyGems,
                "rails",
                Some("7.1.3"),
                Some("https://rubygems.org/")
            ),
            "pkg:gem/rails@7.1.3"
        );
        assert_eq!(
            purl(
                Ecosystem::Packagist,
                "symfony/Console",
                Some("v6.4.1"),
                Some("https://github.com/symfony/console.git")
            ),
            "pkg:composer/symfony/console@v6.4.1"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "@babel/core", Some("7.1.0"), None),
            "pkg:npm/%40babel/core@7.1.0"
        );
        // npm: the registry is the default; git and other tarballs qualify.
        assert_eq!(
            purl(
                Ecosystem::Npm,
                "@babel/core",
                Some("7.1.0"),
                Some("https://registry.npmjs.org/@babel/core/-/core-7.1.0.tgz")
            ),
            "pkg:npm/%40babel/core@7.1.0"
        );
        assert!(
            purl(
                Ecosystem::Npm,
                "x",
                Some("1.0.0"),
                Some("git+ssh://git@github.com/o/x.git#abc")
            )
            .contains("vcs_url=")
        );
        assert!(
            purl(
                Ecosystem::Npm,
                "y",
                Some("1.0.0"),
                Some("https://example.com/y.tgz")
            )
            .contains("download_url=")
        );
        for p in [
            purl(
                Ecosystem::Go,
                "github.com/x/y",
                Some("v2.0.0+incompatible"),
                None,
            ),
            purl(
                Ecosystem::PyPI,
                "a",
                Some("1.0+local"),
                Some("git+https://h/r.git@abc"),
            ),
        ] {
            assert!(
                <PackageUrl as std::str::FromStr>::from_str(&p).is_ok(),
                "{p}"
            );
        }
    }

    #[test]
    fn hashes_become_cyclonedx_hex() {
        use crate::lockfiles::Hash as L;
        let sri = L::from_sri(
            "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==",
        );
        // sha1 of the empty string
        let sha1 = L::from_sri("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
        assert_eq!(
            hash(&sha1[0]).unwrap().content,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert!(L::from_sri("sha512-!!!").iter().all(|h| hash(h).is_none()));
        let h = hash(&sri[0]).unwrap();
        assert_eq!(h.alg, "SHA-512");
        assert!(h.content.starts_with("ddaf35a193617aba"));
        let hex = L::hex("sha256", &"AB".repeat(32));
        assert_eq!(hash(&hex).unwrap().content, "ab".repeat(32));
        assert!(hash(&L::hex("sha256", "abcd")).is_none());
        assert!(hash(&L::hex("go-h1", &"a".repeat(64))).is_none());
    }

    /// Hand-written edge case: an npm workspace. The root entry names the
    /// root component (no `download_url`: npm records the project); each
    /// workspace folder is a component the root depends on, named as npm
    /// names it (`packages/b` without `name` is `b`), and an edge through a
    /// `link` entry reaches the member.
    #[test]
    fn npm_root_entry_and_workspace_members() {
        let text = r#"{
  "name": "mono",
  "version": "2.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "mono",
      "version": "2.0.0",
      "license": "MIT",
      "workspaces": ["packages/*"],
      "dependencies": { "ms": "^2.1.0" },
      "devDependencies": { "left-pad": "^1.3.0" }
    },
    "node_modules/@mono/a": {
      "resolved": "packages/a",
      "link": true
    },
    "node_modules/b": {
      "resolved": "packages/b",
      "link": true
    },
    "node_modules/left-pad": {
      "version": "1.3.0",
      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
      "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQ9MKC1bBxcTmQEhx5KgbW+VOUArBmRE/Go3dZPLp6vEvvHg==",
      "dev": true,
      "license": "WTFPL"
    },
    "node_modules/ms": {
      "version": "2.1.3",
      "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
      "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==",
      "license": "MIT"
    },
    "packages/a": {
      "name": "@mono/a",
      "version": "0.1.0",
      "license": "ISC",
      "dependencies": { "b": "*", "ms": "^2.0.0" }
    },
    "packages/b": {
      "version": "0.2.0"
    }
  }
}"#;
        let l = crate::lockfiles::parse(
            crate::lockfiles::Kind::Npm,
            "package-lock.json",
            text.as_bytes(),
        )
        .unwrap();
        let g = to_graph(&l, "package-lock.json", "", &RootInfo::default());
        assert_eq!(g.root, "pkg:npm/mono@2.0.0");
        let root = &g.packages[&g.root];
        assert_eq!(
            (root.kind, root.license.as_deref(), root.scope),
            ("application", Some("MIT"), None)
        );
        let deps: Vec<&str> = root.deps.iter().map(String::as_str).collect();
        assert_eq!(
            deps,
            [
                "pkg:npm/%40mono/a@0.1.0",
                "pkg:npm/b@0.2.0",
                "pkg:npm/left-pad@1.3.0",
                "pkg:npm/ms@2.1.3"
            ]
        );
        let a = &g.packages["pkg:npm/%40mono/a@0.1.0"];
        assert_eq!(
            (a.group.as_deref(), a.name.as_str(), a.license.as_deref()),
            (Some("@mono"), "a", Some("ISC"))
        );
        assert!(a.deps.contains("pkg:npm/b@0.2.0"), "{a:?}");
        assert_eq!(
            g.packages["pkg:npm/left-pad@1.3.0"].scope,
            Some(Scope::Excluded)
        );
        assert!(g.notes.is_empty(), "{:?}", g.notes);
    }
}
