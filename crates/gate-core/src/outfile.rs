//! Writing where the user asked (`--output FORMAT=PATH`), and the symlink
//! policy of every file gates writes inside a repository.
//!
//! The repository's content is untrusted (a pull request controls it), so a
//! symbolic link *inside the repository* is never followed when writing: an
//! output path or a ledger path that goes through one is refused (exit 4).
//! Outside the repository the user chose the path, and it is honoured:
//!
//! | what is at the path | what happens |
//! |---|---|
//! | nothing, or a regular file | atomic write (temp file, fsync, rename); an existing file keeps its mode, a new one is `0644` |
//! | a character device or FIFO (`/dev/null`, `/dev/stdout` on a pipe) | written through, never replaced |
//! | a symlink outside the repository | followed: its target is written through (`/dev/stdout` redirected to a file) |
//! | a symlink inside the repository | refused, exit 4 |
//! | a directory (`/`) | refused, exit 4 |

use std::io::Write;
use std::path::Path;

use crate::error::{GateError, Result};

pub use crate::fs::{refuse_symlinks, symlink_within};

/// Writes a rendered output to `path` (absolute), with `repo_root` the
/// boundary of the symlink policy.
pub fn write(path: &Path, bytes: &[u8], repo_root: &Path) -> Result<()> {
    refuse_symlinks(repo_root, path)?;
    let is_dir = |p: &Path| {
        GateError::Input(format!(
            "cannot write the output to {}: it is a directory; give a file path, e.g. json=report.json",
            p.display()
        ))
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if path.parent().is_none() || path.file_name().is_none() {
                return Err(is_dir(path));
            }
            return crate::fs::atomic_write_mode(path, bytes, Some(0o644));
        }
        Err(e) => return Err(GateError::write(path, e)),
    };
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(is_dir(path));
    }
    if ft.is_symlink() {
        // Outside the repository (checked above): follow it.
        let target = std::fs::metadata(path).map_err(|e| GateError::write(path, e))?;
        if target.is_dir() {
            return Err(is_dir(path));
        }
        return write_through(path, bytes, target.is_file());
    }
    if ft.is_file() {
        return crate::fs::atomic_write_mode(path, bytes, None);
    }
    // A character device, a FIFO, a socket: never replaced.
    write_through(path, bytes, false)
}

fn write_through(path: &Path, bytes: &[u8], truncate: bool) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(truncate)
        .open(path)
        .map_err(|e| GateError::write(path, e))?;
    f.write_all(bytes).map_err(|e| GateError::write(path, e))?;
    f.flush().map_err(|e| GateError::write(path, e))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};

    #[test]
    fn devices_are_written_through_never_replaced() {
        let repo = tempfile::tempdir().unwrap();
        write(Path::new("/dev/null"), b"x", repo.path()).unwrap();
        let m = std::fs::metadata("/dev/null").unwrap();
        assert!(m.file_type().is_char_device());
    }

    #[test]
    fn directories_are_exit_4() {
        let repo = tempfile::tempdir().unwrap();
        for p in [Path::new("/"), repo.path()] {
            let e = write(p, b"x", repo.path()).unwrap_err();
            assert_eq!(e.exit_code(), crate::ExitCode::Input, "{e}");
            assert!(e.to_string().contains("is a directory"), "{e}");
        }
    }

    #[test]
    fn symlinks_inside_the_repository_are_refused() {
        let repo = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        symlink(&victim, repo.path().join("report.json")).unwrap();
        symlink(outside.path(), repo.path().join("out")).unwrap();
        for p in [
            repo.path().join("report.json"),
            repo.path().join("out/victim"),
        ] {
            let e = write(&p, b"x", repo.path()).unwrap_err();
            assert_eq!(e.exit_code(), crate::ExitCode::Input, "{e}");
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }

    #[test]
    fn symlinks_outside_are_followed_and_files_keep_their_mode() {
        let repo = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("t.json");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = outside.path().join("link.json");
        symlink(&target, &link).unwrap();
        write(&link, b"new", repo.path()).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A regular file is replaced atomically and keeps its mode.
        write(&target, b"newer", repo.path()).unwrap();
        let m = std::fs::metadata(&target).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o640);
        // A new file is 0644.
        let fresh = repo.path().join("fresh.json");
        write(&fresh, b"{}", repo.path()).unwrap();
        let m = std::fs::metadata(&fresh).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o644);
    }

    #[test]
    fn a_fifo_is_written_through() {
        let repo = tempfile::tempdir().unwrap();
        let fifo = repo.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write(&fifo, b"through", repo.path()).unwrap();
        assert_eq!(reader.join().unwrap(), "through");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }
}
