//! Helpers shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn lockfile(name: &str) -> PathBuf {
    testkit::fixtures_root().join("lockfiles").join(name)
}

/// The gate binary with a clean environment (testkit's: no GitHub, no
/// SOURCE_DATE_EPOCH).
pub fn gate(dir: &Path) -> testkit::GateCmd {
    let mut c = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-sbom"));
    c.current_dir(dir);
    c.args(["--no-record", "--color", "never"]);
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(mut c: testkit::GateCmd) -> Run {
    let o = c.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The JSON report of a run with `--format json`.
pub fn report(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}\n{}", r.stdout, r.stderr))
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2001-09-09T01:46:40Z")
        .env("GIT_COMMITTER_DATE", "2001-09-09T01:46:40Z")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Validates against the official schema read from ../shared (not the
/// crate's embedded copy), resolving the sibling schemas from the same folder.
pub fn schema_errors(doc: &serde_json::Value, version: &str) -> Vec<String> {
    struct Dir(PathBuf);
    impl jsonschema::Retrieve for Dir {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
            let name = uri
                .as_str()
                .rsplit('/')
                .next()
                .unwrap()
                .split('#')
                .next()
                .unwrap()
                .to_string();
            let text = std::fs::read_to_string(self.0.join(name))?;
            Ok(serde_json::from_str(&text)?)
        }
    }
    let dir = testkit::fixtures_root().join("schemas");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("bom-{version}.schema.json"))).unwrap(),
    )
    .unwrap();
    let v = jsonschema::options()
        .with_retriever(Dir(dir))
        .build(&schema)
        .unwrap();
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}
