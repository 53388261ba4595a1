//! JUnit XML as runners write it, streamed with quick-xml: `<testsuites>`
//! or a bare `<testsuite>`, nested suites, `<failure>`, `<error>`,
//! `<skipped>`, Surefire's `flakyFailure`/`rerunFailure`/`flakyError`/
//! `rerunError`, and a testcase repeated in one file (a retry).

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};

/// How one testcase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Errored,
    Skipped,
    /// Failed at least once, then passed on a retry.
    Flaky,
}

/// One testcase (retries of the same case merged).
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub suite: String,
    pub classname: String,
    pub name: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub seconds: f64,
    pub outcome: Outcome,
    /// The failure's `message` (or `type`) when it failed or was flaky.
    pub message: Option<String>,
}

/// A parse error with the 1-based line where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u64,
    pub message: String,
}

#[derive(Default)]
struct State {
    suites: Vec<String>,
    case: Option<TestCase>,
    retried: bool,
    seen: HashMap<(String, String), usize>,
    cases: Vec<TestCase>,
    root_seen: bool,
}

/// Parses one JUnit XML document.
pub fn parse(text: &str) -> Result<Vec<TestCase>, ParseError> {
    let mut xml = quick_xml::Reader::from_str(text);
    let mut st = State::default();
    let mut depth = 0usize;
    loop {
        let pos = xml.buffer_position();
        let at = |off: u64, message: String| ParseError {
            line: line_of(text, off),
            message,
        };
        let ev = xml
            .read_event()
            .map_err(|e| at(xml.error_position(), format!("invalid XML: {e}")))?;
        match ev {
            Event::Start(ref e) => {
                depth += 1;
                st.start(e, false).map_err(|m| at(pos, m))?;
            }
            Event::Empty(ref e) => st.start(e, true).map_err(|m| at(pos, m))?,
            Event::End(ref e) => {
                depth = depth.saturating_sub(1);
                st.end(e.local_name().as_ref());
            }
            Event::Eof => {
                if depth > 0 {
                    return Err(at(
                        pos,
                        format!("the file ends inside {depth} open element(s): it looks cut off"),
                    ));
                }
                break;
            }
            _ => {}
        }
    }
    if !st.root_seen {
        return Err(ParseError {
            line: 1,
            message: "no <testsuites> or <testsuite> element: not a JUnit XML report".into(),
        });
    }
    Ok(st.cases)
}

