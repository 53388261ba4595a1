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

/// A `[[package]]` table as the scanner reads it.
#[derive(Default)]
struct ScanPkg<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    source: Option<&'a str>,
    checksum: Option<&'a str>,
    dependencies: Option<Vec<Cow<'a, str>>>,
    line: u32,
}

/// Sets a key's plain-string value; `None` if it was already set.
fn set_once<'a>(slot: &mut Option<&'a str>, v: &'a str) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(plain_string(v)?);
    Some(())
}

/// Adds a scanned package table to `raw` (`None` without name or version).
fn finish_package<'a>(p: ScanPkg<'a>, raw: &mut Raw<'a>, lines: &mut Vec<u32>) -> Option<()> {
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

/// The scanner's state: what is read so far and the table it is in.
struct Scan<'a> {
    raw: Raw<'a>,
    lines: Vec<u32>,
    pkg: Option<ScanPkg<'a>>,
    in_metadata: bool,
}

impl<'a> Scan<'a> {
    /// A `[...]` header line: closes the open package, opens the next table.
    fn header(&mut self, t: &str) -> Option<()> {
        if let Some(p) = self.pkg.take() {
            finish_package(p, &mut self.raw, &mut self.lines)?;
        }
        match t {
            "[[package]]" => {
                self.pkg = Some(ScanPkg::default());
                self.in_metadata = false;
            }
            "[metadata]" if self.raw.metadata.is_none() => {
                self.raw.metadata = Some(toml::Table::new());
                self.in_metadata = true;
            }
            _ => return None,
        }
        Some(())
    }

    /// A `"checksum ..." = "hex"` line of v1's `[metadata]`.
    fn metadata(&mut self, key: &str, quoted: bool, value: &str) -> Option<()> {
        let table = self.raw.metadata.as_mut()?;
        if !quoted || key.contains('\\') || table.contains_key(key) {
            return None;
        }
        let v = plain_string(value)?;
        table.insert(key.to_string(), toml::Value::String(v.to_string()));
        Some(())
    }

    /// A top-level line: only `version = N`.
    fn top_level(&mut self, key: &str, value: &str) -> Option<()> {
        let digits = key == "version"
            && self.raw.version.is_none()
            && !value.is_empty()
            && value.len() <= 18
            && value.bytes().all(|b| b.is_ascii_digit())
            && (value == "0" || !value.starts_with('0'));
        if !digits {
            return None;
        }
        self.raw.version = Some(toml::Value::Integer(value.parse().ok()?));
        Some(())
    }

    /// The closing package (if any); `None` when there is no package.
    fn end(mut self) -> Option<(Raw<'a>, Vec<u32>)> {
        if let Some(p) = self.pkg.take() {
            finish_package(p, &mut self.raw, &mut self.lines)?;
        }
        if self.raw.package.is_empty() {
            return None;
        }
        Some((self.raw, self.lines))
    }
}

/// A key of a `[[package]]` table at line `n`; `dependencies` reads its
/// array's lines from `it`.
fn package_key<'a>(
    p: &mut ScanPkg<'a>,
    n: u32,
    key: &str,
    value: &'a str,
    it: &mut impl Iterator<Item = (u32, &'a str)>,
) -> Option<()> {
    match key {
        "name" => {
            set_once(&mut p.name, value)?;
            p.line = n;
        }
        "version" => set_once(&mut p.version, value)?,
        "source" => set_once(&mut p.source, value)?,
        "checksum" => set_once(&mut p.checksum, value)?,
        "dependencies" if p.dependencies.is_none() => {
            p.dependencies = Some(dependency_array(value, it)?);
        }
        _ => return None,
    }
    Some(())
}

/// A `dependencies` value: `[]`, or `[` then one `"spec",` per line up to
/// `]` (the last comma is optional).
fn dependency_array<'a>(
    value: &str,
    it: &mut impl Iterator<Item = (u32, &'a str)>,
) -> Option<Vec<Cow<'a, str>>> {
    let mut deps = Vec::new();
    match value {
        "[]" => {}
        "[" => {
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
    Some(deps)
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
    let mut s = Scan {
        raw: Raw {
            version: None,
            package: Vec::new(),
            metadata: None,
        },
        lines: Vec::new(),
        pkg: None,
        in_metadata: false,
    };
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
            s.header(t)?;
            continue;
        }
        let (key, quoted, value) = key_value(t)?;
        if s.in_metadata {
            s.metadata(key, quoted, value)?;
        } else if quoted {
            return None;
        } else if let Some(p) = s.pkg.as_mut() {
            package_key(p, n, key, value, &mut it)?;
        } else {
            s.top_level(key, value)?;
        }
    }
    s.end()
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
    let version = format_version(&raw, text)?;
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
    let v1_sums = v1_checksums(raw.metadata.as_ref());
    let sourced = resolve_sources(&raw.package);
    let packages = full_packages(raw.package, &lines, &v1_sums, &sourced)?;
    let mut l = Lockfile::new(display, Ecosystem::CratesIo, format);
    l.direct = Some(roots_and_direct(&mut l.roots, &packages));
    l.packages = packages;
    l.resolve_edges();
    Ok(l)
}

