//! Cobertura, JaCoCo and Clover XML, streamed with quick-xml. The dialect
//! is chosen from the root element (`<coverage clover=…>` is Clover,
//! `<coverage>` Cobertura, `<report>` JaCoCo).

use std::io::BufRead;
use std::path::Path;

use quick_xml::events::{BytesEnd, BytesStart, Event};

use crate::error::{CoverageError, Result};
use crate::model::{FileCoverage, FileSet, Format, LineCov, saturate16};

/// What the XML parse produced.
#[derive(Debug)]
pub struct XmlReport {
    pub format: Format,
    pub files: Vec<FileCoverage>,
    pub roots: Vec<String>,
}

/// An error inside the XML, with the byte offset where it was found (the
/// caller turns it into a line number).
#[derive(Debug)]
pub struct XmlError {
    pub offset: u64,
    pub message: String,
    pub hint: String,
}

const HINT_TRUNC: &str = "the report looks cut off or corrupted: regenerate it and make sure the coverage step finished (disk full? killed job?)";

const HINT_ENCODING: &str = "declare the file's encoding in its first line (e.g. `<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>`), or convert it to UTF-8: `iconv -f ISO-8859-1 -t UTF-8 report.xml > report.utf8.xml`";

/// Parse a Cobertura, JaCoCo or Clover report.
pub fn parse(name: &Path, reader: impl BufRead) -> Result<XmlReport> {
    parse_inner(reader).map_err(|e| {
        let line = line_of_offset(name, e.offset);
        CoverageError::parse(name, line, e.message, e.hint)
    })
}

/// 1-based line of a byte offset in the file at `path` (None when unreadable).
pub fn line_of_offset(path: &Path, offset: u64) -> Option<u64> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    let mut r = std::io::BufReader::new(f).take(offset);
    let mut buf = [0u8; 64 * 1024];
    let mut lines = 1u64;
    loop {
        let n = r.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        lines += buf.get(..n)?.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    Some(lines)
}

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Dialect {
    #[default]
    Unknown,
    Cobertura,
    JaCoCo,
    Clover,
}

/// What [`parse_inner`] knows between events.
#[derive(Default)]
struct XmlState {
    dialect: Dialect,
    set: FileSet,
    roots: Vec<String>,
    depth: usize,
    in_source: bool,
    source_text: String,
    in_methods: usize,
    current: Option<String>,
    package: String,
    saw_file: bool,
    clover: CloverFile,
}

impl XmlState {
    /// An opening (or empty) element: the dialect from the root, then the
    /// element's data.
    fn start(
        &mut self,
        e: &BytesStart<'_>,
        is_empty: bool,
        pos: u64,
    ) -> std::result::Result<(), XmlError> {
        let name = e.local_name();
        let name = name.as_ref();
        if self.dialect == Dialect::Unknown {
            self.dialect = match name {
                "coverage" => {
                    if attr(e, "clover").is_some() {
                        Dialect::Clover
                    } else {
                        Dialect::Cobertura
                    }
                }
                "report" => Dialect::JaCoCo,
                other => {
                    return Err(XmlError {
                        offset: pos,
                        message: format!(
                            "XML root element <{other}> is not a coverage report"
                        ),
                        hint: "pass a Cobertura (<coverage>), JaCoCo (<report>) or Clover (<coverage self.clover=…>) XML report".into(),
                    });
                }
            };
        }
        self.element(e, name, is_empty, pos)?;
        if !is_empty {
            self.depth += 1;
        }
        Ok(())
    }

