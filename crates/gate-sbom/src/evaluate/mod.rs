//! The pure judgement: each check a function writing into a `Sink` (the
//! report being built), called in order by [`evaluate_input`].

mod changes;
mod policy;
mod sink;
mod summary;
mod validity;

use gate_core::report::Report;

use crate::collect::SbomInput;
use crate::config::SbomConfig;
use sink::{Sink, Tally};

/// The pure judgement of what `collect` gathered.
pub fn evaluate_input(input: &SbomInput, config: &SbomConfig) -> Report {
    let mut sink = Sink::new();
    let mut tally = Tally::default();
    for d in input.docs.iter().filter(|d| !d.absent) {
        if validity::issues(&mut sink, d) {
            tally.invalid_docs += 1;
        }
        validity::generation(&mut sink, d);
        policy::components(&mut sink, &mut tally, d, config);
        policy::reachability(&mut sink, d, config);
    }
    let shares = policy::coverage(&mut sink, &tally, config);
    summary::counts(&mut sink, &tally, config);
    summary::license_mix(&mut sink, &tally);
    summary::overflow(&mut sink);
    let changes = changes::compare(input);
    if input.mode == "diff" {
        changes::findings(&mut sink, &changes);
    }
    summary::checked(&mut sink, input, &tally);
    let mut r = sink.report;
    r.summary = summary::line(input, &tally, &shares, &changes);
    r.details = summary::details(input, &changes);
    r.finish()
}
