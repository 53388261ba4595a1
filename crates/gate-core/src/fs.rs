//! The file system, written to one way: atomically (temp file, fsync,
//! rename, fsync of the folder), so a crash or a full disk never leaves a
//! user's file half-written; and never through a symbolic link inside the
//! repository, whose content a pull request controls (see [`crate::outfile`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{GateError, Result};

/// Writes `bytes` to `path` atomically (temp file, fsync, rename, fsync dir).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_write_with(path, bytes, || Ok(()))
}

/// [`atomic_write`] with the file's mode: an existing file keeps its own;
/// a new one gets `new_mode` (`None`: the temp file's `0600`).
pub fn atomic_write_mode(path: &Path, bytes: &[u8], new_mode: Option<u32>) -> Result<()> {
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
            .or(new_mode)
    };
    #[cfg(not(unix))]
    let mode = new_mode.map(|_| 0);
    write_atomically(path, bytes, mode, || Ok(()))
}

/// [`atomic_write`] with a hook run after the data is on disk and before the
/// rename: tests use it to simulate a crash at the worst moment.
pub fn atomic_write_with(
    path: &Path,
    bytes: &[u8],
    before_rename: impl FnOnce() -> Result<()>,
) -> Result<()> {
    write_atomically(path, bytes, None, before_rename)
}

fn write_atomically(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    before_rename: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if path.file_name().is_some() => d,
        _ => {
            return Err(GateError::Input(format!(
                "cannot write {}: not a file path",
                path.display()
            )));
        }
    };
    std::fs::create_dir_all(dir).map_err(|e| GateError::write(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| GateError::write(dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| GateError::write(path, e))?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| GateError::write(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.as_file()
        .sync_all()
        .map_err(|e| GateError::write(path, e))?;
    before_rename()?;
    tmp.persist(path)
        .map_err(|e| GateError::write(path, e.error))?;
    // Make the rename itself durable.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The first symbolic link among `path` and its ancestors below `base`
/// (`base` itself may be a link: it is where the user pointed), when `path`
/// is under `base`. Lexical: `path` and `base` are absolute.
pub fn symlink_within(base: &Path, path: &Path) -> Option<PathBuf> {
    if !path.starts_with(base) {
        return None;
    }
    let mut p = Some(path);
    while let Some(cur) = p {
        if cur == base {
            break;
        }
        if std::fs::symlink_metadata(cur).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(cur.to_path_buf());
        }
        p = cur.parent();
    }
    None
}

/// Refuses `path` when it, or a folder on the way to it from `base`, is a
/// symbolic link (see the module docs).
pub fn refuse_symlinks(base: &Path, path: &Path) -> Result<()> {
    match symlink_within(base, path) {
        None => Ok(()),
        Some(link) => Err(GateError::Input(format!(
            "{} is a symbolic link inside the repository; gates does not write through links there \
             (the repository's content is not trusted): remove the link, or write outside the repository",
            link.display()
        ))),
    }
}
