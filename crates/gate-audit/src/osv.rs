//! OSV advisories (a directory of OSV JSON files, e.g. an osv.dev export or
//! the GitHub advisory database) and OSV range semantics.
//!
//! `affected[].package` must name the lockfile's ecosystem exactly (`npm`,
//! `PyPI`, `crates.io`); PyPI names compare after PEP 503 normalisation.
//! `versions` lists match exactly; `SEMVER` and `ECOSYSTEM` ranges are
//! walked in version order: `introduced` opens, `fixed` closes at that
//! version, `last_affected` closes after it (inclusive); `GIT` ranges and
//! `limit` events do not apply to released packages. Versions order by
//! SemVer 2.0 precedence for npm and crates.io (bounds such as `1.0` are
//! padded to `1.0.0`, with a note) and PEP 440 for PyPI.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::lockfile::Ecosystem;
use crate::rustsec::DbError;
use crate::version::{parse_semver_lenient, precedence};

#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub id: String,
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub aliases: Option<Vec<String>>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub severity: Option<Vec<SeverityEntry>>,
    #[serde(default)]
    pub affected: Option<Vec<Affected>>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
    #[serde(skip)]
    pub file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SeverityEntry {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub score: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<PackageRef>,
    #[serde(default)]
    pub ranges: Option<Vec<Range>>,
    #[serde(default)]
    pub versions: Option<Vec<String>>,
    #[serde(default)]
    pub severity: Option<Vec<SeverityEntry>>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PackageRef {
    #[serde(default)]
    pub ecosystem: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl Record {
    pub fn aliases(&self) -> &[String] {
        self.aliases.as_deref().unwrap_or(&[])
    }

    /// GitHub's qualitative label (`database_specific.severity`).
    pub fn label(&self) -> Option<&str> {
        self.database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(|s| s.as_str())
    }

    /// CVSS vectors of the record and of its affected entries.
    pub fn cvss_vectors(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .severity
            .iter()
            .flatten()
            .filter(|s| s.kind.starts_with("CVSS"))
            .map(|s| s.score.as_str())
            .collect();
        for a in self.affected.iter().flatten() {
            out.extend(
                a.severity
                    .iter()
                    .flatten()
                    .filter(|s| s.kind.starts_with("CVSS"))
                    .map(|s| s.score.as_str()),
            );
        }
        out
    }

    /// RustSec informational class carried in OSV `database_specific`.
    pub fn informational(&self) -> Option<&str> {
        self.affected
            .iter()
            .flatten()
            .filter_map(|a| a.database_specific.as_ref())
            .chain(self.database_specific.as_ref())
            .find_map(|d| d.get("informational").and_then(|s| s.as_str()))
    }
}

/// OSV records loaded from one or more directories.
#[derive(Debug, Default)]
pub struct Database {
    pub roots: Vec<PathBuf>,
    pub records: Vec<Record>,
    /// (ecosystem, normalised name) → (record, affected index).
    index: HashMap<(Ecosystem, String), Vec<(usize, usize)>>,
    /// Ecosystems (OSV names) this data vouches for even without a record
    /// (the OSV API was asked about every package of them).
    pub covered: std::collections::BTreeSet<String>,
}

fn ecosystem_of(name: &str) -> Option<Ecosystem> {
    match name {
        "npm" => Some(Ecosystem::Npm),
        "PyPI" => Some(Ecosystem::PyPI),
        "crates.io" => Some(Ecosystem::CratesIo),
        "Go" => Some(Ecosystem::Go),
        "RubyGems" => Some(Ecosystem::RubyGems),
        "Packagist" => Some(Ecosystem::Packagist),
        _ => None,
    }
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), DbError> {
    let rd = std::fs::read_dir(dir).map_err(|e| DbError {
        path: dir.to_path_buf(),
        line: None,
        message: format!("cannot read the OSV database: {e}"),
    })?;
    for e in rd {
        let e = e.map_err(|e| DbError {
            path: dir.to_path_buf(),
            line: None,
            message: e.to_string(),
        })?;
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let ft = e.file_type().map_err(|e| DbError {
            path: p.clone(),
            line: None,
            message: e.to_string(),
        })?;
        if ft.is_dir() && depth < 8 {
            collect_json(&p, out, depth + 1)?;
        } else if ft.is_file() && name.ends_with(".json") {
            out.push(p);
        }
    }
    Ok(())
}

impl Database {
    /// Loads every `*.json` OSV record under each directory (recursively) or
    /// in each `all.zip` archive. A directory or archive with no OSV record is
    /// refused (wrong kind of database).
    pub fn open(roots: &[PathBuf]) -> Result<Database, DbError> {
        let mut db = Database {
            roots: roots.to_vec(),
            ..Database::default()
        };
        for root in roots {
            if crate::osv_zip::is_zip(root) {
                let before = db.records.len();
                let records = crate::osv_zip::read_records(root, parse_record)?;
                db.records.extend(records.into_iter().map(|(name, mut r)| {
                    r.file = root.join(name);
                    r
                }));
                if db.records.len() == before {
                    return Err(DbError {
                        path: root.clone(),
                        line: None,
                        message: "no OSV record in this archive: osv-db archives are osv.dev's <ecosystem>/all.zip".into(),
                    });
                }
                continue;
            }
            if !root.is_dir() {
                return Err(DbError {
                    path: root.clone(),
                    line: None,
                    message: "not a directory of OSV JSON records nor an OSV all.zip archive"
                        .into(),
                });
            }
            let mut files = Vec::new();
            collect_json(root, &mut files, 0)?;
            files.sort();
            let before = db.records.len();
            for f in files {
                let bytes = std::fs::read(&f).map_err(|e| DbError {
                    path: f.clone(),
                    line: None,
                    message: e.to_string(),
                })?;
                match parse_record(&f, &bytes)? {
                    Some(rec) => db.records.push(rec),
                    None => continue,
                }
            }
            if db.records.len() == before {
                return Err(DbError {
                    path: root.clone(),
                    line: None,
                    message: "no OSV record found: osv-db must point at directories of OSV JSON files (one advisory per file)".into(),
                });
            }
        }
        db.build_index();
        Ok(db)
    }

    /// A database of records obtained otherwise (e.g. from the OSV API).
    pub fn from_records(roots: Vec<PathBuf>, records: Vec<Record>) -> Database {
        let mut db = Database {
            roots,
            records,
            ..Database::default()
        };
        db.build_index();
        db
    }

    /// Adds records (e.g. from the OSV API) to a loaded database.
    pub fn extend(&mut self, records: Vec<Record>) {
        self.records.extend(records);
        self.index.clear();
        self.build_index();
    }

    fn build_index(&mut self) {
        let db = self;
        for (ri, r) in db.records.iter().enumerate() {
            for (ai, a) in r.affected.iter().flatten().enumerate() {
                let Some(p) = &a.package else { continue };
                let Some(eco) = ecosystem_of(&p.ecosystem) else {
                    continue;
                };
                db.index
                    .entry((eco, eco.normalize_name(&p.name)))
                    .or_default()
                    .push((ri, ai));
            }
        }
    }

    /// Newest `modified` timestamp of any record (RFC 3339 text).
    pub fn newest_modified(&self) -> Option<&str> {
        self.records
            .iter()
            .filter_map(|r| r.modified.as_deref())
            .max()
    }

    /// (record, affected entry) pairs naming this package.
    pub fn candidates(&self, eco: Ecosystem, name: &str) -> &[(usize, usize)] {
        self.index
            .get(&(eco, eco.normalize_name(name)))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Parses one OSV JSON record. `Ok(None)` for a JSON file that is not an
/// OSV record at all (no `id` with `affected` or `modified`), an error with
/// the line for a record that does not parse.
pub fn parse_record(path: &Path, bytes: &[u8]) -> Result<Option<Record>, DbError> {
    match serde_json::from_slice::<Record>(bytes) {
        Ok(mut r) => {
            r.file = path.to_path_buf();
            Ok(Some(r))
        }
        Err(e) if e.is_data() && !looks_like_osv(bytes) => Ok(None),
        Err(e) => Err(DbError {
            path: path.to_path_buf(),
            line: Some(e.line() as u64),
            message: format!("invalid OSV record: {e}"),
        }),
    }
}

/// A JSON file that is not an OSV record at all (e.g. a README in JSON) is
/// skipped; one that has an `id` and `affected` but fails is an error.
fn looks_like_osv(bytes: &[u8]) -> bool {
    let t = String::from_utf8_lossy(bytes);
    t.contains("\"id\"") && (t.contains("\"affected\"") || t.contains("\"modified\""))
}

/// A version in an ecosystem's own order.
#[derive(Debug, Clone)]
pub enum Ver {
    Sem(semver::Version),
    Pep(pep440_rs::Version),
    Gem(crate::version::GemVersion),
    Composer(crate::version::ComposerVersion),
}

impl Ver {
    /// Parses `s`; `lenient` pads SemVer partial versions. Returns whether
    /// padding happened.
    pub fn parse(eco: Ecosystem, s: &str, lenient: bool) -> Option<(Ver, bool)> {
        match eco {
            Ecosystem::PyPI => s.trim().parse().ok().map(|v| (Ver::Pep(v), false)),
            Ecosystem::Go => crate::version::parse_go(s).map(|v| (Ver::Sem(v), false)),
            Ecosystem::RubyGems => {
                crate::version::GemVersion::parse(s).map(|v| (Ver::Gem(v), false))
            }
            Ecosystem::Packagist => {
                crate::version::ComposerVersion::parse(s).map(|v| (Ver::Composer(v), false))
            }
            Ecosystem::CratesIo | Ecosystem::Npm => {
                if lenient {
                    parse_semver_lenient(s).map(|(v, c)| (Ver::Sem(v), c))
                } else {
                    semver::Version::parse(s.trim())
                        .ok()
                        .map(|v| (Ver::Sem(crate::version::strip_build(&v)), false))
                }
            }
        }
    }

    fn cmp(&self, other: &Ver) -> Option<Ordering> {
        match (self, other) {
            (Ver::Sem(a), Ver::Sem(b)) => Some(precedence(a, b)),
            (Ver::Pep(a), Ver::Pep(b)) => Some(a.cmp(b)),
            (Ver::Gem(a), Ver::Gem(b)) => Some(a.cmp(b)),
            (Ver::Composer(a), Ver::Composer(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Whether `version` is in OSV range `r`; notes record padded bounds and
/// unparsable events (which are skipped).
pub fn range_contains(eco: Ecosystem, version: &Ver, r: &Range, notes: &mut Vec<String>) -> bool {
    if r.kind != "SEMVER" && r.kind != "ECOSYSTEM" {
        return false;
    }
    // (None = introduced 0, kind, version)
    let mut evs: Vec<(Option<Ver>, &str)> = Vec::new();
    for e in &r.events {
        for (k, v) in e {
            let Some(s) = v.as_str() else { continue };
            match k.as_str() {
                "introduced" if s == "0" => evs.push((None, "introduced")),
                "introduced" | "fixed" | "last_affected" => match Ver::parse(eco, s, true) {
                    Some((pv, padded)) => {
                        if padded {
                            notes.push(format!(
                                "non-SemVer bound `{s}` read as {}",
                                match &pv {
                                    Ver::Sem(v) => v.to_string(),
                                    Ver::Pep(v) => v.to_string(),
                                    Ver::Gem(_) | Ver::Composer(_) => s.to_string(),
                                }
                            ));
                        }
                        let kind = match k.as_str() {
                            "introduced" => "introduced",
                            "fixed" => "fixed",
                            _ => "last_affected",
                        };
                        evs.push((Some(pv), kind));
                    }
                    None => notes.push(format!("unparsable {k} bound `{s}` skipped")),
                },
                _ => {}
            }
        }
    }
    evs.sort_by(|a, b| match (&a.0, &b.0) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y).unwrap_or(Ordering::Equal),
    });
    let mut affected = false;
    for (pv, kind) in &evs {
        let ord = pv.as_ref().and_then(|p| version.cmp(p));
        match *kind {
            "introduced" => {
                if pv.is_none() || matches!(ord, Some(Ordering::Greater | Ordering::Equal)) {
                    affected = true;
                }
            }
            "fixed" => {
                if matches!(ord, Some(Ordering::Greater | Ordering::Equal)) {
                    affected = false;
                }
            }
            _ => {
                if matches!(ord, Some(Ordering::Greater)) {
                    affected = false;
                }
            }
        }
    }
    affected
}

/// Whether the affected entry covers `version` (listed or in a range).
pub fn affected_contains(
    eco: Ecosystem,
    version_text: &str,
    a: &Affected,
    notes: &mut Vec<String>,
) -> bool {
    let Some((v, _)) = Ver::parse(eco, version_text, false) else {
        return false;
    };
    let mut hit = false;
    for listed in a.versions.iter().flatten() {
        let eq = match eco {
            Ecosystem::PyPI | Ecosystem::Go | Ecosystem::RubyGems | Ecosystem::Packagist => {
                Ver::parse(eco, listed, false)
                    .and_then(|(l, _)| l.cmp(&v))
                    .is_some_and(|o| o == Ordering::Equal)
            }
            _ => listed == version_text,
        };
        if eq {
            hit = true;
        }
    }
    for r in a.ranges.iter().flatten() {
        if range_contains(eco, &v, r, notes) {
            hit = true;
        }
    }
    hit
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn range(events: &str) -> Range {
        serde_json::from_str(&format!(r#"{{"type":"SEMVER","events":{events}}}"#)).unwrap()
    }

    fn hit(eco: Ecosystem, v: &str, events: &str) -> bool {
        let (pv, _) = Ver::parse(eco, v, false).unwrap();
        range_contains(eco, &pv, &range(events), &mut Vec::new())
    }

    #[test]
    fn fixed_is_exclusive_last_affected_inclusive() {
        let ev = r#"[{"introduced":"0"},{"fixed":"1.14.8"}]"#;
        assert!(hit(Ecosystem::Npm, "1.14.7", ev));
        assert!(!hit(Ecosystem::Npm, "1.14.8", ev));
        let ev = r#"[{"introduced":"0"},{"last_affected":"0.2.0"}]"#;
        assert!(hit(Ecosystem::Npm, "0.2.0", ev));
        assert!(!hit(Ecosystem::Npm, "0.2.1", ev));
        let open = r#"[{"introduced":"0"}]"#;
        assert!(hit(Ecosystem::Npm, "6.26.0", open));
    }

    #[test]
    fn several_intervals_and_prereleases() {
        let ev = r#"[{"introduced":"1.0.0"},{"fixed":"1.2.0"},{"introduced":"2.0.0-alpha.1"},{"fixed":"2.0.1"}]"#;
        assert!(!hit(Ecosystem::Npm, "0.9.0", ev));
        assert!(hit(Ecosystem::Npm, "1.1.9", ev));
        assert!(!hit(Ecosystem::Npm, "1.5.0", ev));
        assert!(!hit(Ecosystem::Npm, "2.0.0-alpha.0", ev));
        assert!(hit(Ecosystem::Npm, "2.0.0-beta", ev));
        assert!(hit(Ecosystem::Npm, "2.0.0", ev));
        assert!(!hit(Ecosystem::Npm, "2.0.1", ev));
    }

    #[test]
    fn padded_bound_is_noted() {
        let (pv, _) = Ver::parse(Ecosystem::Npm, "2.6.7", false).unwrap();
        let mut notes = Vec::new();
        assert!(range_contains(
            Ecosystem::Npm,
            &pv,
            &range(r#"[{"introduced":"1.0"},{"fixed":"3.1.1"}]"#),
            &mut notes
        ));
        assert_eq!(notes.len(), 1, "{notes:?}");
    }

    #[test]
    fn pep440_ordering() {
        let ev = r#"[{"introduced":"2.2"},{"fixed":"2.2.10"}]"#;
        assert!(hit(Ecosystem::PyPI, "2.2.9", ev));
        assert!(hit(Ecosystem::PyPI, "2.2.0", ev), "2.2 == 2.2.0");
        assert!(!hit(Ecosystem::PyPI, "2.2.10", ev));
        assert!(
            !hit(Ecosystem::PyPI, "2.2rc1", ev),
            "pre-release before 2.2"
        );
        assert!(hit(Ecosystem::PyPI, "2.2.10rc1", ev), "2.2.10rc1 < 2.2.10");
        assert!(hit(Ecosystem::PyPI, "2.2.post1", ev));
    }

    #[test]
    fn git_ranges_do_not_apply() {
        let r: Range =
            serde_json::from_str(r#"{"type":"GIT","events":[{"introduced":"0"}]}"#).unwrap();
        let (pv, _) = Ver::parse(Ecosystem::Npm, "1.0.0", false).unwrap();
        assert!(!range_contains(Ecosystem::Npm, &pv, &r, &mut Vec::new()));
    }
}
