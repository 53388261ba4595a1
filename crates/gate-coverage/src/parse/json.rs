//! JSON reports: Istanbul `coverage-final.json` and `llvm-cov export` JSON.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use crate::error::{CoverageError, Result};
use crate::model::{FileCoverage, FileSet, LineCov, saturate, saturate16};

fn json_err(name: &Path, e: &serde_json::Error, what: &str) -> CoverageError {
    let line = if e.line() > 0 {
        Some(e.line() as u64)
    } else {
        None
    };
    let hint = if e.is_eof() {
        "the report is truncated: regenerate it and make sure the coverage step finished"
            .to_string()
    } else {
        format!("regenerate the {what} report; it does not have the expected shape")
    };
    CoverageError::parse(name, line, format!("invalid {what} JSON: {e}"), hint)
}

#[derive(Deserialize)]
struct Pos {
    line: Option<u64>,
}

#[derive(Deserialize)]
struct Range {
    start: Pos,
}

#[derive(Deserialize)]
struct BranchInfo {
    loc: Option<Range>,
    #[serde(default)]
    locations: Vec<Range>,
}

#[derive(Deserialize)]
struct IstanbulFile {
    path: Option<String>,
    #[serde(default, rename = "statementMap")]
    statement_map: BTreeMap<String, Range>,
    #[serde(default)]
    s: BTreeMap<String, f64>,
    #[serde(default, rename = "branchMap")]
    branch_map: BTreeMap<String, BranchInfo>,
    #[serde(default)]
    b: BTreeMap<String, Vec<f64>>,
    #[serde(default)]
    f: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IstanbulEntry {
    Wrapped { data: IstanbulFile },
    Plain(IstanbulFile),
}

fn count(v: f64) -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    if v.is_finite() && v > 0.0 {
        v as u64
    } else {
        0
    }
}

/// Parse Istanbul's `coverage-final.json`. A line's hits are the largest
/// count of the statements starting on it (istanbul-lib-coverage's
/// `getLineCoverage`); branches are attributed to the line where the branch starts.
pub fn parse_istanbul(name: &Path, reader: impl BufRead) -> Result<Vec<FileCoverage>> {
    let map: BTreeMap<String, IstanbulEntry> = serde_json::from_reader(reader)
        .map_err(|e| json_err(name, &e, "Istanbul coverage-final.json"))?;
    let mut set = FileSet::default();
    for (key, entry) in map {
        let file = match entry {
            IstanbulEntry::Wrapped { data } | IstanbulEntry::Plain(data) => data,
        };
        let path = file.path.clone().unwrap_or(key);
        let (f, _) = set.entry(&path);
        // Per line the maximum statement count.
        let mut lines: BTreeMap<u32, u64> = BTreeMap::new();
        for (id, c) in &file.s {
            let Some(line) = file.statement_map.get(id).and_then(|r| r.start.line) else {
                continue;
            };
            let Ok(line) = u32::try_from(line) else {
                continue;
            };
            if line == 0 {
                continue;
            }
            let e = lines.entry(line).or_insert(0);
            *e = (*e).max(count(*c));
        }
        for (line, hits) in lines {
            f.lines.push(LineCov::measured(line, hits));
        }
        for (id, counts) in &file.b {
            let Some(info) = file.branch_map.get(id) else {
                continue;
            };
            let line = info
                .loc
                .as_ref()
                .and_then(|r| r.start.line)
                .or_else(|| info.locations.first().and_then(|r| r.start.line));
            let Some(line) = line.and_then(|l| u32::try_from(l).ok()).filter(|&l| l > 0) else {
                continue;
            };
            let covered = counts.iter().filter(|&&c| count(c) > 0).count() as u64;
            f.lines.push(LineCov {
                line,
                hits: 0,
                br_covered: saturate16(covered),
                br_total: saturate16(counts.len() as u64),
                flags: 0,
            });
        }
        // Branch-only entries must add up per line rather than take the max.
        f.normalize_branches_sum();
        f.functions_found = saturate(file.f.len() as u64);
        f.functions_hit = saturate(file.f.values().filter(|&&c| count(c) > 0).count() as u64);
    }
    if set.is_empty() {
        return Err(CoverageError::parse(
            name,
            None,
            "the Istanbul report lists no file",
            "run the tests with coverage enabled (nyc, c8, jest --coverage) before the gate",
        ));
    }
    Ok(set.finish())
}

