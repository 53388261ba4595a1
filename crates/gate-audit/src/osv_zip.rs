//! OSV `all.zip` archives, as osv.dev publishes one per ecosystem
//! (`https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip`):
//! one OSV JSON record per entry, read in place (never extracted).
//!
//! This module knows zip archives, not OSV records: [`read_records`] takes
//! the record parser (`osv::parse_record`), so `osv` uses this module and
//! never the other way round.

use std::io::Read;
use std::path::Path;

use crate::rustsec::DbError;

/// Largest entry read (an OSV record is a few KiB; this bounds a zip bomb).
const MAX_ENTRY: u64 = 64 * 1024 * 1024;

/// Whether `path` names a zip archive (by extension or magic bytes).
pub fn is_zip(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        return true;
    }
    if !path.is_file() {
        return false;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

fn err(path: &Path, message: String) -> DbError {
    DbError {
        path: path.to_path_buf(),
        line: None,
        message,
    }
}

/// Reads every `*.json` entry of the archive at `path` with `parse` (given
/// the entry's name as its path), returning each record with its entry's
/// name (entries `parse` says are not records at all, `Ok(None)`, are
/// skipped, as in a directory). A bad archive or a corrupted entry is an
/// error naming the archive and the entry.
pub fn read_records<T>(
    path: &Path,
    mut parse: impl FnMut(&Path, &[u8]) -> Result<Option<T>, DbError>,
) -> Result<Vec<(String, T)>, DbError> {
    let file = std::fs::File::open(path)
        .map_err(|e| err(path, format!("cannot read the OSV archive: {e}")))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| {
        err(
            path,
            format!(
                "not a readable zip archive ({e}); an OSV archive is osv.dev's <ecosystem>/all.zip\n  hint: download it again (a partial download is not a zip)"
            ),
        )
    })?;
    let mut out = Vec::with_capacity(zip.len());
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| err(path, format!("entry #{i}: unreadable ({e})")))?;
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("#{i}"));
        if entry.is_dir() || !name.ends_with(".json") {
            continue;
        }
        if entry.size() > MAX_ENTRY {
            return Err(err(
                path,
                format!(
                    "entry `{name}`: {} bytes, larger than any OSV record ({MAX_ENTRY} at most)",
                    entry.size()
                ),
            ));
        }
        buf.clear();
        (&mut entry)
            .take(MAX_ENTRY + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                err(
                    path,
                    format!("entry `{name}`: corrupted ({e})\n  hint: download the archive again"),
                )
            })?;
        let entry_path = Path::new(&name);
        match parse(entry_path, &buf) {
            Ok(Some(r)) => out.push((name, r)),
            Ok(None) => {}
            Err(e) => {
                return Err(err(
                    path,
                    format!(
                        "entry `{name}`{}: {}",
                        e.line.map(|l| format!(", line {l}")).unwrap_or_default(),
                        e.message
                    ),
                ));
            }
        }
    }
    Ok(out)
}
