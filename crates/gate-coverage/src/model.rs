//! The coverage model: per file, a sorted list of measured lines with their
//! hit count and branch counts. Lean on purpose (16 bytes a line) so a
//! 2-million-line report fits in a few tens of megabytes.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Flag bits of a [`LineCov`].
pub mod flags {
    /// The line has a line record (LCOV `DA`, a Cobertura/JaCoCo line, a
    /// Clover `stmt`/`cond` line, an Istanbul statement, ...): it counts for
    /// line coverage.
    pub const LINE: u8 = 1;
    /// diff-cover would consider this line measured (for LCOV this includes
    /// lines that only have `BRDA` or `FN` records).
    pub const DC_PRESENT: u8 = 2;
    /// diff-cover's LCOV reading counts this line as executed (its `DA`
    /// hits, or its branches ran, or its function ran).
    pub const DC_COVERED: u8 = 4;
    /// At least one record for this line in an XML report has zero hits
    /// (diff-cover then reports the line as a violation, whatever the other
    /// records for the line say).
    pub const DC_ZERO: u8 = 8;
}

/// Coverage of one source line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineCov {
    /// 1-based line number.
    pub line: u32,
    /// Execution count (saturating).
    pub hits: u32,
    /// Branches on this line that were taken.
    pub br_covered: u16,
    /// Branches on this line.
    pub br_total: u16,
    /// See [`flags`].
    pub flags: u8,
}

impl LineCov {
    /// A line record with `hits` executions (counts for line coverage).
    pub fn measured(line: u32, hits: u64) -> Self {
        LineCov {
            line,
            hits: saturate(hits),
            br_covered: 0,
            br_total: 0,
            flags: flags::LINE | flags::DC_PRESENT | dc_bits(hits),
        }
    }

    /// True when the line counts for line coverage.
    pub fn is_measured(&self) -> bool {
        self.flags & flags::LINE != 0
    }

    /// True when the line counts for line coverage and was executed.
    pub fn is_covered(&self) -> bool {
        self.is_measured() && self.hits > 0
    }

    /// Merge another record of the same line (same report or another one):
    /// measured if either measures it, covered if either covers it.
    pub fn absorb(&mut self, other: &LineCov) {
        self.hits = self.hits.saturating_add(other.hits);
        self.br_total = self.br_total.max(other.br_total);
        self.br_covered = self.br_covered.max(other.br_covered).min(self.br_total);
        self.flags |= other.flags;
    }
}

fn dc_bits(hits: u64) -> u8 {
    if hits > 0 {
        flags::DC_COVERED
    } else {
        flags::DC_ZERO
    }
}

/// Clamp a count into `u32`.
pub fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Clamp a count into `u16`.
pub fn saturate16(n: u64) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The report formats, detected from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Lcov,
    Cobertura,
    JaCoCo,
    Clover,
    GoCover,
    Istanbul,
    LlvmCov,
}

impl Format {
    /// Stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Lcov => "lcov",
            Format::Cobertura => "cobertura",
            Format::JaCoCo => "jacoco",
            Format::Clover => "clover",
            Format::GoCover => "go",
            Format::Istanbul => "istanbul",
            Format::LlvmCov => "llvm-cov",
        }
    }

    /// True for the XML formats diff-cover reads with its XmlCoverageReporter.
    pub fn is_xml(self) -> bool {
        matches!(self, Format::Cobertura | Format::JaCoCo | Format::Clover)
    }
}

/// Coverage of one file as named by one report (path not yet mapped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCoverage {
    /// The path exactly as the report spells it.
    pub path: String,
    /// Lines, sorted by line number and unique once [`FileCoverage::normalize`] ran.
    pub lines: Vec<LineCov>,
    /// Functions found (0 when the format has none).
    pub functions_found: u32,
    /// Functions executed.
    pub functions_hit: u32,
}

impl FileCoverage {
    /// A new, empty file.
    pub fn new(path: impl Into<String>) -> Self {
        FileCoverage {
            path: path.into(),
            ..FileCoverage::default()
        }
    }

    /// Sort lines and merge duplicates (a repeated record for the same line
    /// in the same report): measured if any record measures it, covered if
    /// any record covers it.
    pub fn normalize(&mut self) {
        if !self.lines.is_sorted_by(|a, b| a.line < b.line) {
            self.lines.sort_by_key(|l| l.line);
            self.lines.dedup_by(|next, kept| {
                if next.line == kept.line {
                    kept.absorb(next);
                    true
                } else {
                    false
                }
            });
        }
        self.lines.shrink_to_fit();
    }

    /// Merge another coverage of the same file (both normalized).
    pub fn merge(&mut self, other: &FileCoverage) {
        self.functions_found = self.functions_found.max(other.functions_found);
        self.functions_hit = self.functions_hit.max(other.functions_hit);
        if other.lines.is_empty() {
            return;
        }
        if self.lines.is_empty() {
            self.lines.clone_from(&other.lines);
            return;
        }
        let mut out = Vec::with_capacity(self.lines.len().max(other.lines.len()));
        let (mut i, mut j) = (0, 0);
        let (a, b) = (&self.lines, &other.lines);
        while i < a.len() && j < b.len() {
            match a[i].line.cmp(&b[j].line) {
                std::cmp::Ordering::Less => {
                    out.push(a[i]);
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    out.push(b[j]);
                    j += 1;
                }
                std::cmp::Ordering::Equal => {
                    let mut l = a[i];
                    l.absorb(&b[j]);
                    out.push(l);
                    i += 1;
                    j += 1;
                }
            }
        }
        out.extend_from_slice(&a[i..]);
        out.extend_from_slice(&b[j..]);
        self.lines = out;
    }

