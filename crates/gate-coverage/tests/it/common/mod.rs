//! Test helpers: a real git repository with a base and a feature commit,
//! LCOV reports written from explicit hit lists, and the gate binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_gate-coverage");

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes an LCOV report: for each file, (line, hits).
pub fn lcov(path: &Path, files: &[(&str, &[(u32, u64)])]) {
    let mut s = String::new();
    for (f, lines) in files {
        s.push_str(&format!("SF:{f}\n"));
        for (l, h) in *lines {
            s.push_str(&format!("DA:{l},{h}\n"));
        }
        s.push_str("end_of_record\n");
    }
    std::fs::write(path, s).unwrap();
}

/// `(1..=n)` lines, the first `covered` of them hit once.
pub fn lines(n: u32, covered: u32) -> Vec<(u32, u64)> {
    (1..=n).map(|l| (l, u64::from(l <= covered))).collect()
}

/// Percent as gate-coverage computes it (independent: plain arithmetic).
pub fn pct(covered: u64, measured: u64) -> f64 {
    covered as f64 * 100.0 / measured as f64
}

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub base: String,
    pub head: String,
}

impl Repo {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// main: src/a.py (10 lines), src/b.py (10 lines); feature: a.py gets lines 11-12.
pub fn repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(p.join("src")).unwrap();
    let body = |n: u32| (1..=n).map(|i| format!("x{i} = {i}\n")).collect::<String>();
    std::fs::write(p.join("src/a.py"), body(10)).unwrap();
    std::fs::write(p.join("src/b.py"), body(10)).unwrap();
    std::fs::write(p.join(".gitignore"), ".gates/\n*.lcov\n").unwrap();
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "base"]);
    let base = git(p, &["rev-parse", "HEAD"]);
    git(p, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(p.join("src/a.py"), body(12)).unwrap();
    git(p, &["commit", "-q", "-am", "feature"]);
    let head = git(p, &["rev-parse", "HEAD"]);
    Repo { dir, base, head }
}

/// The gate binary with a clean environment (testkit's: no GitHub
/// variables leak in).
pub fn gate(dir: &Path) -> testkit::GateCmd {
    let mut c = testkit::GateCmd::new(BIN);
    c.current_dir(dir);
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

pub fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run(dir: &Path, args: &[&str]) -> Run {
    finish(gate(dir).args(args).output().unwrap())
}

pub fn metric(report: &serde_json::Value, name: &str) -> Option<f64> {
    report["metrics"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == name)?["value"]
        .as_f64()
}

pub fn rules(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["rule"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub fn finding<'a>(report: &'a serde_json::Value, rule: &str) -> Option<&'a serde_json::Value> {
    report["findings"]
        .as_array()?
        .iter()
        .find(|f| f["rule"] == rule)
}
