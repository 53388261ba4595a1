//! Lockfile discovery: gate-core's walk, without what a person would not
//! call the project's lockfiles.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gate_core::GateError;

use crate::lockfile;

/// A lockfile discovery left out: (repository-relative path, why).
pub type Skipped = (String, String);

/// Lockfiles under `root` (gate-core's walk), without what a person would
/// not call the project's: paths git ignores, test data (a `fixtures` or
/// `testdata` folder, `tests/data`, `test/data`) and the `exclude` globs.
/// Returns the kept paths and the skipped ones with the reason.
pub fn discover(
    root: &Path,
    exclude: &[String],
) -> gate_core::Result<(Vec<PathBuf>, Vec<Skipped>)> {
    let mut globs = globset::GlobSetBuilder::new();
    for (i, g) in exclude.iter().enumerate() {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| {
                GateError::Config(vec![format!(
                    "audit.exclude[{i}]: `{g}` is not a glob: {e}"
                )])
            })?;
        globs.add(glob);
    }
    let globs = globs
        .build()
        .map_err(|e| GateError::Config(vec![format!("audit.exclude: {e}")]))?;
    let found = lockfile::discover(root, 12).map_err(|e| GateError::read(root, e))?;
    let ignored = git_ignored(root, &found);
    let mut kept = Vec::new();
    let mut skipped = Vec::new();
    for p in found {
        let r = rel(root, &p);
        let dirs: Vec<&str> = r.split('/').collect();
        let dirs = &dirs[..dirs.len().saturating_sub(1)];
        let test_data = dirs.iter().enumerate().find_map(|(i, d)| {
            let pair = i > 0 && *d == "data" && matches!(dirs[i - 1], "tests" | "test");
            (matches!(*d, "fixtures" | "testdata") || pair).then(|| dirs[..=i].join("/"))
        });
        // The path itself or any folder above it.
        let excluded = (1..=r.split('/').count())
            .map(|n| r.split('/').take(n).collect::<Vec<_>>().join("/"))
            .find(|prefix| globs.is_match(prefix));
        let why = if ignored.contains(&r) {
            Some("ignored by git".to_string())
        } else if let Some(d) = test_data {
            Some(format!("test data (`{d}/`)"))
        } else {
            excluded.map(|m| format!("`exclude` matches `{m}`"))
        };
        match why {
            Some(w) => skipped.push((r, w)),
            None => kept.push(p),
        }
    }
    Ok((kept, skipped))
}

/// The repository-relative paths among `paths` that git ignores
/// (`git check-ignore`: every .gitignore, `.git/info/exclude`, the global
/// excludes). Empty outside a git work tree or without git.
fn git_ignored(root: &Path, paths: &[PathBuf]) -> BTreeSet<String> {
    use std::io::Write;
    if paths.is_empty() {
        return BTreeSet::new();
    }
    let child = gate_core::git::command(root)
        .args(["check-ignore", "--stdin", "-z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return BTreeSet::new();
    };
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(rel(root, p).as_bytes());
        input.push(0);
    }
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    let out = child.wait_with_output();
    if let Some(w) = writer {
        let _ = w.join();
    }
    match out {
        // 0: some are ignored; 1: none is; 128: not a work tree.
        Ok(o) if o.status.code() == Some(0) => o
            .stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// `p` relative to `root`, with `/` separators.
pub fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}
