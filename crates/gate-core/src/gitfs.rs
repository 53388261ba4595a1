//! The repository root and HEAD commit read from `.git` directly, without
//! starting `git` (two processes cost a few milliseconds per gate run).
//!
//! Only the plain layouts are handled: a `.git` directory, or a `.git` file
//! (`gitdir: …`, linked worktrees and submodules) with its `commondir`;
//! loose refs and `packed-refs`. Anything else (the `GIT_DIR` family of
//! variables, a `core.worktree` or `extensions` setting, reftable, a
//! symbolic ref chain) returns `None`, and the caller asks `git` as before.

use std::path::{Path, PathBuf};

/// Variables that change how git finds the repository: with any of them
/// set, only git itself knows.
const GIT_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
];

/// A repository found from a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The work tree's top level (as `git rev-parse --show-toplevel`).
    pub root: PathBuf,
    /// This work tree's git directory (holds `HEAD`).
    pub git_dir: PathBuf,
    /// The common directory (holds `refs/`, `packed-refs`).
    pub common_dir: PathBuf,
}

fn is_hex_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Finds the repository containing `dir`: `Ok(None)` outside any
/// repository, `Err(())` when the layout is one this reader leaves to git.
#[allow(clippy::result_unit_err)]
pub fn discover(dir: &Path) -> Result<Option<Repo>, ()> {
    if GIT_ENV.iter().any(|k| std::env::var_os(k).is_some()) {
        return Err(());
    }
    let dir = std::fs::canonicalize(dir).map_err(|_| ())?;
    let mut cur: Option<&Path> = Some(&dir);
    while let Some(d) = cur {
        let dot = d.join(".git");
        match std::fs::metadata(&dot) {
            Ok(m) if m.is_dir() => {
                if !dot.join("HEAD").is_file() {
                    return Err(());
                }
                return check(Repo {
                    root: d.to_path_buf(),
                    git_dir: dot.clone(),
                    common_dir: dot,
                })
                .map(Some);
            }
            Ok(m) if m.is_file() => {
                let text = std::fs::read_to_string(&dot).map_err(|_| ())?;
                let target = text.trim().strip_prefix("gitdir:").ok_or(())?.trim();
                let git_dir = if Path::new(target).is_absolute() {
                    PathBuf::from(target)
                } else {
                    d.join(target)
                };
                let git_dir = std::fs::canonicalize(git_dir).map_err(|_| ())?;
                let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
                    Ok(c) => {
                        let c = c.trim();
                        let p = if Path::new(c).is_absolute() {
                            PathBuf::from(c)
                        } else {
                            git_dir.join(c)
                        };
                        std::fs::canonicalize(p).map_err(|_| ())?
                    }
                    Err(_) => git_dir.clone(),
                };
                return check(Repo {
                    root: d.to_path_buf(),
                    git_dir,
                    common_dir,
                })
                .map(Some);
            }
            Ok(_) => return Err(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return Err(()),
        }
        cur = d.parent();
    }
    Ok(None)
}

