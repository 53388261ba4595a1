//! LCOV tracefile (`SF`, `DA`, `BRDA`, `FN`/`FNDA`, `end_of_record`),
//! streamed line by line. Repeated `SF` blocks for one file merge.
//!
//! Besides the plain line data (`DA` lines are measured, covered when their
//! count is positive), the parser records how diff-cover 11 reads the same
//! file (flags `DC_*`): lines with only `BRDA` or `FN` records count as
//! measured there, a `DA:n,0` line whose branches ran counts as covered, a
//! `BRDA`-only line is covered only when every branch was taken, an
//! `FN`-only line takes its `FNDA` count.

use std::io::{BufRead, Read};
use std::path::Path;

use crate::error::{CoverageError, Result};
use crate::model::{FileCoverage, FileSet, LineCov, flags, saturate, saturate16};

const HINT: &str = "regenerate the LCOV file (e.g. `lcov --capture`, `c8 --reporter=lcov`, `coverage lcov`) and make sure it was written completely";

struct Branch {
    line: u32,
    taken: u64,
}

#[derive(Default)]
struct Record {
    path: Option<String>,
    da: Vec<LineCov>,
    brda: Vec<Branch>,
    /// name, line, hit count; in first-definition order (like a Python dict).
    functions: Vec<(String, u32, u64)>,
    started_at: u64,
}

/// The longest line an LCOV file may have (an `SF:` path is at most a few
/// KiB on any file system).
pub const MAX_LINE: usize = 64 * 1024;

/// Parse an LCOV tracefile from `reader`; `name` is used in error messages.
pub fn parse(name: &Path, mut reader: impl BufRead) -> Result<Vec<FileCoverage>> {
    let mut set = FileSet::default();
    let mut rec = Record::default();
    let mut buf = Vec::with_capacity(256);
    let mut lineno: u64 = 0;
    // The last non-blank line, when it had no end of line: a cut line unless
    // it is the final `end_of_record`.
    let mut unterminated: Option<(u64, String)> = None;
    loop {
        buf.clear();
        // One line at most MAX_LINE bytes: a longer one is no LCOV record
        // (a path is at most a few KiB), and reading it whole would hold
        // untrusted hundreds of megabytes.
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| CoverageError::io(name, e))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        if buf.len() > MAX_LINE {
            return Err(CoverageError::parse(
                name,
                Some(lineno),
                format!(
                    "line {lineno} is longer than {} KiB (it starts `{}`): not an LCOV record",
                    MAX_LINE / 1024,
                    String::from_utf8_lossy(&buf[..60]).escape_debug()
                ),
                HINT,
            ));
        }
        if buf.last() != Some(&b'\n') && !buf.trim_ascii().is_empty() {
            let shown = String::from_utf8_lossy(&buf[..buf.len().min(80)]);
            unterminated = Some((lineno, shown.trim_end().to_string()));
        }
        let mut line: &[u8] = &buf;
        while let [rest @ .., b'\n' | b'\r'] = line {
            line = rest;
        }
        let line = line.trim_ascii_start();
        if line.is_empty() {
            continue;
        }
        record_line(&mut set, &mut rec, name, lineno, line)?;
    }
    check_end(name, &rec, unterminated, lineno)?;
    if set.is_empty() {
        return Err(CoverageError::parse(
            name,
            None,
            "the LCOV report contains no SF record (no file)",
            "run the tests with coverage enabled before the gate; an empty report usually means no test ran",
        ));
    }
    Ok(set.finish())
}

