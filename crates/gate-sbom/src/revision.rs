//! `gate-sbom diff BASE HEAD` where BASE and HEAD are SBOM files, or git
//! revisions / directories whose lockfiles are turned into SBOMs with the
//! same options on both sides.
//!
//! A revision's tree is written into a temporary directory through a
//! temporary index (`git read-tree` + `git checkout-index`): the repository's
//! own index, working tree and worktree list are never touched, and
//! `cargo metadata` sees every manifest of the commit.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use gate_core::{Context, GateError};

use crate::config::SbomConfig;
use crate::doc::{Doc, check_bytes};
use crate::generate::Options;
use crate::sources::{display_path, docs_under};

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// A CycloneDX JSON file.
    File(PathBuf),
    /// A directory: its lockfiles as they are on disk.
    Dir(PathBuf),
    /// A commit: (as given, full sha).
    Rev(String, String),
}

/// `git -C repo` with gates' one environment policy ([`gate_core::git`]):
/// the caller's hooks and environment do not change what is read.
fn git(repo: &Path) -> Command {
    gate_core::git::command(repo)
}

fn run_git(mut c: Command, what: &str) -> gate_core::Result<String> {
    let o = c.output().map_err(|e| {
        GateError::Input(format!(
            "cannot run git ({e}): diffing commits needs git on PATH; diff two SBOM files instead"
        ))
    })?;
    if !o.status.success() {
        return Err(GateError::Input(format!(
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// What `arg` names: an existing file, an existing directory, else a commit of
/// the repository at `repo`.
pub fn side(repo: &Path, arg: &str) -> gate_core::Result<Side> {
    let p = if Path::new(arg).is_absolute() {
        PathBuf::from(arg)
    } else {
        repo.join(arg)
    };
    if arg.is_empty() {
        return Err(GateError::Usage(
            "diff: an empty BASE or HEAD; give an SBOM file, a directory or a git revision".into(),
        ));
    }
    if p.is_file() {
        return Ok(Side::File(p));
    }
    if p.is_dir() {
        return Ok(Side::Dir(p));
    }
    if arg.starts_with('-') {
        return Err(GateError::Usage(format!(
            "`{arg}` is neither a file, a directory nor a git revision"
        )));
    }
    let mut c = git(repo);
    c.args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{arg}^{{commit}}"));
    match run_git(c, "git rev-parse") {
        Ok(sha) if !sha.is_empty() => Ok(Side::Rev(arg.to_string(), sha)),
        Ok(_) | Err(GateError::Input(_)) => Err(GateError::Input(format!(
            "`{arg}` is not a file or directory in {}, nor a commit of its git repository\n  hint: in GitHub Actions, check out with `fetch-depth: 0` (or `git fetch origin {arg}`) so the base commit is there",
            repo.display()
        ))),
        Err(e) => Err(e),
    }
}

/// A commit's tree written out under a temporary directory (removed on drop).
#[derive(Debug)]
pub struct Tree {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

/// Writes the tree of `sha` (a full commit id) into a new temporary directory.
pub fn checkout(repo: &Path, sha: &str) -> gate_core::Result<Tree> {
    let dir = tempfile::Builder::new()
        .prefix("gate-sbom-rev-")
        .tempdir()
        .map_err(|e| GateError::Input(format!("cannot create a temporary directory: {e}")))?;
    let root = dir.path().join("tree");
    let index = dir.path().join("index");
    let mut c = git(repo);
    c.env("GIT_INDEX_FILE", &index)
        .args(["read-tree", "--end-of-options", sha]);
    run_git(c, &format!("git read-tree {sha}"))?;
    let mut prefix = root.to_string_lossy().into_owned();
    prefix.push('/');
    let mut c = git(repo);
    c.env("GIT_INDEX_FILE", &index)
        .args(["checkout-index", "--all", "--force"])
        .arg(format!("--prefix={prefix}"));
    run_git(c, &format!("git checkout-index of {sha}"))?;
    std::fs::create_dir_all(&root).map_err(|e| GateError::write(&root, e))?;
    Ok(Tree { _dir: dir, root })
}

/// The SBOMs of one side (not a file), keyed by lockfile path, and the label
/// that names the side.
fn generate_side(
    ctx: &Context,
    config: &SbomConfig,
    side: &Side,
    opts: &Options,
) -> gate_core::Result<(std::collections::BTreeMap<String, Doc>, String)> {
    match side {
        Side::Dir(d) => {
            let label = crate::graph::relative_path(&ctx.repo_root, d);
            Ok((docs_under(d, config, opts)?, label))
        }
        Side::Rev(given, sha) => {
            let tree = checkout(&ctx.repo_root, sha)?;
            let docs = docs_under(&tree.root, config, opts)?;
            let short: String = sha.chars().take(12).collect();
            let label = if given.eq_ignore_ascii_case(sha) || sha.starts_with(given.as_str()) {
                short
            } else {
                format!("{given} ({short})")
            };
            Ok((docs, label))
        }
        Side::File(_) => Err(GateError::Internal("generate_side on a file".into())),
    }
}

/// The SBOMs `diff BASE HEAD` compares: (bases, heads), pairwise in the
/// same order.
pub fn diff_docs(
    ctx: &Context,
    config: &SbomConfig,
    base: &str,
    head: &str,
) -> gate_core::Result<(Vec<Doc>, Vec<Doc>)> {
    let root = &ctx.repo_root;
    let (b, h) = (side(root, base)?, side(root, head)?);
    let (bases, docs) = match (&b, &h) {
        (Side::File(bp), Side::File(hp)) => {
            let read = |p: &Path| -> gate_core::Result<Doc> {
                let bytes = std::fs::read(p).map_err(|e| GateError::read(p, e))?;
                check_bytes(&display_path(root, p), p, &bytes)
            };
            (vec![read(bp)?], vec![read(hp)?])
        }
        (Side::File(_), _) | (_, Side::File(_)) => {
            return Err(GateError::Usage(format!(
                "diff {base} {head}: compare two SBOM files, or two commits / directories (whose lockfiles are turned into SBOMs), not one of each"
            )));
        }
        _ => {
            // The same options on both sides; no clock (the timestamp does
            // not take part in the comparison).
            let opts = Options {
                spec: config.spec_version,
                timestamp: None,
                artifacts: Vec::new(),
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
            };
            let (mut bd, bl) = generate_side(ctx, config, &b, &opts)?;
            let (mut hd, hl) = generate_side(ctx, config, &h, &opts)?;
            let keys: BTreeSet<String> = bd.keys().chain(hd.keys()).cloned().collect();
            if keys.is_empty() {
                return Err(GateError::Input(format!(
                    "no lockfile at {bl} nor at {hl}\n  hint: name the lockfiles with `inputs` (--input PATH, relative to the repository)"
                )));
            }
            let (mut bases, mut heads) = (Vec::new(), Vec::new());
            for k in keys {
                let mut bdoc = bd.remove(&k).unwrap_or_else(|| Doc::absent(String::new()));
                bdoc.path = format!("{k}@{bl}");
                let mut hdoc = hd.remove(&k).unwrap_or_else(|| Doc::absent(String::new()));
                // The head names the lockfile itself (annotations land on it)
                // unless it is another directory or commit than the checkout.
                hdoc.path = match &h {
                    Side::Dir(d) if d == root => k.clone(),
                    _ => format!("{k}@{hl}"),
                };
                bases.push(bdoc);
                heads.push(hdoc);
            }
            (bases, heads)
        }
    };
    Ok((bases, docs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_like_revisions_are_refused() {
        let d = std::env::temp_dir();
        assert!(matches!(
            side(&d, "--output=/tmp/x"),
            Err(GateError::Usage(_))
        ));
        assert!(matches!(side(&d, ""), Err(GateError::Usage(_))));
    }
}
