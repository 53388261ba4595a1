//! `pnpm-lock.yaml`, lockfileVersion 5.x (`/name/1.0.0_peer`), 6.x
//! (`/name@1.0.0(peer@2.0.0)`) and 9.x (`name@1.0.0(peer@2.0.0)`, with
//! `snapshots`).
//!
//! Roots are the importers (`.` and workspace folders; or the top level
//! before importers existed); their `dependencies`, `optionalDependencies`
//! and `devDependencies` are [`Lockfile::direct`]. 5.x and 6.x carry
//! per-package `dev`/`optional` flags; 9.x does not, so scopes come from
//! the graph: dev-only when reachable from the importers only through
//! `devDependencies`, optional when only through optional edges.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{
    Dependency, Ecosystem, Hash, Lockfile, Package, ParseError, Scope, mark_dev_from_direct,
    yaml_key_lines, yaml_value,
};

/// (major) of the lockfile formats read.
fn major_of(v: &Value) -> Option<(u64, String)> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let major = s.split('.').next()?.parse().ok()?;
    Some((major, s))
}

/// Strips the peer suffix: `1.0.0(react@18.0.0)` / `1.0.0_react@18.0.0`.
fn strip_peers(v: &str, major: u64) -> &str {
    let v = v.split('(').next().unwrap_or(v);
    if major == 5 {
        v.split('_').next().unwrap_or(v)
    } else {
        v
    }
}

/// (name, version) from a `packages` key.
fn key_name_version(key: &str, major: u64) -> Option<(String, String)> {
    if major == 5 {
        let k = key.strip_prefix('/')?;
        let k = strip_peers(k, 5);
        let (name, version) = k.rsplit_once('/')?;
        return Some((name.to_string(), version.to_string()));
    }
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = strip_peers(k, major);
    let i = k.get(1..)?.find('@')? + 1;
    Some((k[..i].to_string(), k[i + 1..].to_string()))
}

/// The exact version a dependency value points at (`1.0.0`, `1.0.0(peer)`,
/// `/name/1.0.0` in 5.x, `name@1.0.0` for aliases); `None` for `link:`.
fn dep_version(value: &str, major: u64) -> Option<(Option<String>, String)> {
    if value.starts_with("link:") || value.starts_with("file:") {
        return None;
    }
    let v = strip_peers(value, major);
    if let Some((n, ver)) =
        key_name_version(v, major).filter(|_| v.contains('@') || v.starts_with('/'))
    {
        return Some((Some(n), ver));
    }
    Some((None, v.to_string()))
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Package (name, version), without peers → its index in the packages.
type Index = HashMap<(String, String), usize>;

/// A package's dependencies by name: version (or specifier) and scope.
type DepsOf = Vec<BTreeMap<String, (String, Scope)>>;

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let doc = yaml_value(text, "pnpm-lock.yaml")?;
    let Some(obj) = doc.as_object() else {
        return Err(ParseError::new(
            Some(1),
            "a pnpm-lock.yaml is a YAML mapping",
        ));
    };
    let (major, vtext) = lockfile_version(obj, text)?;
    let lines = yaml_key_lines(text, 2);
    let mut l = Lockfile::new(display, Ecosystem::Npm, format!("pnpm-lock.yaml v{vtext}"));
    let empty = serde_json::Map::new();
    let packages = obj
        .get("packages")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let snapshots = obj.get("snapshots").and_then(Value::as_object);
    let (index, mut deps_of) = read_packages(&mut l, packages, &lines, major)?;
    // edges: in `snapshots` (9.x) or in the package entries (5.x, 6.x)
    collect_deps(snapshots.unwrap_or(packages), &index, &mut deps_of, major);
    for (pi, deps) in deps_of.into_iter().enumerate() {
        let mut edges = Vec::new();
        for (dn, (dv, scope)) in deps {
            let mut d = Dependency::named(dn.clone());
            d.scope = scope;
            if let Some((alias, v)) = dep_version(&dv, major) {
                let target = alias.unwrap_or(dn);
                d.index = index.get(&(target, v.clone())).copied();
                d.version = Some(v);
            } else {
                d.requirement = Some(dv);
            }
            edges.push(d);
        }
        if let Some(p) = l.packages.get_mut(pi) {
            p.dependencies = edges;
        }
    }
    l.direct = Some(importers(&mut l.roots, obj, &index, major));
    if major >= 9 {
        mark_dev_from_direct(&mut l);
    }
    l.resolve_edges();
    Ok(l)
}

