//! package-lock.json and npm-shrinkwrap.json, lockfile versions 1, 2 and 3.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Dependency, Ecosystem, Hash, Lockfile, Package, ParseError, RootPackage, Scope};

/// Line of every object key, by its path of keys (joined with `\0`), from
/// npm's pretty-printed layout (one key per line).
pub(crate) fn key_lines(text: &str) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let indent = l.len() - l.trim_start().len();
        let t = l.trim_start();
        let Some(rest) = t.strip_prefix('"') else {
            continue;
        };
        let Some(end) = rest.find("\": {") else {
            continue;
        };
        let key = &rest[..end];
        while stack.last().is_some_and(|(d, _)| *d >= indent) {
            stack.pop();
        }
        stack.push((indent, key.to_string()));
        let path: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).collect();
        out.entry(path.join("\0"))
            .or_insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
    }
    out
}

/// Name of the package installed at `node_modules/.../node_modules/<name>`.
fn name_from_path(key: &str) -> Option<&str> {
    let i = key.rfind("node_modules/")?;
    let n = &key[i + "node_modules/".len()..];
    (!n.is_empty()).then_some(n)
}

/// An npm `license`: an SPDX string, or the old `{ "type": ... }` object.
fn license_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// A declared edge: (name, requirement, kind).
type Declared = (String, Option<String>, Scope);

/// One installed copy, before copies of the same name@version merge.
struct Entry {
    name: String,
    version: String,
    path: String,
    line: u32,
    dev: bool,
    optional: bool,
    hashes: Vec<Hash>,
    license: Option<String>,
    source: Option<String>,
    /// (name, requirement, scope) as the entry lists them.
    deps: Vec<Declared>,
}

/// The edges an entry declares: `dependencies`/`requires` (required),
/// `optionalDependencies` (optional), `peerDependencies` (required unless
/// `peerDependenciesMeta` marks them optional), `devDependencies` (dev;
/// only on the root and workspace entries).
fn declared(m: &serde_json::Map<String, Value>, v1: bool) -> Vec<Declared> {
    let mut out: Vec<Declared> = Vec::new();
    let fields: &[(&str, Scope)] = if v1 {
        &[("requires", Scope::Required)]
    } else {
        &[
            ("dependencies", Scope::Required),
            ("optionalDependencies", Scope::Optional),
            ("peerDependencies", Scope::Required),
            ("devDependencies", Scope::Dev),
        ]
    };
    let peer_meta = m.get("peerDependenciesMeta").and_then(Value::as_object);
    for (field, scope) in fields {
        let Some(map) = m.get(*field).and_then(Value::as_object) else {
            continue;
        };
        for (name, req) in map {
            let mut scope = *scope;
            if *field == "peerDependencies"
                && peer_meta
                    .and_then(|pm| pm.get(name))
                    .and_then(|x| x.get("optional"))
                    .and_then(Value::as_bool)
                    == Some(true)
            {
                scope = Scope::Optional;
            }
            // a name listed in both dependencies and optionalDependencies
            // keeps its first (required) kind
            if out.iter().any(|(n, _, _)| n == name) {
                continue;
            }
            out.push((name.clone(), req.as_str().map(str::to_string), scope));
        }
    }
    out
}

/// Node's resolution: from the package at `from` (a `node_modules/...`
/// path, or `""`/a workspace folder), the copy of `name` it loads: the
/// nearest `<dir>/node_modules/<name>` walking up.
fn resolve_path<'a>(
    installed: &'a HashMap<String, String>,
    from: &str,
    name: &str,
) -> Option<(&'a str, String)> {
    let mut dir = from.to_string();
    loop {
        let candidate = if dir.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{dir}/node_modules/{name}")
        };
        if let Some(v) = installed.get(&candidate) {
            return Some((v.as_str(), candidate));
        }
        if dir.is_empty() {
            return None;
        }
        dir = match dir.rfind("/node_modules/") {
            Some(i) => dir[..i].to_string(),
            None => String::new(),
        };
    }
}

fn walk_v1(
    deps: &serde_json::Map<String, Value>,
    prefix: &str,
    key_prefix: &str,
    lines: &HashMap<String, u32>,
    out: &mut Vec<Entry>,
    depth: usize,
) -> Result<(), ParseError> {
    if depth > 200 {
        return Err(ParseError::new(
            None,
            "dependencies nested more than 200 levels",
        ));
    }
    for (name, meta) in deps {
        let key = format!("{key_prefix}\0{name}");
        let line = lines.get(&key).copied().unwrap_or(1);
        let Some(obj) = meta.as_object() else {
            return Err(ParseError::new(
                Some(u64::from(line)),
                format!("dependency `{name}` is not an object"),
            ));
        };
        let path = format!("{prefix}node_modules/{name}");
        if let Some(v) = obj.get("version").and_then(Value::as_str) {
            out.push(entry(name, v, &path, line, obj, true));
        }
        if let Some(sub) = obj.get("dependencies").and_then(Value::as_object) {
            walk_v1(
                sub,
                &format!("{path}/"),
                &format!("{key}\0dependencies"),
                lines,
                out,
                depth + 1,
            )?;
        }
    }
    Ok(())
}

