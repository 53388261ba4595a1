//! Checks on the testcases: failures, count, skipped share, flaky.

use gate_core::report::{Finding, Location, Report, Severity};

use crate::config::TestsConfig;
use crate::junit::{Outcome, TestCase};
use crate::rules::TestsRule;

/// Counts by outcome.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub flaky: u64,
}

impl Counts {
    pub fn of<'a>(cases: impl Iterator<Item = &'a TestCase>) -> Self {
        let mut c = Counts::default();
        for t in cases {
            match t.outcome {
                Outcome::Passed => c.passed += 1,
                Outcome::Failed | Outcome::Errored => c.failed += 1,
                Outcome::Skipped => c.skipped += 1,
                Outcome::Flaky => c.flaky += 1,
            }
        }
        c
    }
    /// Tests that ran (skipped ones did not).
    pub fn ran(&self) -> u64 {
        self.passed + self.failed + self.flaky
    }
}

fn title(t: &TestCase) -> String {
    match (t.classname.is_empty(), t.suite.is_empty()) {
        (false, _) => format!("{}::{}", t.classname, t.name),
        (true, false) => format!("{}::{}", t.suite, t.name),
        (true, true) => t.name.clone(),
    }
}

fn finding(rule: TestsRule, sev: Severity, t: &TestCase, what: &str, report_path: &str) -> Finding {
    let msg = match &t.message {
        Some(m) => format!("{} {what}: {m}", title(t)),
        None => format!("{} {what}", title(t)),
    };
    let loc = match (&t.file, t.line) {
        (Some(f), Some(l)) => Location::lines(f.clone(), l, l),
        (Some(f), None) => Location::file(f.clone()),
        _ => Location::file(report_path.to_owned()),
    };
    Finding::new(rule, sev, msg).at(loc)
}

/// `test-failed` and `flaky-test`, one finding per test.
pub fn failures(path: &str, cases: &[TestCase], config: &TestsConfig, report: &mut Report) {
    for t in cases {
        match t.outcome {
            Outcome::Failed => report.findings.push(finding(
                TestsRule::TestFailed,
                Severity::Error,
                t,
                "failed",
                path,
            )),
            Outcome::Errored => report.findings.push(finding(
                TestsRule::TestFailed,
                Severity::Error,
                t,
                "errored",
                path,
            )),
            Outcome::Flaky => {
                let sev = if config.fail_on_flaky {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                report.findings.push(finding(
                    TestsRule::FlakyTest,
                    sev,
                    t,
                    "passed only on a retry",
                    path,
                ));
            }
            Outcome::Passed | Outcome::Skipped => {}
        }
    }
}

/// `too-few-tests` and `too-many-skipped`.
pub fn totals(c: Counts, config: &TestsConfig, report: &mut Report) {
    let min = config.min_tests.unwrap_or(1).max(1);
    if c.ran() < min {
        report.findings.push(Finding::new(
            TestsRule::TooFewTests,
            Severity::Error,
            format!("{} test(s) ran, fewer than min-tests {min}", c.ran()),
        ));
    }
    if let Some(max) = config.max_skipped_ratio {
        let all = c.ran() + c.skipped;
        if all > 0 {
            let ratio = c.skipped as f64 / all as f64;
            if ratio > max {
                report.findings.push(Finding::new(
                    TestsRule::TooManySkipped,
                    Severity::Error,
                    format!(
                        "{} of {all} tests skipped ({:.1}%), over max-skipped-ratio {max}",
                        c.skipped,
                        ratio * 100.0
                    ),
                ));
            }
        }
    }
}

/// The `n` slowest tests, slowest first.
pub fn slowest<'a>(cases: impl Iterator<Item = &'a TestCase>, n: usize) -> Vec<(String, f64)> {
    let mut v: Vec<_> = cases.map(|t| (title(t), t.seconds)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}