/// `lockfileVersion`: its major (5, 6 or 9) and as written.
fn lockfile_version(
    obj: &serde_json::Map<String, Value>,
    text: &str,
) -> Result<(u64, String), ParseError> {
    let top = yaml_key_lines(text, 0);
    let ver_line = top.get("lockfileVersion").map(|&l| u64::from(l));
    match obj.get("lockfileVersion").and_then(major_of) {
        Some((m @ (5 | 6 | 9), s)) => Ok((m, s)),
        other => Err(ParseError::new(
            ver_line.or(Some(1)),
            format!(
                "unknown pnpm lockfileVersion {} (supported: 5.x, 6.x and 9.x)",
                other.map_or_else(|| "(missing)".to_string(), |(_, s)| s)
            ),
        )),
    }
}

/// The `packages` entries as packages (one per name and version; others
/// are unchecked), with their index and an empty dependency map each.
fn read_packages(
    l: &mut Lockfile,
    packages: &serde_json::Map<String, Value>,
    lines: &HashMap<String, u32>,
    major: u64,
) -> Result<(Index, DepsOf), ParseError> {
    let mut index: Index = HashMap::new();
    let mut deps_of: DepsOf = Vec::new();
    for (key, meta) in packages {
        let line = lines.get(key.as_str()).copied().unwrap_or(1);
        let Some(m) = meta.as_object() else {
            return Err(ParseError::new(
                Some(u64::from(line)),
                format!("packages entry `{key}` is not a mapping"),
            ));
        };
        let Some((name, version)) = key_name_version(key, major) else {
            // tarball or git keys (`github.com/x/y/sha`): not a registry package
            l.unchecked
                .push((line, format!("{key}: not a registry package")));
            continue;
        };
        let (name, version) = match (
            m.get("name").and_then(str_of),
            m.get("version").and_then(str_of),
        ) {
            (Some(n), Some(v)) => (n, v),
            _ => (name, version),
        };
        if semver::Version::parse(&version).is_err() {
            l.unchecked
                .push((line, format!("{name}@{version}: not a registry version")));
            continue;
        }
        if index.contains_key(&(name.clone(), version.clone())) {
            continue; // 5.x/6.x peer variants of one version
        }
        index.insert((name.clone(), version.clone()), l.packages.len());
        l.packages.push(package(name, version, line, m));
        deps_of.push(BTreeMap::new());
    }
    Ok((index, deps_of))
}

/// A registry package's entry: flags, integrity, tarball or repo, license.
fn package(
    name: String,
    version: String,
    line: u32,
    m: &serde_json::Map<String, Value>,
) -> Package {
    let flag = |k: &str| m.get(k).and_then(Value::as_bool).unwrap_or(false);
    let resolution = m.get("resolution");
    let hashes = resolution
        .and_then(|r| r.get("integrity"))
        .and_then(Value::as_str)
        .map(Hash::from_sri)
        .unwrap_or_default();
    let source = resolution
        .and_then(|r| r.get("tarball").or_else(|| r.get("repo")))
        .and_then(str_of);
    Package {
        name,
        version,
        source,
        dev: flag("dev"),
        optional: flag("optional"),
        line,
        hashes,
        license: m.get("license").and_then(str_of),
        ..Package::default()
    }
}

/// Each indexed package's `dependencies` and `optionalDependencies` from
/// `edge_src`, the first seen per name.
fn collect_deps(
    edge_src: &serde_json::Map<String, Value>,
    index: &Index,
    deps_of: &mut DepsOf,
    major: u64,
) {
    for (key, meta) in edge_src {
        let Some(nv) = key_name_version(key, major) else {
            continue;
        };
        let Some(&pi) = index.get(&nv) else { continue };
        for (field, scope) in [
            ("dependencies", Scope::Required),
            ("optionalDependencies", Scope::Optional),
        ] {
            for (dn, dv) in meta
                .get(field)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(v) = str_of(dv) {
                    deps_of[pi].entry(dn.clone()).or_insert((v, scope));
                }
            }
        }
    }
}

