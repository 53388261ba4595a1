//! Cargo.lock, formats v1 to v4.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Dependency, Detail, Ecosystem, Hash, Lockfile, Package, ParseError, line_at};

/// A Cargo.lock as read, before the model is built: strings borrowed from
/// the text by the line scanner, owned after a TOML parse.
struct Raw<'a> {
    version: Option<toml::Value>,
    package: Vec<RawPackage<'a>>,
    metadata: Option<toml::Table>,
}

struct RawPackage<'a> {
    name: Cow<'a, str>,
    version: Cow<'a, str>,
    source: Option<Cow<'a, str>>,
    checksum: Option<Cow<'a, str>>,
    dependencies: Vec<Cow<'a, str>>,
}

/// What the TOML parser reads into (it hands out owned strings only).
#[derive(Deserialize)]
struct TomlRaw {
    #[serde(default)]
    version: Option<toml::Value>,
    #[serde(default)]
    package: Vec<TomlPackage>,
    #[serde(default)]
    metadata: Option<toml::Table>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl From<TomlRaw> for Raw<'static> {
    fn from(t: TomlRaw) -> Self {
        Raw {
            version: t.version,
            metadata: t.metadata,
            package: t
                .package
                .into_iter()
                .map(|p| RawPackage {
                    name: p.name.into(),
                    version: p.version.into(),
                    source: p.source.map(Cow::Owned),
                    checksum: p.checksum.map(Cow::Owned),
                    dependencies: p.dependencies.into_iter().map(Cow::Owned).collect(),
                })
                .collect(),
        }
    }
}

/// A `dependencies` entry: `name`, `name version` or
/// `name version (source)`. The version is exact.
fn edge(spec: &str) -> Dependency {
    let mut it = spec.split_whitespace();
    let name = it.next().unwrap_or_default();
    let mut d = Dependency::named(name);
    d.version = it.next().map(str::to_string);
    d
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

/// A basic string as Cargo writes it: `"..."` without escapes.
fn plain_string(v: &str) -> Option<&str> {
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.bytes().any(|b| b == b'"' || b == b'\\')).then_some(inner)
}

/// TOML whitespace (not Unicode's).
fn ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading and trailing TOML whitespace (bytes: the scanner
/// runs this on every line).
fn trim_ws(s: &str) -> &str {
    trim_end_ws(trim_start_ws(s))
}

fn trim_start_ws(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| ws(b)).count();
    s.get(n..).unwrap_or_default()
}

fn trim_end_ws(s: &str) -> &str {
    let n = s.bytes().rev().take_while(|&b| ws(b)).count();
    s.get(..s.len() - n).unwrap_or_default()
}

/// `key = value` with a bare or plain quoted key.
fn key_value(line: &str) -> Option<(&str, bool, &str)> {
    let (key, quoted, rest) = if let Some(r) = line.strip_prefix('"') {
        let end = r.find('"')?;
        (r.get(..end)?, true, r.get(end + 1..)?)
    } else {
        let end = line.bytes().position(|b| b == b'=' || ws(b))?;
        let key = line.get(..end)?;
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        (key, false, line.get(end..)?)
    };
    let value = trim_start_ws(rest).strip_prefix('=')?;
    Some((key, quoted, trim_ws(value)))
}

