//! `uv.lock`, version 1 (any `revision`).
//!
//! Packages whose source is `virtual` or `editable` (the project and its
//! workspace members) are roots, not packages; their `dependencies`,
//! `optional-dependencies` and `dev-dependencies` are
//! [`Lockfile::direct`]; scopes come from the graph: dev-only when reachable
//! from the roots only through dev groups, optional when only through
//! extras. `directory`/`path` sources are unchecked.

use serde::Deserialize;

use super::{
    Dependency, Ecosystem, Hash, Lockfile, Package, ParseError, Scope, mark_dev_from_direct,
    toml_entry_lines, toml_error,
};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Raw {
    version: Option<toml::Value>,
    #[serde(default)]
    package: Vec<RawPackage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    source: toml::Table,
    #[serde(default)]
    dependencies: Vec<toml::Table>,
    #[serde(default)]
    optional_dependencies: toml::Table,
    #[serde(default)]
    dev_dependencies: toml::Table,
    #[serde(default)]
    sdist: Option<toml::Table>,
    #[serde(default)]
    wheels: Vec<toml::Table>,
}

fn edges(list: &[toml::Value], scope: Scope) -> Vec<Dependency> {
    list.iter()
        .filter_map(|v| v.as_table())
        .filter_map(|t| {
            let mut d = Dependency::named(t.get("name")?.as_str()?);
            d.version = t
                .get("version")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            d.requirement = t
                .get("marker")
                .and_then(|v| v.as_str())
                .map(|m| format!("; {m}"));
            d.scope = scope;
            Some(d)
        })
        .collect()
}

fn all_edges(p: &RawPackage) -> Vec<Dependency> {
    let mut out = edges(
        &p.dependencies
            .iter()
            .cloned()
            .map(toml::Value::Table)
            .collect::<Vec<_>>(),
        Scope::Required,
    );
    for (table, scope) in [
        (&p.optional_dependencies, Scope::Optional),
        (&p.dev_dependencies, Scope::Dev),
    ] {
        for list in table.values().filter_map(|v| v.as_array()) {
            out.extend(edges(list, scope));
        }
    }
    out
}

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let raw: Raw = toml::from_str(text).map_err(|e| toml_error(text, "uv.lock", &e))?;
    let version_line = text
        .lines()
        .position(|l| l.starts_with("version"))
        .map(|i| i as u64 + 1);
    match &raw.version {
        Some(toml::Value::Integer(1)) => {}
        other => {
            return Err(ParseError::new(
                version_line.or(Some(1)),
                format!(
                    "unknown uv.lock version {} (supported: 1)",
                    match other {
                        None => "(missing)".to_string(),
                        Some(toml::Value::Integer(i)) => i.to_string(),
                        Some(toml::Value::String(s)) => format!("\"{s}\""),
                        Some(_) => "of the wrong type".to_string(),
                    }
                ),
            ));
        }
    }
    let lines = toml_entry_lines(text, "[[package]]");
    let mut l = Lockfile::new(display, Ecosystem::PyPI, "uv.lock v1");
    let mut direct = Vec::new();
    for (i, p) in raw.package.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let kind = p.source.keys().next().map(String::as_str).unwrap_or("");
        if matches!(kind, "virtual" | "editable") {
            l.roots.push(p.name.clone());
            direct.extend(all_edges(p));
            continue;
        }
        let Some(version) = &p.version else {
            l.unchecked.push((line, format!("{}: no version", p.name)));
            continue;
        };
        if matches!(kind, "directory" | "path") {
            l.unchecked.push((
                line,
                format!("{} {version}: a local {kind} package", p.name),
            ));
            continue;
        }
        if version.parse::<pep440_rs::Version>().is_err() {
            return Err(ParseError::new(
                Some(u64::from(line)),
                format!("package `{}`: `{version}` is not a PEP 440 version", p.name),
            ));
        }
        let hashes = p
            .sdist
            .iter()
            .chain(p.wheels.iter())
            .filter_map(|f| f.get("hash")?.as_str())
            .filter_map(|h| h.split_once(':'))
            .map(|(alg, v)| Hash::hex(alg, v))
            .collect();
        let source = p
            .source
            .values()
            .next()
            .and_then(|v| v.as_str())
            .map(str::to_string);
        l.packages.push(Package {
            name: p.name.clone(),
            version: version.clone(),
            source,
            line,
            hashes,
            dependencies: all_edges(p),
            ..Package::default()
        });
    }
    l.direct = Some(direct);
    l.resolve_edges();
    mark_dev_from_direct(&mut l);
    Ok(l)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Hand-written edge case: a virtual root with a dev group; dev-only
    /// computed through the graph.
    #[test]
    fn roots_and_dev_groups() {
        let t = "version = 1\nrevision = 2\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"a\" }]\n\n[package.dev-dependencies]\ndev = [{ name = \"pytest\" }]\n\n[[package]]\nname = \"a\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://x/a-1.0.tar.gz\", hash = \"sha256:aa\", size = 1 }\n\n[[package]]\nname = \"pytest\"\nversion = \"8.0\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [{ name = \"a\" }]\n";
        let l = parse("uv.lock", t).unwrap();
        assert_eq!(l.roots, ["app"]);
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.dev, p.line))
            .collect();
        assert_eq!(got, [("a", false, 14), ("pytest", true, 20)]);
        assert_eq!(l.packages[0].hashes, [Hash::hex("sha256", "aa")]);
        // an extra of the project: optional, not dev
        let t2 = t.replace(
            "[package.dev-dependencies]",
            "[package.optional-dependencies]\nfast = [{ name = \"b\" }]\n\n[package.dev-dependencies]",
        ) + "\n[[package]]\nname = \"b\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        let l = parse("uv.lock", &t2).unwrap();
        let b = l.packages.iter().find(|p| p.name == "b").unwrap();
        assert_eq!(b.scope(), Scope::Optional);
        assert_eq!(l.packages[0].scope(), Scope::Required);
        let e = parse("uv.lock", "version = 2\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("supported: 1"));
    }
}