fn entry(
    name: &str,
    version: &str,
    path: &str,
    line: u32,
    m: &serde_json::Map<String, Value>,
    v1: bool,
) -> Entry {
    let flag = |k: &str| m.get(k).and_then(Value::as_bool).unwrap_or(false);
    let dev_optional = flag("devOptional");
    Entry {
        name: name.to_string(),
        version: version.to_string(),
        path: path.to_string(),
        line,
        dev: flag("dev"),
        optional: flag("optional") || dev_optional,
        hashes: m
            .get("integrity")
            .and_then(Value::as_str)
            .map(Hash::from_sri)
            .unwrap_or_default(),
        license: m.get("license").and_then(Value::as_str).map(str::to_string),
        source: m
            .get("resolved")
            .and_then(Value::as_str)
            .map(str::to_string),
        deps: declared(m, v1),
    }
}

/// A project (the root or a workspace folder): its [`RootPackage`] and
/// what it declares, with its name and path.
type Project = (RootPackage, (String, String, Vec<Declared>));

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        ParseError::new(
            Some(e.line() as u64),
            format!("not valid JSON ({e}); a truncated file? regenerate it with `npm install --package-lock-only`"),
        )
    })?;
    let Some(obj) = doc.as_object() else {
        return Err(ParseError::new(
            Some(1),
            "a package-lock.json is a JSON object",
        ));
    };
    let version = lockfile_version(obj, text)?;
    let lines = key_lines(text);
    let mut entries: Vec<Entry> = Vec::new();
    let mut projects: Vec<Project> = Vec::new();
    let v1 = !(version >= 2 && obj.contains_key("packages"));
    if let Some(pkgs) = obj.get("packages").filter(|_| version >= 2) {
        read_packages(obj, pkgs, text, &lines, &mut entries, &mut projects)?;
    } else if let Some(deps) = obj.get("dependencies").and_then(Value::as_object) {
        walk_v1(deps, "", "dependencies", &lines, &mut entries, 0)?;
    } else if version >= 2 {
        return Err(ParseError::new(
            Some(1),
            "no `packages` object: not a package-lock.json (or a truncated one)",
        ));
    }
    // install path -> version, for Node's resolution of edges
    let installed: HashMap<String, String> = entries
        .iter()
        .map(|e| (e.path.clone(), e.version.clone()))
        .collect();
    let mut l = Lockfile::new(
        display,
        Ecosystem::Npm,
        format!("package-lock.json v{version}"),
    );
    (l.packages, l.unchecked) = merge_entries(&entries, &installed);
    if !v1 {
        add_projects(&mut l, projects, &installed);
    } else if let Some(n) = obj.get("name").and_then(Value::as_str) {
        l.roots.push(n.to_string());
    }
    l.resolve_edges();
    Ok(l)
}

/// `lockfileVersion`: 1 when absent, else 1 to 3.
fn lockfile_version(obj: &serde_json::Map<String, Value>, text: &str) -> Result<u64, ParseError> {
    match obj.get("lockfileVersion") {
        None => Ok(1),
        Some(v) => match v.as_u64() {
            Some(n @ 1..=3) => Ok(n),
            _ => {
                let line = text
                    .lines()
                    .position(|l| l.contains("\"lockfileVersion\""))
                    .map(|i| i as u64 + 1);
                Err(ParseError::new(
                    line,
                    format!("unknown lockfileVersion {v} (supported: 1, 2 and 3)"),
                ))
            }
        },
    }
}

/// v2 and v3's `packages` object: installed packages into `entries`, the
/// root and workspace folders into `projects` (links are skipped).
fn read_packages(
    obj: &serde_json::Map<String, Value>,
    pkgs: &Value,
    text: &str,
    lines: &HashMap<String, u32>,
    entries: &mut Vec<Entry>,
    projects: &mut Vec<Project>,
) -> Result<(), ParseError> {
    let Some(pkgs) = pkgs.as_object() else {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with("\"packages\""))
            .map_or(1, |i| i as u64 + 1);
        return Err(ParseError::new(Some(line), "`packages` is not an object"));
    };
    for (key, meta) in pkgs {
        let line = lines.get(&format!("packages\0{key}")).copied().unwrap_or(1);
        let Some(m) = meta.as_object() else {
            return Err(ParseError::new(
                Some(u64::from(line)),
                format!("packages entry `{key}` is not an object"),
            ));
        };
        if m.get("link").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let Some(from_path) = name_from_path(key) else {
            // the root ("") or a workspace folder: a project, not an
            // installed package
            projects.push(project(obj, key, m));
            continue;
        };
        let name = m.get("name").and_then(Value::as_str).unwrap_or(from_path);
        let Some(v) = m.get("version").and_then(Value::as_str) else {
            continue;
        };
        entries.push(entry(name, v, key, line, m, false));
    }
    Ok(())
}

