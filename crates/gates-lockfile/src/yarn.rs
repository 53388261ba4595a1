//! `yarn.lock`: classic (Yarn 1, its own indentation format) and Berry
//! (Yarn 2+, YAML with a `__metadata` entry, versions 4 to 8).
//!
//! Neither records which dependencies are dev-only: every package is
//! reported required ([`Package::dev`] false). Classic records no root
//! entry ([`Lockfile::direct`] is `None`); Berry's `@workspace:` entries
//! are the roots and their dependencies the direct ones.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    Dependency, Ecosystem, Hash, Lockfile, Package, ParseError, Scope, yaml_key_lines, yaml_value,
};

/// A declared edge: (name, range, kind).
type Edge = (String, String, Scope);

/// Berry `__metadata.version` values read.
const BERRY_VERSIONS: std::ops::RangeInclusive<u64> = 4..=8;

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let berry = text
        .lines()
        .any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"));
    if berry {
        parse_berry(display, text)
    } else {
        parse_classic(display, text)
    }
}

/// `name@range` → (`name`, `range`); the `@` of a scope is not a separator.
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let i = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..i], &spec[i + 1..]))
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

struct Classic {
    line: u32,
    specs: Vec<String>,
    fields: HashMap<String, String>,
    deps: Vec<(String, String, Scope)>,
}

fn parse_classic(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let entries = read_classic(text)?;
    let mut l = Lockfile::new(display, Ecosystem::Npm, "yarn.lock v1");
    let mut index_of_entry: Vec<Option<usize>> = vec![None; entries.len()];
    for (i, e) in entries.iter().enumerate() {
        let Some((name, range)) = e.specs.first().and_then(|s| split_spec(s)) else {
            continue;
        };
        // an alias (`string-width-cjs@npm:string-width@^4.2.0`) locks the
        // package it points at
        let name = range
            .strip_prefix("npm:")
            .and_then(split_spec)
            .map_or(name, |(real, _)| real);
        let Some(version) = e.fields.get("version") else {
            return Err(ParseError::new(
                Some(u64::from(e.line)),
                format!("entry `{}` has no version", e.specs.join(", ")),
            ));
        };
        if semver::Version::parse(version).is_err() {
            l.unchecked
                .push((e.line, format!("{name}@{version}: not a registry version")));
            continue;
        }
        index_of_entry[i] = Some(l.packages.len());
        l.packages.push(Package {
            name: name.to_string(),
            version: version.clone(),
            source: e.fields.get("resolved").cloned(),
            line: e.line,
            hashes: classic_hashes(e),
            ..Package::default()
        });
    }
    classic_edges(&mut l, &entries, &index_of_entry);
    l.resolve_edges();
    Ok(l)
}

/// An entry's `integrity`, else (older entries) a SHA-1 hex in the
/// `resolved` URL fragment.
fn classic_hashes(e: &Classic) -> Vec<Hash> {
    let mut hashes = e
        .fields
        .get("integrity")
        .map(|s| Hash::from_sri(s))
        .unwrap_or_default();
    if hashes.is_empty() {
        // older entries: a SHA-1 hex in the `resolved` URL fragment
        if let Some(frag) = e
            .fields
            .get("resolved")
            .and_then(|r| r.rsplit_once('#'))
            .map(|(_, f)| f)
            && frag.len() == 40
            && frag.bytes().all(|b| b.is_ascii_hexdigit())
        {
            hashes.push(Hash::hex("sha1", frag));
        }
    }
    hashes
}

/// Each package's dependencies, resolved through the entry headers'
/// specs (`name@range`) to the entry and its version.
fn classic_edges(l: &mut Lockfile, entries: &[Classic], index_of_entry: &[Option<usize>]) {
    // spec (`name@range`) → entry index
    let mut by_spec: HashMap<&str, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        for s in &e.specs {
            by_spec.insert(s.as_str(), i);
        }
    }
    for (i, e) in entries.iter().enumerate() {
        let Some(pi) = index_of_entry[i] else {
            continue;
        };
        let deps: Vec<Dependency> = e
            .deps
            .iter()
            .map(|(name, range, scope)| {
                let mut d = Dependency::named(name.clone());
                d.requirement = Some(range.clone());
                d.scope = *scope;
                if let Some(&target) = by_spec.get(format!("{name}@{range}").as_str()) {
                    d.index = index_of_entry[target];
                    d.version = entries[target].fields.get("version").cloned();
                }
                d
            })
            .collect();
        l.packages[pi].dependencies = deps;
    }
}

