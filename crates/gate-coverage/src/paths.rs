//! Mapping report paths onto the repository's tracked files.
//!
//! In order: the user's `--path-map from=to` rules, backslashes and `./`
//! normalised, the repository root stripped from absolute paths, the
//! report's `<source>` roots, CI workspace prefixes
//! (`/home/runner/work/<repo>/<repo>/`, …), and finally the unique longest
//! suffix among the tracked files.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use crate::model::{CoverageMap, ParsedReport};

/// A user rule `from=to`: a report path starting with `from` has that prefix replaced by `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    pub from: String,
    pub to: String,
}

impl FromStr for PathRule {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.split_once('=') {
            Some((from, to)) if !from.is_empty() => Ok(PathRule {
                from: from.replace('\\', "/"),
                to: to.replace('\\', "/"),
            }),
            _ => Err(format!(
                "invalid path map `{s}`: expected FROM=TO, e.g. /app/=src/"
            )),
        }
    }
}

/// Maps report paths to tracked repository paths.
#[derive(Debug, Clone, Default)]
pub struct PathMapper {
    tracked: HashSet<String>,
    by_name: HashMap<String, Vec<String>>,
    root: Option<String>,
    rules: Vec<PathRule>,
    /// Without a repository: the files the change names (repository paths).
    changed: HashSet<String>,
}

/// How a report path was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Mapped to this repository path.
    Matched(String),
    /// Several tracked files end with the same longest suffix.
    Ambiguous(Vec<String>),
    /// No tracked file matches.
    Unmatched,
}

impl PathMapper {
    /// `tracked`: repository-relative tracked files (`git ls-files`); empty
    /// means "no repository": paths are only normalised.
    /// `root`: the repository's absolute top directory, when known.
    pub fn new(tracked: Vec<String>, root: Option<&std::path::Path>, rules: Vec<PathRule>) -> Self {
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for t in &tracked {
            let name = t.rsplit('/').next().unwrap_or(t).to_string();
            by_name.entry(name).or_default().push(t.clone());
        }
        PathMapper {
            tracked: tracked.into_iter().collect(),
            by_name,
            root: root.map(|r| {
                let mut s = normalize(&r.to_string_lossy());
                if !s.ends_with('/') {
                    s.push('/');
                }
                s
            }),
            rules,
            changed: HashSet::new(),
        }
    }

    /// Without a repository, the change's paths are the only repository
    /// paths known: a report path under one of the report's source roots
    /// maps onto the changed file it ends with (`/w/proj/lib` + `b.py` onto
    /// `lib/b.py`), so a file under a second root is not dropped.
    #[must_use]
    pub fn with_changed(mut self, paths: impl IntoIterator<Item = String>) -> Self {
        if !self.has_repo() {
            self.changed = paths.into_iter().collect();
        }
        self
    }

    /// The changed path that `candidate` is, or (absolute) ends with after a
    /// `/`, the longest such.
    fn changed_match(&self, candidate: &str) -> Option<String> {
        if self.changed.contains(candidate) {
            return Some(candidate.to_string());
        }
        // A relative path is already repository-relative (or needs --path-map).
        if !is_absolute(candidate) {
            return None;
        }
        let mut rest = candidate;
        while let Some((_, tail)) = rest.split_once('/') {
            if self.changed.contains(tail) {
                return Some(tail.to_string());
            }
            rest = tail;
        }
        None
    }

    fn has_repo(&self) -> bool {
        !self.tracked.is_empty()
    }