    /// The data of one element, by dialect.
    fn element(
        &mut self,
        e: &BytesStart<'_>,
        name: &str,
        is_empty: bool,
        pos: u64,
    ) -> std::result::Result<(), XmlError> {
        match (self.dialect, name) {
            (Dialect::Cobertura, "source") if !is_empty => {
                self.in_source = true;
                self.source_text.clear();
            }
            (Dialect::Cobertura, "methods") if !is_empty => self.in_methods += 1,
            (Dialect::Cobertura, "class") => {
                if let Some(f) = attr(e, "filename") {
                    self.set.entry(&f);
                    self.saw_file = true;
                    self.current = if is_empty { None } else { Some(f) };
                }
            }
            (Dialect::Cobertura, "line") if self.in_methods == 0 => {
                if let Some(path) = &self.current {
                    let l = line_attr(e, "number", pos)?;
                    let hits = count_attr(e, "hits");
                    let mut lc = LineCov::measured(l, hits);
                    if attr(e, "branch").as_deref() == Some("true")
                        && let Some(cc) = attr(e, "condition-coverage")
                        && let Some((c, t)) = parse_condition_coverage(&cc)
                    {
                        lc.br_covered = saturate16(c);
                        lc.br_total = saturate16(t);
                    }
                    self.set.entry(path).0.lines.push(lc);
                }
            }
            (Dialect::JaCoCo, "package") => {
                self.package = attr(e, "name").unwrap_or_default();
            }
            (Dialect::JaCoCo, "sourcefile") => {
                let n = attr(e, "name").unwrap_or_default();
                let path = if self.package.is_empty() {
                    n
                } else {
                    format!("{}/{}", self.package.trim_end_matches('/'), n)
                };
                self.set.entry(&path);
                self.saw_file = true;
                self.current = if is_empty { None } else { Some(path) };
            }
            (Dialect::JaCoCo, "line") => {
                if let Some(path) = &self.current {
                    let l = line_attr(e, "nr", pos)?;
                    let ci = count_attr(e, "ci");
                    let mb = count_attr(e, "mb");
                    let cb = count_attr(e, "cb");
                    let mut lc = LineCov::measured(l, ci);
                    lc.br_total = saturate16(mb.saturating_add(cb));
                    lc.br_covered = saturate16(cb);
                    self.set.entry(path).0.lines.push(lc);
                }
            }
            (Dialect::Clover, "file") => {
                let path = attr(e, "path").or_else(|| attr(e, "name"));
                self.clover = CloverFile::default();
                if let Some(p) = path {
                    self.set.entry(&p);
                    self.saw_file = true;
                    self.current = if is_empty { None } else { Some(p) };
                }
            }
            (Dialect::Clover, "metrics") if self.current.is_some() => {
                // The file's own figures come first; a class's later.
                if self.clover.metrics.is_none()
                    && let (Some(_), Some(_)) = (
                        raw_attr(e, "conditionals"),
                        raw_attr(e, "coveredconditionals"),
                    )
                {
                    self.clover.metrics = Some((
                        count_attr(e, "conditionals"),
                        count_attr(e, "coveredconditionals"),
                    ));
                }
            }
            (Dialect::Clover, "line") => self.clover_line(e, pos)?,
            _ => {}
        }
        Ok(())
    }