    /// The record for `line`, if any.
    pub fn get(&self, line: u32) -> Option<&LineCov> {
        self.lines
            .binary_search_by_key(&line, |l| l.line)
            .ok()
            .and_then(|i| self.lines.get(i))
    }

    /// Line and branch counts of this file.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for l in &self.lines {
            if l.is_measured() {
                c.lines_measured += 1;
                if l.hits > 0 {
                    c.lines_covered += 1;
                }
            }
            c.branches_total += u64::from(l.br_total);
            c.branches_covered += u64::from(l.br_covered);
        }
        c.functions_found = u64::from(self.functions_found);
        c.functions_hit = u64::from(self.functions_hit);
        c
    }
}

/// Line, branch and function counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub lines_measured: u64,
    pub lines_covered: u64,
    pub branches_total: u64,
    pub branches_covered: u64,
    pub functions_found: u64,
    pub functions_hit: u64,
}

impl Counts {
    /// Add another file's counts.
    pub fn add(&mut self, o: &Counts) {
        self.lines_measured += o.lines_measured;
        self.lines_covered += o.lines_covered;
        self.branches_total += o.branches_total;
        self.branches_covered += o.branches_covered;
        self.functions_found += o.functions_found;
        self.functions_hit += o.functions_hit;
    }

    /// Line coverage in percent, `None` when nothing is measured.
    pub fn line_percent(&self) -> Option<f64> {
        percent(self.lines_covered, self.lines_measured)
    }

    /// Branch coverage in percent, `None` when there are no branches.
    pub fn branch_percent(&self) -> Option<f64> {
        percent(self.branches_covered, self.branches_total)
    }
}

/// `part / whole * 100`, `None` when `whole` is 0.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    if whole == 0 {
        None
    } else {
        #[allow(clippy::cast_precision_loss)]
        Some(part as f64 / whole as f64 * 100.0)
    }
}

/// One parsed coverage report (not the gate's report model, [`gate_core::report::Report`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedReport {
    /// Where it was read from.
    pub source: PathBuf,
    /// Its format.
    pub format: Format,
    /// Its files, each normalized; a path appears once.
    pub files: Vec<FileCoverage>,
    /// Source roots the report declares (Cobertura `<sources><source>`).
    pub roots: Vec<String>,
}

/// Coverage of the repository: repo-relative path → merged coverage of every report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverageMap {
    pub files: BTreeMap<String, FileCoverage>,
}

impl CoverageMap {
    /// Merge a file (already mapped to its repository path).
    pub fn add(&mut self, repo_path: &str, file: &FileCoverage) {
        match self.files.get_mut(repo_path) {
            Some(existing) => existing.merge(file),
            None => {
                let mut f = file.clone();
                f.path = repo_path.to_string();
                self.files.insert(repo_path.to_string(), f);
            }
        }
    }

    /// Merge a file (already mapped to its repository path), without copying it.
    pub fn add_owned(&mut self, repo_path: String, mut file: FileCoverage) {
        match self.files.get_mut(&repo_path) {
            Some(existing) => existing.merge(&file),
            None => {
                file.path.clone_from(&repo_path);
                self.files.insert(repo_path, file);
            }
        }
    }

    /// Totals over every file.
    pub fn totals(&self) -> Counts {
        let mut c = Counts::default();
        for f in self.files.values() {
            c.add(&f.counts());
        }
        c
    }
}

/// Collects the files of one report while parsing, merging repeated
/// records for the same path (LCOV allows repeated `SF` blocks).
#[derive(Debug, Default)]
pub(crate) struct FileSet {
    files: Vec<FileCoverage>,
    index: std::collections::HashMap<String, usize>,
}

impl FileSet {
    /// The file entry for `path`, created on first use; the bool says
    /// whether it existed before.
    pub(crate) fn entry(&mut self, path: &str) -> (&mut FileCoverage, bool) {
        let (idx, existed) = match self.index.get(path) {
            Some(&i) => (i, true),
            None => {
                let i = self.files.len();
                self.files.push(FileCoverage::new(path));
                self.index.insert(path.to_string(), i);
                (i, false)
            }
        };
        // idx is always in bounds: it was either just pushed or indexed before.
        let len = self.files.len();
        let f = &mut self.files[idx.min(len - 1)];
        (f, existed)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub(crate) fn finish(mut self) -> Vec<FileCoverage> {
        for f in &mut self.files {
            f.normalize();
        }
        self.files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_merges_duplicates() {
        let mut f = FileCoverage::new("a.rs");
        f.lines.push(LineCov::measured(3, 0));
        f.lines.push(LineCov::measured(1, 2));
        f.lines.push(LineCov::measured(3, 5));
        f.normalize();
        assert_eq!(f.lines.len(), 2);
        assert_eq!(f.get(3).unwrap().hits, 5);
        assert!(f.get(3).unwrap().is_covered());
        assert_eq!(f.counts().lines_covered, 2);
    }

    #[test]
    fn merge_union_measured_any_covered() {
        let mut a = FileCoverage::new("a");
        a.lines = vec![LineCov::measured(1, 0), LineCov::measured(2, 0)];
        let mut b = FileCoverage::new("a");
        b.lines = vec![LineCov::measured(2, 1), LineCov::measured(3, 0)];
        a.merge(&b);
        let lines: Vec<_> = a.lines.iter().map(|l| (l.line, l.is_covered())).collect();
        assert_eq!(lines, vec![(1, false), (2, true), (3, false)]);
    }

    #[test]
    fn line_cov_is_16_bytes() {
        assert!(std::mem::size_of::<LineCov>() <= 16);
    }
}
