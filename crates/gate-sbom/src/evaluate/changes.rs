//! `diff`: what changed between each base and head document.

use gate_core::report::{Location, Metric};

use super::sink::Sink;
use crate::collect::SbomInput;
use crate::diff::{self, Changes};
use crate::doc::Doc;

/// One comparison per (base, head) pair.
pub fn compare(input: &SbomInput) -> Vec<(&Doc, &Doc, Changes)> {
    input
        .bases
        .iter()
        .zip(&input.docs)
        .map(|(b, h)| (b, h, diff::diff(&b.analysis, &h.analysis)))
        .collect()
}

/// A note per change, and the counts as metrics.
pub fn findings(sink: &mut Sink, changes: &[(&Doc, &Doc, Changes)]) {
    let (mut added, mut removed, mut versions, mut licenses) = (0, 0, 0, 0);
    for (b, h, c) in changes {
        // Findings land on the head's lockfile (or SBOM); an absent head
        // has no file, its base names it.
        let at = if h.absent { &b.path } else { &h.path };
        for f in c.findings() {
            sink.push(f.at(Location::file(at.clone())));
        }
        added += c.added.len();
        removed += c.removed.len();
        versions += c.version_changed.len();
        licenses += c.license_changed.len();
    }
    #[allow(clippy::cast_precision_loss)]
    {
        let m = &mut sink.report.metrics;
        m.push(Metric::info("components-added", added as f64, "count"));
        m.push(Metric::info("components-removed", removed as f64, "count"));
        m.push(Metric::info("versions-changed", versions as f64, "count"));
        m.push(Metric::info("licenses-changed", licenses as f64, "count"));
    }
}
