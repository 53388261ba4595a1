//! XML reports in Latin-1: read when declared (ISO-8859-1, windows-1252),
//! a clear exit 4 with the conversion command when not (quick-xml 0.42 only
//! reads UTF-8). Built from the real click Cobertura report, with a
//! non-ASCII file name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use common::*;

/// click's coverage.xml with `src/click/core.py` renamed `src/click/cöre.py`, the
/// declaration replaced by `decl`, encoded in Latin-1.
fn latin1_click(decl: &str) -> (Vec<u8>, String) {
    let utf8 =
        std::fs::read_to_string(testkit::fixtures_root().join("coverage/click/coverage.xml"))
            .unwrap();
    assert!(utf8.contains("\"src/click/core.py\""));
    let text = utf8
        .replacen("<?xml version=\"1.0\" ?>", decl, 1)
        .replace("\"src/click/core.py\"", "\"src/click/c\u{f6}re.py\"");
    let bytes = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    (bytes, utf8)
}

fn totals(dir: &std::path::Path, report: &str) -> (i32, serde_json::Value, String) {
    let r = run(
        dir,
        &[
            "--report",
            report,
            "--no-record",
            "--format",
            "json",
            "--min-file",
            "100",
        ],
    );
    let j = if r.code == 0 || r.code == 1 {
        r.json()
    } else {
        serde_json::Value::Null
    };
    (r.code, j, r.stderr)
}

#[test]
fn declared_latin1_is_read_like_the_utf8_original() {
    testkit::fixture!("coverage/click/coverage.xml");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("utf8.xml"),
        latin1_click("<?xml version=\"1.0\" ?>").1,
    )
    .unwrap();
    let (_, want, _) = totals(dir.path(), "utf8.xml");
    for decl in [
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
        "<?xml version='1.0' encoding='windows-1252'?>",
    ] {
        std::fs::write(dir.path().join("l1.xml"), latin1_click(decl).0).unwrap();
        let (code, got, err) = totals(dir.path(), "l1.xml");
        assert!(code == 0 || code == 1, "{decl}: {err}");
        assert_eq!(
            got["details"]["totals"], want["details"]["totals"],
            "{decl}"
        );
        assert_eq!(
            metric(&got, "line-coverage"),
            metric(&want, "line-coverage")
        );
        let paths: Vec<&str> = got["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "file-below-minimum")
            .map(|f| f["location"]["path"].as_str().unwrap())
            .collect();
        assert!(
            paths.iter().any(|p| p.ends_with("c\u{f6}re.py")),
            "{paths:?}"
        );
    }
}

#[test]
fn undeclared_latin1_is_a_clear_input_error() {
    testkit::fixture!("coverage/click/coverage.xml");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("l1.xml"),
        latin1_click("<?xml version=\"1.0\" ?>").0,
    )
    .unwrap();
    let (code, _, err) = totals(dir.path(), "l1.xml");
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("l1.xml:"), "{err}");
    assert!(err.contains("not valid UTF-8"), "{err}");
    assert!(err.contains("iconv -f ISO-8859-1 -t UTF-8"), "{err}");
    assert!(!err.contains("cut off"), "{err}");
    // Another declared encoding: refused, with the command.
    std::fs::write(
        dir.path().join("k.xml"),
        latin1_click("<?xml version=\"1.0\" encoding=\"KOI8-R\"?>").0,
    )
    .unwrap();
    let (code, _, err) = totals(dir.path(), "k.xml");
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("iconv -f KOI8-R -t UTF-8"), "{err}");
    // UTF-16 (a byte order mark), not "binary".
    let mut u16 = vec![0xFF, 0xFE];
    for unit in "<coverage/>".encode_utf16() {
        u16.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(dir.path().join("u.xml"), u16).unwrap();
    let (code, _, err) = totals(dir.path(), "u.xml");
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("UTF-16"), "{err}");
}