/// One record line: its directive applied to the record (or the set, at
/// `end_of_record`).
fn record_line(
    set: &mut FileSet,
    rec: &mut Record,
    name: &Path,
    lineno: u64,
    line: &[u8],
) -> Result<()> {
    let (directive, content) = match line.iter().position(|&b| b == b':') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &b""[..]),
    };
    let err = |msg: String| CoverageError::parse(name, Some(lineno), msg, HINT);
    match directive {
        b"SF" => {
            if let Some(open) = &rec.path {
                // A missing end_of_record: two files' records ran
                // together (a concatenation of a cut file).
                return Err(err(format!(
                    "SF record for `{}` starts before the record for `{open}` (line {}) ended: no end_of_record; the file looks truncated or badly concatenated",
                    String::from_utf8_lossy(content).trim(),
                    rec.started_at
                )));
            }
            let path = std::str::from_utf8(content)
                .map_err(|_| err("SF path is not valid UTF-8".into()))?
                .trim();
            rec.path = Some(path.to_string());
            rec.started_at = lineno;
        }
        b"DA" => {
            need_file(rec, &err, "DA")?;
            let mut parts = content.split(|&b| b == b',');
            let l = parts.next().and_then(parse_u32);
            let h = parts.next().and_then(parse_count);
            match (l, h) {
                (Some(l), Some(h)) if l > 0 => rec.da.push(LineCov::measured(l, h)),
                _ => {
                    return Err(err(format!(
                        "malformed DA record `{}` (expected DA:<line>,<count>)",
                        String::from_utf8_lossy(line)
                    )));
                }
            }
        }
        b"BRDA" => brda_record(rec, content, line, &err)?,
        b"FN" => fn_record(rec, content, line, &err)?,
        b"FNDA" => {
            need_file(rec, &err, "FNDA")?;
            let s = String::from_utf8_lossy(content);
            let Some((hits, fname)) = s.split_once(',') else {
                return Err(err(format!(
                    "malformed FNDA record `{}` (expected FNDA:<count>,<name>)",
                    String::from_utf8_lossy(line)
                )));
            };
            let hits = parse_count(hits.trim().as_bytes()).ok_or_else(|| {
                err(format!(
                    "malformed FNDA count in `{}`",
                    String::from_utf8_lossy(line)
                ))
            })?;
            if let Some(f) = rec.functions.iter_mut().find(|(n, _, _)| n == fname) {
                f.2 = hits;
            }
        }
        b"end_of_record" => {
            if rec.path.is_none() {
                return Err(err("end_of_record without a preceding SF record".into()));
            }
            finish_record(set, rec);
        }
        b"TN" | b"FNF" | b"FNH" | b"LF" | b"LH" | b"BRF" | b"BRH" | b"VER" | b"FNL" | b"FNA"
        | b"MSF" | b"MCDC" | b"LN" => {}
        _ => {
            if line.contains(&0) {
                return Err(CoverageError::parse(
                    name,
                    Some(lineno),
                    "binary data in an LCOV file",
                    "pass the text LCOV tracefile (lcov.info), not a binary or compressed file",
                ));
            }
            return Err(err(format!(
                "unknown LCOV record `{}`",
                String::from_utf8_lossy(&line[..line.len().min(80)])
            )));
        }
    }
    Ok(())
}

/// The checks at the end of the file: no record left open, no cut last
/// line, at least one file.
fn check_end(
    name: &Path,
    rec: &Record,
    unterminated: Option<(u64, String)>,
    lineno: u64,
) -> Result<()> {
    if let Some(open) = &rec.path {
        // A truncated file: what was read is a prefix of the real report,
        // and a prefix can read as any figure. Refused, never guessed.
        let cut = match &unterminated {
            Some((l, text)) => format!("; line {l} (`{text}`) is cut off"),
            None => String::new(),
        };
        return Err(CoverageError::parse(
            name,
            Some(unterminated.as_ref().map_or(lineno, |(l, _)| *l)),
            format!(
                "the record for `{open}` (SF at line {}) has no end_of_record{cut}: the file looks truncated",
                rec.started_at
            ),
            HINT,
        ));
    }
    if let Some((l, text)) = unterminated
        && text.trim() != "end_of_record"
    {
        return Err(CoverageError::parse(
            name,
            Some(l),
            format!("the last line (`{text}`) has no end of line: the file looks truncated"),
            HINT,
        ));
    }
    Ok(())
}

/// `BRDA:<line>,<block>,<branch>,<taken>` (`-` taken: never reached).
fn brda_record(
    rec: &mut Record,
    content: &[u8],
    line: &[u8],
    err: &impl Fn(String) -> CoverageError,
) -> Result<()> {
    need_file(rec, err, "BRDA")?;
    let parts: Vec<&[u8]> = content.split(|&b| b == b',').collect();
    let l = parts.first().and_then(|p| parse_u32(p));
    let taken = match parts.get(3) {
        Some(t) if t.trim_ascii() == b"-" => Some(0),
        Some(t) => parse_count(t),
        None => None,
    };
    match (l, taken) {
        (Some(l), Some(taken)) if parts.len() == 4 => {
            rec.brda.push(Branch { line: l, taken });
        }
        _ => {
            return Err(err(format!(
                "malformed BRDA record `{}` (expected BRDA:<line>,<block>,<branch>,<taken>)",
                String::from_utf8_lossy(line)
            )));
        }
    }
    Ok(())
}

