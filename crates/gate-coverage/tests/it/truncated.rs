//! Truncated and unreadable reports are refused (exit 4, naming the file and
//! the line), never read as a smaller report: every cut of the real click
//! LCOV report, the issue's repro through the binary, and a FIFO.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

/// True when `prefix` ends right after a complete `end_of_record` line: then
/// it is a complete LCOV file of fewer source files, which no reader can
/// tell from a real one.
fn ends_at_a_record_boundary(prefix: &[u8]) -> bool {
    let text = String::from_utf8_lossy(prefix);
    let trimmed = text.trim_end_matches(['\n', '\r']);
    trimmed.len() < text.len() && trimmed.lines().last() == Some("end_of_record")
}

#[test]
fn every_cut_of_the_click_lcov_is_refused_with_its_line() {
    let path = testkit::fixture!("coverage/click/coverage.lcov");
    let full = std::fs::read(&path).unwrap();
    gate_coverage::parse::lcov::parse(&path, full.as_slice()).expect("the full report parses");
    let cuts: Vec<usize> = (1..=80).map(|i| full.len() * i / 81).collect();
    let mut refused = 0;
    for cut in cuts {
        let prefix = &full[..cut];
        match gate_coverage::parse::lcov::parse(std::path::Path::new("t.lcov"), prefix) {
            Ok(_) => assert!(
                ends_at_a_record_boundary(prefix),
                "cut at byte {cut} accepted: {:?}",
                String::from_utf8_lossy(&prefix[prefix.len().saturating_sub(60)..])
            ),
            Err(e) => {
                let s = e.to_string();
                let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
                let named = format!("t.lcov:{line}:");
                let before = format!("t.lcov:{}:", line - 1);
                assert!(
                    s.starts_with(&named) || s.starts_with(&before),
                    "cut at byte {cut} (line {line}): {s}"
                );
                refused += 1;
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn the_issue_repro_exits_4_with_the_line() {
    let full = std::fs::read(testkit::fixture!("coverage/click/coverage.lcov")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.lcov"), &full[..3667]).unwrap();
    let r = run(dir.path(), &["--report", "t.lcov", "--no-record"]);
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    let line = full[..3667].iter().filter(|&&b| b == b'\n').count() + 1;
    assert!(
        r.stderr.contains(&format!("t.lcov:{line}:")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("truncated"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_before_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("cov.fifo");
    let st = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(st.success());
    // Opening a FIFO for reading blocks until a writer comes: a gate that
    // opened it would never end. A bounded wait turns that into a failure.
    let mut child = gate(dir.path())
        .args(["--report", "cov.fifo", "--no-record"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut status = None;
    let ended = testkit::poll_until(std::time::Duration::from_secs(30), || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    if !ended {
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("gate-coverage blocked on a FIFO given as --report");
    }
    let r = finish(child.wait_with_output().unwrap());
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("cov.fifo"), "{}", r.stderr);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
}