impl State {
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        match e.local_name().as_ref() {
            "testsuites" => self.root_seen = true,
            "testsuite" => {
                self.root_seen = true;
                if !empty {
                    self.suites.push(attr(e, "name").unwrap_or_default());
                }
            }
            "testcase" => {
                if !self.root_seen {
                    return Err("<testcase> outside any <testsuite>".into());
                }
                let seconds = match attr(e, "time") {
                    None => 0.0,
                    Some(t) => {
                        parse_time(&t).ok_or(format!("testcase time {t:?} is not a number"))?
                    }
                };
                let case = TestCase {
                    suite: self.suites.last().cloned().unwrap_or_default(),
                    classname: attr(e, "classname").unwrap_or_default(),
                    name: attr(e, "name").unwrap_or_default(),
                    file: attr(e, "file"),
                    line: attr(e, "line").and_then(|l| l.trim().parse().ok()),
                    seconds,
                    outcome: Outcome::Passed,
                    message: None,
                };
                self.retried = false;
                if empty {
                    self.push(case);
                } else {
                    self.case = Some(case);
                }
            }
            tag @ ("failure" | "error" | "skipped" | "flakyFailure" | "flakyError"
            | "rerunFailure" | "rerunError") => {
                let message = attr(e, "message").or_else(|| attr(e, "type"));
                if let Some(c) = self.case.as_mut() {
                    match tag {
                        "failure" => c.outcome = Outcome::Failed,
                        "error" => c.outcome = Outcome::Errored,
                        "skipped" => c.outcome = Outcome::Skipped,
                        _ => self.retried = true,
                    }
                    if c.message.is_none() {
                        c.message = message;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &str) {
        match name {
            "testsuite" => {
                self.suites.pop();
            }
            "testcase" => {
                if let Some(mut c) = self.case.take() {
                    // Surefire: flakyFailure without failure = passed on rerun;
                    // rerunFailure with failure = failed every time.
                    if self.retried && c.outcome == Outcome::Passed {
                        c.outcome = Outcome::Flaky;
                    }
                    self.push(c);
                }
            }
            _ => {}
        }
    }

    /// Adds a case; a case already seen in this file is a retry: the
    /// last run decides, and a failure then a pass is flaky.
    fn push(&mut self, c: TestCase) {
        let key = (c.classname.clone(), c.name.clone());
        match self.seen.get(&key) {
            Some(&i) => {
                let Some(prev) = self.cases.get_mut(i) else {
                    return;
                };
                let failed_before = matches!(
                    prev.outcome,
                    Outcome::Failed | Outcome::Errored | Outcome::Flaky
                );
                let msg = prev.message.take();
                *prev = c;
                if failed_before && prev.outcome == Outcome::Passed {
                    prev.outcome = Outcome::Flaky;
                    prev.message = prev.message.take().or(msg);
                }
            }
            None => {
                self.seen.insert(key, self.cases.len());
                self.cases.push(c);
            }
        }
    }
}

fn parse_time(t: &str) -> Option<f64> {
    // Some runners write "1,234.5" (Surefire in some locales).
    let v: f64 = t.trim().replace(',', "").parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v)
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .map(
            |a| match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                Err(_) => a.value.into_owned(),
            },
        )
}

fn line_of(text: &str, offset: u64) -> u64 {
    let end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    1 + text
        .as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_shape_with_failure_skip_and_error() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="0.05"><testcase classname="test_m" name="test_ok" time="0.001" /><testcase classname="test_m" name="test_bad" file="test_m.py" line="7" time="0.002"><failure message="assert 1 == 2">def test_bad():</failure></testcase><testcase classname="test_m" name="test_skip" time="0.0"><skipped type="pytest.skip" message="later">x</skipped></testcase><testcase classname="test_m" name="test_err" time="0.0"><error message="fixture &apos;db&apos; not found">E</error></testcase></testsuite></testsuites>"#;
        let cases = parse(xml).unwrap();
        let outcomes: Vec<_> = cases.iter().map(|c| c.outcome).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Passed,
                Outcome::Failed,
                Outcome::Skipped,
                Outcome::Errored
            ]
        );
        assert_eq!(cases[1].file.as_deref(), Some("test_m.py"));
        assert_eq!(cases[1].line, Some(7));
        assert_eq!(cases[3].message.as_deref(), Some("fixture 'db' not found"));
    }

    #[test]
    fn surefire_flaky_and_rerun_failures() {
        let xml = r#"<testsuite name="S"><testcase classname="A" name="f"><flakyFailure message="first"/></testcase><testcase classname="A" name="g"><failure message="always"/><rerunFailure message="again"/></testcase></testsuite>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases[0].outcome, Outcome::Flaky);
        assert_eq!(cases[0].message.as_deref(), Some("first"));
        assert_eq!(cases[1].outcome, Outcome::Failed);
    }

    #[test]
    fn a_repeated_testcase_that_passes_last_is_flaky() {
        let xml = r#"<testsuites><testsuite name="s"><testcase classname="c" name="t"><failure message="boom"/></testcase><testcase classname="c" name="t"/></testsuite></testsuites>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].outcome, Outcome::Flaky);
        assert_eq!(cases[0].message.as_deref(), Some("boom"));
    }

    #[test]
    fn nested_suites_name_the_innermost() {
        let xml = r#"<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="t"/></testsuite></testsuite></testsuites>"#;
        assert_eq!(parse(xml).unwrap()[0].suite, "inner");
    }

    #[test]
    fn truncated_and_malformed_files_give_a_line() {
        let cut = "<testsuites>\n<testsuite name=\"s\">\n<testcase name=\"t\">";
        let e = parse(cut).unwrap_err();
        assert!(e.message.contains("cut off"), "{e:?}");
        assert_eq!(e.line, 3);
        let bad = "<testsuites>\n<testsuite>\n</testsuites>";
        assert_eq!(parse(bad).unwrap_err().line, 3);
        assert!(
            parse("<html/>")
                .unwrap_err()
                .message
                .contains("not a JUnit")
        );
        assert!(parse("").is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let seed = r#"<testsuites><testsuite name="s"><testcase classname="c" name="t" time="1.5"><failure message="m"/></testcase></testsuite></testsuites>"#;
        for cut in 0..seed.len() {
            let _ = parse(seed.get(..cut).unwrap_or(""));
            let _ = parse(seed.get(cut..).unwrap_or(""));
        }
    }
}