/// The root (`key` empty, falling back to the top-level fields) or a
/// workspace folder's entry.
fn project(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    m: &serde_json::Map<String, Value>,
) -> Project {
    let name = m
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| {
            obj.get("name")
                .and_then(Value::as_str)
                .filter(|_| key.is_empty())
        })
        // npm writes `name` only where it differs from the
        // folder's: `packages/b` is package `b`.
        .unwrap_or_else(|| key.rsplit('/').next().unwrap_or(key));
    let field = |k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .or_else(|| {
                obj.get(k)
                    .and_then(Value::as_str)
                    .filter(|_| key.is_empty())
            })
            .map(str::to_string)
    };
    (
        RootPackage {
            name: name.to_string(),
            path: key.to_string(),
            version: field("version"),
            license: license_of(m.get("license")),
            description: m
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            dependencies: Vec::new(),
        },
        (name.to_string(), key.to_string(), declared(m, false)),
    )
}

/// A declared dependency of the package installed at `from`, with the
/// version Node's resolution finds.
fn edge(
    installed: &HashMap<String, String>,
    from: &str,
    (name, req, scope): &Declared,
) -> Dependency {
    let mut d = Dependency::named(name.clone());
    d.requirement = req.clone();
    d.scope = *scope;
    d.version = resolve_path(installed, from, name).map(|(v, _)| v.to_string());
    d
}

/// The installed entries as packages, one per name and version (dev and
/// optional only if every copy is, at the first line, with every path and
/// edge), ordered by line; and the entries that are not registry versions.
fn merge_entries(
    entries: &[Entry],
    installed: &HashMap<String, String>,
) -> (Vec<Package>, Vec<(u32, String)>) {
    let mut unchecked = Vec::new();
    let mut map: BTreeMap<(String, String), Package> = BTreeMap::new();
    for e in entries {
        if semver::Version::parse(&e.version).is_err() {
            // git/file/tarball specs: no registry version to match.
            unchecked.push((
                e.line,
                format!("{}@{}: not a registry version", e.name, e.version),
            ));
            continue;
        }
        let p = map
            .entry((e.name.clone(), e.version.clone()))
            .or_insert_with(|| Package {
                name: e.name.clone(),
                version: e.version.clone(),
                source: e.source.clone(),
                dev: true,
                optional: true,
                line: e.line,
                hashes: e.hashes.clone(),
                license: e.license.clone(),
                ..Package::default()
            });
        p.dev &= e.dev;
        p.optional &= e.optional;
        p.line = p.line.min(e.line);
        p.paths.push(e.path.clone());
        for d in &e.deps {
            let d = edge(installed, &e.path, d);
            if !p
                .dependencies
                .iter()
                .any(|x| x.name == d.name && x.version == d.version)
            {
                p.dependencies.push(d);
            }
        }
    }
    let mut packages: Vec<Package> = map.into_values().collect();
    packages.sort_by(|a, b| (a.line, &a.name).cmp(&(b.line, &b.name)));
    (packages, unchecked)
}

