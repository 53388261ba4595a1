//! Matching lockfile packages against the loaded databases, and grouping
//! aliases: one hit per vulnerability per package (per lockfile).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::lockfile::{Ecosystem, Lockfile, Package};
use crate::osv;
use crate::rustsec::{self, Informational};
use crate::severity::{Rated, rate};

/// What kind of advisory a hit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    Vulnerability,
    Unmaintained,
    Unsound,
    Notice,
    /// A crate version yanked from crates.io.
    Yanked,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Vulnerability => "vulnerability",
            Class::Unmaintained => "unmaintained",
            Class::Unsound => "unsound",
            Class::Notice => "notice",
            Class::Yanked => "yanked",
        }
    }
}

/// One advisory (or a group of aliased advisories) affecting one package.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Primary id (RUSTSEC, then GHSA, PYSEC, other, CVE last).
    pub id: String,
    /// Every other id of the same vulnerability.
    pub aliases: Vec<String>,
    pub class: Class,
    pub ecosystem: &'static str,
    pub package: String,
    pub version: String,
    pub lockfile: String,
    pub line: u32,
    pub dev: bool,
    pub title: String,
    pub rating: Rated,
    /// Fixed versions or patched requirements.
    pub fixed: Vec<String>,
    pub url: Option<String>,
    pub notes: Vec<String>,
    /// Ids of the database records merged into this hit.
    #[serde(skip)]
    pub records: Vec<String>,
}

impl Hit {
    /// All ids of the hit (primary and aliases).
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// `advisory-id@package@version`: the finding key.
    pub fn key(&self) -> String {
        format!("{}@{}@{}", self.id, self.package, self.version)
    }
}

fn id_rank(id: &str) -> u8 {
    if id.starts_with("RUSTSEC-") {
        0
    } else if id.starts_with("GHSA-") {
        1
    } else if id.starts_with("PYSEC-") {
        2
    } else if id.starts_with("CVE-") {
        4
    } else {
        3
    }
}

/// Matches a Cargo package the way cargo-audit does (withdrawn skipped,
/// registry scope, informational classes other than unmaintained, unsound
/// and notice dropped).
pub fn rustsec_hits(db: &rustsec::Database, lock: &Lockfile, pkg: &Package, out: &mut Vec<Hit>) {
    let Ok(version) = semver::Version::parse(&pkg.version) else {
        return;
    };
    for adv in db.for_package(&pkg.name) {
        if adv.withdrawn.is_some() || !adv.source_matches(pkg.source.as_deref()) {
            continue;
        }
        if !adv.affects(&version) {
            continue;
        }
        let class = match &adv.informational {
            None => Class::Vulnerability,
            Some(Informational::Unmaintained) => Class::Unmaintained,
            Some(Informational::Unsound) => Class::Unsound,
            Some(Informational::Notice) => Class::Notice,
            Some(Informational::Other(_)) => continue,
        };
        out.push(Hit {
            id: adv.id.clone(),
            aliases: adv.aliases.clone(),
            class,
            ecosystem: Ecosystem::CratesIo.osv_name(),
            package: pkg.name.clone(),
            version: pkg.version.clone(),
            lockfile: lock.path.clone(),
            line: pkg.line,
            dev: pkg.dev,
            title: adv.title.clone(),
            rating: rate(adv.cvss.as_deref(), None),
            fixed: adv.patched.clone(),
            url: adv.url.clone(),
            notes: Vec::new(),
            records: vec![adv.id.clone()],
        });
    }
}