/// A classic entry header, `"name@range", name@range:`.
fn classic_header(body: &str, n: u32) -> Result<Classic, ParseError> {
    let err = |m: String| Err(ParseError::new(Some(u64::from(n)), m));
    let Some(h) = body.strip_suffix(':') else {
        return err(format!(
            "expected an entry header `name@range:`, found `{body}`"
        ));
    };
    let specs: Vec<String> = h
        .split(", ")
        .map(|s| unquote(s).to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if specs.is_empty() || specs.iter().any(|s| split_spec(s).is_none()) {
        return err(format!("entry header `{h}` is not a list of `name@range`"));
    }
    Ok(Classic {
        line: n,
        specs,
        fields: HashMap::new(),
        deps: Vec::new(),
    })
}

/// A classic (v1) yarn.lock's entries: headers, their fields and their
/// `dependencies` and `optionalDependencies`.
fn read_classic(text: &str) -> Result<Vec<Classic>, ParseError> {
    let mut entries: Vec<Classic> = Vec::new();
    let mut section: Option<Scope> = None;
    let mut saw_header = false;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end();
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            if body.starts_with("# yarn lockfile v") && !body.starts_with("# yarn lockfile v1") {
                return Err(ParseError::new(
                    Some(u64::from(n)),
                    format!(
                        "unknown yarn lockfile version `{}` (supported: classic v1 and Berry __metadata versions 4 to 8)",
                        body.trim_start_matches("# yarn lockfile ")
                    ),
                ));
            }
            saw_header |= body.starts_with("# yarn lockfile v1");
            continue;
        }
        let indent = line.len() - body.len();
        let err = |m: String| Err(ParseError::new(Some(u64::from(n)), m));
        match indent {
            0 => {
                entries.push(classic_header(body, n)?);
                section = None;
            }
            2 => {
                let Some(e) = entries.last_mut() else {
                    return err("an indented line before the first entry".into());
                };
                if let Some(sec) = body.strip_suffix(':') {
                    section = match sec {
                        "dependencies" => Some(Scope::Required),
                        "optionalDependencies" => Some(Scope::Optional),
                        _ => None,
                    };
                    continue;
                }
                section = None;
                let (k, v) = body.split_once(' ').unwrap_or((body, ""));
                e.fields
                    .insert(unquote(k).to_string(), unquote(v).to_string());
            }
            4 => {
                let (Some(e), Some(scope)) = (entries.last_mut(), section) else {
                    continue; // a nested map yarn does not use for resolution
                };
                let (k, v) = body.split_once(' ').unwrap_or((body, ""));
                e.deps
                    .push((unquote(k).to_string(), unquote(v).to_string(), scope));
            }
            _ => {}
        }
    }
    if entries.is_empty() && !saw_header && !text.trim().is_empty() {
        return Err(ParseError::new(Some(1), "no entries: not a yarn.lock"));
    }
    Ok(entries)
}