/// The fast path: Cargo.lock as Cargo writes it (`version = N`,
/// `[[package]]` tables of plain string keys and a multi-line
/// `dependencies` array, v1's `[metadata]` of checksums), scanned line by
/// line into the same [`Raw`] and package lines as the TOML parse. `None`
/// for anything else (other keys or tables, escapes, inline arrays,
/// trailing comments, duplicates, a missing name or version, no package):
/// the TOML parser then decides, with its error messages.
fn scan(text: &str) -> Option<(Raw<'_>, Vec<u32>)> {
    // Control characters other than tab and line ends are TOML errors.
    if text
        .bytes()
        .any(|b| (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0x7f)
    {
        return None;
    }
    #[derive(Default)]
    struct Pkg<'a> {
        name: Option<&'a str>,
        version: Option<&'a str>,
        source: Option<&'a str>,
        checksum: Option<&'a str>,
        dependencies: Option<Vec<Cow<'a, str>>>,
        line: u32,
    }
    fn set<'a>(slot: &mut Option<&'a str>, v: &'a str) -> Option<()> {
        if slot.is_some() {
            return None;
        }
        *slot = Some(plain_string(v)?);
        Some(())
    }
    fn finish<'a>(p: Pkg<'a>, raw: &mut Raw<'a>, lines: &mut Vec<u32>) -> Option<()> {
        raw.package.push(RawPackage {
            name: p.name?.into(),
            version: p.version?.into(),
            source: p.source.map(Cow::Borrowed),
            checksum: p.checksum.map(Cow::Borrowed),
            dependencies: p.dependencies.unwrap_or_default(),
        });
        lines.push(p.line);
        Some(())
    }
    let mut raw = Raw {
        version: None,
        package: Vec::new(),
        metadata: None,
    };
    let mut lines = Vec::new();
    let mut pkg: Option<Pkg> = None;
    let mut in_metadata = false;
    let segments: Vec<&str> = text.split('\n').collect();
    let last = segments.len() - 1;
    let mut it = segments.iter().enumerate().map(|(i, l)| {
        // CRLF ends a line; a lone CR is an error (left in: not matched)
        let l = if i < last {
            l.strip_suffix('\r').unwrap_or(l)
        } else {
            l
        };
        (u32::try_from(i + 1).unwrap_or(u32::MAX), l)
    });
    while let Some((n, line)) = it.next() {
        let t = trim_ws(line);
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') {
            if let Some(p) = pkg.take() {
                finish(p, &mut raw, &mut lines)?;
            }
            match t {
                "[[package]]" => {
                    pkg = Some(Pkg::default());
                    in_metadata = false;
                }
                "[metadata]" if raw.metadata.is_none() => {
                    raw.metadata = Some(toml::Table::new());
                    in_metadata = true;
                }
                _ => return None,
            }
            continue;
        }
        let (key, quoted, value) = key_value(t)?;
        if in_metadata {
            let table = raw.metadata.as_mut()?;
            if !quoted || key.contains('\\') || table.contains_key(key) {
                return None;
            }
            let v = plain_string(value)?;
            table.insert(key.to_string(), toml::Value::String(v.to_string()));
            continue;
        }
        if quoted {
            return None;
        }
        let Some(p) = pkg.as_mut() else {
            // top level: only `version = N`
            let digits = key == "version"
                && raw.version.is_none()
                && !value.is_empty()
                && value.len() <= 18
                && value.bytes().all(|b| b.is_ascii_digit())
                && (value == "0" || !value.starts_with('0'));
            if !digits {
                return None;
            }
            raw.version = Some(toml::Value::Integer(value.parse().ok()?));
            continue;
        };
        match key {
            "name" => {
                set(&mut p.name, value)?;
                p.line = n;
            }
            "version" => set(&mut p.version, value)?,
            "source" => set(&mut p.source, value)?,
            "checksum" => set(&mut p.checksum, value)?,
            "dependencies" if p.dependencies.is_none() => {
                let mut deps = Vec::new();
                match value {
                    "[]" => {}
                    "[" => {
                        // one `"spec",` per line; the last comma is optional
                        let mut comma = true;
                        loop {
                            let (_, l) = it.next()?;
                            let e = trim_ws(l);
                            if e.is_empty() || e.starts_with('#') {
                                continue;
                            }
                            if e == "]" {
                                break;
                            }
                            if !comma {
                                return None;
                            }
                            let (s, c) = match e.strip_suffix(',') {
                                Some(s) => (trim_end_ws(s), true),
                                None => (e, false),
                            };
                            deps.push(Cow::Borrowed(plain_string(s)?));
                            comma = c;
                        }
                    }
                    _ => return None,
                }
                p.dependencies = Some(deps);
            }
            _ => return None,
        }
    }
    if let Some(p) = pkg.take() {
        finish(p, &mut raw, &mut lines)?;
    }
    if raw.package.is_empty() {
        return None;
    }
    Some((raw, lines))
}

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    parse_with(display, text, Detail::Full)
}

