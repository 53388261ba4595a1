//! Lockfiles: one model for every ecosystem, kind detection and discovery
//! under a repository.
//!
//! Shared by gate-audit (which matches [`Package::name`]/[`Package::version`]
//! against advisories and points findings at [`Package::line`]) and gate-sbom
//! (which also needs [`Package::hashes`], [`Package::license`], the
//! dependency edges and [`Lockfile::direct`]). Everything is plain data.
//!
//! Every parser reports a problem as a [`ParseError`] (a 1-based line and a
//! message; the caller adds the file and exits 4) and never panics, whatever
//! the bytes: `crates/gate-audit/tests/fuzz_corpus.rs` checks it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub mod cargo;
pub mod composer;
pub mod gem;
pub mod go;
pub mod npm;
pub mod pip;
pub mod pipfile;
pub mod pnpm;
pub mod poetry;
pub mod uv;
pub mod yarn;

/// Package ecosystem, named as OSV names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    CratesIo,
    Npm,
    PyPI,
    Go,
    RubyGems,
    Packagist,
}

impl Ecosystem {
    /// Every ecosystem, in a stable order.
    pub const ALL: [Ecosystem; 6] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
    ];

    /// The OSV `affected[].package.ecosystem` value.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
        }
    }

    /// The package-URL type (`pkg:<type>/...`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "golang",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Packagist => "composer",
        }
    }

    /// The name under which two spellings are the same package: PEP 503
    /// (lower case, runs of `-_.` as `-`) for PyPI, lower case for
    /// Packagist, as written elsewhere.
    pub fn normalize_name(self, name: &str) -> String {
        self.normalized(name).into_owned()
    }

    /// [`Ecosystem::normalize_name`], borrowing where names are kept as written.
    pub fn normalized(self, name: &str) -> std::borrow::Cow<'_, str> {
        match self {
            Ecosystem::PyPI => pep503(name).into(),
            Ecosystem::Packagist => name.to_ascii_lowercase().into(),
            _ => name.into(),
        }
    }
}

/// PEP 503 normalised name: lower case, runs of `-`, `_`, `.` as one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Why a package (or a dependency edge) is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Scope {
    /// Needed at run time (the default when the lockfile does not say).
    #[default]
    Required,
    /// Installed only when an optional feature or platform asks for it
    /// (npm `optional`, pnpm `optional`, poetry `optional = true`).
    Optional,
    /// Only needed for development (npm `dev`, poetry `dev` group,
    /// Pipfile `develop`, composer `packages-dev`, yarn/pnpm dev roots).
    Dev,
}

/// How [`Hash::value`] is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashEncoding {
    /// Lower-case hexadecimal (Cargo, poetry, uv, Pipfile, composer, pip).
    Hex,
    /// Standard base64 with padding (npm/yarn/pnpm SRI, go.sum `h1:`).
    Base64,
}

/// A digest exactly as the lockfile records it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash {
    /// `sha1`, `sha256`, `sha384`, `sha512` or `md5` for a digest of the
    /// downloaded archive. `go-h1` for go.sum's `h1:` value: a SHA-256 over
    /// a summary of the module's files (Go's "dirhash" Hash1), *not* a
    /// digest of any one file, so it cannot be labelled plain `sha256`.
    pub algorithm: String,
    /// The digest, as written (see [`Hash::encoding`]).
    pub value: String,
    pub encoding: HashEncoding,
}

impl Hash {
    /// A hex digest.
    pub fn hex(algorithm: &str, value: &str) -> Self {
        Hash {
            algorithm: algorithm.to_string(),
            value: value.to_string(),
            encoding: HashEncoding::Hex,
        }
    }

    /// Subresource-integrity strings (`sha512-<base64> sha1-<base64>`): one
    /// hash per recognised token; other tokens are skipped.
    pub fn from_sri(sri: &str) -> Vec<Hash> {
        sri.split_whitespace()
            .filter_map(|t| {
                let (alg, val) = t.split_once('-')?;
                let alg = alg.to_ascii_lowercase();
                let known = matches!(
                    alg.as_str(),
                    "sha1" | "sha256" | "sha384" | "sha512" | "md5"
                );
                (known && !val.is_empty()).then(|| Hash {
                    algorithm: alg,
                    // drop SRI options (`?opt`)
                    value: val.split('?').next().unwrap_or(val).to_string(),
                    encoding: HashEncoding::Base64,
                })
            })
            .collect()
    }
}