    fn strip_root<'a>(&self, p: &'a str) -> &'a str {
        match &self.root {
            Some(r) => p.strip_prefix(r.as_str()).unwrap_or(p),
            None => p,
        }
    }

    /// Resolve one report path; `roots` are the report's declared source roots.
    pub fn resolve(&self, report_path: &str, roots: &[String]) -> Resolution {
        let mut p = report_path.trim().replace('\\', "/");
        if let Some(rest) = p.strip_prefix("file://") {
            p = rest.to_string();
        }
        for r in &self.rules {
            if let Some(rest) = p.strip_prefix(r.from.as_str()) {
                p = format!("{}{}", r.to, rest);
                break;
            }
        }
        let p = normalize(&p);
        let mut candidates: Vec<String> = Vec::new();
        candidates.push(self.strip_root(&p).to_string());
        if !is_absolute(&p) {
            for root in roots {
                let joined = normalize(&format!("{}/{}", root.replace('\\', "/"), p));
                candidates.push(self.strip_root(&joined).to_string());
                if let Some(s) = strip_ci_prefix(&joined) {
                    candidates.push(s.to_string());
                }
            }
        }
        if let Some(s) = strip_ci_prefix(&p) {
            candidates.push(s.to_string());
        }
        if !self.has_repo() {
            for c in &candidates {
                if let Some(m) = self.changed_match(c) {
                    return Resolution::Matched(m);
                }
            }
            // Without a repository: the first relative candidate.
            let best = candidates
                .iter()
                .find(|c| !is_absolute(c))
                .unwrap_or(&candidates[0]);
            return Resolution::Matched(best.trim_start_matches('/').to_string());
        }
        for c in &candidates {
            if self.tracked.contains(c.as_str()) {
                return Resolution::Matched(c.clone());
            }
        }
        self.suffix_match(&p)
    }

    /// Map a path, `None` when unmatched or ambiguous.
    pub fn map(&self, report_path: &str, roots: &[String]) -> Option<String> {
        match self.resolve(report_path, roots) {
            Resolution::Matched(p) => Some(p),
            _ => None,
        }
    }

    fn suffix_match(&self, p: &str) -> Resolution {
        let name = p.rsplit('/').next().unwrap_or(p);
        let Some(cands) = self.by_name.get(name) else {
            return Resolution::Unmatched;
        };
        let want: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        let mut best = 0usize;
        let mut best_paths: Vec<String> = Vec::new();
        for c in cands {
            let n = c
                .split('/')
                .rev()
                .zip(want.iter().rev())
                .take_while(|(a, b)| a == *b)
                .count();
            match n.cmp(&best) {
                std::cmp::Ordering::Greater => {
                    best = n;
                    best_paths = vec![c.clone()];
                }
                std::cmp::Ordering::Equal if n > 0 => best_paths.push(c.clone()),
                _ => {}
            }
        }
        match best_paths.len() {
            0 => Resolution::Unmatched,
            1 => Resolution::Matched(best_paths.remove(0)),
            _ => {
                best_paths.sort();
                Resolution::Ambiguous(best_paths)
            }
        }
    }
}

fn is_absolute(p: &str) -> bool {
    p.starts_with('/') || (p.len() > 2 && p.as_bytes().get(1) == Some(&b':'))
}

/// Lexical normalisation: `/` separators, no `.`, `..` resolved, no doubled `/`.
pub fn normalize(p: &str) -> String {
    let p = p.replace('\\', "/");
    let abs = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !abs {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    if abs { format!("/{joined}") } else { joined }
}

/// Strip a CI workspace prefix: GitHub-hosted runners
/// (`/home/runner/work/<r>/<r>/`, `/Users/runner/work/<r>/<r>/`,
/// `<drive>:/a/<r>/<r>/`), container jobs (`/__w/<r>/<r>/`, `/github/workspace/`),
/// GitLab (`/builds/<group>/<project>/`).
pub fn strip_ci_prefix(p: &str) -> Option<&str> {
    fn skip_two(rest: &str) -> Option<&str> {
        let mut it = rest.splitn(3, '/');
        let _a = it.next().filter(|s| !s.is_empty())?;
        let _b = it.next().filter(|s| !s.is_empty())?;
        it.next()
    }
    for pre in [
        "/home/runner/work/",
        "/Users/runner/work/",
        "/__w/",
        "/builds/",
    ] {
        if let Some(rest) = p.strip_prefix(pre) {
            return skip_two(rest);
        }
    }
    if let Some(rest) = p.strip_prefix("/github/workspace/") {
        return Some(rest);
    }
    let b = p.as_bytes();
    if b.len() > 5 && b[1] == b':' && p.get(2..5) == Some("/a/") {
        return skip_two(&p[5..]);
    }
    None
}

/// How well the reports' files matched the repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchStats {
    /// Distinct files named by the reports.
    pub report_files: usize,
    /// Of those, how many mapped onto a tracked file.
    pub matched: usize,
    /// A few unmatched report paths (at most 10), for the message.
    pub unmatched_examples: Vec<String>,
    /// Report paths that matched several tracked files equally well (at most 10).
    pub ambiguous_examples: Vec<(String, Vec<String>)>,
}

impl MatchStats {
    /// Share of report files that matched, in percent (100 when there is none).
    pub fn matched_percent(&self) -> f64 {
        crate::model::percent(self.matched as u64, self.report_files as u64).unwrap_or(100.0)
    }
}