/// Refuses configurations that move the work tree or change the ref store.
fn check(repo: Repo) -> Result<Repo, ()> {
    for cfg in [
        repo.common_dir.join("config"),
        repo.git_dir.join("config.worktree"),
    ] {
        match std::fs::read_to_string(&cfg) {
            Ok(text) => {
                let lower = text.to_ascii_lowercase();
                if lower.contains("worktree") && lower.contains("worktree =")
                    || lower.contains("bare = true")
                    || lower.contains("[extensions]")
                {
                    return Err(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return Err(()),
        }
    }
    if repo.common_dir.join("reftable").exists() {
        return Err(());
    }
    Ok(repo)
}

/// The commit HEAD points at: `Ok(None)` on an unborn branch, `Err(())`
/// when this reader cannot tell.
#[allow(clippy::result_unit_err)]
pub fn head(repo: &Repo) -> Result<Option<String>, ()> {
    let text = std::fs::read_to_string(repo.git_dir.join("HEAD")).map_err(|_| ())?;
    let text = text.trim();
    if is_hex_id(text) {
        return Ok(Some(text.to_ascii_lowercase()));
    }
    let name = text.strip_prefix("ref:").ok_or(())?.trim();
    if !name.starts_with("refs/") || name.contains("..") {
        return Err(());
    }
    // Per-worktree refs live in the git dir, the others in the common dir.
    let base = if name.starts_with("refs/bisect/")
        || name.starts_with("refs/worktree/")
        || name.starts_with("refs/rewritten/")
    {
        &repo.git_dir
    } else {
        &repo.common_dir
    };
    match std::fs::read_to_string(base.join(name)) {
        Ok(v) => {
            let v = v.trim();
            return if is_hex_id(v) {
                Ok(Some(v.to_ascii_lowercase()))
            } else {
                Err(()) // a symbolic ref chain
            };
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => return Err(()),
    }
    match std::fs::read_to_string(repo.common_dir.join("packed-refs")) {
        Ok(packed) => {
            for line in packed.lines() {
                if line.starts_with('#') || line.starts_with('^') {
                    continue;
                }
                if let Some((id, r)) = line.split_once(' ')
                    && r.trim() == name
                {
                    return if is_hex_id(id) {
                        Ok(Some(id.to_ascii_lowercase()))
                    } else {
                        Err(())
                    };
                }
            }
            Ok(None)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> Option<String> {
        let o = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
    }

    /// Same root and HEAD as `git rev-parse` from `dir`.
    fn same_as_git(dir: &Path) {
        let repo = discover(dir).ok().flatten();
        let want_root = git(dir, &["rev-parse", "--show-toplevel"]);
        assert_eq!(
            repo.as_ref().map(|r| r.root.to_string_lossy().into_owned()),
            want_root,
            "{}",
            dir.display()
        );
        if let Some(r) = &repo {
            let want_head = git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"]);
            assert_eq!(head(r).ok().flatten(), want_head, "{}", dir.display());
        }
    }

    #[test]
    fn agrees_with_git_on_real_layouts() {
        if std::env::var_os("GIT_DIR").is_some() {
            return;
        }
        let Ok(t) = tempfile::tempdir() else { return };
        let base = std::fs::canonicalize(t.path()).unwrap_or_default();
        let main = base.join("main");
        std::fs::create_dir_all(main.join("sub/deeper")).unwrap_or_default();
        // not a repository (unless the temp dir is inside one)
        same_as_git(&main);
        assert!(git(&main, &["init", "-q", "-b", "trunk"]).is_some());
        same_as_git(&main); // unborn branch
        std::fs::write(main.join("a"), "a").unwrap_or_default();
        git(&main, &["add", "a"]);
        git(&main, &["commit", "-q", "-m", "one"]);
        same_as_git(&main);
        same_as_git(&main.join("sub/deeper"));
        git(&main, &["pack-refs", "--all"]); // ref only in packed-refs
        assert!(!main.join(".git/refs/heads/trunk").exists());
        same_as_git(&main.join("sub"));
        git(&main, &["commit", "-q", "--allow-empty", "-m", "two"]);
        same_as_git(&main); // loose ref newer than packed-refs
        git(&main, &["checkout", "-q", "--detach", "HEAD~1"]);
        same_as_git(&main); // detached
        git(&main, &["checkout", "-q", "trunk"]);
        let wt = base.join("wt");
        git(
            &main,
            &[
                "worktree",
                "add",
                "-q",
                "-b",
                "side",
                wt.to_str().unwrap_or_default(),
            ],
        );
        git(&wt, &["commit", "-q", "--allow-empty", "-m", "side"]);
        same_as_git(&wt); // linked worktree: HEAD in its git dir, refs common
        same_as_git(&main);
        // a core.worktree setting is left to git
        git(&main, &["config", "core.worktree", "/nonexistent"]);
        assert!(discover(&main).is_err());
    }
}