/// A dependency edge: a reference from a package (or from the project, in
/// [`Lockfile::direct`]) to another package of the same lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dependency {
    /// Package name as the lockfile writes it in the edge.
    pub name: String,
    /// Version requirement as written (`^1.2.0`, `>=2,<3`), when recorded.
    pub requirement: Option<String>,
    /// Exact version the edge resolves to, when known.
    pub version: Option<String>,
    /// Index in [`Lockfile::packages`] of the entry the edge resolves to;
    /// `None` when the target is not in the lockfile (a path package, a
    /// platform-specific optional package left out) or is ambiguous.
    pub index: Option<usize>,
    /// Kind of edge (dev and optional dependencies of the project or of a
    /// package).
    pub scope: Scope,
}

impl Dependency {
    /// An edge to `name`, required, nothing resolved yet.
    pub fn named(name: impl Into<String>) -> Self {
        Dependency {
            name: name.into(),
            ..Dependency::default()
        }
    }
}

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// Where the package comes from, as the lockfile writes it: Cargo
    /// `source` (`registry+URL`, `git+URL`), npm/yarn `resolved` URL, poetry
    /// and uv source URL, Pipfile `index`, composer `source.url`, Gemfile
    /// remote, go `replace` target. None for path packages and when absent.
    pub source: Option<String>,
    /// Only needed for development (npm `dev: true` on every occurrence,
    /// poetry `category = "dev"` / only in dev groups, Pipfile `develop`,
    /// composer `packages-dev`, go `// indirect` is *not* dev).
    pub dev: bool,
    /// Installed only optionally (npm `optional: true` / `devOptional`,
    /// pnpm `optional`, poetry `optional = true`).
    pub optional: bool,
    /// 1-based line of the package entry in the lockfile.
    pub line: u32,
    /// npm install paths (`node_modules/a/node_modules/b`).
    pub paths: Vec<String>,
    /// Digests recorded for the package, in lockfile order.
    pub hashes: Vec<Hash>,
    /// SPDX license expression, when the lockfile records one (composer
    /// `license`, npm v2/v3 `license`); as written.
    pub license: Option<String>,
    /// What this package depends on, as recorded (resolved to entries of
    /// the same lockfile where the format allows).
    pub dependencies: Vec<Dependency>,
}

impl Package {
    /// [`Scope::Dev`] if `dev`, else [`Scope::Optional`] if `optional`,
    /// else [`Scope::Required`].
    pub fn scope(&self) -> Scope {
        if self.dev {
            Scope::Dev
        } else if self.optional {
            Scope::Optional
        } else {
            Scope::Required
        }
    }
}

/// A parsed lockfile.
#[derive(Debug, Clone)]
pub struct Lockfile {
    /// Path as given or found, relative to the repository when possible
    /// (forward slashes): the path findings point at.
    pub path: String,
    pub ecosystem: Ecosystem,
    /// Format and version, e.g. `Cargo.lock v3`, `package-lock.json v2`.
    pub format: String,
    pub packages: Vec<Package>,
    /// Lines that could not be checked (unpinned requirements, non-registry
    /// npm entries): (line, text).
    pub unchecked: Vec<(u32, String)>,
    /// Names of the project(s) the lockfile belongs to, where it records
    /// them (Cargo path packages, npm root and workspaces, pnpm importers,
    /// uv editable/virtual packages, go.mod `module`); else empty.
    pub roots: Vec<String>,
    /// The project's direct dependencies, where the format records them
    /// (npm v2/v3 root entry, yarn berry workspaces, pnpm importers, uv
    /// root packages, go.mod `require` without `// indirect`, Gemfile.lock
    /// `DEPENDENCIES`, Cargo path packages' dependencies); `None` where it
    /// does not (poetry.lock, Pipfile.lock, composer.lock, yarn v1,
    /// requirements.txt: there every package may be direct).
    pub direct: Option<Vec<Dependency>>,
    /// The project's own entry, where the lockfile records more than its
    /// name: npm v2/v3 `packages[""]` (name, version, license,
    /// description). `None` for every other format (Cargo workspace
    /// members are path packages in [`Lockfile::packages`]; poetry.lock and
    /// composer.lock do not record the project).
    pub root_package: Option<RootPackage>,
    /// Workspace members recorded as projects of their own, beside the
    /// root: npm v2/v3 workspace folders (`packages["packages/a"]`). Their
    /// direct dependencies are also in [`Lockfile::direct`]; here each
    /// keeps its own. Empty for other formats.
    pub members: Vec<RootPackage>,
}

