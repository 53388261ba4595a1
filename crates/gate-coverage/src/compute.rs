//! The figures the gates check: totals, per file, and diff coverage.

use std::collections::BTreeSet;

use crate::diff::ChangeSet;
use crate::model::{Counts, CoverageMap, percent};

pub use crate::lang::{comment_tokens, language};

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
    /// Treatment of changed source files absent from the reports.
    pub absent_files: AbsentFiles,
    /// Which absent files are source files: those in a language of this
    /// list of extensions; `None` = the languages of the files the reports
    /// cover (so a changed README or shell script does not count against a
    /// Python report, a new `.mjs` file does against a `.js` one).
    pub source_extensions: Option<Vec<String>>,
    /// Changed files that are not source code whatever their language
    /// (tests, docs, examples): never counted as unmeasured.
    pub non_source: Option<globset::GlobSet>,
    /// Changed files to leave out entirely (globs on the repository path).
    pub exclude: Option<globset::GlobSet>,
}

/// The default `non-source` globs: test and documentation paths of the
/// common layouts.
pub const DEFAULT_NON_SOURCE: &[&str] = &[
    "**/test/**",
    "**/tests/**",
    "**/testing/**",
    "**/__tests__/**",
    "**/__mocks__/**",
    "**/spec/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/*_test.go",
    "**/testdata/**",
    "**/*.test.*",
    "**/*.spec.*",
    "**/*Test.java",
    "**/*Tests.java",
    "**/*Test.kt",
    "**/*_spec.rb",
    "**/*_test.rb",
    "**/docs/**",
    "**/doc/**",
    "**/examples/**",
    "**/benches/**",
    "**/setup.py",
    "**/noxfile.py",
    "**/*.config.js",
    "**/*.config.mjs",
    "**/*.config.cjs",
    "**/*.config.ts",
    "**/.*",
];

/// The default `non-source` globs, built.
pub fn default_non_source() -> Option<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for g in DEFAULT_NON_SOURCE {
        b.add(globset::Glob::new(g).ok()?);
    }
    b.build().ok()
}

/// A changed source file that no report knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsentFile {
    pub path: String,
    /// Its changed code lines (blank and comment-only lines left out).
    pub lines: u64,
    /// Those lines, merged into inclusive ranges.
    pub ranges: Vec<(u32, u32)>,
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
    pub absent_files: Vec<AbsentFile>,
    pub changed: u64,
    /// Measured changed lines: by a report, plus the unmeasured ones when
    /// they count as uncovered (`absent-files: uncovered`).
    pub measured: u64,
    pub covered: u64,
    /// Changed code lines of source files no report knows.
    pub unmeasured: u64,
    /// Changed lines a report measures.
    pub report_measured: u64,
}

impl DiffCoverage {
    /// covered / measured × 100; `None` when no changed line is measured.
    pub fn percent(&self) -> Option<f64> {
        percent(self.covered, self.measured)
    }

    /// True when there are too few measured changed lines for the diff
    /// threshold to apply (`minimum-changed-lines`). Never when changed
    /// source lines exist and a report measures none of them: those must
    /// not pass as "too small".
    pub fn below_minimum(&self, minimum_changed_lines: u64) -> bool {
        self.measured < minimum_changed_lines && !self.only_unmeasured()
    }

    /// Changed source lines exist, and no report measures any of them.
    pub fn only_unmeasured(&self) -> bool {
        self.report_measured == 0 && self.unmeasured > 0
    }

    /// The diff coverage figure: covered / measured; 100 when no source
    /// line changed; 0 when changed source lines exist and none is measured.
    pub fn value(&self) -> f64 {
        match self.percent() {
            Some(p) => p,
            None if self.unmeasured > 0 => 0.0,
            None => 100.0,
        }
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

/// Diff coverage: covered changed lines / measured changed lines.
pub fn diff_coverage(cov: &CoverageMap, changes: &ChangeSet, opts: &DiffOptions) -> DiffCoverage {
    let langs: BTreeSet<&str> = match &opts.source_extensions {
        Some(v) => v
            .iter()
            .filter_map(|e| language(&format!("x.{}", e.trim_start_matches('.'))))
            .collect(),
        None => cov.files.keys().filter_map(|p| language(p)).collect(),
    };
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
                    out.report_measured += fd.measured;
                    out.covered += fd.covered;
                    out.files.push(fd);
                }
            }
            None => {
                let is_source = language(&ch.path).is_some_and(|l| langs.contains(l))
                    && !opts
                        .non_source
                        .as_ref()
                        .is_some_and(|g| g.is_match(&ch.path));
                if !is_source {
                    continue;
                }
                // Blank and comment-only lines are not statements.
                let code: Vec<u32> = ch
                    .added
                    .iter()
                    .copied()
                    .filter(|l| ch.noncode.binary_search(l).is_err())
                    .collect();
                if code.is_empty() {
                    continue;
                }
                let n = code.len() as u64;
                out.unmeasured += n;
                out.absent_files.push(AbsentFile {
                    path: ch.path.clone(),
                    lines: n,
                    ranges: ranges(&code),
                });
                if opts.absent_files == AbsentFiles::Uncovered {
                    out.measured += n;
                    out.files.push(FileDiff {
                        path: ch.path.clone(),
                        changed: ch.added.len() as u64,
                        measured: n,
                        covered: 0,
                        uncovered: ranges(&code),
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
                FileChange {
                    noncode: vec![9],
                    ..change("b.py", vec![7, 8, 9])
                },
                change("newpkg/mod.py", vec![1, 2]),
                change("tests/test_b.py", vec![1]),
                change("docs/conf.py", vec![1]),
                change("install.sh", vec![1]),
            ],
        };
        let opts = DiffOptions {
            non_source: default_non_source(),
            ..DiffOptions::default()
        };
        let d = diff_coverage(&cov(), &cs, &opts);
        // b.py: 2 code lines (line 9 is blank); newpkg/mod.py: 2, though no
        // file of newpkg/ is in the report.
        assert_eq!((d.measured, d.covered, d.unmeasured), (8, 2, 4));
        let absent: Vec<_> = d
            .absent_files
            .iter()
            .map(|a| (a.path.as_str(), a.lines))
            .collect();
        assert_eq!(absent, vec![("b.py", 2), ("newpkg/mod.py", 2)]);
        assert_eq!(d.files[0].uncovered, vec![(2, 3)]);
        assert_eq!(d.files[1].uncovered, vec![(7, 8)]);
        let d = diff_coverage(
            &cov(),
            &cs,
            &DiffOptions {
                absent_files: AbsentFiles::Ignore,
                ..opts.clone()
            },
        );
        assert_eq!((d.measured, d.covered), (4, 2));
        assert_eq!(d.percent(), Some(50.0));
        assert!(d.below_minimum(5));
        // Only unmeasured source lines: 0 %, and never "too small".
        let only_new = ChangeSet {
            files: vec![change("newpkg/mod.py", vec![1, 2])],
        };
        for policy in [AbsentFiles::Uncovered, AbsentFiles::Ignore] {
            let d = diff_coverage(
                &cov(),
                &only_new,
                &DiffOptions {
                    absent_files: policy,
                    ..opts.clone()
                },
            );
            assert_eq!(d.value(), 0.0, "{policy:?}");
            assert!(!d.below_minimum(5), "{policy:?}");
        }
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
