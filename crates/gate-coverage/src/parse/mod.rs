//! Report parsers; the format is detected from content, never from the
//! file name.

pub mod go;
pub mod json;
pub mod latin1;
pub mod lcov;
pub mod xml;

use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::error::{CoverageError, Result};
use crate::model::{Format, ParsedReport};

/// What the first bytes of a report look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// A known format (XML dialects are told apart while parsing).
    Format(Format),
    /// Some XML document.
    Xml,
    /// Only whitespace.
    Empty,
    /// NUL bytes or a compression magic number.
    Binary,
    /// Text we do not recognise.
    Unknown,
}

/// Detect the format from the first bytes of a report.
pub fn detect(prefix: &[u8]) -> Detected {
    let mut p = prefix;
    if let Some(rest) = p.strip_prefix(b"\xEF\xBB\xBF") {
        p = rest;
    }
    if p.starts_with(&[0x1f, 0x8b])
        || p.starts_with(b"PK\x03\x04")
        || p.starts_with(b"\x28\xb5\x2f\xfd")
    {
        return Detected::Binary;
    }
    if p.contains(&0) {
        return Detected::Binary;
    }
    let p = p.trim_ascii_start();
    if p.is_empty() {
        return Detected::Empty;
    }
    match p.first() {
        Some(b'<') => Detected::Xml,
        Some(b'{') => {
            let window = &p[..p.len().min(4096)];
            let is_llvm = memfind(window, b"llvm.coverage.json.export")
                || p[1..].trim_ascii_start().starts_with(b"\"data\"");
            if is_llvm {
                Detected::Format(Format::LlvmCov)
            } else {
                Detected::Format(Format::Istanbul)
            }
        }
        _ if p.starts_with(b"mode:") => Detected::Format(Format::GoCover),
        _ => {
            let first = p.split(|&b| b == b'\n').next().unwrap_or_default();
            let directive = first.split(|&b| b == b':').next().unwrap_or_default();
            const LCOV: &[&[u8]] = &[
                b"TN",
                b"SF",
                b"VER",
                b"FN",
                b"FNDA",
                b"FNF",
                b"FNH",
                b"DA",
                b"BRDA",
                b"BRF",
                b"BRH",
                b"LF",
                b"LH",
                b"end_of_record",
            ];
            if LCOV.contains(&directive.trim_ascii_end()) {
                Detected::Format(Format::Lcov)
            } else {
                Detected::Unknown
            }
        }
    }
}

