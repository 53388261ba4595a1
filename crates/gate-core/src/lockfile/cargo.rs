//! Cargo.lock, formats v1 to v4.

use serde::Deserialize;

use super::{Ecosystem, Lockfile, Package, ParseError, line_at};

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    version: Option<toml::Value>,
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
    source: Option<String>,
}

/// Lines of `name = "..."` inside each `[[package]]` table, in order.
fn package_lines(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut in_pkg: Option<u32> = None;
    for (i, l) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = l.trim();
        if t.starts_with('[') {
            if let Some(h) = in_pkg.take() {
                out.push(h);
            }
            if t == "[[package]]" {
                in_pkg = Some(n);
            }
        } else if t.starts_with("name")
            && t[4..].trim_start().starts_with('=')
            && in_pkg.take().is_some()
        {
            out.push(n);
        }
    }
    if let Some(h) = in_pkg {
        out.push(h);
    }
    out
}

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_at(text, s.start));
        ParseError::new(
            line,
            format!("not a valid Cargo.lock: {}", e.message().trim()),
        )
    })?;
    let version = match &raw.version {
        None => {
            if raw.metadata.is_some() {
                1
            } else {
                2
            }
        }
        Some(toml::Value::Integer(v)) if (1..=4).contains(v) => *v,
        Some(other) => {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("version"))
                .map(|i| i as u64 + 1);
            return Err(ParseError::new(
                line,
                format!(
                    "unknown Cargo.lock format version {} (gate-audit reads versions 1 to 4; update gate-audit)",
                    match other {
                        toml::Value::Integer(i) => i.to_string(),
                        toml::Value::String(s) => format!("\"{s}\""),
                        _ => "of the wrong type".to_string(),
                    }
                ),
            ));
        }
    };
    if raw.package.is_empty() && !text.contains("[[package]]") {
        return Err(ParseError::new(
            Some(1),
            "no [[package]] entries: not a Cargo.lock (or an empty one)",
        ));
    }
    let lines = package_lines(text);
    let mut packages = Vec::with_capacity(raw.package.len());
    for (i, p) in raw.package.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        if semver::Version::parse(&p.version).is_err() {
            return Err(ParseError::new(
                Some(u64::from(line)),
                format!(
                    "package `{}`: version `{}` is not SemVer",
                    p.name, p.version
                ),
            ));
        }
        packages.push(Package {
            name: p.name,
            version: p.version,
            source: p.source,
            dev: false,
            line,
            paths: Vec::new(),
        });
    }
    Ok(Lockfile {
        path: display.to_string(),
        ecosystem: Ecosystem::CratesIo,
        format: format!("Cargo.lock v{version}"),
        packages,
        unchecked: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn versions_and_lines() {
        let v4 = "# gen\nversion = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\n";
        let l = parse("Cargo.lock", v4).unwrap();
        assert_eq!(l.format, "Cargo.lock v4");
        assert_eq!(l.packages[0].line, 5);
        assert_eq!(l.packages[1].line, 10);
        assert_eq!(l.packages[1].source, None);
        let v1 = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[metadata]\n\"checksum a 1.0.0 (registry+x)\" = \"00\"\n";
        assert_eq!(parse("Cargo.lock", v1).unwrap().format, "Cargo.lock v1");
        let v2 = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        assert_eq!(parse("Cargo.lock", v2).unwrap().format, "Cargo.lock v2");
    }

    #[test]
    fn unknown_version_and_truncation_are_errors() {
        let e = parse(
            "Cargo.lock",
            "version = 5\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(
            e.message.contains("unknown Cargo.lock format version 5"),
            "{e:?}"
        );
        let e = parse(
            "Cargo.lock",
            "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(5), "{e:?}");
        let e = parse("Cargo.lock", "[[package]]\nname = \"a\"\n").unwrap_err();
        assert!(e.message.contains("version"), "{e:?}");
        let e = parse(
            "Cargo.lock",
            "[[package]]\nname = \"a\"\nversion = \"x.y\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
