//! `--compat diff-cover`: diff-cover 11's diff coverage figures, exactly.
//!
//! What diff-cover does, and this module reproduces:
//! - changed lines come from its own diff reading ([`crate::diff::parse_diff_cover`]);
//! - per report, a line is *measured* when the report has a record for it:
//!   for XML (Cobertura, Clover `stmt`/`cond`, JaCoCo) any `<line>`; for LCOV
//!   also lines with only `BRDA` or only `FN` records;
//! - per report, a line is a *violation*: XML: any record of it has zero hits
//!   (even when another record of the same line has hits); LCOV: its summed
//!   `DA` count is 0, unless its branches ran (`BRDA`-only lines: unless every
//!   branch ran; `FN`-only lines: the `FNDA` count);
//! - several reports: measured = union; violations = *intersection* over the
//!   reports that mention the file (so a line one report measures as
//!   uncovered is not a violation when another report has the file but not
//!   the line);
//! - files without measured changed lines are left out; the file percent is
//!   `100 - uncovered / measured * 100` (a float), the total is
//!   `int(covered / measured * 100)` (truncated), 100 when nothing is measured.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::diff::ChangeSet;
use crate::model::{Format, LineCov, ParsedReport, flags};
use crate::paths::PathMapper;

/// diff-cover's figures for one file.
#[derive(Debug, Clone, PartialEq)]
pub struct DcFile {
    pub percent_covered: f64,
    pub violation_lines: Vec<u32>,
    pub covered_lines: Vec<u32>,
}

/// diff-cover's JSON report figures.
#[derive(Debug, Clone, PartialEq)]
pub struct DcReport {
    pub src_stats: BTreeMap<String, DcFile>,
    pub total_num_lines: u64,
    pub total_num_violations: u64,
    pub total_percent_covered: u64,
    pub num_changed_lines: u64,
}

fn dc_measured(l: &LineCov) -> bool {
    l.flags & flags::DC_PRESENT != 0
}

fn dc_violation(format: Format, l: &LineCov) -> bool {
    if format.is_xml() {
        l.flags & flags::DC_ZERO != 0
    } else {
        dc_measured(l) && l.flags & flags::DC_COVERED == 0
    }
}

/// Per report (index) the lines of one file.
type PerReport<'a> = Vec<(usize, Cow<'a, [LineCov]>)>;

/// Compute diff-cover's figures. `changes` should come from
/// [`crate::diff::parse_diff_cover`] to reproduce its line selection.
pub fn diff_cover(reports: &[ParsedReport], mapper: &PathMapper, changes: &ChangeSet) -> DcReport {
    // repo path → per report (index) the file's lines (merging duplicates of
    // one report). Borrowed, not copied: with every file changed a copy
    // would double the memory.
    let mut by_path: BTreeMap<String, PerReport<'_>> = BTreeMap::new();
    for (ri, r) in reports.iter().enumerate() {
        for f in &r.files {
            let Some(p) = mapper.map(&f.path, &r.roots) else {
                continue;
            };
            if changes.lines(&p).is_empty() {
                continue;
            }
            let entry = by_path.entry(p).or_default();
            match entry.iter_mut().find(|(i, _)| *i == ri) {
                Some((_, lines)) => {
                    let mut a = crate::model::FileCoverage::new("");
                    a.lines = std::mem::take(lines).into_owned();
                    let mut b = crate::model::FileCoverage::new("");
                    b.lines.clone_from(&f.lines);
                    a.merge(&b);
                    *lines = Cow::Owned(a.lines);
                }
                None => entry.push((ri, Cow::Borrowed(f.lines.as_slice()))),
            }
        }
    }
    let mut out = DcReport {
        src_stats: BTreeMap::new(),
        total_num_lines: 0,
        total_num_violations: 0,
        total_percent_covered: 100,
        num_changed_lines: changes.total_lines() as u64,
    };
    for ch in &changes.files {
        let Some(per_report) = by_path.get(&ch.path) else {
            continue;
        };
        let mut measured = Vec::new();
        let mut violations = Vec::new();
        for &l in &ch.added {
            let mut is_measured = false;
            let mut is_violation = true;
            for (ri, lines) in per_report {
                let format = reports.get(*ri).map_or(Format::Lcov, |r| r.format);
                let rec = lines
                    .binary_search_by_key(&l, |x| x.line)
                    .ok()
                    .and_then(|i| lines.get(i));
                match rec {
                    Some(rec) if dc_measured(rec) => {
                        is_measured = true;
                        if !dc_violation(format, rec) {
                            is_violation = false;
                        }
                    }
                    _ => is_violation = false,
                }
            }
            if is_measured {
                measured.push(l);
                if is_violation {
                    violations.push(l);
                }
            }
        }
        if measured.is_empty() {
            continue;
        }
        out.total_num_lines += measured.len() as u64;
        out.total_num_violations += violations.len() as u64;
        #[allow(clippy::cast_precision_loss)]
        let pct = 100.0 - violations.len() as f64 / measured.len() as f64 * 100.0;
        let covered_lines = measured
            .iter()
            .copied()
            .filter(|l| violations.binary_search(l).is_err())
            .collect();
        out.src_stats.insert(
            ch.path.clone(),
            DcFile {
                percent_covered: pct,
                violation_lines: violations,
                covered_lines,
            },
        );
    }
    if out.total_num_lines > 0 {
        let covered = out.total_num_lines - out.total_num_violations;
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        {
            out.total_percent_covered =
                (covered as f64 / out.total_num_lines as f64 * 100.0).trunc() as u64;
        }
    }
    out
}
