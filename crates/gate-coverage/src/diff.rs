//! Changed lines per file from a unified diff (`git diff -U0` or any
//! unified diff file): the added or modified lines on the new side.
//!
//! Handles renames (`rename to`), deleted files, binary files, quoted paths
//! with C escapes, `\ No newline at end of file`, CRLF, and plain
//! `--- a`/`+++ b` diffs without a `diff --git` header.
//!
//! [`parse_diff_cover`] is diff-cover 11's own reading of the same text,
//! quirks included, for `--compat diff-cover`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{CoverageError, Result};

/// One file of the change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChange {
    /// Path on the new side, repository-relative, `/`-separated.
    pub path: String,
    /// Path on the old side when the file was renamed or copied.
    pub old_path: Option<String>,
    /// Added or modified line numbers on the new side, sorted, unique.
    pub added: Vec<u32>,
    /// Those of `added` that are blank or only a comment in the file's
    /// language (sorted, unique): no coverage tool measures them.
    pub noncode: Vec<u32>,
    /// The file was deleted (it has no new side).
    pub deleted: bool,
    /// The file is binary (no line information).
    pub binary: bool,
}

/// Every changed file, sorted by path; deleted files included (flagged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub files: Vec<FileChange>,
}

impl ChangeSet {
    /// Changed lines of `path` (empty when the file is not in the change).
    pub fn lines(&self, path: &str) -> &[u32] {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .and_then(|i| self.files.get(i))
            .map_or(&[], |f| f.added.as_slice())
    }

    /// Total number of changed lines.
    pub fn total_lines(&self) -> usize {
        self.files.iter().map(|f| f.added.len()).sum()
    }

    fn finish(files: Vec<FileChange>) -> ChangeSet {
        let mut map: BTreeMap<String, FileChange> = BTreeMap::new();
        for mut f in files {
            if f.path.is_empty() {
                continue;
            }
            f.added.sort_unstable();
            f.added.dedup();
            f.noncode.sort_unstable();
            f.noncode.dedup();
            match map.get_mut(&f.path) {
                Some(e) => {
                    e.added.extend_from_slice(&f.added);
                    e.added.sort_unstable();
                    e.added.dedup();
                    e.noncode.extend_from_slice(&f.noncode);
                    e.noncode.sort_unstable();
                    e.noncode.dedup();
                    e.deleted = f.deleted;
                    e.binary |= f.binary;
                }
                None => {
                    map.insert(f.path.clone(), f);
                }
            }
        }
        ChangeSet {
            files: map.into_values().collect(),
        }
    }
}

const HINT: &str =
    "produce the diff with `git diff --no-color --no-ext-diff -U0 <base>...HEAD` (a unified diff)";

fn lines_of(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut it = text.split(|&b| b == b'\n');
    let mut last: Option<&[u8]> = it.next();
    std::iter::from_fn(move || {
        let cur = last?;
        last = it.next();
        // The empty piece after a final newline is not a line.
        if last.is_none() && cur.is_empty() {
            return None;
        }
        Some(cur.strip_suffix(b"\r").unwrap_or(cur))
    })
}

/// The state of [`parse_unified_diff`] between lines.
#[derive(Default)]
struct UnifiedParser {
    files: Vec<FileChange>,
    cur: Option<FileChange>,
    // Remaining old/new lines of the current hunk, and the next new line number.
    old_rem: u64,
    new_rem: u64,
    new_line: u32,
    git_header: bool,
}

impl UnifiedParser {
    fn in_hunk(&self) -> bool {
        self.old_rem > 0 || self.new_rem > 0
    }

    /// A line inside a hunk; false when the hunk ended early (a hand-edited
    /// diff), so the line is read as a header.
    fn hunk_line(&mut self, line: &[u8]) -> bool {
        match line.first() {
            Some(b'+') => {
                if let Some(f) = self.cur.as_mut() {
                    f.added.push(self.new_line);
                    if is_noncode(&f.path, line.get(1..).unwrap_or_default()) {
                        f.noncode.push(self.new_line);
                    }
                }
                self.new_line = self.new_line.saturating_add(1);
                self.new_rem = self.new_rem.saturating_sub(1);
                true
            }
            Some(b'-') => {
                self.old_rem = self.old_rem.saturating_sub(1);
                true
            }
            Some(b' ') | None => {
                self.old_rem = self.old_rem.saturating_sub(1);
                self.new_rem = self.new_rem.saturating_sub(1);
                self.new_line = self.new_line.saturating_add(1);
                true
            }
            Some(b'\\') => true,
            _ => {
                self.old_rem = 0;
                self.new_rem = 0;
                false
            }
        }
    }