/// `FN:<line>,<name>` or (LCOV 2) `FN:<line>,<end line>,<name>`.
fn fn_record(
    rec: &mut Record,
    content: &[u8],
    line: &[u8],
    err: &impl Fn(String) -> CoverageError,
) -> Result<()> {
    need_file(rec, err, "FN")?;
    // FN:<line>,<name> or (LCOV 2) FN:<line>,<end line>,<name>
    let s = String::from_utf8_lossy(content);
    let mut it = s.splitn(2, ',');
    let l = it.next().and_then(|p| p.trim().parse::<u32>().ok());
    let rest = it.next();
    let (Some(l), Some(rest)) = (l, rest) else {
        return Err(err(format!(
            "malformed FN record `{}` (expected FN:<line>,<name>)",
            String::from_utf8_lossy(line)
        )));
    };
    let fname = match rest.split_once(',') {
        Some((end, n)) if end.trim().parse::<u32>().is_ok() => n,
        _ => rest,
    };
    match rec.functions.iter_mut().find(|(n, _, _)| n == fname) {
        Some(f) => {
            f.1 = l;
            f.2 = 0;
        }
        None => rec.functions.push((fname.to_string(), l, 0)),
    }
    Ok(())
}

fn need_file(rec: &Record, err: &impl Fn(String) -> CoverageError, what: &str) -> Result<()> {
    if rec.path.is_none() {
        return Err(err(format!("{what} record before any SF record")));
    }
    Ok(())
}

/// Close a record: merge its lines into the file, applying diff-cover's
/// end_of_record logic for branch- and function-only lines.
fn finish_record(set: &mut FileSet, rec: &mut Record) {
    let Some(path) = rec.path.take() else {
        return;
    };
    let (file, existed) = set.entry(&path);
    let mut da = std::mem::take(&mut rec.da);
    let mut tmp = FileCoverage::new("");
    tmp.lines = std::mem::take(&mut da);
    tmp.normalize();
    let da = tmp.lines;
    if existed {
        file.normalize();
    }
    let earlier: &[LineCov] = if existed { &file.lines } else { &[] };
    let present_before = |l: u32| flag_at(earlier, l, flags::DC_PRESENT);
    let in_da = |l: u32| da.binary_search_by_key(&l, |x| x.line).ok();
    let mut extra = branch_lines(std::mem::take(&mut rec.brda), &da, earlier);
    // Functions.
    let functions = std::mem::take(&mut rec.functions);
    let mut fn_hit = 0u64;
    let mut fn_lines: Vec<u32> = Vec::new();
    for (_, line, hits) in &functions {
        if *hits > 0 {
            fn_hit += 1;
        }
        let line = *line;
        let present = in_da(line).is_some()
            || present_before(line)
            || extra
                .iter()
                .any(|e| e.line == line && e.flags & flags::DC_PRESENT != 0)
            || fn_lines.contains(&line);
        if !present {
            fn_lines.push(line);
            extra.push(LineCov {
                line,
                hits: 0,
                br_covered: 0,
                br_total: 0,
                flags: flags::DC_PRESENT | if *hits > 0 { flags::DC_COVERED } else { 0 },
            });
        }
    }
    file.functions_found = file
        .functions_found
        .saturating_add(saturate(functions.len() as u64));
    file.functions_hit = file.functions_hit.saturating_add(saturate(fn_hit));
    if file.lines.is_empty() && extra.is_empty() {
        file.lines = da;
    } else {
        file.lines.extend_from_slice(&da);
        file.lines.extend_from_slice(&extra);
        file.normalize();
    }
    rec.da = Vec::with_capacity(64);
}

/// Whether line `l` of `lines` (sorted) carries `flag`.
fn flag_at(lines: &[LineCov], l: u32, flag: u8) -> bool {
    lines
        .binary_search_by_key(&l, |x| x.line)
        .ok()
        .and_then(|i| lines.get(i))
        .is_some_and(|x| x.flags & flag != 0)
}

