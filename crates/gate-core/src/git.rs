//! The one way gates runs `git`: [`command`] builds every invocation with
//! the same environment policy, so what a gate reads never depends on the
//! caller's shell, hooks or locale.
//!
//! The policy:
//! - `git -C <dir>`: the repository gates was pointed at (`--repo`, the
//!   working directory), never another one named by the environment: the
//!   `GIT_DIR` family (set inside git hooks and by wrappers) is removed;
//! - no prompt (`GIT_TERMINAL_PROMPT=0`, standard input closed), no pager;
//! - messages in English (`LC_ALL=C`), so they can be matched and quoted;
//! - no optional locks (`GIT_OPTIONAL_LOCKS=0`): reading never takes the
//!   index lock a concurrent `git commit` needs.
//!
//! Reading plain repository layouts without a process is [`crate::gitfs`]'s.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Variables that would point git at another repository, index or object
/// store than the one at `-C`.
pub const REMOVED_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
];

/// `git -C <dir>` with the policy of the module docs; add arguments and run.
pub fn command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir).stdin(Stdio::null());
    for k in REMOVED_ENV {
        c.env_remove(k);
    }
    c.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_PAGER", "cat")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C");
    c
}

/// What went wrong running git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git could not be started (not installed, not on PATH).
    #[error("cannot run git ({0}): install git and make sure it is on PATH")]
    Spawn(std::io::Error),
    /// git ran and failed; its standard error, trimmed.
    #[error("git {args} failed: {stderr}")]
    Failed { args: String, stderr: String },
}

/// Runs `git -C dir ARGS` and returns its standard output, trimmed of
/// surrounding white space (lossy UTF-8).
pub fn run<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<String, GitError> {
    let o = output(dir, args)?;
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// Runs `git -C dir ARGS` and returns its whole output when it succeeded.
pub fn output<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<std::process::Output, GitError> {
    let o = command(dir).args(args).output().map_err(GitError::Spawn)?;
    if o.status.success() {
        Ok(o)
    } else {
        Err(GitError::Failed {
            args: args
                .iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            stderr: String::from_utf8_lossy(&o.stderr).trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_set_on_every_command() {
        let c = command(Path::new("/repo"));
        let envs: Vec<(String, Option<String>)> = c
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        for k in REMOVED_ENV {
            assert!(envs.contains(&((*k).to_owned(), None)), "{k} not removed");
        }
        for (k, v) in [
            ("GIT_TERMINAL_PROMPT", "0"),
            ("LC_ALL", "C"),
            ("GIT_OPTIONAL_LOCKS", "0"),
        ] {
            assert!(envs.contains(&(k.to_owned(), Some(v.to_owned()))), "{k}");
        }
        let args: Vec<_> = c.get_args().collect();
        assert_eq!(args, ["-C", "/repo"]);
    }

    #[test]
    fn run_reads_the_repository_at_dir() {
        let a = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        run(a.path(), &["init", "-q", "-b", "main"]).unwrap_or_else(|e| panic!("{e}"));
        let top =
            run(a.path(), &["rev-parse", "--show-toplevel"]).unwrap_or_else(|e| panic!("{e}"));
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(canon(Path::new(&top)), canon(a.path()));
    }

    #[test]
    fn failures_carry_stderr_and_args() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let e = run(d.path(), &["rev-parse", "--verify", "no-such-ref"]);
        match e {
            Err(GitError::Failed { args, stderr }) => {
                assert_eq!(args, "rev-parse --verify no-such-ref");
                assert!(stderr.contains("not a git repository"), "{stderr}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}
