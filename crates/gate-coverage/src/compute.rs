//! The figures the gates check: totals, per file, and diff coverage.

use std::collections::BTreeSet;

use crate::diff::ChangeSet;
use crate::model::{Counts, CoverageMap, percent};

/// What to do with changed files the reports do not mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AbsentFiles {
    /// Count every changed line of such a file as measured and uncovered (default).
    #[default]
    Uncovered,
    /// Leave them out of diff coverage (they are still listed).
    Ignore,
}

/// Options of the diff coverage computation.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Treatment of changed files absent from the reports.
    pub absent_files: AbsentFiles,
    /// Which absent files are source files: those whose extension is in
    /// this list; `None` = the extensions of the files the reports cover
    /// (so a changed README does not count against a Python report). In both
    /// cases the file must also sit in a top-level directory where the
    /// reports measure files (so unmeasured `tests/` or `docs/` trees do not count).
    pub source_extensions: Option<Vec<String>>,
    /// Changed files to leave out entirely (globs on the repository path).
    pub exclude: Option<globset::GlobSet>,
}

/// Diff coverage of one changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub path: String,
    /// Changed lines (added or modified) in the file.
    pub changed: u64,
    /// Changed lines that are measured.
    pub measured: u64,
    /// Changed lines that are covered.
    pub covered: u64,
    /// Uncovered changed lines, merged into inclusive ranges.
    pub uncovered: Vec<(u32, u32)>,
    /// False when the reports do not mention the file.
    pub in_report: bool,
}

/// Diff coverage of the change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffCoverage {
    /// Changed files with at least one measured changed line (or absent and
    /// counted as uncovered), sorted by path.
    pub files: Vec<FileDiff>,
    /// Changed source files absent from the reports (whatever the policy).
    pub absent_files: Vec<String>,
    pub changed: u64,
    pub measured: u64,
    pub covered: u64,
}

impl DiffCoverage {
    /// covered / measured × 100; `None` when no changed line is measured.
    pub fn percent(&self) -> Option<f64> {
        percent(self.covered, self.measured)
    }

    /// True when there are too few measured changed lines for the diff
    /// threshold to apply (`minimum-changed-lines`).
    pub fn below_minimum(&self, minimum_changed_lines: u64) -> bool {
        self.measured < minimum_changed_lines
    }

    /// Uncovered changed lines in total.
    pub fn uncovered(&self) -> u64 {
        self.measured - self.covered
    }
}

/// Merge sorted line numbers into inclusive ranges: [1,2,3,7] → [(1,3),(7,7)].
pub fn ranges(lines: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &l in lines {
        match out.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(l) => *end = l,
            Some((_, end)) if *end == l => {}
            _ => out.push((l, l)),
        }
    }
    out
}

fn extension(p: &str) -> Option<String> {
    let name = p.rsplit('/').next().unwrap_or(p);
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() {
        None
    } else {
        Some(ext.to_ascii_lowercase())
    }
}

/// First path component (`""` for a file at the repository root).
fn top_dir(p: &str) -> &str {
    p.split_once('/').map_or("", |(t, _)| t)
}