/// The lines of a record's branches, grouped by line, with diff-cover's
/// flags: a line `DA` or an earlier record measures counts as covered when
/// its branches ran; a branch-only line is present, and covered when every
/// branch was taken.
fn branch_lines(mut brda: Vec<Branch>, da: &[LineCov], earlier: &[LineCov]) -> Vec<LineCov> {
    let present_before = |l: u32| flag_at(earlier, l, flags::DC_PRESENT);
    let covered_before = |l: u32| flag_at(earlier, l, flags::DC_COVERED);
    let in_da = |l: u32| da.binary_search_by_key(&l, |x| x.line).ok();
    let mut extra: Vec<LineCov> = Vec::new();
    // Branches, grouped by line.
    brda.sort_by_key(|b| b.line);
    let mut i = 0;
    while i < brda.len() {
        let line = brda[i].line;
        let (mut total, mut hit, mut exec) = (0u64, 0u64, 0u64);
        while i < brda.len() && brda[i].line == line {
            total += 1;
            if brda[i].taken > 0 {
                hit += 1;
            }
            exec = exec.saturating_add(brda[i].taken);
            i += 1;
        }
        let mut entry = LineCov {
            line,
            hits: 0,
            br_covered: saturate16(hit),
            br_total: saturate16(total),
            flags: 0,
        };
        let da_idx = in_da(line);
        if da_idx.is_some() || present_before(line) {
            let covered =
                covered_before(line) || da_idx.and_then(|k| da.get(k)).is_some_and(|x| x.hits > 0);
            if !covered && exec > 0 {
                entry.flags |= flags::DC_COVERED;
            }
        } else {
            entry.flags |= flags::DC_PRESENT;
            if hit == total {
                entry.flags |= flags::DC_COVERED;
            }
        }
        extra.push(entry);
    }
    extra
}

fn parse_u32(s: &[u8]) -> Option<u32> {
    let v = parse_u64(s)?;
    u32::try_from(v).ok()
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    let s = s.trim_ascii();
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    Some(v)
}