/// The importers, pushed onto `roots`: workspaces (`.` and folders) or,
/// before 5.3 workspaces, the top level; their dependencies are the
/// direct ones.
fn importers(
    roots: &mut Vec<String>,
    obj: &serde_json::Map<String, Value>,
    index: &Index,
    major: u64,
) -> Vec<Dependency> {
    let mut importers: Vec<(String, &serde_json::Map<String, Value>)> = Vec::new();
    if let Some(imp) = obj.get("importers").and_then(Value::as_object) {
        for (k, v) in imp {
            if let Some(m) = v.as_object() {
                importers.push((k.clone(), m));
            }
        }
    } else {
        importers.push((".".to_string(), obj));
    }
    let mut direct: Vec<Dependency> = Vec::new();
    for (name, m) in importers {
        roots.push(name);
        let specifiers = m.get("specifiers").and_then(Value::as_object);
        for (field, scope) in [
            ("dependencies", Scope::Required),
            ("optionalDependencies", Scope::Optional),
            ("devDependencies", Scope::Dev),
        ] {
            for (dn, dv) in m
                .get(field)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                // 6.x/9.x: {specifier, version}; 5.x: version + `specifiers`
                let (spec, ver) = match dv {
                    Value::Object(o) => (
                        o.get("specifier").and_then(str_of),
                        o.get("version").and_then(str_of),
                    ),
                    other => (
                        specifiers.and_then(|s| s.get(dn)).and_then(str_of),
                        str_of(other),
                    ),
                };
                let mut d = Dependency::named(dn.clone());
                d.scope = scope;
                d.requirement = spec;
                if let Some((alias, v)) = ver.as_deref().and_then(|v| dep_version(v, major)) {
                    let target = alias.unwrap_or_else(|| dn.clone());
                    d.index = index.get(&(target, v.clone())).copied();
                    d.version = Some(v);
                }
                direct.push(d);
            }
        }
    }
    direct
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn key_formats_of_each_version() {
        assert_eq!(
            key_name_version("/@babel/core/7.0.0_eslint@8.0.0", 5),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            key_name_version("/@babel/core@7.0.0(eslint@8.0.0)", 6),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(
            key_name_version("@babel/core@7.0.0(eslint@8.0.0)", 9),
            Some(("@babel/core".into(), "7.0.0".into()))
        );
        assert_eq!(dep_version("link:../x", 9), None);
        assert_eq!(
            dep_version("string-width@4.2.3", 9),
            Some((Some("string-width".into()), "4.2.3".into()))
        );
    }

    /// Hand-written edge case: 9.0 with snapshots; dev-only computed from
    /// the importer's devDependencies.
    #[test]
    fn v9_dev_from_importers() {
        let t = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n        version: 1.0.0\n    devDependencies:\n      b:\n        specifier: ^2.0.0\n        version: 2.0.0\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-AAAA}\n\n  b@2.0.0:\n    resolution: {integrity: sha512-BBBB}\n\n  c@3.0.0:\n    resolution: {integrity: sha512-CCCC}\n\nsnapshots:\n\n  a@1.0.0:\n    dependencies:\n      c: 3.0.0\n\n  b@2.0.0:\n    dependencies:\n      c: 3.0.0\n\n  c@3.0.0: {}\n";
        let l = parse("pnpm-lock.yaml", t).unwrap();
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.dev, p.line))
            .collect();
        assert_eq!(got, [("a", false, 17), ("b", true, 20), ("c", false, 23)]);
        assert_eq!(l.packages[0].dependencies[0].index, Some(2));
        assert_eq!(l.direct.as_ref().unwrap().len(), 2);
    }

    /// Hand-written edge cases (tests/data/lockfiles/handwritten/, also fuzz seeds:
    /// `crates/gates-lockfile/fuzz/corpus/pnpm_lock/handwritten-v5.yaml` and
    /// `-v6.yaml`): peer suffixes in keys and in dependency values, `dev`
    /// flags, 5.x `specifiers`, 6.x `{specifier, version}`.
    #[test]
    fn v5_and_v6_keys_flags_and_importers() {
        for (file, major) in [
            (
                include_str!("../tests/data/lockfiles/handwritten/v5.pnpm-lock.yaml"),
                "5.4",
            ),
            (
                include_str!("../tests/data/lockfiles/handwritten/v6.pnpm-lock.yaml"),
                "6.0",
            ),
        ] {
            let l = parse("pnpm-lock.yaml", file).unwrap();
            assert_eq!(l.format, format!("pnpm-lock.yaml v{major}"));
            let got: Vec<_> = l
                .packages
                .iter()
                .map(|p| (p.name.as_str(), p.version.as_str(), p.dev))
                .collect();
            let a = if major == "5.4" { "a" } else { "@s/a" };
            assert_eq!(got, [(a, "1.0.0", false), ("b", "2.0.0", false)], "{major}");
            let a_deps = &l.packages[0].dependencies;
            assert_eq!((a_deps[0].name.as_str(), a_deps[0].index), ("b", Some(1)));
            let direct = l.direct.as_ref().unwrap();
            let d: Vec<_> = direct
                .iter()
                .map(|d| {
                    (
                        d.name.as_str(),
                        d.requirement.as_deref(),
                        d.version.as_deref(),
                        d.index,
                        d.scope,
                    )
                })
                .collect();
            assert_eq!(
                d,
                [
                    (a, Some("^1.0.0"), Some("1.0.0"), Some(0), Scope::Required),
                    ("b", Some("^2.0.0"), Some("2.0.0"), Some(1), Scope::Dev)
                ],
                "{major}"
            );
            assert_eq!(l.packages[0].hashes[0].value, "AAAA");
        }
    }

    #[test]
    fn unknown_version_names_the_supported_ones() {
        let e = parse("pnpm-lock.yaml", "lockfileVersion: '7.0'\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(
            e.message.contains("7.0") && e.message.contains("9.x"),
            "{e:?}"
        );
    }
}