#[derive(Deserialize)]
struct LlvmExport {
    data: Vec<LlvmData>,
}

#[derive(Deserialize)]
struct LlvmData {
    #[serde(default)]
    files: Vec<LlvmFile>,
}

#[derive(Deserialize)]
struct LlvmFile {
    filename: String,
    #[serde(default)]
    segments: Vec<Vec<serde_json::Value>>,
    #[serde(default)]
    branches: Vec<Vec<serde_json::Value>>,
}

struct Segment {
    line: u32,
    count: u64,
    has_count: bool,
    region_entry: bool,
    gap: bool,
}

fn seg(v: &[serde_json::Value]) -> Option<Segment> {
    let num = |i: usize| v.get(i).and_then(serde_json::Value::as_u64);
    let flag = |i: usize| v.get(i).and_then(serde_json::Value::as_bool);
    Some(Segment {
        line: u32::try_from(num(0)?).ok()?,
        count: num(2).or_else(|| v.get(2).and_then(serde_json::Value::as_f64).map(count))?,
        has_count: flag(3)?,
        region_entry: flag(4)?,
        gap: flag(5).unwrap_or(false),
    })
}

/// Parse `llvm-cov export -format=text` JSON. Line coverage follows
/// llvm-cov's own `LineCoverageStats`: a line is mapped when a region starts
/// on it or a counted region wraps into it; its count is the largest of those.
pub fn parse_llvm(name: &Path, reader: impl BufRead) -> Result<Vec<FileCoverage>> {
    let export: LlvmExport =
        serde_json::from_reader(reader).map_err(|e| json_err(name, &e, "llvm-cov export"))?;
    let mut set = FileSet::default();
    for data in export.data {
        for file in data.files {
            let (f, _) = set.entry(&file.filename);
            let segs: Vec<Segment> = file.segments.iter().filter_map(|s| seg(s)).collect();
            // One region may wrap every line up to the last segment: bound the
            // span so a corrupt export cannot ask for billions of lines.
            if let (Some(a), Some(b)) = (segs.first(), segs.last())
                && b.line.saturating_sub(a.line) > MAX_LLVM_SPAN
            {
                return Err(CoverageError::parse(
                    name,
                    None,
                    format!(
                        "file `{}`: segments span lines {} to {}, more than any source file has",
                        file.filename, a.line, b.line
                    ),
                    "the export is corrupt: regenerate it with `llvm-cov export -format=text`",
                ));
            }
            line_stats(&segs, &mut f.lines);
            for b in &file.branches {
                let n = |i: usize| b.get(i).and_then(serde_json::Value::as_u64);
                let (Some(line), Some(t), Some(fa)) = (n(0), n(4), n(5)) else {
                    continue;
                };
                let Ok(line) = u32::try_from(line) else {
                    continue;
                };
                f.lines.push(LineCov {
                    line,
                    hits: 0,
                    br_covered: u16::from(t > 0) + u16::from(fa > 0),
                    br_total: 2,
                    flags: 0,
                });
            }
            f.normalize_branches_sum();
        }
    }
    if set.is_empty() {
        return Err(CoverageError::parse(
            name,
            None,
            "the llvm-cov export lists no file",
            "export with `llvm-cov export -format=text -instr-profile=… <binary>` after the tests ran",
        ));
    }
    Ok(set.finish())
}

/// Most lines one file's segments may span (10 million).
const MAX_LLVM_SPAN: u32 = 10_000_000;

