//! `poetry.lock`: lock-version 1.x (`category = "main"|"dev"`, hashes in
//! `[metadata.files]`) and 2.x (per-package `files`, and since Poetry 2
//! `groups = [...]`).
//!
//! Poetry before 1.0 (no `lock-version`) kept bare SHA-256 hex digests in
//! `[metadata.hashes]`; they are read too.
//!
//! Dev-only: `category = "dev"`, or `groups` without `main`. A 2.0 lock
//! without `groups` does not say: every package is reported required.
//! poetry.lock records no root, so [`Lockfile::direct`] is `None`.

use serde::Deserialize;

use super::{
    Dependency, Ecosystem, Hash, Lockfile, Package, ParseError, toml_entry_lines, toml_error,
};

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    package: Vec<RawPackage>,
    #[serde(default)]
    metadata: Option<toml::Table>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    files: Vec<toml::Table>,
    #[serde(default)]
    dependencies: toml::Table,
    #[serde(default)]
    source: Option<toml::Table>,
}

/// `{file = "...", hash = "sha256:hex"}` entries → hashes.
fn file_hashes(files: &[toml::Value]) -> Vec<Hash> {
    files
        .iter()
        .filter_map(|f| f.get("hash")?.as_str())
        .filter_map(|h| h.split_once(':'))
        .map(|(alg, v)| Hash::hex(alg, v))
        .collect()
}

/// Poetry before 1.0: `[metadata.hashes]` name = ["<sha256 hex>", ...]
fn bare_hashes(metadata: Option<&toml::Table>, name: &str) -> Vec<Hash> {
    metadata
        .and_then(|m| m.get("hashes"))
        .and_then(|h| h.get(name))
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .map(|h| Hash::hex("sha256", h))
        .collect()
}

/// Dev-only: `category = "dev"`, or `groups` without `main`.
fn is_dev(category: Option<&str>, groups: Option<&[String]>) -> bool {
    match (category, groups) {
        (Some(c), _) => c == "dev",
        (None, Some(g)) => !g.is_empty() && !g.iter().any(|x| x == "main"),
        (None, None) => false,
    }
}

/// A package's `[package.dependencies]`: a requirement string, or a table
/// with `version` (and maybe `optional = true`).
fn dependencies(deps: &toml::Table) -> Vec<Dependency> {
    deps.iter()
        .map(|(n, spec)| {
            let mut d = Dependency::named(n.clone());
            d.requirement = match spec {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Table(t) => t
                    .get("version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                _ => None,
            };
            if let toml::Value::Table(t) = spec
                && t.get("optional").and_then(toml::Value::as_bool) == Some(true)
            {
                d.scope = super::Scope::Optional;
            }
            d
        })
        .collect()
}

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let raw: Raw = toml::from_str(text).map_err(|e| toml_error(text, "poetry.lock", &e))?;
    let lock_version = raw
        .metadata
        .as_ref()
        .and_then(|m| m.get("lock-version"))
        .and_then(|v| v.as_str())
        .unwrap_or("1.0")
        .to_string();
    if !(lock_version.starts_with("1.") || lock_version.starts_with("2.")) {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with("lock-version"))
            .map(|i| i as u64 + 1);
        return Err(ParseError::new(
            line,
            format!("unknown poetry.lock lock-version \"{lock_version}\" (supported: 1.x and 2.x)"),
        ));
    }
    if raw.package.is_empty() && raw.metadata.is_none() {
        return Err(ParseError::new(
            Some(1),
            "no [[package]] entries and no [metadata]: not a poetry.lock",
        ));
    }
    let old_files = raw
        .metadata
        .as_ref()
        .and_then(|m| m.get("files"))
        .and_then(|f| f.as_table());
    let lines = toml_entry_lines(text, "[[package]]");
    let mut l = Lockfile::new(
        display,
        Ecosystem::PyPI,
        format!("poetry.lock v{lock_version}"),
    );
    for (i, p) in raw.package.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let source_type = p
            .source
            .as_ref()
            .and_then(|s| s.get("type"))
            .and_then(|t| t.as_str())
            .unwrap_or("");
        if matches!(source_type, "directory" | "file") {
            l.unchecked.push((
                line,
                format!("{} {}: a local {source_type} package", p.name, p.version),
            ));
            continue;
        }
        if p.version.parse::<pep440_rs::Version>().is_err() {
            return Err(ParseError::new(
                Some(u64::from(line)),
                format!(
                    "package `{}`: `{}` is not a PEP 440 version",
                    p.name, p.version
                ),
            ));
        }
        let bare = bare_hashes(raw.metadata.as_ref(), &p.name);
        let files: Vec<toml::Value> = if p.files.is_empty() {
            old_files
                .and_then(|f| f.get(&p.name))
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default()
        } else {
            p.files.into_iter().map(toml::Value::Table).collect()
        };
        let dev = is_dev(p.category.as_deref(), p.groups.as_deref());
        let dependencies = dependencies(&p.dependencies);
        l.packages.push(Package {
            name: p.name,
            version: p.version,
            source: p
                .source
                .as_ref()
                .and_then(|s| s.get("url"))
                .and_then(|u| u.as_str())
                .map(str::to_string),
            dev,
            optional: p.optional,
            line,
            hashes: if bare.is_empty() {
                file_hashes(&files)
            } else {
                bare
            },
            dependencies,
            ..Package::default()
        });
    }
    l.resolve_edges();
    Ok(l)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Hand-written edge case: Poetry 2 groups, a package in both groups,
    /// a directory source, an unknown lock-version.
    #[test]
    fn groups_and_sources() {
        let t = "[[package]]\nname = \"a\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\ngroups = [\"main\", \"dev\"]\nfiles = [\n    {file = \"a-1.0.tar.gz\", hash = \"sha256:aa\"},\n]\n\n[package.dependencies]\nb = \">=2\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0\"\ndescription = \"\"\noptional = true\npython-versions = \"*\"\ngroups = [\"dev\"]\nfiles = []\n\n[[package]]\nname = \"local\"\nversion = \"0.1\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\ngroups = [\"main\"]\nfiles = []\n\n[package.source]\ntype = \"directory\"\nurl = \"../local\"\n\n[metadata]\nlock-version = \"2.1\"\npython-versions = \"^3.9\"\ncontent-hash = \"x\"\n";
        let l = parse("poetry.lock", t).unwrap();
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.dev, p.optional, p.line))
            .collect();
        assert_eq!(got, [("a", false, false, 2), ("b", true, true, 16)]);
        assert_eq!(l.packages[0].hashes, [Hash::hex("sha256", "aa")]);
        assert_eq!(l.packages[0].dependencies[0].index, Some(1));
        assert_eq!(l.unchecked.len(), 1);
        let e = parse("poetry.lock", "[metadata]\nlock-version = \"3.0\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("supported"));
    }
}