fn parse_berry(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let doc = yaml_value(text, "yarn.lock")?;
    let Some(obj) = doc.as_object() else {
        return Err(ParseError::new(
            Some(1),
            "a Berry yarn.lock is a YAML mapping",
        ));
    };
    let lines = yaml_key_lines(text, 0);
    let version = berry_version(obj, &lines)?;
    let mut l = Lockfile::new(
        display,
        Ecosystem::Npm,
        format!("yarn.lock Berry v{version}"),
    );
    // descriptor (`name@npm:^1.0.0`) → key of the entry
    let mut by_desc: HashMap<String, usize> = HashMap::new();
    let mut raw_deps: Vec<(Option<usize>, Vec<Edge>)> = Vec::new();
    let mut root_deps: Vec<Edge> = Vec::new();
    for (key, entry) in obj {
        if key == "__metadata" {
            continue;
        }
        let line = lines.get(key.as_str()).copied().unwrap_or(1);
        let Some(m) = entry.as_object() else {
            return Err(ParseError::new(
                Some(u64::from(line)),
                format!("entry `{key}` is not a mapping"),
            ));
        };
        let resolution = m.get("resolution").and_then(Value::as_str).unwrap_or("");
        let Some((name, reference)) = split_spec(resolution) else {
            return Err(ParseError::new(
                Some(u64::from(line)),
                format!("entry `{key}` has no `resolution: name@reference`"),
            ));
        };
        let version = match m.get("version") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(ParseError::new(
                    Some(u64::from(line)),
                    format!("entry `{key}` has no version"),
                ));
            }
        };
        let deps = berry_deps(m);
        let descs: Vec<&str> = key.split(", ").map(str::trim).collect();
        if reference.starts_with("workspace:") {
            l.roots.push(name.to_string());
            root_deps.extend(deps);
            continue;
        }
        if !reference.starts_with("npm:") {
            if !reference.starts_with("patch:") {
                // git, file, link, portal, exec: nothing a registry advisory names
                l.unchecked
                    .push((line, format!("{name}@{reference}: not a registry package")));
            }
            // a patch: entry is a patched copy of an npm entry also locked
            raw_deps.push((None, Vec::new()));
            continue;
        }
        if semver::Version::parse(&version).is_err() {
            l.unchecked
                .push((line, format!("{name}@{version}: not a SemVer version")));
            continue;
        }
        let idx = l.packages.len();
        for d in &descs {
            by_desc.insert(unquote(d).to_string(), idx);
        }
        l.packages.push(Package {
            name: name.to_string(),
            version,
            source: Some(resolution.to_string()),
            line,
            hashes: berry_hashes(m),
            ..Package::default()
        });
        raw_deps.push((Some(idx), deps));
    }
    berry_edges(&mut l, &by_desc, &raw_deps, &root_deps);
    l.resolve_edges();
    Ok(l)
}

/// The `__metadata` version, one of [`BERRY_VERSIONS`].
fn berry_version(
    obj: &serde_json::Map<String, Value>,
    lines: &HashMap<String, u32>,
) -> Result<u64, ParseError> {
    let meta_line = lines.get("__metadata").map(|&l| u64::from(l) + 1);
    let version = obj
        .get("__metadata")
        .and_then(|m| m.get("version"))
        .and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
    match version {
        Some(v) if BERRY_VERSIONS.contains(&v) => Ok(v),
        other => Err(ParseError::new(
            meta_line,
            format!(
                "unknown Berry yarn.lock __metadata version {} (supported: 4 to 8; and classic v1)",
                other.map_or_else(|| "(missing)".to_string(), |v| v.to_string())
            ),
        )),
    }
}

/// An entry's `dependencies` and `optionalDependencies` (peer dependencies
/// are resolved by the parent: not edges of their own).
fn berry_deps(m: &serde_json::Map<String, Value>) -> Vec<Edge> {
    let mut deps = Vec::new();
    for (field, scope) in [
        ("dependencies", Scope::Required),
        ("optionalDependencies", Scope::Optional),
        ("peerDependencies", Scope::Required),
    ] {
        for (dn, dr) in m
            .get(field)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let dr = match dr {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if field == "peerDependencies" {
                continue; // resolved by the parent: not an edge of its own
            }
            deps.push((dn.clone(), dr, scope));
        }
    }
    deps
}

/// An entry's `checksum`: `10c0/<hex>` since v8 (cache key prefix).
fn berry_hashes(m: &serde_json::Map<String, Value>) -> Vec<Hash> {
    m.get("checksum")
        .and_then(Value::as_str)
        .map(|c| {
            // `10c0/<hex>` since v8 (cache key prefix)
            let hex = c.rsplit('/').next().unwrap_or(c);
            vec![Hash {
                // SHA-512 of Yarn's cache zip, not of the npm tarball
                algorithm: "yarn-zip-sha512".into(),
                value: hex.to_string(),
                encoding: super::HashEncoding::Hex,
            }]
        })
        .unwrap_or_default()
}