/// Matches a package against OSV records of its ecosystem.
pub fn osv_hits(db: &osv::Database, lock: &Lockfile, pkg: &Package, out: &mut Vec<Hit>) {
    let eco = lock.ecosystem;
    if eco == Ecosystem::CratesIo {
        // same registry scope as cargo-audit: crates.io packages only
        match &pkg.source {
            Some(s) if s.strip_prefix("registry+") == Some(rustsec::CRATES_IO) => {}
            _ => return,
        }
    }
    for &(ri, ai) in db.candidates(eco, &pkg.name) {
        let Some(rec) = db.records.get(ri) else {
            continue;
        };
        if rec.withdrawn.is_some() {
            continue;
        }
        let Some(aff) = rec.affected.as_ref().and_then(|a| a.get(ai)) else {
            continue;
        };
        let mut notes = Vec::new();
        if !osv::affected_contains(eco, &pkg.version, aff, &mut notes) {
            continue;
        }
        let class = match rec.informational() {
            None => Class::Vulnerability,
            Some("unmaintained") => Class::Unmaintained,
            Some("unsound") => Class::Unsound,
            Some("notice") => Class::Notice,
            Some(_) => continue,
        };
        let fixed: Vec<String> = aff
            .ranges
            .iter()
            .flatten()
            .flat_map(|r| r.events.iter())
            .filter_map(|e| e.get("fixed").and_then(|v| v.as_str()).map(String::from))
            .collect();
        notes.sort();
        notes.dedup();
        out.push(Hit {
            id: rec.id.clone(),
            aliases: rec.aliases().to_vec(),
            class,
            ecosystem: eco.osv_name(),
            package: pkg.name.clone(),
            version: pkg.version.clone(),
            lockfile: lock.path.clone(),
            line: pkg.line,
            dev: pkg.dev,
            title: rec.summary.clone().unwrap_or_default(),
            rating: rate(rec.cvss_vectors(), rec.label()),
            fixed,
            url: None,
            notes,
            records: vec![rec.id.clone()],
        });
    }
}

/// Merges hits on the same package that are the same vulnerability: one
/// record's id is among the other's ids (RUSTSEC-x listing GHSA-y, the
/// GHSA-y record, the OSV export of RUSTSEC-x). Two distinct advisories that
/// merely share a CVE alias stay apart, as cargo-audit reports them. Keeps
/// the worst rating and class.
pub fn group(hits: Vec<Hit>) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    for h in hits {
        let ids: BTreeSet<&str> = h.ids().collect();
        let pos = out.iter().position(|g| {
            g.lockfile == h.lockfile
                && g.package == h.package
                && g.version == h.version
                && g.line == h.line
                && (g.records.iter().any(|r| ids.contains(r.as_str()))
                    || h.records.iter().any(|r| g.ids().any(|i| i == r)))
        });
        match pos {
            None => out.push(h),
            Some(i) => {
                let g = &mut out[i];
                let mut all: BTreeSet<String> = g.ids().map(String::from).collect();
                all.extend(h.ids().map(String::from));
                if g.title.is_empty() {
                    g.title = h.title.clone();
                }
                g.class = g.class.min(h.class);
                if h.rating.score > g.rating.score
                    || (g.rating.level.is_none() && h.rating.level.is_some())
                {
                    g.rating = h.rating.clone();
                }
                for f in h.fixed {
                    if !g.fixed.contains(&f) {
                        g.fixed.push(f);
                    }
                }
                g.notes.extend(h.notes);
                g.notes.sort();
                g.notes.dedup();
                g.url = g.url.take().or(h.url);
                g.aliases = all.into_iter().collect();
                g.id.clear();
                g.records.extend(h.records);
            }
        }
    }
    for g in &mut out {
        // choose the primary id among all ids
        let mut all: Vec<String> = g.aliases.drain(..).collect();
        if !g.id.is_empty() {
            all.push(std::mem::take(&mut g.id));
        }
        all.sort_by(|a, b| (id_rank(a), a).cmp(&(id_rank(b), b)));
        all.dedup();
        let mut it = all.into_iter();
        g.id = it.next().unwrap_or_default();
        g.aliases = it.collect();
    }
    out.sort_by(|a, b| {
        (&a.lockfile, a.line, &a.package, &a.version, &a.id).cmp(&(
            &b.lockfile,
            b.line,
            &b.package,
            &b.version,
            &b.id,
        ))
    });
    out
}

/// Every hit for every package of `locks`.
pub fn match_all(
    locks: &[Lockfile],
    rustsec: Option<&rustsec::Database>,
    osv: Option<&osv::Database>,
) -> Vec<Hit> {
    let mut hits = Vec::new();
    for l in locks {
        for p in &l.packages {
            if let (Ecosystem::CratesIo, Some(db)) = (l.ecosystem, rustsec) {
                rustsec_hits(db, l, p, &mut hits);
            }
            if let Some(db) = osv {
                osv_hits(db, l, p, &mut hits);
            }
        }
    }
    group(hits)
}