/// Map every report's files and merge them into one coverage map
/// (measured if any report measures a line, covered if any covers it).
/// Takes the reports by value so their line data moves instead of being copied.
pub fn map_reports(reports: Vec<ParsedReport>, mapper: &PathMapper) -> (CoverageMap, MatchStats) {
    let mut map = CoverageMap::default();
    let mut stats = MatchStats::default();
    let mut seen: HashSet<(usize, String)> = HashSet::new();
    for (ri, r) in reports.into_iter().enumerate() {
        for f in r.files {
            if !seen.insert((ri, f.path.clone())) {
                continue;
            }
            stats.report_files += 1;
            match mapper.resolve(&f.path, &r.roots) {
                Resolution::Matched(p) => {
                    stats.matched += 1;
                    map.add_owned(p, f);
                }
                Resolution::Ambiguous(c) => {
                    if stats.ambiguous_examples.len() < 10 {
                        stats.ambiguous_examples.push((f.path.clone(), c));
                    }
                }
                Resolution::Unmatched => {
                    if stats.unmatched_examples.len() < 10 {
                        stats.unmatched_examples.push(f.path.clone());
                    }
                }
            }
        }
    }
    (map, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapper() -> PathMapper {
        PathMapper::new(
            vec![
                "src/click/core.py".into(),
                "lib/a/util.js".into(),
                "lib/b/util.js".into(),
                "pkg/server/main.go".into(),
                "index.js".into(),
            ],
            Some(std::path::Path::new("/repo")),
            vec!["/app/=src/".parse().unwrap()],
        )
    }

    #[test]
    fn mapping_rules() {
        let m = mapper();
        let r = |p: &str| m.map(p, &[]);
        assert_eq!(r("src/click/core.py").as_deref(), Some("src/click/core.py"));
        assert_eq!(
            r("./src/click/core.py").as_deref(),
            Some("src/click/core.py")
        );
        assert_eq!(
            r("/repo/src/click/core.py").as_deref(),
            Some("src/click/core.py")
        );
        assert_eq!(
            r("src\\click\\core.py").as_deref(),
            Some("src/click/core.py")
        );
        assert_eq!(
            r("/home/runner/work/commander/commander/index.js").as_deref(),
            Some("index.js")
        );
        assert_eq!(
            r("D:\\a\\x\\x\\src\\click\\core.py").as_deref(),
            Some("src/click/core.py")
        );
        assert_eq!(
            r("/app/click/core.py").as_deref(),
            Some("src/click/core.py")
        );
        assert_eq!(
            r("github.com/o/r/pkg/server/main.go").as_deref(),
            Some("pkg/server/main.go")
        );
        assert_eq!(
            r("/elsewhere/lib/a/util.js").as_deref(),
            Some("lib/a/util.js")
        );
        assert!(matches!(
            m.resolve("util.js", &[]),
            Resolution::Ambiguous(_)
        ));
        assert_eq!(r("nothing.py"), None);
        assert_eq!(
            m.map(
                "click/core.py",
                &["/home/runner/work/click/click/src".into()]
            )
            .as_deref(),
            Some("src/click/core.py")
        );
    }

    #[test]
    fn no_repo_normalizes() {
        let m = PathMapper::new(vec![], None, vec![]);
        assert_eq!(
            m.map("/home/runner/work/x/x/a/b.py", &[]).as_deref(),
            Some("a/b.py")
        );
        assert_eq!(m.map("./a//b.py", &[]).as_deref(), Some("a/b.py"));
    }

    #[test]
    fn rule_parse() {
        assert!("nope".parse::<PathRule>().is_err());
        assert_eq!("a=b".parse::<PathRule>().unwrap().to, "b");
    }

    #[test]
    fn without_a_repository_the_change_names_the_files() {
        let m = PathMapper::new(vec![], None, vec![]).with_changed(vec![
            "src/a.py".to_string(),
            "lib/b.py".to_string(),
            "__init__.py".to_string(),
        ]);
        let roots = vec!["/w/proj/src".to_string(), "/w/proj/lib".to_string()];
        assert_eq!(m.map("a.py", &roots).as_deref(), Some("src/a.py"));
        assert_eq!(m.map("b.py", &roots).as_deref(), Some("lib/b.py"));
        assert_eq!(
            m.map("/home/runner/work/p/p/lib/b.py", &[]).as_deref(),
            Some("lib/b.py")
        );
        // A relative path is taken as it is, never shortened onto another file.
        assert_eq!(
            m.map("pkg/__init__.py", &[]).as_deref(),
            Some("pkg/__init__.py")
        );
        assert_eq!(m.map("c.py", &roots).as_deref(), Some("c.py"));
    }
}