/// The packages' dependencies and the workspaces' (the direct ones, when
/// there is a workspace), resolved through the entries' descriptors.
fn berry_edges(
    l: &mut Lockfile,
    by_desc: &HashMap<String, usize>,
    raw_deps: &[(Option<usize>, Vec<Edge>)],
    root_deps: &[Edge],
) {
    let mut direct: Vec<Dependency> = Vec::new();
    let edge = |(name, range, scope): &(String, String, Scope)| {
        let mut d = Dependency::named(name.clone());
        d.requirement = Some(range.clone());
        d.scope = *scope;
        let target = by_desc
            .get(&format!("{name}@{range}"))
            .or_else(|| by_desc.get(&format!("{name}@npm:{range}")));
        d.index = target.copied();
        d
    };
    for (idx, deps) in raw_deps {
        if let Some(i) = idx {
            let edges: Vec<Dependency> = deps.iter().map(edge).collect();
            l.packages[*i].dependencies = edges;
        }
    }
    for d in root_deps {
        let e = edge(d);
        if !direct
            .iter()
            .any(|x| x.name == e.name && x.requirement == e.requirement)
        {
            direct.push(e);
        }
    }
    for p in 0..l.packages.len() {
        for d in 0..l.packages[p].dependencies.len() {
            if let Some(t) = l.packages[p].dependencies[d].index {
                let v = l.packages.get(t).map(|x| x.version.clone());
                l.packages[p].dependencies[d].version = v;
            }
        }
    }
    for d in &mut direct {
        d.version = d
            .index
            .and_then(|t| l.packages.get(t))
            .map(|x| x.version.clone());
    }
    if !l.roots.is_empty() {
        l.direct = Some(direct);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Hand-written edge case: classic format, a scoped package, a
    /// multi-spec header, an optional dependency and an old SHA-1 entry.
    #[test]
    fn classic_entries_edges_and_hashes() {
        let t = "# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n\n\n\"@scope/a@^1.0.0\", \"@scope/a@^1.1.0\":\n  version \"1.2.0\"\n  resolved \"https://registry.yarnpkg.com/@scope/a/-/a-1.2.0.tgz#0123456789abcdef0123456789abcdef01234567\"\n  dependencies:\n    b \"~2.0.0\"\n  optionalDependencies:\n    c \"^3\"\n\nb@~2.0.0:\n  version \"2.0.1\"\n  integrity sha512-QUJD\n\nc@^3:\n  version \"3.0.0\"\n";
        let l = parse("yarn.lock", t).unwrap();
        assert_eq!(l.format, "yarn.lock v1");
        let a = &l.packages[0];
        assert_eq!(
            (a.name.as_str(), a.version.as_str(), a.line),
            ("@scope/a", "1.2.0", 5)
        );
        assert_eq!(
            a.hashes,
            [Hash::hex(
                "sha1",
                "0123456789abcdef0123456789abcdef01234567"
            )]
        );
        assert_eq!(a.dependencies[0].index, Some(1));
        assert_eq!(a.dependencies[0].version.as_deref(), Some("2.0.1"));
        assert_eq!(a.dependencies[1].scope, Scope::Optional);
        assert_eq!(l.packages[1].hashes[0].algorithm, "sha512");
        assert!(l.direct.is_none());
    }

    /// Hand-written edge case: an npm alias entry locks the real package.
    #[test]
    fn classic_alias_is_the_real_package() {
        let t = "# yarn lockfile v1\n\n\"string-width-cjs@npm:string-width@^4.2.0\":\n  version \"4.2.3\"\n\nx@^1:\n  version \"1.0.0\"\n  dependencies:\n    string-width-cjs \"npm:string-width@^4.2.0\"\n";
        let l = parse("yarn.lock", t).unwrap();
        assert_eq!(
            (l.packages[0].name.as_str(), l.packages[0].version.as_str()),
            ("string-width", "4.2.3")
        );
        assert_eq!(l.packages[1].dependencies[0].index, Some(0));
    }

    #[test]
    fn classic_errors_name_the_line() {
        let e = parse(
            "yarn.lock",
            "# yarn lockfile v1\n\na@^1:\n  resolved \"x\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e:?}");
        let e = parse("yarn.lock", "# yarn lockfile v1\n\nnot a header\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e:?}");
        let e = parse("yarn.lock", "# yarn lockfile v2\n").unwrap_err();
        assert!(e.message.contains("supported"), "{e:?}");
    }

    #[test]
    fn berry_unknown_version() {
        let e = parse("yarn.lock", "__metadata:\n  version: 99\n  cacheKey: 8\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e:?}");
        assert!(
            e.message.contains("99") && e.message.contains("4 to 8"),
            "{e:?}"
        );
    }
}
