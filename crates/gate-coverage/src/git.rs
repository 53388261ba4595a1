//! The change from real git: merge base of the base ref and HEAD, the
//! `-U0` diff from it, shallow-clone and missing-base detection, tracked files.

use std::path::{Path, PathBuf};

use crate::diff::{ChangeSet, parse_unified_diff};
use crate::error::{CoverageError, Result};

const FETCH_HINT: &str = "in GitHub Actions give actions/checkout `with: fetch-depth: 0` (full history), or fetch the base yourself: `git fetch --no-tags origin <base>` (add `--unshallow` in a shallow clone)";

/// A git work tree.
#[derive(Debug, Clone)]
pub struct Git {
    root: PathBuf,
}

/// Which side of the change to compare the merge base with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The HEAD commit (committed changes only).
    Head,
    /// The working tree (committed, staged and unstaged changes, as diff-cover does).
    WorkTree,
}

impl Git {
    /// Open the work tree containing `dir`.
    pub fn open(dir: &Path) -> Result<Git> {
        let out = run(dir, &["rev-parse", "--show-toplevel"])?;
        if !out.status.success() {
            return Err(CoverageError::git(
                format!(
                    "{} is not inside a git work tree: {}",
                    dir.display(),
                    stderr(&out)
                ),
                "run the gate from the repository checkout, or pass the change as a diff file (--diff-file)",
            ));
        }
        let root = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(Git {
            root: PathBuf::from(root),
        })
    }

    /// The work tree's top directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn git(&self, args: &[&str]) -> Result<std::process::Output> {
        run(&self.root, args)
    }

    /// True in a shallow clone (`actions/checkout` default: depth 1).
    pub fn is_shallow(&self) -> Result<bool> {
        let out = self.git(&["rev-parse", "--is-shallow-repository"])?;
        Ok(String::from_utf8_lossy(&out.stdout).trim() == "true")
    }

    /// The commit a revision names, or None when it does not exist here.
    pub fn resolve(&self, rev: &str) -> Result<Option<String>> {
        let spec = format!("{rev}^{{commit}}");
        let out = self.git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ])?;
        if out.status.success() {
            Ok(Some(
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
            ))
        } else {
            Ok(None)
        }
    }

    /// The merge base of `base` and `head`, with messages naming the
    /// `fetch-depth` fix when the history is missing.
    pub fn merge_base(&self, base: &str, head: &str) -> Result<String> {
        let shallow = self.is_shallow()?;
        let Some(base_sha) = self.resolve(base)? else {
            let what = if shallow {
                " in this shallow clone"
            } else {
                ""
            };
            return Err(CoverageError::git(
                format!("the base `{base}` does not exist{what}"),
                FETCH_HINT,
            ));
        };
        let Some(head_sha) = self.resolve(head)? else {
            return Err(CoverageError::git(
                format!("`{head}` does not name a commit"),
                "check out the commit under test before running the gate",
            ));
        };
        let out = self.git(&["merge-base", &base_sha, &head_sha])?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
        }
        if shallow {
            Err(CoverageError::git(
                format!(
                    "no merge base of `{base}` and `{head}` in this shallow clone: the history between them was not fetched"
                ),
                FETCH_HINT,
            ))
        } else {
            Err(CoverageError::git(
                format!(
                    "`{base}` and `{head}` have no common history ({})",
                    stderr(&out)
                ),
                "pick a base that HEAD was branched from (e.g. origin/main), or pass the change as a diff file",
            ))
        }
    }

    /// Raw `-U0` diff from `from` to `target`, renames detected.
    pub fn diff_text(&self, from: &str, target: Target) -> Result<Vec<u8>> {
        let mut args = vec![
            "-c",
            "diff.mnemonicprefix=no",
            "-c",
            "diff.noprefix=no",
            "-c",
            "core.quotepath=on",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "-U0",
            "-M",
            from,
        ];
        if target == Target::Head {
            args.push("HEAD");
        }
        args.push("--");
        let out = self.git(&args)?;
        if !out.status.success() {
            return Err(CoverageError::git(
                format!("git diff {from} failed: {}", stderr(&out)),
                FETCH_HINT,
            ));
        }
        Ok(out.stdout)
    }

    /// The change of a pull request: merge base of `base` and HEAD, diffed against `target`.
    pub fn changes(&self, base: &str, target: Target) -> Result<ChangeSet> {
        let mb = self.merge_base(base, "HEAD")?;
        let text = self.diff_text(&mb, target)?;
        parse_unified_diff(Path::new("git diff"), &text)
    }

    /// Tracked files, repository-relative.
    pub fn ls_files(&self) -> Result<Vec<String>> {
        let out = self.git(&["ls-files", "-z", "--full-name"])?;
        if !out.status.success() {
            return Err(CoverageError::git(
                format!("git ls-files failed: {}", stderr(&out)),
                "run the gate inside the repository checkout",
            ));
        }
        Ok(out
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect())
    }
}

/// `git -C dir ARGS` with gates' one environment policy ([`gate_core::git`]).
fn run(dir: &Path, args: &[&str]) -> Result<std::process::Output> {
    gate_core::git::command(dir)
        .args(args)
        .output()
        .map_err(|e| {
            CoverageError::git(
                format!("cannot run git: {e}"),
                "install git and make sure it is on PATH",
            )
        })
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) {
        let st = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@e")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@e")
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
    }

    #[test]
    fn real_repo_merge_base_diff_shallow() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("repo");
        std::fs::create_dir(&d).unwrap();
        sh(&d, &["init", "-q", "-b", "main"]);
        std::fs::write(d.join("a.py"), "1\n2\n3\n").unwrap();
        std::fs::write(d.join("old.py"), "x\ny\nz\nw\n").unwrap();
        sh(&d, &["add", "."]);
        sh(&d, &["commit", "-q", "-m", "base"]);
        sh(&d, &["checkout", "-q", "-b", "feature"]);
        std::fs::write(d.join("a.py"), "1\ntwo\n3\n4").unwrap();
        sh(&d, &["mv", "old.py", "new.py"]);
        std::fs::write(d.join("new.py"), "x\ny\nz\nw\nv\n").unwrap();
        sh(&d, &["add", "."]);
        sh(&d, &["commit", "-q", "-m", "feature"]);
        let git = Git::open(&d).unwrap();
        assert!(!git.is_shallow().unwrap());
        let cs = git.changes("main", Target::Head).unwrap();
        assert_eq!(cs.lines("a.py"), &[2, 4]);
        assert_eq!(
            cs.lines("new.py"),
            &[5],
            "rename detected: only the new line"
        );
        let mut files = git.ls_files().unwrap();
        files.sort();
        assert_eq!(files, vec!["a.py", "new.py"]);
        let e = git.changes("origin/nope", Target::Head).unwrap_err();
        assert!(e.to_string().contains("fetch-depth: 0"), "{e}");

        // A shallow clone that lacks the base.
        let c = tmp.path().join("clone");
        let url = format!("file://{}", d.display());
        sh(
            tmp.path(),
            &[
                "clone", "-q", "--depth", "1", "--branch", "feature", &url, "clone",
            ],
        );
        let git = Git::open(&c).unwrap();
        assert!(git.is_shallow().unwrap());
        let e = git.changes("origin/main", Target::Head).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("shallow") && msg.contains("fetch-depth: 0"),
            "{msg}"
        );
    }
}