/// A project entry of a lockfile (see [`Lockfile::root_package`]): what
/// the lockfile records of the project itself, as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RootPackage {
    pub name: String,
    /// Where the lockfile keeps it (npm: `""` for the root, the workspace
    /// folder for a member).
    pub path: String,
    pub version: Option<String>,
    /// SPDX license expression, as written.
    pub license: Option<String>,
    pub description: Option<String>,
    /// Its own direct dependencies (resolved like [`Lockfile::direct`]).
    pub dependencies: Vec<Dependency>,
}

impl Lockfile {
    /// An empty lockfile of `ecosystem` read from `path`.
    pub fn new(path: &str, ecosystem: Ecosystem, format: impl Into<String>) -> Self {
        Lockfile {
            path: path.to_string(),
            ecosystem,
            format: format.into(),
            packages: Vec::new(),
            unchecked: Vec::new(),
            roots: Vec::new(),
            direct: None,
            root_package: None,
            members: Vec::new(),
        }
    }

    /// Resolves every edge without an [`Dependency::index`]: to the package
    /// of that name and [`Dependency::version`] if the version is known,
    /// else to the only package of that name. Names compare after
    /// [`Ecosystem::normalize_name`]. Parsers call it last.
    pub fn resolve_edges(&mut self) {
        use std::borrow::Cow;
        let unresolved = |d: &Dependency| d.index.is_none();
        let any = self
            .packages
            .iter()
            .flat_map(|p| &p.dependencies)
            .chain(self.direct.iter().flatten())
            .chain(
                self.root_package
                    .iter()
                    .chain(&self.members)
                    .flat_map(|r| &r.dependencies),
            )
            .any(unresolved);
        if !any {
            return;
        }
        let eco = self.ecosystem;
        // The edges are taken out while the names are borrowed.
        let mut edges: Vec<Vec<Dependency>> = self
            .packages
            .iter_mut()
            .map(|p| std::mem::take(&mut p.dependencies))
            .collect();
        let mut by_name: HashMap<Cow<'_, str>, Vec<usize>> =
            HashMap::with_capacity(self.packages.len());
        for (i, p) in self.packages.iter().enumerate() {
            by_name.entry(eco.normalized(&p.name)).or_default().push(i);
        }
        let packages = &self.packages;
        let fix = |d: &mut Dependency| {
            if d.index.is_some() {
                return;
            }
            let Some(c) = by_name.get(&eco.normalized(&d.name)) else {
                return;
            };
            let version = |i: usize| packages.get(i).map(|p| &p.version);
            let hit = match &d.version {
                Some(v) => c.iter().copied().find(|&i| version(i) == Some(v)),
                None if c.len() == 1 => c.first().copied(),
                None => None,
            };
            if let Some(i) = hit {
                d.index = Some(i);
                if d.version.is_none() {
                    d.version = version(i).cloned();
                }
            }
        };
        for deps in &mut edges {
            deps.iter_mut().for_each(fix);
        }
        if let Some(direct) = &mut self.direct {
            direct.iter_mut().for_each(fix);
        }
        for r in self.root_package.iter_mut().chain(self.members.iter_mut()) {
            r.dependencies.iter_mut().for_each(fix);
        }
        drop(by_name);
        for (p, deps) in self.packages.iter_mut().zip(edges) {
            p.dependencies = deps;
        }
    }
}

/// A lockfile error: file, line, message (exit 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<u64>,
    pub message: String,
    /// The file `line` refers to when it is not the lockfile itself (the
    /// `go.sum` read beside a `go.mod`); `None` for the lockfile.
    pub file: Option<PathBuf>,
}

impl ParseError {
    pub fn new(line: Option<u64>, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
            file: None,
        }
    }
}

/// Kind of lockfile, from its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `Cargo.lock`, v1 to v4.
    Cargo,
    /// `package-lock.json` / `npm-shrinkwrap.json`, lockfileVersion 1 to 3.
    Npm,
    /// Pinned `requirements*.txt`.
    Requirements,
    /// `yarn.lock`: classic (v1) and Berry (`__metadata` version 4 to 8).
    Yarn,
    /// `pnpm-lock.yaml`: lockfileVersion 5.x, 6.x and 9.x.
    Pnpm,
    /// `poetry.lock`: lock-version 1.x and 2.x.
    Poetry,
    /// `uv.lock`: version 1.
    Uv,
    /// `Pipfile.lock`: pipfile-spec 6.
    Pipfile,
    /// `go.mod` (with the `go.sum` beside it for hashes).
    GoMod,
    /// `Gemfile.lock` (also `gems.locked`).
    Gemfile,
    /// `composer.lock`.
    Composer,
}

