//! Where the checks write: the [`Report`] being built, with the count of
//! findings per document and rule (past [`MAX_LISTED`] they are counted, not
//! listed), and the [`Tally`] of components the policy and summary need.

use std::collections::BTreeMap;

use gate_core::report::{Finding, Report, Rules};

use crate::rules::SbomRule;
use crate::validate::Comp;

/// Findings per rule and document beyond which they are counted, not listed.
pub const MAX_LISTED: usize = 50;

/// The report being built.
#[derive(Debug)]
pub struct Sink {
    pub report: Report,
    /// Findings per (document, rule id), listed or not.
    pub counts: BTreeMap<(String, &'static str), usize>,
}

impl Sink {
    pub fn new() -> Sink {
        Sink {
            report: Report::new("sbom"),
            counts: BTreeMap::new(),
        }
    }

    /// Adds `f` unless `doc` already has [`MAX_LISTED`] findings of `rule`
    /// (it is counted either way).
    pub fn limited(&mut self, doc: &str, rule: SbomRule, f: Finding) {
        let n = self.counts.entry((doc.to_string(), rule.id())).or_insert(0);
        *n += 1;
        if *n <= MAX_LISTED {
            self.report.findings.push(f);
        }
    }

    /// Adds `f`.
    pub fn push(&mut self, f: Finding) {
        self.report.findings.push(f);
    }
}

/// What the documents hold, counted as they are judged.
#[derive(Debug, Default)]
pub struct Tally<'a> {
    /// Components (the root's own excluded).
    pub total: usize,
    pub hashed: usize,
    pub licensed: usize,
    pub purled: usize,
    /// Every component with the path of its document.
    pub components: Vec<(&'a str, &'a Comp)>,
    pub unreachable: usize,
    pub denied: usize,
    /// Documents with a schema or semantic error.
    pub invalid_docs: usize,
    pub edges: usize,
}
