//! The parser on real JUnit files written by real runners
//! (`tests/fixtures/README.md` says how each was made).

use gate_tests::junit::{Outcome, parse};

fn outcomes(xml: &str) -> Vec<(String, Outcome)> {
    parse(xml)
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.outcome))
        .collect()
}

#[test]
fn pytest_xunit1_names_file_and_line() {
    let cases = parse(include_str!("../fixtures/pytest.xml")).unwrap();
    let got: Vec<_> = cases.iter().map(|c| (c.name.as_str(), c.outcome)).collect();
    assert_eq!(
        got,
        [
            ("test_ok", Outcome::Passed),
            ("test_bad", Outcome::Failed),
            ("test_later", Outcome::Skipped),
            ("test_err", Outcome::Errored),
        ]
    );
    let bad = &cases[1];
    assert_eq!(bad.file.as_deref(), Some("test_sample.py"));
    assert_eq!(bad.line, Some(5));
    assert!(bad.message.as_deref().unwrap().contains("'<script>'"));
}

#[test]
fn pytest_default_family_parses() {
    let got = outcomes(include_str!("../fixtures/pytest-xunit2.xml"));
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(got[1], ("test_bad".to_owned(), Outcome::Failed));
}

#[test]
fn nextest_retries_are_flaky() {
    let mut got = outcomes(include_str!("../fixtures/nextest.xml"));
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("tests::fails".to_owned(), Outcome::Failed),
            ("tests::flaky".to_owned(), Outcome::Flaky),
            ("tests::passes".to_owned(), Outcome::Passed),
        ]
    );
}

#[test]
fn every_truncation_of_a_real_file_is_an_error_not_a_panic() {
    let xml = include_str!("../fixtures/nextest.xml");
    let end = xml.trim_end().len();
    for cut in (1..end).step_by(7) {
        if let Some(part) = xml.get(..cut) {
            let e = parse(part).expect_err("a cut-off file must not parse");
            assert!(e.line >= 1);
        }
    }
}

/// A deterministic mutation fuzzer (no fuzzing crate in the workspace yet):
/// 3,000 mutants of each real file (bytes flipped, spliced, deleted,
/// markup inserted), each parsed; none may panic.
#[test]
fn mutants_of_real_files_never_panic() {
    const MARKUP: [&str; 8] = [
        "<",
        ">",
        "</testcase>",
        "<testsuite>",
        "&",
        "&#0;",
        "\"",
        "<failure message=\"",
    ];
    let seeds = [
        include_str!("../fixtures/pytest.xml"),
        include_str!("../fixtures/pytest-xunit2.xml"),
        include_str!("../fixtures/nextest.xml"),
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % (n.max(1) as u64)).unwrap()
    };
    for seed in seeds {
        for _ in 0..3000 {
            let mut b = seed.as_bytes().to_vec();
            for _ in 0..=next(4) {
                let at = next(b.len());
                match next(4) {
                    0 => b[at] ^= 1 << next(8),
                    1 => {
                        let end = (at + next(64)).min(b.len());
                        b.drain(at..end);
                    }
                    2 => {
                        let m = MARKUP[next(MARKUP.len())].as_bytes();
                        b.splice(at..at, m.iter().copied());
                    }
                    _ => b.truncate(at),
                }
                if b.is_empty() {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&b);
            let _ = parse(&text);
        }
    }
}