/// The projects as roots, root package and members; their dependencies,
/// once each, are the direct ones.
fn add_projects(l: &mut Lockfile, projects: Vec<Project>, installed: &HashMap<String, String>) {
    let mut direct: Vec<Dependency> = Vec::new();
    for (mut project, (name, key, deps)) in projects {
        l.roots.push(name.clone());
        project.dependencies = deps.iter().map(|d| edge(installed, &key, d)).collect();
        if key.is_empty() {
            l.root_package = Some(project);
        } else {
            l.members.push(project);
        }
        for d in &deps {
            let d = edge(installed, &key, d);
            if !direct
                .iter()
                .any(|x| x.name == d.name && x.version == d.version)
            {
                direct.push(d);
            }
        }
    }
    l.direct = Some(direct);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const V2: &str = r#"{
  "name": "app",
  "lockfileVersion": 2,
  "packages": {
    "": {
      "version": "1.0.0"
    },
    "node_modules/@scope/a": {
      "version": "1.2.3",
      "dev": true
    },
    "node_modules/b": {
      "version": "2.0.0"
    },
    "node_modules/b/node_modules/@scope/a": {
      "version": "1.2.3"
    },
    "node_modules/c": {
      "resolved": "../c",
      "link": true
    },
    "packages/ws": {
      "version": "0.0.1"
    }
  }
}"#;

    #[test]
    fn v2_packages_with_lines_and_dev_flags() {
        let l = parse("package-lock.json", V2).unwrap();
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.dev, p.line))
            .collect();
        // @scope/a appears twice: once dev, once not -> not dev-only
        assert_eq!(
            got,
            [("@scope/a", "1.2.3", false, 8), ("b", "2.0.0", false, 12)]
        );
        assert_eq!(l.packages[0].paths.len(), 2);
        // The root entry: its name from the top level, its version from
        // `packages[""]`; the workspace folder is a member of its own.
        let root = l.root_package.as_ref().unwrap();
        assert_eq!(
            (
                root.name.as_str(),
                root.path.as_str(),
                root.version.as_deref()
            ),
            ("app", "", Some("1.0.0"))
        );
        let ws: Vec<_> = l
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.version.as_deref()))
            .collect();
        assert_eq!(ws, [("ws", Some("0.0.1"))]);
        assert_eq!(l.roots, ["app", "ws"]);
    }

    /// Hand-written edge case: Node's nearest-`node_modules` resolution of
    /// edges, SRI hashes, licenses, optional flags and the root's direct
    /// dependencies.
    #[test]
    fn v3_edges_hashes_and_direct_dependencies() {
        let t = r#"{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "app",
      "dependencies": { "a": "^1.0.0" },
      "devDependencies": { "b": "^2.0.0" }
    },
    "node_modules/a": {
      "version": "1.0.0",
      "integrity": "sha512-AAAA sha1-BBBB",
      "license": "MIT",
      "dependencies": { "b": "^1.0.0" },
      "optionalDependencies": { "fsevents": "^2" }
    },
    "node_modules/a/node_modules/b": {
      "version": "1.5.0"
    },
    "node_modules/b": {
      "version": "2.1.0",
      "dev": true
    },
    "node_modules/fsevents": {
      "version": "2.3.3",
      "optional": true
    }
  }
}"#;
        let l = parse("package-lock.json", t).unwrap();
        let a = &l.packages[0];
        assert_eq!(a.license.as_deref(), Some("MIT"));
        assert_eq!(a.hashes.len(), 2);
        assert_eq!(
            (a.hashes[0].algorithm.as_str(), a.hashes[0].value.as_str()),
            ("sha512", "AAAA")
        );
        // a's b is its own nested copy, not the hoisted dev one
        assert_eq!(a.dependencies[0].version.as_deref(), Some("1.5.0"));
        let b15 = a.dependencies[0].index.unwrap();
        assert_eq!(l.packages[b15].version, "1.5.0");
        assert_eq!(a.dependencies[1].scope, Scope::Optional);
        assert!(
            l.packages
                .iter()
                .any(|p| p.name == "fsevents" && p.optional && !p.dev)
        );
        let direct = l.direct.as_ref().unwrap();
        assert_eq!(direct.len(), 2);
        assert_eq!(
            (direct[1].version.as_deref(), direct[1].scope),
            (Some("2.1.0"), Scope::Dev)
        );
        assert_eq!(l.roots, ["app"]);
        let root = l.root_package.as_ref().unwrap();
        assert_eq!(root.dependencies.len(), 2);
        assert_eq!(root.dependencies[0].index, direct[0].index);
        assert!(root.version.is_none() && root.license.is_none());
    }

    #[test]
    fn v1_nested_dependencies() {
        let v1 = r#"{
  "name": "app",
  "lockfileVersion": 1,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "dev": true,
      "dependencies": {
        "b": {
          "version": "0.1.0",
          "dev": true
        }
      }
    },
    "g": {
      "version": "git+https://example.invalid/g.git#abc"
    }
  }
}"#;
        let l = parse("package-lock.json", v1).unwrap();
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.dev, p.line, p.paths[0].as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", true, 5, "node_modules/a"),
                ("b", true, 9, "node_modules/a/node_modules/b")
            ]
        );
        assert_eq!(l.unchecked.len(), 1);
    }

    #[test]
    fn truncated_and_unknown_versions() {
        let cut = &V2[..V2.len() / 2];
        let e = parse("package-lock.json", cut).unwrap_err();
        assert!(
            e.line.is_some() && e.message.contains("not valid JSON"),
            "{e:?}"
        );
        let e = parse("package-lock.json", "{\n  \"lockfileVersion\": 9\n}").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