/// An execution count: digits, possibly negative (gcov quirk, read as 0),
/// possibly huge (saturates), possibly in exponent form (`1e+06`, seen from some tools).
fn parse_count(s: &[u8]) -> Option<u64> {
    let s = s.trim_ascii();
    if let Some(v) = parse_u64(s) {
        return Some(v);
    }
    let text = std::str::from_utf8(s).ok()?;
    if let Ok(v) = text.parse::<i64>() {
        return Some(u64::try_from(v).unwrap_or(0));
    }
    if s.iter().all(u8::is_ascii_digit) && !s.is_empty() {
        return Some(u64::MAX);
    }
    let f = text.parse::<f64>().ok()?;
    if f.is_finite() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(if f <= 0.0 { 0 } else { f as u64 })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<FileCoverage> {
        parse(Path::new("t.info"), s.as_bytes()).unwrap()
    }

    #[test]
    fn basic_and_crlf() {
        let f = p("TN:\r\nSF:src/a.rs\r\nDA:1,1\r\nDA:2,0\r\nLF:2\r\nLH:1\r\nend_of_record\r\n");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].path, "src/a.rs");
        let c = f[0].counts();
        assert_eq!((c.lines_measured, c.lines_covered), (2, 1));
    }

    #[test]
    fn repeated_sf_blocks_merge() {
        let f = p(
            "SF:a.c\nDA:1,0\nDA:2,0\nend_of_record\nSF:b.c\nDA:1,1\nend_of_record\nSF:a.c\nDA:2,3\nDA:3,0\nend_of_record\n",
        );
        assert_eq!(f.len(), 2);
        let a = &f[0];
        assert_eq!(
            a.lines.iter().map(|l| (l.line, l.hits)).collect::<Vec<_>>(),
            vec![(1, 0), (2, 3), (3, 0)]
        );
    }

    #[test]
    fn branches_and_functions() {
        let f = p(
            "SF:a.js\nFN:1,f\nFN:5,g\nFNDA:2,f\nFNDA:0,g\nDA:2,0\nBRDA:2,0,0,1\nBRDA:2,0,1,-\nBRDA:7,0,0,1\nBRDA:7,0,1,1\nBRDA:8,0,0,0\nBRDA:8,0,1,3\nend_of_record\n",
        );
        let a = &f[0];
        let c = a.counts();
        assert_eq!((c.lines_measured, c.lines_covered), (1, 0));
        assert_eq!((c.branches_total, c.branches_covered), (6, 4));
        assert_eq!((c.functions_found, c.functions_hit), (2, 1));
        let dc = |l: u32| {
            let x = a.get(l).unwrap();
            (
                x.flags & flags::DC_PRESENT != 0,
                x.flags & flags::DC_COVERED != 0,
            )
        };
        // zero-hit DA line whose branch ran: covered for diff-cover
        assert_eq!(dc(2), (true, true));
        // FN-only lines take the FNDA count
        assert_eq!(dc(1), (true, true));
        assert_eq!(dc(5), (true, false));
        // BRDA-only: covered only when all branches ran
        assert_eq!(dc(7), (true, true));
        assert_eq!(dc(8), (true, false));
    }

    #[test]
    fn lcov2_fn_with_end_line() {
        let f = p("SF:a.c\nFN:3,9,main\nFNDA:1,main\nDA:3,1\nend_of_record\n");
        assert_eq!(f[0].functions_hit, 1);
    }

    #[test]
    fn final_end_of_record_without_newline_is_accepted() {
        let f = p("SF:a.c\nDA:1,1\nend_of_record");
        assert_eq!(f[0].lines.len(), 1);
        let f = p("SF:a.c\r\nDA:1,1\r\nend_of_record\r\n\r\n");
        assert_eq!(f[0].lines.len(), 1);
    }

    #[test]
    fn records_without_end_of_record_and_cut_lines_are_refused() {
        let err = |s: &str| {
            parse(Path::new("t.info"), s.as_bytes())
                .unwrap_err()
                .to_string()
        };
        // A record without end_of_record, cut at a line boundary.
        let e = err("SF:a.c\nDA:1,1\n");
        assert!(
            e.starts_with("t.info:2:") && e.contains("no end_of_record"),
            "{e}"
        );
        // Cut in the middle of a line: the cut line is named.
        let e = err("SF:a.c\nDA:1,1\nDA:2,");
        assert!(e.starts_with("t.info:3:") && e.contains("`DA:2,`"), "{e}");
        let e = err("SF:a.c\nDA:1,1\nDA:12,3");
        assert!(e.starts_with("t.info:3:") && e.contains("cut off"), "{e}");
        // Cut inside end_of_record.
        let e = err("SF:a.c\nDA:1,1\nend_of_re");
        assert!(e.starts_with("t.info:3:"), "{e}");
        // Two records run together.
        let e = err("SF:a.c\nDA:1,1\nSF:b.c\nDA:1,1\nend_of_record\n");
        assert!(e.starts_with("t.info:3:") && e.contains("`a.c`"), "{e}");
        // A complete file whose last line lacks its end of line is cut too.
        let e = err("SF:a.c\nDA:1,1\nend_of_record\nTN:x");
        assert!(e.starts_with("t.info:4:"), "{e}");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse(Path::new("r.info"), "SF:a\nDA:x,1\n".as_bytes()).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("r.info:2:"), "{s}");
        assert!(s.contains("hint:"));
        let e = parse(Path::new("r.info"), "DA:1,1\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("before any SF"));
        let e = parse(Path::new("r.info"), "".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("no SF record"));
        let e = parse(Path::new("r.info"), "SF:a.c\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("truncated"));
    }

    #[test]
    fn a_line_longer_than_any_path_is_refused_without_reading_it_whole() {
        /// A reader that counts what is read from it.
        struct Counting<R>(R, std::rc::Rc<std::cell::Cell<usize>>);
        impl<R: Read> Read for Counting<R> {
            fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.read(b)?;
                self.1.set(self.1.get() + n);
                Ok(n)
            }
        }
        let long = format!(
            "TN:\nSF:{}.py\nDA:1,1\nend_of_record\n",
            "a".repeat(8 * MAX_LINE)
        );
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let r = std::io::BufReader::with_capacity(8192, Counting(long.as_bytes(), read.clone()));
        let e = parse(Path::new("big.info"), r).unwrap_err().to_string();
        assert!(
            e.starts_with("big.info:2:") && e.contains("longer than 64 KiB"),
            "{e}"
        );
        assert!(read.get() < 2 * MAX_LINE, "read {} bytes", read.get());
        // A path just below the limit is a path.
        let ok = format!("SF:{}\nDA:1,1\nend_of_record\n", "b".repeat(MAX_LINE - 10));
        assert_eq!(parse(Path::new("ok.info"), ok.as_bytes()).unwrap().len(), 1);
    }
}
