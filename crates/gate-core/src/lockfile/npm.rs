//! package-lock.json and npm-shrinkwrap.json, lockfile versions 1, 2 and 3.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Ecosystem, Lockfile, Package, ParseError};

/// Line of every object key, by its path of keys (joined with `\0`), from
/// npm's pretty-printed layout (one key per line).
fn key_lines(text: &str) -> HashMap<String, u32> {
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

struct Acc {
    map: BTreeMap<(String, String), Package>,
    unchecked: Vec<(u32, String)>,
}

impl Acc {
    fn add(&mut self, name: &str, version: &str, dev: bool, line: u32, path: String) {
        if semver::Version::parse(version).is_err() {
            // git/file/tarball specs: no registry version to match.
            self.unchecked
                .push((line, format!("{name}@{version}: not a registry version")));
            return;
        }
        let e = self
            .map
            .entry((name.to_string(), version.to_string()))
            .or_insert_with(|| Package {
                name: name.to_string(),
                version: version.to_string(),
                source: None,
                dev: true,
                line,
                paths: Vec::new(),
            });
        e.dev &= dev;
        e.line = e.line.min(line);
        e.paths.push(path);
    }
}

fn walk_v1(
    deps: &serde_json::Map<String, Value>,
    prefix: &str,
    key_prefix: &str,
    lines: &HashMap<String, u32>,
    acc: &mut Acc,
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
            let dev = obj.get("dev").and_then(Value::as_bool).unwrap_or(false);
            acc.add(name, v, dev, line, path.clone());
        }
        if let Some(sub) = obj.get("dependencies").and_then(Value::as_object) {
            walk_v1(
                sub,
                &format!("{path}/"),
                &format!("{key}\0dependencies"),
                lines,
                acc,
                depth + 1,
            )?;
        }
    }
    Ok(())
}

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
    let version = match obj.get("lockfileVersion") {
        None => 1,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=3) => n,
            _ => {
                let line = text
                    .lines()
                    .position(|l| l.contains("\"lockfileVersion\""))
                    .map(|i| i as u64 + 1);
                return Err(ParseError::new(
                    line,
                    format!("unknown lockfileVersion {v} (gate-audit reads 1, 2 and 3)"),
                ));
            }
        },
    };
    let lines = key_lines(text);
    let mut acc = Acc {
        map: BTreeMap::new(),
        unchecked: Vec::new(),
    };
    if let Some(pkgs) = obj.get("packages").filter(|_| version >= 2) {
        let Some(pkgs) = pkgs.as_object() else {
            return Err(ParseError::new(None, "`packages` is not an object"));
        };
        for (key, meta) in pkgs {
            let line = lines.get(&format!("packages\0{key}")).copied().unwrap_or(1);
            let Some(m) = meta.as_object() else {
                return Err(ParseError::new(
                    Some(u64::from(line)),
                    format!("packages entry `{key}` is not an object"),
                ));
            };
            if key.is_empty() || m.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let Some(from_path) = name_from_path(key) else {
                continue; // a workspace folder, not an installed package
            };
            let name = m.get("name").and_then(Value::as_str).unwrap_or(from_path);
            let Some(v) = m.get("version").and_then(Value::as_str) else {
                continue;
            };
            let dev = m.get("dev").and_then(Value::as_bool).unwrap_or(false);
            acc.add(name, v, dev, line, key.clone());
        }
    } else if let Some(deps) = obj.get("dependencies").and_then(Value::as_object) {
        walk_v1(deps, "", "dependencies", &lines, &mut acc, 0)?;
    } else if version >= 2 {
        return Err(ParseError::new(
            Some(1),
            "no `packages` object: not a package-lock.json (or a truncated one)",
        ));
    }
    let mut packages: Vec<Package> = acc.map.into_values().collect();
    packages.sort_by(|a, b| (a.line, &a.name).cmp(&(b.line, &b.name)));
    Ok(Lockfile {
        path: display.to_string(),
        ecosystem: Ecosystem::Npm,
        format: format!("package-lock.json v{version}"),
        packages,
        unchecked: acc.unchecked,
    })
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
