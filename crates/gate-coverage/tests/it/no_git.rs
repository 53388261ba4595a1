//! Outside a git work tree: a Cobertura report with several `<source>` roots
//! maps each file onto the changed path under its root, so a file under the
//! second root is counted, not dropped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

const XML: &str = r#"<?xml version="1.0" ?>
<coverage version="7.4" line-rate="0.5" branch-rate="0" lines-covered="2" lines-valid="4">
  <sources><source>/w/proj/src</source><source>/w/proj/lib</source></sources>
  <packages><package name="." line-rate="0.5"><classes>
    <class name="a.py" filename="a.py" line-rate="1"><methods/><lines><line number="1" hits="1"/><line number="2" hits="1"/></lines></class>
    <class name="b.py" filename="b.py" line-rate="0"><methods/><lines><line number="1" hits="0"/><line number="2" hits="0"/></lines></class>
  </classes></package></packages>
</coverage>
"#;

const DIFF: &str = "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\ndiff --git a/lib/b.py b/lib/b.py\n--- a/lib/b.py\n+++ b/lib/b.py\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n";

#[test]
fn files_under_a_second_source_root_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    // Not inside a git work tree (the gate would find one upwards).
    let inside = std::process::Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        !inside.status.success(),
        "the temp dir is inside a git work tree"
    );
    std::fs::write(dir.path().join("cov.xml"), XML).unwrap();
    std::fs::write(dir.path().join("c.diff"), DIFF).unwrap();
    for compat in ["none", "diff-cover"] {
        let r = run(
            dir.path(),
            &[
                "--report",
                "cov.xml",
                "--diff-file",
                "c.diff",
                "--no-record",
                "--format",
                "json",
                "--compat",
                compat,
            ],
        );
        let j = r.json();
        // src/a.py (2 covered) and lib/b.py (2 uncovered): 2 of 4.
        assert_eq!(
            metric(&j, "changed-lines-measured"),
            Some(4.0),
            "{compat}: {j}"
        );
        assert_eq!(metric(&j, "diff-coverage"), Some(50.0), "{compat}");
        assert!(
            finding(&j, "changed-file-not-in-report").is_none(),
            "{compat}: {j}"
        );
        let f = finding(&j, "uncovered-changed-lines").unwrap();
        assert_eq!(f["location"]["path"], "lib/b.py");
    }
}
