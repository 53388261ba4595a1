//! Go coverprofile (`go test -coverprofile`): a `mode:` header, then
//! `file:startLine.startCol,endLine.endCol numStatements count` blocks.
//! Every line of a block with statements is measured; a line is covered
//! when any block on it ran.

use std::io::BufRead;
use std::path::Path;

use crate::error::{CoverageError, Result};
use crate::model::{FileCoverage, FileSet, LineCov};

const HINT: &str = "regenerate the profile with `go test -coverprofile=cover.out ./...`";

/// Parse a Go coverage profile.
/// Most lines one block may span (10 million).
const MAX_BLOCK_SPAN: u32 = 10_000_000;

pub fn parse(name: &Path, mut reader: impl BufRead) -> Result<Vec<FileCoverage>> {
    let mut set = FileSet::default();
    let mut buf = String::new();
    let mut lineno = 0u64;
    let mut saw_mode = false;
    loop {
        buf.clear();
        let n = reader
            .read_line(&mut buf)
            .map_err(|e| CoverageError::io(name, e))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        let line = buf.trim_end_matches(['\n', '\r']).trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with("mode:") {
            // Concatenated profiles repeat the header.
            saw_mode = true;
            continue;
        }
        if !saw_mode {
            return Err(CoverageError::parse(
                name,
                Some(lineno),
                "a Go coverprofile must start with a `mode:` line",
                HINT,
            ));
        }
        let bad = || {
            CoverageError::parse(
                name,
                Some(lineno),
                format!(
                    "malformed coverprofile block `{line}` (expected file:l.c,l.c stmts count)"
                ),
                HINT,
            )
        };
        let (path, rest) = line.rsplit_once(':').ok_or_else(bad)?;
        let mut it = rest.split_ascii_whitespace();
        let range = it.next().ok_or_else(bad)?;
        let stmts: u64 = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let count: u64 = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let (start, end) = range.split_once(',').ok_or_else(bad)?;
        let sl: u32 = start
            .split('.')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        let el: u32 = end
            .split('.')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        if sl == 0 || el < sl {
            return Err(bad());
        }
        // A block is a few lines; a corrupt one must not ask for billions.
        if el - sl > MAX_BLOCK_SPAN {
            return Err(CoverageError::parse(
                name,
                Some(lineno),
                format!(
                    "block `{range}` spans {} lines, more than any source file has",
                    u64::from(el - sl) + 1
                ),
                "the profile is corrupt: regenerate it with `go test -coverprofile=cover.out ./...`",
            ));
        }
        let (f, _) = set.entry(path);
        if stmts == 0 {
            continue;
        }
        for l in sl..=el {
            f.lines.push(LineCov::measured(l, count));
        }
    }
    if set.is_empty() {
        return Err(CoverageError::parse(
            name,
            None,
            "the Go coverprofile has no block",
            "run `go test -coverprofile=…` on packages that have tests",
        ));
    }
    Ok(set.finish())
}

#[cfg(test)]
mod tests {
    #[test]
    fn huge_block_is_an_error_not_an_allocation() {
        let e = super::parse(
            std::path::Path::new("c.out"),
            &b"mode: set\na.go:1.1,4000000000.2 1 1\n"[..],
        )
        .unwrap_err();
        assert!(e.to_string().contains("spans 4000000000 lines"), "{e}");
    }

    use super::*;

    #[test]
    fn blocks() {
        let s = "mode: set\nexample.com/m/a.go:3.10,5.2 2 1\nexample.com/m/a.go:5.2,7.3 1 0\r\nexample.com/m/a.go:9.1,9.5 0 0\n";
        let f = parse(Path::new("c.out"), s.as_bytes()).unwrap();
        let c = f[0].counts();
        assert_eq!(f[0].path, "example.com/m/a.go");
        assert_eq!((c.lines_measured, c.lines_covered), (5, 3));
        assert!(parse(Path::new("c.out"), "a.go:1.1,2.2 1 1\n".as_bytes()).is_err());
        assert!(parse(Path::new("c.out"), "mode: set\na.go:x 1 1\n".as_bytes()).is_err());
    }
}