/// Every lockfile name [`kind_of`] recognises, for messages.
pub const SUPPORTED_NAMES: &str = "Cargo.lock, package-lock.json, npm-shrinkwrap.json, requirements*.txt, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, go.mod, Gemfile.lock, gems.locked, composer.lock";

/// The kind of a lockfile from its name: `Cargo.lock` (also `*.Cargo.lock`),
/// `package-lock.json`, `npm-shrinkwrap.json`, `requirements*.txt`
/// (also `*.requirements.txt`), `yarn.lock`, `pnpm-lock.yaml`,
/// `poetry.lock`, `uv.lock`, `Pipfile.lock`, `go.mod`, `Gemfile.lock` /
/// `gems.locked`, `composer.lock`.
pub fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    Some(match name {
        "yarn.lock" => Kind::Yarn,
        "pnpm-lock.yaml" => Kind::Pnpm,
        "poetry.lock" => Kind::Poetry,
        "uv.lock" => Kind::Uv,
        "Pipfile.lock" => Kind::Pipfile,
        "go.mod" => Kind::GoMod,
        "Gemfile.lock" | "gems.locked" => Kind::Gemfile,
        "composer.lock" => Kind::Composer,
        _ if name == "Cargo.lock" || name.ends_with(".Cargo.lock") => Kind::Cargo,
        _ if name.ends_with("package-lock.json") || name.ends_with("npm-shrinkwrap.json") => {
            Kind::Npm
        }
        _ if (name.starts_with("requirements") || name.ends_with(".requirements.txt"))
            && name.ends_with(".txt") =>
        {
            Kind::Requirements
        }
        _ => return None,
    })
}

/// Checks `bytes` is UTF-8 text without NUL and drops a BOM.
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes
            .get(..e.valid_up_to())
            .map(|b| b.iter().filter(|&&c| c == b'\n').count() as u64 + 1);
        ParseError::new(line, "not UTF-8 text (a binary file?)")
    })?;
    if text.contains('\0') {
        let line = text
            .find('\0')
            .map(|i| text[..i].bytes().filter(|&b| b == b'\n').count() as u64 + 1);
        return Err(ParseError::new(line, "contains NUL bytes (a binary file?)"));
    }
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Parses `bytes` as a lockfile of `kind`. `display` is the path recorded.
/// A `go.mod` is read alone (no hashes); [`parse_file`] also reads its
/// `go.sum`.
pub fn parse(kind: Kind, display: &str, bytes: &[u8]) -> Result<Lockfile, ParseError> {
    parse_with(kind, display, bytes, Detail::Full)
}

/// How much of a lockfile goes into the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything the format records: packages, hashes, dependency edges,
    /// roots and direct dependencies (what an SBOM needs).
    Full,
    /// Packages with their source, line and scope flags; hashes, edges,
    /// roots and direct dependencies may be left empty (what an audit
    /// needs). Formats that record those apart from the packages
    /// (Cargo.lock) skip the work; others read everything anyway. Syntax
    /// and versions are checked as with [`Detail::Full`]: the same input
    /// is accepted or refused, with the same error.
    Packages,
}

/// [`parse`] with the given [`Detail`].
pub fn parse_with(
    kind: Kind,
    display: &str,
    bytes: &[u8],
    detail: Detail,
) -> Result<Lockfile, ParseError> {
    let text = text_of(bytes)?;
    parse_text(kind, display, text, detail).map_err(|e| clamp_line(e, text))
}

/// An error's line, kept inside the text (a line after the end, such as
/// "the line after the header" of a truncated file, becomes the last line).
fn clamp_line(mut e: ParseError, text: &str) -> ParseError {
    let last = text.bytes().filter(|&b| b == b'\n').count() as u64 + 1;
    e.line = e.line.map(|l| l.clamp(1, last));
    e
}

fn parse_text(
    kind: Kind,
    display: &str,
    text: &str,
    detail: Detail,
) -> Result<Lockfile, ParseError> {
    match kind {
        Kind::Cargo => cargo::parse_with(display, text, detail),
        Kind::Npm => npm::parse(display, text),
        Kind::Requirements => pip::parse(display, text),
        Kind::Yarn => yarn::parse(display, text),
        Kind::Pnpm => pnpm::parse(display, text),
        Kind::Poetry => poetry::parse(display, text),
        Kind::Uv => uv::parse(display, text),
        Kind::Pipfile => pipfile::parse(display, text),
        Kind::GoMod => go::parse(display, text, None),
        Kind::Gemfile => gem::parse(display, text),
        Kind::Composer => composer::parse(display, text),
    }
}