fn memfind(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Read and parse the report at `path`. Only a regular file (or a link to
/// one) is opened: a FIFO or a device would block or never end.
pub fn parse_file(path: &Path) -> Result<ParsedReport> {
    let meta = std::fs::metadata(path).map_err(|e| CoverageError::io(path, e))?;
    if meta.is_dir() {
        return Err(CoverageError::parse(
            path,
            None,
            "this is a directory, not a coverage report",
            "pass the report file itself (e.g. coverage/lcov.info)",
        ));
    }
    if !meta.is_file() {
        return Err(CoverageError::parse(
            path,
            None,
            "this is not a regular file (a FIFO, socket or device), so it is not read: it could block forever",
            "write the report to a file first and pass that file (e.g. coverage/lcov.info)",
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| CoverageError::io(path, e))?;
    parse_reader(path, BufReader::with_capacity(256 * 1024, f))
}

/// Parse XML in its declared encoding: UTF-8 as is, ISO-8859-1 and
/// windows-1252 transcoded while streaming, anything else refused with the
/// conversion command.
fn parse_xml(name: &Path, reader: impl BufRead, declared: Option<&str>) -> Result<xml::XmlReport> {
    use latin1::XmlEncoding;
    match declared.map(|d| (latin1::classify(d), d)) {
        None | Some((XmlEncoding::Utf8, _)) => xml::parse(name, reader),
        Some((e @ (XmlEncoding::Latin1 | XmlEncoding::Windows1252), _)) => {
            xml::parse(name, latin1::Transcode::new(reader, e))
        }
        Some((XmlEncoding::Other, d)) => Err(CoverageError::parse(
            name,
            Some(1),
            format!(
                "the XML declares encoding=\"{d}\"; gate-coverage reads UTF-8, ISO-8859-1 and windows-1252"
            ),
            format!(
                "convert it to UTF-8, e.g. `iconv -f {d} -t UTF-8 report.xml > report.utf8.xml`, and set encoding=\"UTF-8\" in its XML declaration"
            ),
        )),
    }
}

/// Parse a report from `reader`; `name` is used in messages (and, for XML
/// errors, re-read to find the line number when it is a real file).
pub fn parse_reader(name: &Path, mut reader: impl BufRead) -> Result<ParsedReport> {
    let prefix = reader.fill_buf().map_err(|e| CoverageError::io(name, e))?;
    if prefix.starts_with(b"\xFF\xFE") || prefix.starts_with(b"\xFE\xFF") {
        return Err(CoverageError::parse(
            name,
            Some(1),
            "the report is UTF-16 (it starts with a UTF-16 byte order mark); gate-coverage reads UTF-8, ISO-8859-1 and windows-1252",
            "convert it to UTF-8, e.g. `iconv -f UTF-16 -t UTF-8 report.xml > report.utf8.xml`, and set encoding=\"UTF-8\" in its XML declaration",
        ));
    }
    let detected = detect(prefix);
    let encoding = latin1::declared_encoding(prefix);
    let (format, files, roots) = match detected {
        Detected::Empty => {
            return Err(CoverageError::parse(
                name,
                None,
                "the coverage report is empty",
                "run the tests with coverage enabled before the gate; an empty file usually means the coverage step failed",
            ));
        }
        Detected::Binary => {
            return Err(CoverageError::parse(
                name,
                Some(1),
                "this is a binary (or compressed) file, not a coverage report",
                "pass the text report (LCOV, Cobertura/JaCoCo/Clover XML, Go coverprofile, Istanbul or llvm-cov JSON); decompress it first, or convert raw data (e.g. `.coverage`, `.profdata`) with its tool",
            ));
        }
        Detected::Unknown => {
            return Err(CoverageError::parse(
                name,
                Some(1),
                "unrecognised coverage report format",
                "supported: LCOV, Cobertura/JaCoCo/Clover XML, Go coverprofile, Istanbul coverage-final.json, llvm-cov export JSON",
            ));
        }
        Detected::Xml => {
            let r = parse_xml(name, reader, encoding.as_deref())?;
            (r.format, r.files, r.roots)
        }
        Detected::Format(Format::Lcov) => (Format::Lcov, lcov::parse(name, reader)?, Vec::new()),
        Detected::Format(Format::GoCover) => {
            (Format::GoCover, go::parse(name, reader)?, Vec::new())
        }
        Detected::Format(Format::Istanbul) => (
            Format::Istanbul,
            json::parse_istanbul(name, reader)?,
            Vec::new(),
        ),
        Detected::Format(Format::LlvmCov) => {
            (Format::LlvmCov, json::parse_llvm(name, reader)?, Vec::new())
        }
        Detected::Format(f) => {
            let r = parse_xml(name, reader, encoding.as_deref())?;
            debug_assert_eq!(r.format, f);
            (r.format, r.files, r.roots)
        }
    };
    Ok(ParsedReport {
        source: name.to_path_buf(),
        format,
        files,
        roots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(detect(b"TN:\nSF:a\n"), Detected::Format(Format::Lcov));
        assert_eq!(
            detect(b"\xEF\xBB\xBFSF:a\n"),
            Detected::Format(Format::Lcov)
        );
        assert_eq!(detect(b"  <?xml?>"), Detected::Xml);
        assert_eq!(detect(b"mode: atomic\n"), Detected::Format(Format::GoCover));
        assert_eq!(
            detect(b"{\"/a.js\": {}}"),
            Detected::Format(Format::Istanbul)
        );
        assert_eq!(detect(b"{\"data\":[]}"), Detected::Format(Format::LlvmCov));
        assert_eq!(detect(b" \n\t"), Detected::Empty);
        assert_eq!(detect(b"\x1f\x8b\x08"), Detected::Binary);
        assert_eq!(detect(b"ELF\0\0"), Detected::Binary);
        assert_eq!(detect(b"hello"), Detected::Unknown);
    }

    #[test]
    fn bad_inputs_are_errors() {
        for (input, needle) in [
            (&b""[..], "empty"),
            (&b"\x7fELF\x00\x01"[..], "binary"),
            (&b"<coverage><packages>"[..], "truncated"),
            (&b"garbage"[..], "unrecognised"),
        ] {
            let e = parse_reader(Path::new("r"), input).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
            assert!(!e.hint().is_empty());
        }
    }
}
