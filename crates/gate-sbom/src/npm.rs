//! npm `package-lock.json` (lockfile versions 2 and 3, the `packages` map).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine;
use packageurl::PackageUrl;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::graph::{Graph, Package};
use crate::model::{Hash, Scope};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Lock {
    name: Option<String>,
    version: Option<String>,
    lockfile_version: Option<u64>,
    packages: Option<BTreeMap<String, Entry>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    license: Option<serde_json::Value>,
    description: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dev_optional: bool,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dependencies: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    peer_dependencies: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    dev_dependencies: BTreeMap<String, serde_json::Value>,
}

/// `sha512-<base64> sha1-<base64>` → CycloneDX hashes.
pub fn integrity_hashes(integrity: &str) -> Vec<Hash> {
    let mut out = Vec::new();
    for part in integrity.split_whitespace() {
        let Some((alg, b64)) = part.split_once('-') else {
            continue;
        };
        let alg = match alg {
            "sha1" => "SHA-1",
            "sha256" => "SHA-256",
            "sha384" => "SHA-384",
            "sha512" => "SHA-512",
            _ => continue,
        };
        let b64 = b64.split('?').next().unwrap_or(b64);
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
            let content: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            if crate::model::hash_hex_len(alg) == Some(content.len()) {
                out.push(Hash { alg, content });
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The package name an entry at `key` installs (`@scope/name`).
fn key_name(key: &str) -> &str {
    match key.rfind("node_modules/") {
        Some(i) => &key[i + "node_modules/".len()..],
        None => key.rsplit('/').next().unwrap_or(key),
    }
}

/// The purl of an npm package, qualified by where it came from.
pub fn purl(full_name: &str, version: Option<&str>, resolved: Option<&str>) -> String {
    let (ns, name) = match full_name.split_once('/') {
        Some((ns, n)) if ns.starts_with('@') => (Some(ns), n),
        _ => (None, full_name),
    };
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

fn license_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Object(o) => o.get("type").and_then(|t| t.as_str()).map(String::from),
        _ => None,
    }
}

/// Parent install location: `node_modules/a/node_modules/b` → `node_modules/a`; top level → ``.
fn parent(loc: &str) -> Option<&str> {
    if loc.is_empty() {
        return None;
    }
    Some(match loc.rfind("/node_modules/") {
        Some(i) => &loc[..i],
        None => "",
    })
}

/// Parses a package-lock.json into a graph.
pub fn parse(path: &Path, text: &str, source: &str) -> Result<Graph> {
    let lock: Lock = serde_json::from_str(text).map_err(|e| {
        Error::malformed(
            path,
            Some(e.line() as u64),
            format!("not a valid package-lock.json: {e}; regenerate it with `npm install --package-lock-only`"),
        )
    })?;
    let Some(entries) = lock.packages else {
        return Err(Error::malformed(
            path,
            None,
            format!(
                "lockfileVersion {} has no `packages` map; gate-sbom reads lockfile versions 2 and 3: run `npm install --package-lock-only --lockfile-version 3`",
                lock.lockfile_version.unwrap_or(1)
            ),
        ));
    };
    let root_entry = entries.get("").ok_or_else(|| {
        Error::malformed(
            path,
            None,
            "the `packages` map has no root entry (\"\"): not an npm lockfile",
        )
    })?;

    // Location → (id, entry) for every real (non-link) entry.
    let name_at = |key: &str, e: &Entry| -> String {
        if key.is_empty() {
            e.name
                .clone()
                .or_else(|| lock.name.clone())
                .unwrap_or_else(|| "root".into())
        } else {
            e.name.clone().unwrap_or_else(|| key_name(key).to_string())
        }
    };
    let id_at = |key: &str, e: &Entry| -> String {
        let version = if key.is_empty() {
            e.version.clone().or_else(|| lock.version.clone())
        } else {
            e.version.clone()
        };
        purl(&name_at(key, e), version.as_deref(), e.resolved.as_deref())
    };
    // Follow a link entry to its target location.
    let real = |key: &str| -> Option<String> {
        let e = entries.get(key)?;
        if e.link {
            let target = e.resolved.as_deref()?;
            entries.contains_key(target).then(|| target.to_string())
        } else {
            Some(key.to_string())
        }
    };
    let find = |from: &str, dep: &str| -> Option<String> {
        let mut loc = Some(from);
        while let Some(l) = loc {
            let cand = if l.is_empty() {
                format!("node_modules/{dep}")
            } else {
                format!("{l}/node_modules/{dep}")
            };
            if entries.contains_key(&cand) {
                return real(&cand);
            }
            loc = parent(l);
        }
        None
    };

    // Each location's id, computed once (a purl per entry, not per edge).
    let ids: BTreeMap<&str, String> = entries
        .iter()
        .map(|(k, e)| (k.as_str(), id_at(k, e)))
        .collect();

    let mut g = Graph {
        ecosystem: "npm",
        source: source.to_string(),
        method: format!("package-lock.json v{}", lock.lockfile_version.unwrap_or(0)),
        ..Graph::default()
    };
    let mut unresolved = BTreeSet::new();
    for (key, e) in &entries {
        if e.link {
            continue;
        }
        let is_member =
            !key.is_empty() && !key.starts_with("node_modules/") && !key.contains("/node_modules/");
        let id = ids
            .get(key.as_str())
            .cloned()
            .unwrap_or_else(|| id_at(key, e));
        let mut deps = BTreeSet::new();
        let mut want = |names: &BTreeMap<String, serde_json::Value>, required: bool| {
            for n in names.keys() {
                match find(key, n) {
                    Some(loc) => {
                        if let Some(t) = ids.get(loc.as_str()) {
                            deps.insert(t.clone());
                        }
                    }
                    None if required => {
                        unresolved.insert(format!("{n} (needed by {})", name_at(key, e)));
                    }
                    None => {}
                }
            }
        };
        want(&e.dependencies, true);
        want(&e.optional_dependencies, false);
        want(&e.peer_dependencies, false);
        if key.is_empty() || is_member {
            want(&e.dev_dependencies, false);
        }
        if key.is_empty() {
            // Workspace members hang off the root.
            for (k, m) in &entries {
                if !k.is_empty()
                    && !m.link
                    && !k.starts_with("node_modules/")
                    && !k.contains("/node_modules/")
                    && let Some(t) = ids.get(k.as_str())
                {
                    deps.insert(t.clone());
                }
            }
        }
        let scope = if key.is_empty() {
            None
        } else if e.dev || e.dev_optional {
            Some(Scope::Excluded)
        } else if e.optional {
            Some(Scope::Optional)
        } else {
            Some(Scope::Required)
        };
        let full = name_at(key, e);
        let (group, name) = match full.split_once('/') {
            Some((ns, n)) if ns.starts_with('@') => (Some(ns.to_string()), n.to_string()),
            _ => (None, full.clone()),
        };
        let version = if key.is_empty() {
            e.version.clone().or_else(|| lock.version.clone())
        } else {
            e.version.clone()
        };
        let mut properties = Vec::new();
        if e.dev {
            properties.push((
                "cdx:npm:package:development".to_string(),
                "true".to_string(),
            ));
        }
        let p = g.packages.entry(id.clone()).or_insert_with(|| Package {
            group,
            name,
            version,
            purl: Some(id.clone()),
            hashes: e
                .integrity
                .as_deref()
                .map(integrity_hashes)
                .unwrap_or_default(),
            license: e.license.as_ref().and_then(license_of),
            scope,
            description: e.description.clone(),
            kind: if key.is_empty() {
                "application"
            } else {
                "library"
            },
            deps: BTreeSet::new(),
            properties,
            external: Vec::new(),
        });
        // The same name@version installed at several places: one component,
        // the most required scope, the union of edges.
        p.scope = match (p.scope, scope) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        p.deps.extend(deps);
        if key.is_empty() {
            g.root = id;
        }
    }
    if g.root.is_empty() {
        g.root = id_at("", root_entry);
    }
    if !unresolved.is_empty() {
        let shown: Vec<&String> = unresolved.iter().take(5).collect();
        g.notes.push(format!(
            "{} dependencies not installed in {source}: {}{}",
            unresolved.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if unresolved.len() > 5 { ", ..." } else { "" }
        ));
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_is_decoded_to_hex() {
        // sha1 of the empty string, in SRI form, with an sha512 of "abc".
        let h = integrity_hashes(
            "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk= sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==",
        );
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].alg, "SHA-1");
        assert_eq!(h[0].content, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(h[1].alg, "SHA-512");
        assert!(h[1].content.starts_with("ddaf35a193617aba"));
        assert!(integrity_hashes("md5-xyz sha512-!!!").is_empty());
    }

    #[test]
    fn scoped_names_and_sources_in_purls() {
        assert_eq!(
            purl(
                "@babel/core",
                Some("7.1.0"),
                Some("https://registry.npmjs.org/@babel/core/-/core-7.1.0.tgz")
            ),
            "pkg:npm/%40babel/core@7.1.0"
        );
        assert_eq!(purl("ms", Some("2.1.3"), None), "pkg:npm/ms@2.1.3");
        assert!(
            purl(
                "x",
                Some("1.0.0"),
                Some("git+ssh://git@github.com/o/x.git#abc")
            )
            .contains("vcs_url=")
        );
        assert!(
            purl("y", Some("1.0.0"), Some("https://example.com/y.tgz")).contains("download_url=")
        );
    }

    #[test]
    fn install_locations() {
        assert_eq!(key_name("node_modules/a/node_modules/@s/b"), "@s/b");
        assert_eq!(
            parent("node_modules/a/node_modules/b"),
            Some("node_modules/a")
        );
        assert_eq!(parent("node_modules/a"), Some(""));
        assert_eq!(parent(""), None);
    }
}