/// Diff coverage: covered changed lines / measured changed lines.
pub fn diff_coverage(cov: &CoverageMap, changes: &ChangeSet, opts: &DiffOptions) -> DiffCoverage {
    let exts: BTreeSet<String> = match &opts.source_extensions {
        Some(v) => v
            .iter()
            .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
            .collect(),
        None => cov.files.keys().filter_map(|p| extension(p)).collect(),
    };
    let tops: BTreeSet<&str> = cov.files.keys().map(|p| top_dir(p)).collect();
    let mut out = DiffCoverage::default();
    for ch in &changes.files {
        if ch.deleted || ch.binary || ch.added.is_empty() {
            continue;
        }
        if opts.exclude.as_ref().is_some_and(|g| g.is_match(&ch.path)) {
            continue;
        }
        out.changed += ch.added.len() as u64;
        match cov.files.get(&ch.path) {
            Some(f) => {
                let mut fd = FileDiff {
                    path: ch.path.clone(),
                    changed: ch.added.len() as u64,
                    measured: 0,
                    covered: 0,
                    uncovered: Vec::new(),
                    in_report: true,
                };
                let mut unc = Vec::new();
                for &l in &ch.added {
                    if let Some(lc) = f.get(l).filter(|lc| lc.is_measured()) {
                        fd.measured += 1;
                        if lc.hits > 0 {
                            fd.covered += 1;
                        } else {
                            unc.push(l);
                        }
                    }
                }
                fd.uncovered = ranges(&unc);
                if fd.measured > 0 {
                    out.measured += fd.measured;
                    out.covered += fd.covered;
                    out.files.push(fd);
                }
            }
            None => {
                let is_source = extension(&ch.path).is_some_and(|e| exts.contains(&e))
                    && tops.contains(top_dir(&ch.path));
                if !is_source {
                    continue;
                }
                out.absent_files.push(ch.path.clone());
                if opts.absent_files == AbsentFiles::Uncovered {
                    let n = ch.added.len() as u64;
                    out.measured += n;
                    out.files.push(FileDiff {
                        path: ch.path.clone(),
                        changed: n,
                        measured: n,
                        covered: 0,
                        uncovered: ranges(&ch.added),
                        in_report: false,
                    });
                }
            }
        }
    }
    out
}

/// Coverage of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSummary {
    pub path: String,
    pub counts: Counts,
}

impl FileSummary {
    pub fn line_percent(&self) -> Option<f64> {
        self.counts.line_percent()
    }
}

/// Per-file coverage, worst line coverage first (files with nothing measured last).
pub fn per_file(cov: &CoverageMap) -> Vec<FileSummary> {
    let mut v: Vec<FileSummary> = cov
        .files
        .iter()
        .map(|(p, f)| FileSummary {
            path: p.clone(),
            counts: f.counts(),
        })
        .collect();
    v.sort_by(|a, b| {
        let ka = a.line_percent().unwrap_or(f64::INFINITY);
        let kb = b.line_percent().unwrap_or(f64::INFINITY);
        ka.total_cmp(&kb).then_with(|| a.path.cmp(&b.path))
    });
    v
}

/// Totals over every file.
pub fn totals(cov: &CoverageMap) -> Counts {
    cov.totals()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::FileChange;
    use crate::model::{FileCoverage, LineCov};

    fn cov() -> CoverageMap {
        let mut m = CoverageMap::default();
        let mut f = FileCoverage::new("a.py");
        f.lines = vec![
            LineCov::measured(1, 1),
            LineCov::measured(2, 0),
            LineCov::measured(3, 0),
            LineCov::measured(5, 2),
        ];
        m.add("a.py", &f);
        m
    }

    fn change(path: &str, added: Vec<u32>) -> FileChange {
        FileChange {
            path: path.into(),
            added,
            ..FileChange::default()
        }
    }

    #[test]
    fn diff_with_absent_files() {
        let cs = ChangeSet {
            files: vec![
                change("README.md", vec![1, 2]),
                change("a.py", vec![1, 2, 3, 4, 5]),
                change("b.py", vec![7, 8]),
                change("tests/test_b.py", vec![1]),
            ],
        };
        let d = diff_coverage(&cov(), &cs, &DiffOptions::default());
        assert_eq!((d.measured, d.covered), (6, 2));
        assert_eq!(d.absent_files, vec!["b.py".to_string()]);
        assert_eq!(d.files[0].uncovered, vec![(2, 3)]);
        assert_eq!(d.files[1].uncovered, vec![(7, 8)]);
        let d = diff_coverage(
            &cov(),
            &cs,
            &DiffOptions {
                absent_files: AbsentFiles::Ignore,
                ..DiffOptions::default()
            },
        );
        assert_eq!((d.measured, d.covered), (4, 2));
        assert_eq!(d.percent(), Some(50.0));
        assert!(d.below_minimum(5));
    }

    #[test]
    fn ranges_merge() {
        assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), vec![(1, 3), (7, 7), (9, 10)]);
        assert!(ranges(&[]).is_empty());
    }

    #[test]
    fn totals_and_per_file() {
        let c = totals(&cov());
        assert_eq!((c.lines_measured, c.lines_covered), (4, 2));
        assert_eq!(per_file(&cov())[0].line_percent(), Some(50.0));
    }
}