/// [`parse`]; with [`Detail::Packages`] no hashes, edges, roots or direct
/// dependencies (most of the work on a large lockfile).
pub fn parse_with(display: &str, text: &str, detail: Detail) -> Result<Lockfile, ParseError> {
    match scan(text) {
        Some((raw, lines)) => build(display, text, raw, lines, detail),
        None => parse_toml_with(display, text, detail),
    }
}

/// Whether [`parse`] reads `text` with the line scanner (no TOML parse).
/// Public for the tests.
#[doc(hidden)]
pub fn scanned(text: &str) -> bool {
    scan(text).is_some()
}

/// [`parse`] without the line scanner: the whole file through the TOML
/// parser (what `parse` falls back to). Public for the test that both
/// agree on real lockfiles.
#[doc(hidden)]
pub fn parse_toml(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    parse_toml_with(display, text, Detail::Full)
}

fn parse_toml_with(display: &str, text: &str, detail: Detail) -> Result<Lockfile, ParseError> {
    let raw: TomlRaw = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_at(text, s.start));
        ParseError::new(
            line,
            format!("not a valid Cargo.lock: {}", e.message().trim()),
        )
    })?;
    let lines = package_lines(text);
    build(display, text, raw.into(), lines, detail)
}

fn build(
    display: &str,
    text: &str,
    raw: Raw<'_>,
    lines: Vec<u32>,
    detail: Detail,
) -> Result<Lockfile, ParseError> {
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
                    "unknown Cargo.lock format version {} (supported: 1 to 4; update gates)",
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
    let format = format!("Cargo.lock v{version}");
    if detail == Detail::Packages {
        let mut l = Lockfile::new(display, Ecosystem::CratesIo, format);
        l.packages.reserve(raw.package.len());
        for (i, p) in raw.package.into_iter().enumerate() {
            let line = lines.get(i).copied().unwrap_or(1);
            l.packages.push(package(p, line)?);
        }
        return Ok(l);
    }
    // v1 keeps checksums in [metadata]: "checksum NAME VERSION (SOURCE)" = "hex"
    let v1_sums: std::collections::HashMap<(String, String), String> = raw
        .metadata
        .iter()
        .flatten()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("checksum ")?;
            let mut it = rest.split_whitespace();
            let (n, ver) = (it.next()?, it.next()?);
            let sum = v.as_str().filter(|s| !s.is_empty() && *s != "<none>")?;
            Some(((n.to_string(), ver.to_string()), sum.to_string()))
        })
        .collect();
    // `name version (source)` edges resolve to the entry from that source
    // (the same name@version can be locked from crates.io and from git);
    // git sources are written without their `#<commit>` in edges.
    let mut by_id: std::collections::HashMap<(&str, &str), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, q) in raw.package.iter().enumerate() {
        by_id
            .entry((q.name.as_ref(), q.version.as_ref()))
            .or_default()
            .push(i);
    }
    let sourced: Vec<Vec<Option<usize>>> = raw
        .package
        .iter()
        .map(|p| {
            p.dependencies
                .iter()
                .map(|d| {
                    let mut it = d.splitn(3, ' ');
                    let (n, v) = (it.next()?, it.next()?);
                    let src = it.next()?.trim_start_matches('(').trim_end_matches(')');
                    by_id.get(&(n, v))?.iter().copied().find(|&j| {
                        raw.package
                            .get(j)
                            .and_then(|q| q.source.as_deref())
                            .is_some_and(|qs| qs == src || qs.split('#').next() == Some(src))
                    })
                })
                .collect()
        })
        .collect();
    let mut packages = Vec::with_capacity(raw.package.len());
    for (i, mut p) in raw.package.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let sum = p.checksum.take().map(Cow::into_owned).or_else(|| {
            v1_sums
                .get(&(p.name.to_string(), p.version.to_string()))
                .cloned()
        });
        let dependencies = std::mem::take(&mut p.dependencies)
            .iter()
            .zip(sourced.get(i).into_iter().flatten())
            .map(|(d, at)| {
                let mut d = edge(d);
                d.index = *at;
                d
            })
            .collect();
        packages.push(Package {
            hashes: sum.iter().map(|s| Hash::hex("sha256", s)).collect(),
            dependencies,
            ..package(p, line)?
        });
    }
    let mut l = Lockfile::new(display, Ecosystem::CratesIo, format);
    // path packages (workspace members and path dependencies) are the roots
    let mut direct: Vec<Dependency> = Vec::new();
    let mut seen: std::collections::HashSet<(&str, Option<&str>)> =
        std::collections::HashSet::new();
    for p in packages.iter().filter(|p| p.source.is_none()) {
        l.roots.push(p.name.clone());
        for d in &p.dependencies {
            if seen.insert((d.name.as_str(), d.version.as_deref())) {
                direct.push(d.clone());
            }
        }
    }
    l.direct = Some(direct);
    l.packages = packages;
    l.resolve_edges();
    Ok(l)
}