/// [`parse`] for a file on disk whose `bytes` were read from `path`: a
/// `go.mod` also gets the hashes of the `go.sum` beside it (when there is
/// one; errors in it carry [`ParseError::file`]).
pub fn parse_file(
    kind: Kind,
    path: &Path,
    display: &str,
    bytes: &[u8],
) -> Result<Lockfile, ParseError> {
    parse_file_with(kind, path, display, bytes, Detail::Full)
}

/// [`parse_file`] with the given [`Detail`].
pub fn parse_file_with(
    kind: Kind,
    path: &Path,
    display: &str,
    bytes: &[u8],
    detail: Detail,
) -> Result<Lockfile, ParseError> {
    if kind != Kind::GoMod {
        return parse_with(kind, display, bytes, detail);
    }
    let text = text_of(bytes)?;
    let sum_path = path.with_file_name("go.sum");
    match std::fs::read(&sum_path) {
        Ok(sum) => {
            let sum_text = text_of(&sum).map_err(|mut e| {
                e.file = Some(sum_path.clone());
                e
            })?;
            go::parse(display, text, Some(sum_text)).map_err(|mut e| {
                if e.message.starts_with("go.sum") {
                    e.file = Some(sum_path.clone());
                    clamp_line(e, sum_text)
                } else {
                    clamp_line(e, text)
                }
            })
        }
        Err(_) => go::parse(display, text, None).map_err(|e| clamp_line(e, text)),
    }
}

/// Directories never searched for lockfiles.
pub const SKIP_DIRS: &[&str] = &["target", "node_modules", ".git", ".hg", ".svn", ".gates"];

/// Finds lockfiles under `root` (sorted, at most `max_depth` levels, no
/// symlinks followed), skipping [`SKIP_DIRS`].
pub fn discover(root: &Path, max_depth: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if depth > 0 && e.kind() == std::io::ErrorKind::PermissionDenied => continue,
            Err(e) => return Err(e),
        };
        for e in entries {
            let e = e?;
            let ft = e.file_type()?;
            let p = e.path();
            if ft.is_dir() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if depth < max_depth && !SKIP_DIRS.contains(&name.as_ref()) {
                    stack.push((p, depth + 1));
                }
            } else if ft.is_file() && kind_of(&p).is_some() {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_at(text: &str, offset: usize) -> u64 {
    text.as_bytes()
        .iter()
        .take(offset.min(text.len()))
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// Line of the `name = ...` key of every `[[<table>]]` entry of a TOML
/// document, in order (the header's line when the entry has no `name`).
pub(crate) fn toml_entry_lines(text: &str, header: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let mut in_pkg: Option<u32> = None;
    for (i, l) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = l.trim();
        if t.starts_with('[') && !t.starts_with("[[") && t.contains('.') {
            // a sub-table of the entry ([package.dependencies])
            continue;
        }
        if t.starts_with('[') {
            if let Some(h) = in_pkg.take() {
                out.push(h);
            }
            if t == header {
                in_pkg = Some(n);
            }
        } else if t
            .strip_prefix("name")
            .is_some_and(|r| r.trim_start().starts_with('='))
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

/// A TOML syntax error as a [`ParseError`] with its line.
pub(crate) fn toml_error(text: &str, what: &str, e: &toml::de::Error) -> ParseError {
    let line = e.span().map(|s| line_at(text, s.start));
    ParseError::new(line, format!("not a valid {what}: {}", e.message().trim()))
}

/// A JSON syntax error as a [`ParseError`] with its line.
pub(crate) fn json_error(what: &str, fix: &str, e: &serde_json::Error) -> ParseError {
    ParseError::new(
        Some((e.line() as u64).max(1)),
        format!("not valid JSON ({e}); a truncated {what}? {fix}"),
    )
}

/// Parses YAML into a JSON value (keys as strings).
pub(crate) fn yaml_value(text: &str, what: &str) -> Result<serde_json::Value, ParseError> {
    serde_saphyr::from_str::<serde_json::Value>(text).map_err(|e| {
        let first = e.to_string();
        let first = first.lines().next().unwrap_or("invalid YAML").to_string();
        let line = e.location().map(|l| l.line().max(1));
        ParseError::new(line, format!("not a valid {what}: {first}"))
    })
}

/// Line of every mapping key written at exactly `indent` spaces (quotes
/// and the trailing `:` removed), first occurrence: the lines of the
/// entries of a block-style YAML lockfile.
pub(crate) fn yaml_key_lines(text: &str, indent: usize) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start_matches(' ');
        if l.len() - t.len() != indent || t.starts_with('#') || t.is_empty() {
            continue;
        }
        let Some(colon) = key_end(t) else { continue };
        let key = t[..colon].trim();
        let key = key
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(key);
        out.entry(key.to_string())
            .or_insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
    }
    out
}

/// End of a YAML mapping key: the `:` followed by a space or the line end,
/// outside quotes.
fn key_end(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if (c == b'"' || c == b'\'') && i == 0 => quote = Some(c),
            None if c == b':' && (i + 1 == b.len() || b[i + 1] == b' ') => return Some(i),
            None => {}
        }
    }
    None
}

