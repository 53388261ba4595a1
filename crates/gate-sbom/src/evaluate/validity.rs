//! Validity of each document: the schema's and the semantic checks' issues,
//! and how it was generated (fallbacks, notes).

use gate_core::report::{Finding, Location, Severity};

use super::sink::Sink;
use crate::doc::Doc;
use crate::rules::SbomRule;
use crate::validate::Issue;

/// One finding per issue, keyed by the component it concerns.
fn issue(sink: &mut Sink, d: &Doc, i: &Issue) {
    let mut f =
        Finding::new(i.rule, Severity::Error, i.message.clone()).at(Location::file(d.path.clone()));
    if let Some(c) = &i.component {
        f = f.with_key(c.clone());
    }
    sink.limited(&d.path, i.rule, f);
}

/// Schema errors (or why no schema was applied) and semantic errors; whether
/// the document is invalid.
pub fn issues(sink: &mut Sink, d: &Doc) -> bool {
    let mut bad = false;
    match &d.schema {
        Ok(issues) => {
            for i in issues {
                bad = true;
                issue(sink, d, i);
            }
        }
        Err(why) => sink.push(
            Finding::new(
                SbomRule::SchemaUnavailable,
                Severity::Warning,
                format!("{why}; only the semantic checks ran"),
            )
            .at(Location::file(d.path.clone())),
        ),
    }
    for i in &d.analysis.issues {
        bad = true;
        issue(sink, d, i);
    }
    bad
}

/// The fallbacks taken (warnings) and notes of generation.
pub fn generation(sink: &mut Sink, d: &Doc) {
    for w in &d.warnings {
        sink.push(
            Finding::new(SbomRule::GenerationFallback, Severity::Warning, w.clone())
                .at(Location::file(d.path.clone())),
        );
    }
    for n in &d.notes {
        sink.push(
            Finding::new(SbomRule::GenerationNote, Severity::Note, n.clone())
                .at(Location::file(d.path.clone())),
        );
    }
}
