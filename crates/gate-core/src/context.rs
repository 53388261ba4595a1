//! What a gate knows about where it runs: the repository, the commit, and,
//! in GitHub Actions, the run and its event.

use std::path::{Path, PathBuf};

use crate::secret::Secret;
pub use gates_github::env::GithubEnv;

/// Everything a gate's `collect` may use besides its configuration.
#[derive(Debug)]
pub struct Context {
    /// Root of the repository (git top level), or the working directory.
    pub repo_root: PathBuf,
    /// The commit being gated, when known (PR head, `GITHUB_SHA`, or `git rev-parse HEAD`).
    pub commit: Option<String>,
    /// GitHub Actions facts; `in_actions` is false off GitHub.
    pub github: GithubEnv,
    /// The GitHub token, when one was found. Never printed.
    pub token: Option<Secret>,
    /// Where state goes.
    pub ledger: crate::ledger::Ledger,
    /// Secrets learned during the run, masked in every output.
    pub masker: crate::secret::Masker,
    /// Instance name (`--instance`), when the gate runs more than once per commit.
    pub instance: Option<String>,
}

impl Context {
    /// The key of gate `gate`'s record for this run: `<gate>` or
    /// `<gate>/<instance>` (for reading a baseline of the same instance).
    pub fn record_key(&self, gate: &str) -> String {
        crate::report::record_key(gate, self.instance.as_deref())
    }

    /// Resolves `path` against the repository root unless it is absolute.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        let p = path.as_ref();
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.repo_root.join(p)
        }
    }
}