/// The format version: `version = N` (1 to 4), else 1 with a `[metadata]`
/// table and 2 without.
fn format_version(raw: &Raw<'_>, text: &str) -> Result<i64, ParseError> {
    match &raw.version {
        None => {
            if raw.metadata.is_some() {
                Ok(1)
            } else {
                Ok(2)
            }
        }
        Some(toml::Value::Integer(v)) if (1..=4).contains(v) => Ok(*v),
        Some(other) => {
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with("version"))
                .map(|i| i as u64 + 1);
            Err(ParseError::new(
                line,
                format!(
                    "unknown Cargo.lock format version {} (supported: 1 to 4; update gates)",
                    match other {
                        toml::Value::Integer(i) => i.to_string(),
                        toml::Value::String(s) => format!("\"{s}\""),
                        _ => "of the wrong type".to_string(),
                    }
                ),
            ))
        }
    }
}

/// v1 keeps checksums in [metadata]: "checksum NAME VERSION (SOURCE)" = "hex",
/// keyed here by name and version.
fn v1_checksums(
    metadata: Option<&toml::Table>,
) -> std::collections::HashMap<(String, String), String> {
    metadata
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("checksum ")?;
            let mut it = rest.split_whitespace();
            let (n, ver) = (it.next()?, it.next()?);
            let sum = v.as_str().filter(|s| !s.is_empty() && *s != "<none>")?;
            Some(((n.to_string(), ver.to_string()), sum.to_string()))
        })
        .collect()
}

/// For each package's dependencies, the index of the entry each edge
/// resolves to. `name version (source)` edges resolve to the entry from
/// that source (the same name@version can be locked from crates.io and
/// from git); git sources are written without their `#<commit>` in edges.
fn resolve_sources(package: &[RawPackage<'_>]) -> Vec<Vec<Option<usize>>> {
    let mut by_id: std::collections::HashMap<(&str, &str), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, q) in package.iter().enumerate() {
        by_id
            .entry((q.name.as_ref(), q.version.as_ref()))
            .or_default()
            .push(i);
    }
    package
        .iter()
        .map(|p| {
            p.dependencies
                .iter()
                .map(|d| {
                    let mut it = d.splitn(3, ' ');
                    let (n, v) = (it.next()?, it.next()?);
                    let src = it.next()?.trim_start_matches('(').trim_end_matches(')');
                    by_id.get(&(n, v))?.iter().copied().find(|&j| {
                        package
                            .get(j)
                            .and_then(|q| q.source.as_deref())
                            .is_some_and(|qs| qs == src || qs.split('#').next() == Some(src))
                    })
                })
                .collect()
        })
        .collect()
}

/// The packages with their hashes (own checksum, else v1's metadata) and
/// dependency edges (indexed by `sourced`).
fn full_packages(
    raw_packages: Vec<RawPackage<'_>>,
    lines: &[u32],
    v1_sums: &std::collections::HashMap<(String, String), String>,
    sourced: &[Vec<Option<usize>>],
) -> Result<Vec<Package>, ParseError> {
    let mut packages = Vec::with_capacity(raw_packages.len());
    for (i, mut p) in raw_packages.into_iter().enumerate() {
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
    Ok(packages)
}

/// Path packages (workspace members and path dependencies) are the roots,
/// pushed onto `roots`; their dependencies, once each, are the direct ones.
fn roots_and_direct(roots: &mut Vec<String>, packages: &[Package]) -> Vec<Dependency> {
    let mut direct: Vec<Dependency> = Vec::new();
    let mut seen: std::collections::HashSet<(&str, Option<&str>)> =
        std::collections::HashSet::new();
    for p in packages.iter().filter(|p| p.source.is_none()) {
        roots.push(p.name.clone());
        for d in &p.dependencies {
            if seen.insert((d.name.as_str(), d.version.as_deref())) {
                direct.push(d.clone());
            }
        }
    }
    direct
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