/// Scopes from the graph, for formats that record the project's direct
/// dependencies but no per-package flag: a package reachable from the
/// project through required edges only is required; else, reachable through
/// a [`Scope::Dev`] direct dependency, it is dev-only; else, reachable only
/// through optional edges (a direct optional dependency or an optional edge
/// on the way), it is optional. Unreachable packages are left as they are.
pub(crate) fn mark_dev_from_direct(l: &mut Lockfile) {
    let Some(direct) = &l.direct else { return };
    let n = l.packages.len();
    // `follow_optional`: whether optional edges are walked
    let walk = |starts: Vec<usize>, follow_optional: bool| {
        let mut seen = vec![false; n];
        let mut stack = starts;
        while let Some(i) = stack.pop() {
            if i >= n || seen[i] {
                continue;
            }
            seen[i] = true;
            stack.extend(
                l.packages[i]
                    .dependencies
                    .iter()
                    .filter(|d| follow_optional || d.scope != Scope::Optional)
                    .filter_map(|d| d.index),
            );
        }
        seen
    };
    let starts = |keep: &dyn Fn(Scope) -> bool| -> Vec<usize> {
        direct
            .iter()
            .filter(|d| keep(d.scope))
            .filter_map(|d| d.index)
            .collect()
    };
    let required = walk(starts(&|s| s == Scope::Required), false);
    let any_prod = walk(starts(&|s| s != Scope::Dev), true);
    let dev = walk(starts(&|s| s == Scope::Dev), true);
    for (i, p) in l.packages.iter_mut().enumerate() {
        if required[i] {
            p.dev = false;
            p.optional = false;
        } else if any_prod[i] {
            p.dev = false;
            p.optional = true;
        } else if dev[i] {
            p.dev = true;
            p.optional = false;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kinds_from_names() {
        assert_eq!(kind_of(Path::new("a/Cargo.lock")), Some(Kind::Cargo));
        assert_eq!(
            kind_of(Path::new("bat-v0.10.0.Cargo.lock")),
            Some(Kind::Cargo)
        );
        assert_eq!(kind_of(Path::new("package-lock.json")), Some(Kind::Npm));
        assert_eq!(kind_of(Path::new("npm-shrinkwrap.json")), Some(Kind::Npm));
        assert_eq!(
            kind_of(Path::new("requirements-dev.txt")),
            Some(Kind::Requirements)
        );
        assert_eq!(kind_of(Path::new("package.json")), None);
        assert_eq!(kind_of(Path::new("notes.txt")), None);
    }

    #[test]
    fn discovery_skips_build_and_vendor_dirs() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        for d in ["a", "target/x", "node_modules/y", ".git", "web"] {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        for f in [
            "Cargo.lock",
            "a/Cargo.lock",
            "target/x/Cargo.lock",
            "node_modules/y/package-lock.json",
            ".git/Cargo.lock",
            "web/package-lock.json",
            "requirements.txt",
            "README.md",
        ] {
            std::fs::write(r.join(f), "").unwrap();
        }
        let found: Vec<String> = discover(r, 8)
            .unwrap()
            .iter()
            .map(|p| {
                p.strip_prefix(r)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        assert_eq!(
            found,
            [
                "Cargo.lock",
                "a/Cargo.lock",
                "requirements.txt",
                "web/package-lock.json"
            ]
        );
    }

    #[test]
    fn binary_input_is_refused_with_a_line() {
        let e = parse(Kind::Cargo, "x", b"[[package]]\nname = \"a\xff\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse(Kind::Npm, "x", b"{\n\0}").unwrap_err();
        assert!(e.message.contains("NUL"));
    }
}
