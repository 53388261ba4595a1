//! XML declared in ISO-8859-1 or windows-1252, read as UTF-8: every byte
//! is one character, so the transcoding is a table, streamed (no whole-file
//! copy). Other encodings are refused with the command that converts them.

use std::io::{BufRead, Read};

/// Encodings the XML parsers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlEncoding {
    /// UTF-8 (declared, or no declaration, or US-ASCII).
    Utf8,
    /// ISO-8859-1 (Latin-1).
    Latin1,
    /// windows-1252 (Latin-1 with printable characters in 0x80-0x9F).
    Windows1252,
    /// Anything else, as declared.
    Other,
}

/// The `encoding` of an XML declaration at the start of `prefix`, if any.
pub fn declared_encoding(prefix: &[u8]) -> Option<String> {
    let p = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let p = p.trim_ascii_start();
    let rest = p.strip_prefix(b"<?xml")?;
    let end = rest.windows(2).position(|w| w == b"?>")?;
    let decl = &rest[..end];
    let at = decl.windows(8).position(|w| w == b"encoding")?;
    let after = decl[at + 8..]
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let quote = *after.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &after[1..];
    let close = value.iter().position(|&b| b == quote)?;
    Some(String::from_utf8_lossy(&value[..close]).into_owned())
}

/// How a declared encoding name is read.
pub fn classify(name: &str) -> XmlEncoding {
    match name.trim().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" | "us-ascii" | "ascii" => XmlEncoding::Utf8,
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1" | "cp819"
        | "ibm819" => XmlEncoding::Latin1,
        "windows-1252" | "cp1252" | "x-cp1252" => XmlEncoding::Windows1252,
        _ => XmlEncoding::Other,
    }
}

/// windows-1252's characters at 0x80..=0x9F (undefined ones as in WHATWG: the C1 control).
const CP1252: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}', '\u{017D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{9D}', '\u{017E}', '\u{0178}',
];

/// A `BufRead` giving the UTF-8 form of a single-byte-encoded reader.
#[derive(Debug)]
pub struct Transcode<R> {
    inner: R,
    windows: bool,
    out: Vec<u8>,
    pos: usize,
}

impl<R: BufRead> Transcode<R> {
    pub fn new(inner: R, encoding: XmlEncoding) -> Self {
        Transcode {
            inner,
            windows: encoding == XmlEncoding::Windows1252,
            out: Vec::with_capacity(64 * 1024),
            pos: 0,
        }
    }
}

impl<R: BufRead> Read for Transcode<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Transcode<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.out.len() {
            self.out.clear();
            self.pos = 0;
            let chunk = self.inner.fill_buf()?;
            let n = chunk.len();
            for &b in chunk {
                if b < 0x80 {
                    self.out.push(b);
                } else {
                    let c = match b {
                        0x80..=0x9F if self.windows => CP1252[usize::from(b - 0x80)],
                        _ => char::from(b),
                    };
                    let mut tmp = [0u8; 4];
                    self.out
                        .extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                }
            }
            self.inner.consume(n);
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.out.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declaration_and_transcoding() {
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding='ISO-8859-1'?><a/>").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a/>"), None);
        assert_eq!(declared_encoding(b"<a/>"), None);
        assert_eq!(classify("Latin1"), XmlEncoding::Latin1);
        assert_eq!(classify("UTF-16"), XmlEncoding::Other);
        let mut s = String::new();
        Transcode::new(&b"caf\xe9 \x80"[..], XmlEncoding::Latin1)
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "caf\u{e9} \u{80}");
        let mut s = String::new();
        Transcode::new(&b"caf\xe9 \x80"[..], XmlEncoding::Windows1252)
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "caf\u{e9} \u{20ac}");
    }
}