fn line_stats(segs: &[Segment], out: &mut Vec<LineCov>) {
    let (Some(first), Some(last)) = (segs.first(), segs.last()) else {
        return;
    };
    let mut wrapped: Option<&Segment> = None;
    let mut i = 0;
    for line in first.line..=last.line {
        let start = i;
        while i < segs.len() && segs[i].line == line {
            i += 1;
        }
        let on_line = &segs[start..i];
        let is_start = |s: &Segment| !s.gap && s.has_count && s.region_entry;
        let min_regions = on_line.iter().filter(|s| is_start(s)).count();
        let skipped = on_line
            .first()
            .is_some_and(|s| !s.has_count && s.region_entry);
        let mapped = !skipped && (wrapped.is_some_and(|w| w.has_count) || min_regions > 0);
        if mapped {
            let mut c = wrapped.map_or(0, |w| w.count);
            for s in on_line.iter().filter(|s| is_start(s)) {
                c = c.max(s.count);
            }
            out.push(LineCov::measured(line, c));
        }
        if let Some(l) = on_line.last() {
            wrapped = Some(l);
        }
    }
}

impl FileCoverage {
    /// Sum the branch counts of several branch records on one line (they are
    /// different branches), then normalize.
    pub(crate) fn normalize_branches_sum(&mut self) {
        self.lines.sort_by_key(|l| l.line);
        self.lines.dedup_by(|next, kept| {
            if next.line == kept.line {
                kept.hits = kept.hits.max(next.hits);
                kept.br_total = kept.br_total.saturating_add(next.br_total);
                kept.br_covered = kept.br_covered.saturating_add(next.br_covered);
                kept.flags |= next.flags;
                true
            } else {
                false
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istanbul_max_per_line_and_branches() {
        let s = r#"{"/w/a.js":{"path":"/w/a.js","statementMap":{"0":{"start":{"line":1,"column":0},"end":{"line":1,"column":5}},"1":{"start":{"line":1,"column":6},"end":{"line":1,"column":9}},"2":{"start":{"line":2,"column":0},"end":{"line":2,"column":1}}},"s":{"0":3,"1":0,"2":0},"branchMap":{"0":{"loc":{"start":{"line":2,"column":0},"end":{"line":2,"column":1}},"locations":[]},"1":{"locations":[{"start":{"line":2,"column":0},"end":{"line":2,"column":1}}]}},"b":{"0":[1,0],"1":[0,0]},"fnMap":{},"f":{"0":1}}}"#;
        let f = parse_istanbul(Path::new("c.json"), s.as_bytes()).unwrap();
        let a = &f[0];
        assert_eq!(a.path, "/w/a.js");
        assert_eq!(a.get(1).unwrap().hits, 3);
        let l2 = a.get(2).unwrap();
        assert_eq!((l2.hits, l2.br_covered, l2.br_total), (0, 1, 4));
        assert_eq!(a.functions_hit, 1);
    }

    #[test]
    fn llvm_huge_span_is_an_error_not_an_allocation() {
        let s = r#"{"type":"llvm.coverage.json.export","version":"2.0.1","data":[{"files":[{"filename":"/w/a.c","segments":[[1,1,5,true,true,false],[4000000000,1,0,false,false,false]]}]}]}"#;
        let e = parse_llvm(Path::new("e.json"), s.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("4000000000"), "{e}");
    }

    #[test]
    fn llvm_segments() {
        // fn body lines 1-4 count 5; an if region on line 2 col 8 count 0 up to line 3.
        let s = r#"{"type":"llvm.coverage.json.export","version":"2.0.1","data":[{"files":[{"filename":"/w/a.c","segments":[[1,12,5,true,true,false],[2,8,0,true,true,false],[3,2,5,true,false,false],[4,2,0,false,false,false]],"branches":[[2,6,2,7,5,0,0,0,4]]}]}]}"#;
        let f = parse_llvm(Path::new("e.json"), s.as_bytes()).unwrap();
        let a = &f[0];
        let got: Vec<_> = a
            .lines
            .iter()
            .map(|l| (l.line, l.hits, l.is_measured()))
            .collect();
        assert_eq!(
            got,
            vec![(1, 5, true), (2, 5, true), (3, 0, true), (4, 5, true)]
        );
        assert_eq!(a.get(2).unwrap().br_total, 2);
    }

    #[test]
    fn bad_json() {
        let e = parse_istanbul(Path::new("c.json"), "{\"a\": {\"s\": ".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = parse_llvm(Path::new("e.json"), "{\"data\": 3}".as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("e.json:1:"), "{e}");
    }
}
