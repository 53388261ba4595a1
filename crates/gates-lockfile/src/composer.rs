//! `composer.lock`: `packages` and `packages-dev` (dev-only).
//!
//! Hashes: `dist.shasum` (SHA-1 hex; often empty, then none). License:
//! the `license` array joined with ` OR ` (Composer documents several
//! licenses as a choice). Edges: `require` entries naming other locked
//! packages (platform requirements such as `php` and `ext-*` are not
//! packages). composer.lock records no root dependency list.

use serde_json::Value;

use super::{Dependency, Ecosystem, Hash, Lockfile, Package, ParseError, json_error};

/// Line of each `"name": "<name>"` occurrence, in order.
fn name_lines(text: &str) -> Vec<(String, u32)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim_start();
            let rest = t.strip_prefix("\"name\":")?.trim();
            let name = rest.trim_end_matches(',').trim_matches('"');
            Some((name.to_string(), u32::try_from(i + 1).unwrap_or(u32::MAX)))
        })
        .collect()
}

/// Composer's platform packages (`php`, `ext-json`, `lib-curl`, ...).
fn is_platform(name: &str) -> bool {
    !name.contains('/')
}

/// The dist archive's SHA-1, when Composer recorded one.
fn dist_hashes(p: &Value) -> Vec<Hash> {
    p.get("dist")
        .and_then(|d| d.get("shasum"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| vec![Hash::hex("sha1", s)])
        .unwrap_or_default()
}

/// `license`: a string, or an array read as an SPDX `OR`.
fn license(p: &Value) -> Option<String> {
    match p.get("license") {
        Some(Value::Array(a)) => {
            let parts: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            (!parts.is_empty()).then(|| {
                if parts.len() == 1 {
                    parts[0].to_string()
                } else {
                    format!("({})", parts.join(" OR "))
                }
            })
        }
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// `require`, without platform packages.
fn requirements(p: &Value) -> Vec<Dependency> {
    p.get("require")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(n, _)| !is_platform(n))
        .map(|(n, r)| {
            let mut d = Dependency::named(n.clone());
            d.requirement = r.as_str().map(str::to_string);
            d
        })
        .collect()
}

/// The source's URL, else the dist's.
fn source(p: &Value) -> Option<String> {
    p.get("source")
        .or_else(|| p.get("dist"))
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        json_error(
            "composer.lock",
            "regenerate it with `composer update --lock`",
            &e,
        )
    })?;
    let Some(obj) = doc.as_object() else {
        return Err(ParseError::new(Some(1), "a composer.lock is a JSON object"));
    };
    if !obj.contains_key("packages") {
        return Err(ParseError::new(
            Some(1),
            "no `packages` array: not a composer.lock (or a truncated one)",
        ));
    }
    let mut lines = name_lines(text).into_iter();
    let mut l = Lockfile::new(display, Ecosystem::Packagist, "composer.lock");
    for (section, dev) in [("packages", false), ("packages-dev", true)] {
        let Some(list) = obj.get(section) else {
            continue;
        };
        // the line of the `"packages": [` key, for errors about the section
        let section_line = text
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("\"{section}\"")))
            .map_or(1, |i| i as u64 + 1);
        let Some(list) = list.as_array() else {
            return Err(ParseError::new(
                Some(section_line),
                format!("`{section}` is not an array"),
            ));
        };
        for p in list {
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                return Err(ParseError::new(
                    Some(section_line),
                    format!(
                        "an entry of `{section}` has no `name` (the first such entry of the section)"
                    ),
                ));
            };
            // the next `"name": "<name>"` line (nested objects have no `name`)
            let line = lines
                .by_ref()
                .find(|(n, _)| n == name)
                .map_or(1, |(_, l)| l);
            let Some(version) = p.get("version").and_then(Value::as_str) else {
                return Err(ParseError::new(
                    Some(u64::from(line)),
                    format!("package `{name}` has no version"),
                ));
            };
            let numeric = version
                .trim_start_matches(['v', 'V'])
                .starts_with(|c: char| c.is_ascii_digit())
                && !version.ends_with("-dev");
            if !numeric {
                l.unchecked
                    .push((line, format!("{name} {version}: a development branch")));
                continue;
            }
            l.packages.push(Package {
                name: name.to_string(),
                version: version.to_string(),
                source: source(p),
                dev,
                line,
                hashes: dist_hashes(p),
                license: license(p),
                dependencies: requirements(p),
                ..Package::default()
            });
        }
    }
    l.resolve_edges();
    Ok(l)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Hand-written edge case: dev section, dev branch, two licenses,
    /// platform requirements.
    #[test]
    fn packages_and_dev_packages() {
        let t = r#"{
    "content-hash": "x",
    "packages": [
        {
            "name": "a/a",
            "version": "v1.2.3",
            "dist": {"type": "zip", "url": "https://x/a.zip", "shasum": "ff"},
            "require": {"php": ">=7", "ext-json": "*", "b/b": "^2"},
            "license": ["MIT", "GPL-2.0-only"]
        },
        {
            "name": "c/c",
            "version": "dev-main"
        }
    ],
    "packages-dev": [
        {
            "name": "b/b",
            "version": "2.0.0",
            "license": ["BSD-3-Clause"]
        }
    ]
}"#;
        let l = parse("composer.lock", t).unwrap();
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.dev, p.line))
            .collect();
        assert_eq!(got, [("a/a", false, 5), ("b/b", true, 18)]);
        assert_eq!(
            l.packages[0].license.as_deref(),
            Some("(MIT OR GPL-2.0-only)")
        );
        assert_eq!(l.packages[0].hashes, [Hash::hex("sha1", "ff")]);
        assert_eq!(l.packages[0].dependencies.len(), 1);
        assert_eq!(l.packages[0].dependencies[0].index, Some(1));
        assert_eq!(l.unchecked.len(), 1);
        let e = parse("composer.lock", "{\n  \"packages\": {}\n}\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse(
            "composer.lock",
            "{\n  \"packages\": [\n    {\"version\": \"1.0.0\"}\n  ]\n}\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