    /// Starts a new file (a `diff --git` header, or `---`/`+++` without one).
    fn start_file(&mut self, f: FileChange) {
        if let Some(done) = self.cur.replace(f) {
            self.files.push(done);
        }
    }

    /// Git's extended header lines (rename, copy, deletion, binary); false
    /// when the line is none of them.
    fn extended_header(&mut self, line: &[u8]) -> bool {
        let Some(f) = self.cur.as_mut() else {
            return line.starts_with(b"rename to ")
                || line.starts_with(b"rename from ")
                || line.starts_with(b"copy to ")
                || line.starts_with(b"deleted file mode")
                || line.starts_with(b"Binary files ")
                || line.starts_with(b"GIT binary patch");
        };
        if let Some(rest) = line.strip_prefix(b"rename to ") {
            f.path = unquote(rest);
        } else if let Some(rest) = line.strip_prefix(b"rename from ") {
            f.old_path = Some(unquote(rest));
        } else if let Some(rest) = line.strip_prefix(b"copy to ") {
            f.path = unquote(rest);
        } else if line.starts_with(b"deleted file mode") {
            f.deleted = true;
        } else if line.starts_with(b"Binary files ") || line.starts_with(b"GIT binary patch") {
            f.binary = true;
            if line.ends_with(b" and /dev/null differ") {
                f.deleted = true;
            }
        } else {
            return false;
        }
        true
    }

    /// `--- old` (when `+++ ` follows) and `+++ new`; false for other lines.
    fn file_names(&mut self, line: &[u8], next_is_new: bool) -> bool {
        if let Some(rest) = line.strip_prefix(b"--- ") {
            if next_is_new {
                if !self.git_header {
                    self.start_file(FileChange::default());
                }
                let old = strip_prefix_path(rest);
                if let Some(f) = self.cur.as_mut()
                    && old.as_deref() != Some("/dev/null")
                    && f.path.is_empty()
                {
                    f.path = old.unwrap_or_default();
                }
            }
            return true;
        }
        if let Some(rest) = line.strip_prefix(b"+++ ") {
            let new = strip_prefix_path(rest);
            if let Some(f) = self.cur.as_mut() {
                match new.as_deref() {
                    Some("/dev/null") => f.deleted = true,
                    Some(p) => f.path = p.to_string(),
                    None => {}
                }
            }
            self.git_header = false;
            return true;
        }
        false
    }

    /// A `@@ -a,b +c,d @@` hunk header.
    fn hunk_header(&mut self, name: &Path, lineno: u64, line: &[u8]) -> Result<()> {
        let Some((o, n, start)) = parse_hunk_header(line) else {
            return Err(CoverageError::parse(
                name,
                Some(lineno),
                format!("malformed hunk header `{}`", String::from_utf8_lossy(line)),
                HINT,
            ));
        };
        if self.cur.is_none() {
            return Err(CoverageError::parse(
                name,
                Some(lineno),
                "hunk before any file header",
                HINT,
            ));
        }
        self.old_rem = o;
        self.new_rem = n;
        self.new_line = start;
        Ok(())
    }
}

/// Parse a unified diff.
pub fn parse_unified_diff(name: &Path, text: &[u8]) -> Result<ChangeSet> {
    let mut p = UnifiedParser::default();
    let mut lineno = 0u64;
    let mut lines = lines_of(text).peekable();
    while let Some(line) = lines.next() {
        lineno += 1;
        if p.in_hunk() && p.hunk_line(line) {
            continue;
        }
        if line.starts_with(b"\\") {
            continue; // `\ No newline at end of file`
        }
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            p.git_header = true;
            let mut f = FileChange::default();
            if let Some((_, b)) = split_git_header(rest) {
                f.path = b;
            }
            p.start_file(f);
            continue;
        }
        if line.starts_with(b"diff --cc ") || line.starts_with(b"diff --combined ") {
            return Err(CoverageError::parse(
                name,
                Some(lineno),
                "combined (merge) diffs are not supported",
                "diff the merge base against HEAD instead: `git diff <base>...HEAD`",
            ));
        }
        let next_is_new = lines.peek().is_some_and(|n| n.starts_with(b"+++ "));
        if p.extended_header(line) || p.file_names(line, next_is_new) {
            continue;
        }
        if line.starts_with(b"@@") {
            p.hunk_header(name, lineno, line)?;
        }
        // Anything else (index, mode, similarity lines, commit messages) is ignored.
    }
    if let Some(f) = p.cur.take() {
        p.files.push(f);
    }
    if p.in_hunk() {
        return Err(CoverageError::parse(
            name,
            Some(lineno),
            "the diff ends inside a hunk: it is truncated",
            HINT,
        ));
    }
    let mut files = p.files;
    for f in &mut files {
        if f.deleted {
            f.added.clear();
        }
    }
    Ok(ChangeSet::finish(files))
}