/// A package entry's name, version (checked to be SemVer), source and line.
fn package(p: RawPackage<'_>, line: u32) -> Result<Package, ParseError> {
    if semver::Version::parse(&p.version).is_err() {
        return Err(ParseError::new(
            Some(u64::from(line)),
            format!(
                "package `{}`: version `{}` is not SemVer",
                p.name, p.version
            ),
        ));
    }
    Ok(Package {
        name: p.name.into_owned(),
        version: p.version.into_owned(),
        source: p.source.map(Cow::into_owned),
        line,
        ..Package::default()
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
        assert_eq!(l.roots, ["b"]);
        let v1 = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[metadata]\n\"checksum a 1.0.0 (registry+x)\" = \"00\"\n";
        let l1 = parse("Cargo.lock", v1).unwrap();
        assert_eq!(l1.format, "Cargo.lock v1");
        assert_eq!(l1.packages[0].hashes, [Hash::hex("sha256", "00")]);
        let v2 = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        assert_eq!(parse("Cargo.lock", v2).unwrap().format, "Cargo.lock v2");
    }

    /// Hand-written edge case: checksums and `name version` edges resolve
    /// to the exact entry when two versions of a crate are locked.
    #[test]
    fn checksums_and_edges() {
        let t = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"b 1.0.0\",\n \"c\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"ab\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"c\"\nversion = \"0.3.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"b 2.0.0 (registry+https://github.com/rust-lang/crates.io-index)\"]\n";
        let l = parse("Cargo.lock", t).unwrap();
        assert_eq!(l.packages[1].hashes, [Hash::hex("sha256", "ab")]);
        let app = &l.packages[0].dependencies;
        assert_eq!((app[0].index, app[1].index), (Some(1), Some(3)));
        assert_eq!(app[1].version.as_deref(), Some("0.3.0"));
        assert_eq!(l.packages[3].dependencies[0].index, Some(2));
        let direct = l.direct.unwrap();
        assert_eq!(direct.len(), 2);
        assert_eq!(l.roots, ["app"]);
    }

    /// Hand-written edge case: the same name@version from crates.io and
    /// from git; a `(source)` in the edge picks the entry (a git source
    /// without its `#<commit>`).
    #[test]
    fn edges_with_a_source_pick_that_entry() {
        let t = "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"x 1.0.0 (git+https://h/x?rev=a)\",\n \"x 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)\",\n]\n\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"git+https://h/x?rev=a#0123abc\"\n";
        let l = parse("Cargo.lock", t).unwrap();
        let d = &l.packages[0].dependencies;
        assert_eq!((d[0].index, d[1].index), (Some(2), Some(1)));
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
