//! Lockfiles: reading, kind detection and discovery under a repository.

use std::path::{Path, PathBuf};

pub mod cargo;
pub mod npm;
pub mod pip;

/// Package ecosystem, named as OSV names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    CratesIo,
    Npm,
    PyPI,
}

impl Ecosystem {
    /// The OSV `affected[].package.ecosystem` value.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
        }
    }
}

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// Cargo `source` (`registry+URL`, `git+URL`), none for path packages.
    pub source: Option<String>,
    /// Only needed for development (npm `dev: true` on every occurrence).
    pub dev: bool,
    /// 1-based line of the package entry in the lockfile.
    pub line: u32,
    /// npm install paths (`node_modules/a/node_modules/b`).
    pub paths: Vec<String>,
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
}

/// A lockfile error: file, line, message (exit 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: Option<u64>,
    pub message: String,
}

impl ParseError {
    pub fn new(line: Option<u64>, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

/// Kind of lockfile, from its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cargo,
    Npm,
    Requirements,
}

/// The kind of a lockfile from its name: `Cargo.lock` (also `*.Cargo.lock`),
/// `package-lock.json`, `npm-shrinkwrap.json`, `requirements*.txt`
/// (also `*.requirements.txt`).
pub fn kind_of(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if name == "Cargo.lock" || name.ends_with(".Cargo.lock") {
        Some(Kind::Cargo)
    } else if name.ends_with("package-lock.json") || name.ends_with("npm-shrinkwrap.json") {
        Some(Kind::Npm)
    } else if (name.starts_with("requirements") || name.ends_with(".requirements.txt"))
        && name.ends_with(".txt")
    {
        Some(Kind::Requirements)
    } else {
        None
    }
}

/// Parses `bytes` as a lockfile of `kind`. `display` is the path recorded.
pub fn parse(kind: Kind, display: &str, bytes: &[u8]) -> Result<Lockfile, ParseError> {
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match kind {
        Kind::Cargo => cargo::parse(display, text),
        Kind::Npm => npm::parse(display, text),
        Kind::Requirements => pip::parse(display, text),
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