/// True when an added line is blank or only a comment in the language of
/// `path` (`#` in Python, `//`, `/*`, `*` lines in the C family, ...).
pub fn is_noncode(path: &str, text: &[u8]) -> bool {
    let t = text.trim_ascii();
    let Some(first) = t.first() else {
        return true;
    };
    if !matches!(first, b'#' | b'/' | b'*' | b'-' | b'%' | b';' | b'\'') {
        return false;
    }
    crate::lang::comment_tokens(path).iter().any(|tok| {
        t.starts_with(tok.as_bytes())
            && (*tok != "*" || t.len() == 1 || t.get(1) == Some(&b' ') || t.get(1) == Some(&b'/'))
    })
}

/// `@@ -a[,b] +c[,d] @@` → (b, d, c).
fn parse_hunk_header(line: &[u8]) -> Option<(u64, u64, u32)> {
    let s = std::str::from_utf8(line).ok()?;
    let inner = s.strip_prefix("@@ ")?;
    let end = inner.find(" @@")?;
    let mut parts = inner.get(..end)?.split_ascii_whitespace();
    let old = parts.next()?.strip_prefix('-')?;
    let new = parts.next()?.strip_prefix('+')?;
    let count = |r: &str| -> Option<(u64, u64)> {
        match r.split_once(',') {
            Some((s, c)) => Some((s.parse().ok()?, c.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (_, oc) = count(old)?;
    let (ns, nc) = count(new)?;
    Some((oc, nc, u32::try_from(ns).ok()?))
}

/// The path of a `---`/`+++` line without its `a/`/`b/` prefix (and
/// without a trailing tab + timestamp of GNU diff).
fn strip_prefix_path(rest: &[u8]) -> Option<String> {
    let p = if rest.first() == Some(&b'"') {
        unquote(rest)
    } else {
        let raw = match rest.iter().position(|&b| b == b'\t') {
            Some(i) => &rest[..i],
            None => rest,
        };
        String::from_utf8_lossy(raw).into_owned()
    };
    if p == "/dev/null" {
        return Some(p);
    }
    let p = p
        .strip_prefix("a/")
        .or_else(|| p.strip_prefix("b/"))
        .map_or(p.clone(), str::to_string);
    Some(p)
}

/// Split `a/X b/Y` (either may be quoted) into (X, Y).
fn split_git_header(rest: &[u8]) -> Option<(String, String)> {
    let (a, b_raw) = if rest.first() == Some(&b'"') {
        let end = quoted_end(rest)?;
        (
            unquote(&rest[..=end]),
            rest.get(end + 1..)?.trim_ascii_start(),
        )
    } else if let Some(q) = rest.windows(3).position(|w| w == b" \"b") {
        (
            String::from_utf8_lossy(&rest[..q]).into_owned(),
            &rest[q + 1..],
        )
    } else {
        // Unquoted both sides: the header is symmetric unless renamed; try the midpoint first.
        let len = rest.len();
        if len % 2 == 1 {
            let mid = len / 2;
            if rest.get(mid) == Some(&b' ')
                && rest.get(2..mid) == rest.get(mid + 3..)
                && rest.starts_with(b"a/")
            {
                let p = String::from_utf8_lossy(&rest[2..mid]).into_owned();
                return Some((p.clone(), p));
            }
        }
        let i = rest.windows(3).rposition(|w| w == b" b/")?;
        (
            String::from_utf8_lossy(&rest[..i]).into_owned(),
            &rest[i + 1..],
        )
    };
    let b = if b_raw.first() == Some(&b'"') {
        unquote(b_raw)
    } else {
        String::from_utf8_lossy(b_raw).into_owned()
    };
    let a = a.strip_prefix("a/").map_or(a.clone(), str::to_string);
    let b = b.strip_prefix("b/").map_or(b.clone(), str::to_string);
    Some((a, b))
}

fn quoted_end(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Undo git's path quoting: `"a\tb\303\251"` → `a<TAB>bé`. Unquoted input is returned as is.
pub fn unquote(s: &[u8]) -> String {
    let s = s.strip_suffix(b"\r").unwrap_or(s);
    let Some(inner) = s.strip_prefix(b"\"") else {
        return String::from_utf8_lossy(s).into_owned();
    };
    let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&n) = inner.get(i + 1) else {
            out.push(b'\\');
            break;
        };
        i += 2;
        match n {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v: u32 = u32::from(n - b'0');
                let mut k = 0;
                while k < 2 {
                    match inner.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                            k += 1;
                        }
                        _ => break,
                    }
                }
                out.push(u8::try_from(v & 0xff).unwrap_or(0));
            }
            other => out.push(other),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// diff-cover 11's reading of a diff, quirks included: the path is what its
/// `diff --git` regex captures (up to the first space or quote after the last
/// ` b/`), only `diff --git` sections count, and every line that is neither
/// `+` nor `-` inside a hunk (including `\ No newline at end of file`) advances
/// the new-side line counter.
pub fn parse_diff_cover(name: &Path, text: &[u8]) -> Result<ChangeSet> {
    let text = String::from_utf8_lossy(text);
    let mut sections: Vec<(String, Vec<&str>)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut current: Option<usize> = None;
    let mut found_hunk = false;
    for (n, line) in text.split('\n').enumerate() {
        if line.starts_with("diff --git") || line.starts_with("diff --cc") {
            let path = dc_source_path(line).ok_or_else(|| {
                CoverageError::parse(
                    name,
                    Some(n as u64 + 1),
                    format!("could not parse source path in line '{line}'"),
                    HINT,
                )
            })?;
            let i = *index.entry(path.clone()).or_insert_with(|| {
                sections.push((path, Vec::new()));
                sections.len() - 1
            });
            current = Some(i);
            found_hunk = false;
        } else if found_hunk || line.starts_with("@@") {
            found_hunk = true;
            match current.and_then(|i| sections.get_mut(i)) {
                Some(s) => s.1.push(line),
                None if line.starts_with("@@") => {
                    return Err(CoverageError::parse(
                        name,
                        Some(n as u64 + 1),
                        format!("hunk has no source file: '{line}'"),
                        HINT,
                    ));
                }
                None => {}
            }
        }
    }
    let mut files = Vec::new();
    for (path, lines) in sections {
        let mut added = Vec::new();
        let mut new_line: Option<u32> = None;
        for line in lines {
            if line.starts_with("@@") {
                let info = line.split("@@").nth(1).unwrap_or("");
                let groups: Vec<&str> = info
                    .match_indices('+')
                    .map(|(i, _)| {
                        let rest = &info[i + 1..];
                        let end = rest
                            .find(|c: char| !c.is_ascii_digit())
                            .unwrap_or(rest.len());
                        &rest[..end]
                    })
                    .collect();
                let start = match groups.as_slice() {
                    [g] => g.parse::<u32>().ok(),
                    _ => None,
                };
                let Some(start) = start else {
                    return Err(CoverageError::parse(
                        name,
                        None,
                        format!("could not find start of hunk in line '{line}'"),
                        HINT,
                    ));
                };
                new_line = Some(start);
            } else if line.starts_with('+') {
                if let Some(l) = new_line.as_mut() {
                    added.push(*l);
                    *l += 1;
                }
            } else if line.starts_with('-') {
            } else if let Some(l) = new_line.as_mut() {
                *l += 1;
            }
        }
        files.push(FileChange {
            path,
            old_path: None,
            added,
            noncode: Vec::new(),
            deleted: false,
            binary: false,
        });
    }
    Ok(ChangeSet::finish(files))
}

/// `^diff --git "?a/.*"? "?b/([^ \n"]*)"?` and `^diff --cc ([^ \n]*)`.
fn dc_source_path(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix("diff --cc ") {
        return Some(rest.split([' ', '\n']).next().unwrap_or("").to_string());
    }
    let rest = line.strip_prefix("diff --git ")?;
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let rest = rest.strip_prefix("a/")?;
    // Greedy `.*`: the last ` b/` or ` "b/`.
    let b1 = rest.rfind(" b/").map(|i| i + 3);
    let b2 = rest.rfind(" \"b/").map(|i| i + 4);
    let start = b1.max(b2)?;
    let tail = &rest[start..];
    let end = tail.find([' ', '\n', '"']).unwrap_or(tail.len());
    Some(tail[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ChangeSet {
        parse_unified_diff(Path::new("d.diff"), s.as_bytes()).unwrap()
    }

    #[test]
    fn added_modified_and_context() {
        let cs = p(
            "diff --git a/src/a.py b/src/a.py\nindex 1..2 100644\n--- a/src/a.py\n+++ b/src/a.py\n@@ -2,0 +3,2 @@\n+x\n+y\n@@ -10 +12 @@ def f():\n-old\n+new\n@@ -20,3 +22,3 @@\n ctx\n-a\n+b\n ctx\n",
        );
        assert_eq!(cs.lines("src/a.py"), &[3, 4, 12, 23]);
    }

    #[test]
    fn no_newline_at_end_and_crlf() {
        let cs = p(
            "diff --git a/t.txt b/t.txt\r\n--- a/t.txt\r\n+++ b/t.txt\r\n@@ -3 +3,2 @@\r\n-last\r\n\\ No newline at end of file\r\n+last\r\n+more\r\n\\ No newline at end of file\r\n",
        );
        assert_eq!(cs.lines("t.txt"), &[3, 4]);
        // diff-cover's reading shifts the lines after the marker.
        let dc = parse_diff_cover(Path::new("d"), b"diff --git a/t.txt b/t.txt\n--- a/t.txt\n+++ b/t.txt\n@@ -3 +3,2 @@\n-last\n\\ No newline at end of file\n+last\n+more\n").unwrap();
        assert_eq!(dc.lines("t.txt"), &[4, 5]);
    }

    #[test]
    fn renames_deletes_binary_quoted() {
        let cs = p(concat!(
            "diff --git a/old name.py b/new name.py\nsimilarity index 90%\nrename from old name.py\nrename to new name.py\n--- a/old name.py\n+++ b/new name.py\n@@ -1 +1 @@\n-a\n+b\n",
            "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n",
            "diff --git a/img.png b/img.png\nnew file mode 100644\nBinary files /dev/null and b/img.png differ\n",
            "diff --git \"a/caf\\303\\251.py\" \"b/caf\\303\\251.py\"\nnew file mode 100644\n--- /dev/null\n+++ \"b/caf\\303\\251.py\"\n@@ -0,0 +1 @@\n+x\n",
            "diff --git a/pure rename.py b/moved.py\nsimilarity index 100%\nrename from pure rename.py\nrename to moved.py\n",
        ));
        let paths: Vec<_> = cs
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.deleted, f.binary))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("café.py", false, false),
                ("gone.py", true, false),
                ("img.png", false, true),
                ("moved.py", false, false),
                ("new name.py", false, false)
            ]
        );
        assert_eq!(cs.lines("new name.py"), &[1]);
        assert_eq!(cs.files[3].old_path.as_deref(), Some("pure rename.py"));
        assert!(cs.lines("gone.py").is_empty());
        assert_eq!(cs.lines("café.py"), &[1]);
    }

    #[test]
    fn plain_unified_diff_and_errors() {
        let cs =
            p("--- src/a.c\t2024-01-01\n+++ src/a.c\t2024-01-02\n@@ -1,2 +1,3 @@\n a\n+b\n c\n");
        assert_eq!(cs.lines("src/a.c"), &[2]);
        let e = parse_unified_diff(
            Path::new("d.diff"),
            b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("truncated"));
        let e = parse_unified_diff(Path::new("d.diff"), b"diff --git a/x b/x\n@@ bogus @@\n")
            .unwrap_err();
        assert!(e.to_string().starts_with("d.diff:2:"), "{e}");
    }

    #[test]
    fn unquote_escapes() {
        assert_eq!(unquote(b"\"a\\tb\\\\c\\\"d\""), "a\tb\\c\"d");
        assert_eq!(unquote(b"plain"), "plain");
    }
}
