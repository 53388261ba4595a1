//! The ecosystem-neutral package graph every reader produces and the
//! generator turns into CycloneDX.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::model::{Hash, Scope};

/// One package of a lockfile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Package {
    /// Namespace (npm scope `@x`), if any.
    pub group: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub hashes: Vec<Hash>,
    /// SPDX expression as the ecosystem gives it.
    pub license: Option<String>,
    /// `None`: the ecosystem does not say (treated as required).
    pub scope: Option<Scope>,
    pub description: Option<String>,
    /// `application` or `library`.
    pub kind: &'static str,
    /// Ids of the packages this one depends on (every kind of edge).
    pub deps: BTreeSet<String>,
    /// Extra `name=value` facts (dependency kind, source, ...).
    pub properties: Vec<(String, String)>,
    /// External references: (CycloneDX type, URL), e.g. (`vcs`, repository).
    pub external: Vec<(&'static str, String)>,
}

/// A product: a root and everything its lockfile resolves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    /// `cargo` or `npm`.
    pub ecosystem: &'static str,
    /// Lockfile or manifest the graph was read from, relative to the repository.
    pub source: String,
    /// How it was read, e.g. `cargo metadata` or `Cargo.lock`.
    pub method: String,
    /// Id of the root package (a key of `packages`).
    pub root: String,
    pub packages: BTreeMap<String, Package>,
    /// Notes for the report (things left out).
    pub notes: Vec<String>,
    /// Fallbacks that make the SBOM poorer than asked (`cargo metadata`
    /// failed: Cargo.lock alone, no licences): warnings in the report.
    pub warnings: Vec<String>,
}

impl Graph {
    /// Ids reachable from the root (the root included).
    pub fn reachable(&self) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([self.root.clone()]);
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            if let Some(p) = self.packages.get(&id) {
                queue.extend(p.deps.iter().filter(|d| !seen.contains(*d)).cloned());
            }
        }
        seen
    }
}

/// The relative path from `base` to `path` with forward slashes (`..` where needed).
pub fn relative_path(base: &std::path::Path, path: &std::path::Path) -> String {
    use std::path::Component;
    let b: Vec<Component<'_>> = base.components().collect();
    let p: Vec<Component<'_>> = path.components().collect();
    let common = b.iter().zip(&p).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..b.len() {
        parts.push("..".into());
    }
    for c in &p[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::relative_path;
    use std::path::Path;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/w/repo"), Path::new("/w/repo/crates/a")),
            "crates/a"
        );
        assert_eq!(
            relative_path(Path::new("/w/repo"), Path::new("/w/repo")),
            "."
        );
        assert_eq!(
            relative_path(Path::new("/w/repo"), Path::new("/w/other/b")),
            "../other/b"
        );
    }
}