    /// A Clover `<line>`: a statement, a condition or a method.
    fn clover_line(&mut self, e: &BytesStart<'_>, pos: u64) -> std::result::Result<(), XmlError> {
        if let Some(path) = &self.current {
            let l = line_attr(e, "num", pos)?;
            let count = count_attr(e, "count");
            let ty = attr(e, "type").unwrap_or_default();
            let f = self.set.entry(path).0;
            match ty.as_str() {
                "stmt" => f.lines.push(LineCov::measured(l, count)),
                "cond" => {
                    self.clover.conds.push((
                        f.lines.len(),
                        count_attr(e, "truecount"),
                        count_attr(e, "falsecount"),
                    ));
                    f.lines.push(LineCov::measured(l, count));
                }
                "method" => {
                    f.functions_found = f.functions_found.saturating_add(1);
                    if count > 0 {
                        f.functions_hit = f.functions_hit.saturating_add(1);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A closing element.
    fn end(&mut self, e: &BytesEnd<'_>) {
        self.depth = self.depth.saturating_sub(1);
        match e.local_name().as_ref() {
            "source" if self.in_source => {
                self.in_source = false;
                let s = self.source_text.trim();
                if !s.is_empty() {
                    self.roots.push(s.to_string());
                }
            }
            "methods" => self.in_methods = self.in_methods.saturating_sub(1),
            "file" if self.dialect == Dialect::Clover => {
                if let Some(path) = self.current.take() {
                    self.clover.finish(self.set.entry(&path).0);
                }
            }
            "class" if self.dialect == Dialect::Cobertura => self.current = None,
            "sourcefile" | "file" => self.current = None,
            "package" if self.dialect == Dialect::JaCoCo => self.package.clear(),
            _ => {}
        }
    }

    /// The report, or why the document is not a whole one.
    fn finish(self, end: u64) -> std::result::Result<XmlReport, XmlError> {
        if self.dialect == Dialect::Unknown {
            return Err(XmlError {
                offset: end,
                message: "the XML document has no root element (empty report?)".into(),
                hint:
                    "run the tests with coverage enabled before the gate and check the report path"
                        .into(),
            });
        }
        let depth = self.depth;
        if depth > 0 {
            return Err(XmlError {
                offset: end,
                message: format!(
                    "the XML ends inside {depth} unclosed element(s): the report is truncated"
                ),
                hint: HINT_TRUNC.into(),
            });
        }
        if !self.saw_file {
            return Err(XmlError {
                offset: 0,
                message: "the coverage report lists no source file".into(),
                hint: "check that the coverage tool measured your sources (include/source settings) and that tests ran".into(),
            });
        }
        let format = match self.dialect {
            Dialect::Clover => Format::Clover,
            Dialect::JaCoCo => Format::JaCoCo,
            _ => Format::Cobertura,
        };
        Ok(XmlReport {
            format,
            files: self.set.finish(),
            roots: self.roots,
        })
    }
}

fn parse_inner(reader: impl BufRead) -> std::result::Result<XmlReport, XmlError> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    xml.config_mut().trim_text(false);
    let mut buf = Vec::with_capacity(1024);
    let mut st = XmlState::default();
    loop {
        let pos = xml.buffer_position();
        let ev = xml.read_event_into(&mut buf).map_err(|e| match e {
            quick_xml::Error::Encoding(_) => XmlError {
                offset: xml.error_position(),
                message:
                    "the report is not valid UTF-8, and its XML declaration names no other encoding"
                        .into(),
                hint: HINT_ENCODING.into(),
            },
            e => XmlError {
                offset: xml.error_position(),
                message: format!("invalid XML: {e}"),
                hint: HINT_TRUNC.into(),
            },
        })?;
        match ev {
            Event::Start(ref e) => st.start(e, false, pos)?,
            Event::Empty(ref e) => st.start(e, true, pos)?,
            Event::End(ref e) => st.end(e),
            Event::Text(ref t) if st.in_source => {
                st.source_text.push_str(t);
            }
            Event::GeneralRef(ref r) if st.in_source => {
                st.source_text.push_str(match &**r {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    st.finish(xml.buffer_position())
}

/// The `cond` lines of one Clover `<file>`, read once the file ends: their
/// `truecount`/`falsecount` mean different things per producer.
#[derive(Default)]
struct CloverFile {
    /// The file's `<metrics conditionals coveredconditionals>`.
    metrics: Option<(u64, u64)>,
    /// Index of the line in the file's (not yet sorted) lines, truecount, falsecount.
    conds: Vec<(usize, u64, u64)>,
}

impl CloverFile {
    /// Set the branch counts of the file's `cond` lines.
    ///
    /// OpenClover: a `cond` line is one decision, `truecount`/`falsecount`
    /// are how often it went each way (2 branches, covered when taken).
    /// Istanbul's Clover reporter: `truecount` is the number of the line's
    /// branches taken and `falsecount` the number not taken. The reading
    /// closer to the file's own `<metrics conditionals coveredconditionals>`
    /// wins (Istanbul's metrics also count branches on lines without a
    /// statement, which its `<line>`s leave out, so it is not always exact);
    /// OpenClover's on a tie or without metrics.
    fn finish(&mut self, f: &mut FileCoverage) {
        let conds = std::mem::take(&mut self.conds);
        if conds.is_empty() {
            return;
        }
        let (mut ist, mut open) = ((0u64, 0u64), (0u64, 0u64));
        for &(_, t, fa) in &conds {
            ist.0 = ist.0.saturating_add(t.saturating_add(fa));
            ist.1 = ist.1.saturating_add(t);
            open.0 += 2;
            open.1 += u64::from(t > 0) + u64::from(fa > 0);
        }
        let distance =
            |(a, b): (u64, u64), (c, d): (u64, u64)| a.abs_diff(c).saturating_add(b.abs_diff(d));
        let istanbul = self
            .metrics
            .is_some_and(|m| distance(ist, m) < distance(open, m));
        for (i, t, fa) in conds {
            let (total, covered) = if istanbul {
                (t.saturating_add(fa), t)
            } else {
                (2, u64::from(t > 0) + u64::from(fa > 0))
            };
            if let Some(lc) = f.lines.get_mut(i) {
                lc.br_total = saturate16(total);
                lc.br_covered = saturate16(covered.min(total));
            }
        }
        self.metrics = None;
    }
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    for a in e.attributes().with_checks(false).flatten() {
        if a.key.local_name().as_ref() == key {
            return Some(
                match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                    Ok(v) => v.into_owned(),
                    Err(_) => a.value.into_owned(),
                },
            );
        }
    }
    None
}

fn raw_attr<'a>(e: &'a BytesStart<'_>, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .map(|a| a.value)
}

fn line_attr(e: &BytesStart<'_>, key: &str, pos: u64) -> std::result::Result<u32, XmlError> {
    let v = raw_attr(e, key);
    let parsed = v.as_deref().and_then(|s| s.trim().parse::<u32>().ok());
    match parsed {
        Some(n) if n > 0 => Ok(n),
        _ => Err(XmlError {
            offset: pos,
            message: format!(
                "<line> has a missing or invalid `{key}` attribute ({:?})",
                v.as_deref()
            ),
            hint: "the report is malformed: regenerate it with the coverage tool".into(),
        }),
    }
}

/// A count attribute; missing or unparsable counts read as 0 (as diff-cover does
/// for a missing one); negative as 0; huge ones saturate.
fn count_attr(e: &BytesStart<'_>, key: &str) -> u64 {
    let Some(v) = raw_attr(e, key) else {
        return 0;
    };
    let s = v.trim();
    if let Ok(n) = s.parse::<u64>() {
        return n;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
        return u64::MAX;
    }
    match s.parse::<f64>() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(f) if f.is_finite() && f > 0.0 => f as u64,
        _ => 0,
    }
}

/// `50% (1/2)` → (1, 2).
fn parse_condition_coverage(s: &str) -> Option<(u64, u64)> {
    let inner = s.split_once('(')?.1.split_once(')')?.0;
    let (c, t) = inner.split_once('/')?;
    Some((c.trim().parse().ok()?, t.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::flags;

    fn p(s: &str) -> XmlReport {
        parse(Path::new("r.xml"), s.as_bytes()).unwrap()
    }

    #[test]
    fn cobertura_sources_classes_methods_branches() {
        let r = p(r#"<?xml version="1.0" ?>
<coverage line-rate="0.5">
  <sources><source>/home/runner/work/x/x</source><source>  </source></sources>
  <packages><package name="p"><classes>
    <class name="a" filename="src/a.py">
      <methods><method name="f"><lines><line number="99" hits="0"/></lines></method></methods>
      <lines>
        <line number="1" hits="1"/>
        <line number="2" hits="0" branch="true" condition-coverage="50% (1/2)"/>
      </lines>
    </class>
    <class name="a2" filename="src/a.py"><lines><line number="1" hits="0"/></lines></class>
    <class name="e" filename="src/empty.py"/>
  </classes></package></packages>
</coverage>"#);
        assert_eq!(r.format, Format::Cobertura);
        assert_eq!(r.roots, vec!["/home/runner/work/x/x".to_string()]);
        assert_eq!(r.files.len(), 2);
        let a = &r.files[0];
        assert_eq!(a.lines.len(), 2, "method lines are not class lines");
        let l1 = a.get(1).unwrap();
        assert!(l1.is_covered());
        assert!(
            l1.flags & flags::DC_ZERO != 0,
            "diff-cover: a zero record makes a violation"
        );
        let l2 = a.get(2).unwrap();
        assert_eq!((l2.br_covered, l2.br_total), (1, 2));
    }

    #[test]
    fn jacoco() {
        let r = p(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="x"><package name="org/ex"><class name="org/ex/A" sourcefilename="A.java"/><sourcefile name="A.java"><line nr="3" mi="0" ci="2" mb="1" cb="1"/><line nr="4" mi="3" ci="0" mb="0" cb="0"/></sourcefile></package></report>"#,
        );
        assert_eq!(r.format, Format::JaCoCo);
        assert_eq!(r.files[0].path, "org/ex/A.java");
        let c = r.files[0].counts();
        assert_eq!(
            (
                c.lines_measured,
                c.lines_covered,
                c.branches_total,
                c.branches_covered
            ),
            (2, 1, 2, 1)
        );
    }

    #[test]
    fn clover() {
        let r = p(
            r#"<coverage generated="1" clover="3.2.0"><project><package name="p"><file name="a.js" path="/w/a.js"><line num="1" count="1" type="method"/><line num="2" count="0" type="stmt"/><line num="3" count="2" type="cond" truecount="1" falsecount="0"/></file></package></project></coverage>"#,
        );
        assert_eq!(r.format, Format::Clover);
        let f = &r.files[0];
        assert_eq!(f.path, "/w/a.js");
        let c = f.counts();
        assert_eq!(
            (
                c.lines_measured,
                c.lines_covered,
                c.branches_total,
                c.branches_covered,
                c.functions_found
            ),
            (2, 1, 2, 1, 1)
        );
    }

    #[test]
    fn clover_cond_counts_per_producer() {
        let branches = |xml: &str| {
            let c = p(xml).files[0].counts();
            (c.lines_measured, c.branches_total, c.branches_covered)
        };
        // Istanbul: truecount = branches taken, falsecount = not taken; the
        // file's <metrics> agree with that reading.
        assert_eq!(
            branches(
                r#"<coverage clover="3.2.0"><project><package name="p"><file name="a.js" path="a.js"><metrics statements="2" coveredstatements="2" conditionals="5" coveredconditionals="3"/><line num="1" count="1" type="cond" truecount="1" falsecount="0"/><line num="2" count="4" type="cond" truecount="2" falsecount="2"/></file></package></project></coverage>"#
            ),
            (2, 5, 3)
        );
        // OpenClover: a decision with how often it went each way, inside a class.
        assert_eq!(
            branches(
                r#"<coverage clover="4.4.1"><project><package name="p"><file name="A.java" path="A.java"><metrics conditionals="4" coveredconditionals="3"/><class name="A"><metrics conditionals="4" coveredconditionals="3"/></class><line num="3" count="7" type="cond" truecount="5" falsecount="2"/><line num="9" count="1" type="cond" truecount="1" falsecount="0"/></file></package></project></coverage>"#
            ),
            (2, 4, 3)
        );
    }

    #[test]
    fn truncated_and_bad() {
        let s = "<coverage>\n<packages>\n<package><classes><class filename=\"a\"><lines><line number=\"1\" hits=\"1\"/>";
        let e = parse(Path::new("r.xml"), s.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let e = parse(Path::new("r.xml"), "<html></html>".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("not a coverage report"), "{e}");
        let e = parse(
            Path::new("r.xml"),
            "<coverage><a></b></coverage>".as_bytes(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("invalid XML"), "{e}");
        let e = parse(Path::new("r.xml"), "<coverage><class filename=\"a\"><lines><line number=\"x\" hits=\"1\"/></lines></class></coverage>".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("number"), "{e}");
        let e = parse(Path::new("r.xml"), "<coverage></coverage>".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("no source file"), "{e}");
    }
}
