//! What the report says about the whole run: counts, the license mix,
//! overflow notes, `checked`, the summary line and the details.

use std::collections::BTreeMap;

use gate_core::report::{
    Chart, Comparison, Finding, Location, Metric, RunnerRule, Series, SeriesKind, Severity,
    Threshold, format_number,
};

use super::sink::{MAX_LISTED, Sink, Tally};
use crate::collect::SbomInput;
use crate::config::SbomConfig;
use crate::diff::Changes;
use crate::doc::Doc;
use crate::rules::SbomRule;

/// Counts of components, edges, unreachable components, denied licenses and
/// invalid documents.
#[allow(clippy::cast_precision_loss)]
pub fn counts(sink: &mut Sink, tally: &Tally, config: &SbomConfig) {
    let m = &mut sink.report.metrics;
    m.push(Metric::info("components", tally.total as f64, "count"));
    m.push(Metric::info(
        "dependency-edges",
        tally.edges as f64,
        "count",
    ));
    m.push(Metric::info(
        "unreachable-components",
        tally.unreachable as f64,
        "count",
    ));
    if !config.deny_licenses.is_empty() {
        m.push(Metric::info(
            "denied-licenses",
            tally.denied as f64,
            "count",
        ));
    }
    m.push(
        Metric::info("invalid-sboms", tally.invalid_docs as f64, "count")
            .with_threshold(Threshold::new(Comparison::AtMost, 0.0)),
    );
}

/// License mix of the dependency components, for the job summary: the
/// ten most frequent expressions, the rest as `other`, none as `none`.
pub fn license_mix(sink: &mut Sink, tally: &Tally) {
    if tally.total == 0 {
        return;
    }
    let mut mix: BTreeMap<String, usize> = BTreeMap::new();
    for (_, c) in &tally.components {
        let key = if c.licenses.is_empty() {
            "none".to_string()
        } else {
            c.licenses.join(" AND ")
        };
        *mix.entry(key).or_default() += 1;
    }
    let none = mix.remove("none").unwrap_or(0);
    let mut top: Vec<(String, usize)> = mix.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let other: usize = top.iter().skip(10).map(|(_, n)| n).sum();
    top.truncate(10);
    if other > 0 {
        top.push(("other".into(), other));
    }
    if none > 0 {
        top.push(("none".into(), none));
    }
    #[allow(clippy::cast_precision_loss)]
    sink.report.charts.push(Chart {
        title: "License mix (components)".into(),
        x_label: "license".into(),
        y_label: "components".into(),
        x: top.iter().map(|(l, _)| l.clone()).collect(),
        series: vec![Series {
            name: "components".into(),
            kind: SeriesKind::Bar,
            values: top.iter().map(|(_, n)| *n as f64).collect(),
        }],
        y_max: None,
    });
}

/// A note per (document, rule) whose findings were counted past
/// [`MAX_LISTED`] and not listed.
pub fn overflow(sink: &mut Sink) {
    let notes: Vec<Finding> = sink
        .counts
        .iter()
        .filter(|(_, n)| **n > MAX_LISTED)
        .map(|((path, rule), n)| {
            Finding::new(
                SbomRule::GenerationNote,
                Severity::Note,
                format!("{} more `{rule}` findings not listed", n - MAX_LISTED),
            )
            .at(Location::file(path.clone()))
        })
        .collect();
    sink.report.findings.extend(notes);
}

/// What was checked is components: a document that lists none checked
/// nothing (its schema validity alone describes no software). `diff` also
/// compared the base's components.
pub fn checked(sink: &mut Sink, input: &SbomInput, tally: &Tally) {
    let base_components: usize = input
        .bases
        .iter()
        .filter(|b| !b.absent)
        .map(|b| b.analysis.components.iter().filter(|c| !c.in_root).count())
        .sum();
    sink.report.checked = (tally.total + base_components) as u64;
    if sink.report.checked == 0 {
        let empty: Vec<&str> = input
            .docs
            .iter()
            .filter(|d| !d.absent)
            .map(|d| d.path.as_str())
            .collect();
        sink.push(nothing_checked(format!(
            "{} list{} no component: an SBOM of nothing is not evidence of anything. Point the gate at the lockfile of a project with dependencies, or check the SBOM another tool wrote in full",
            if empty.is_empty() {
                "the inputs".to_string()
            } else {
                empty.join(", ")
            },
            if empty.len() == 1 { "s" } else { "" }
        )));
    }
}

/// The runner's `nothing-checked` error, with gate-sbom's own message.
fn nothing_checked(message: String) -> Finding {
    Finding::new(RunnerRule::NothingChecked, Severity::Error, message)
}

/// The summary line.
pub fn line(
    input: &SbomInput,
    tally: &Tally,
    shares: &[f64],
    changes: &[(&Doc, &Doc, Changes)],
) -> String {
    let verb = match input.mode {
        "check" => "checked",
        "diff" => "compared",
        _ => "wrote",
    };
    let names: Vec<String> = input
        .docs
        .iter()
        .map(|d| {
            if d.absent {
                format!("{} (absent)", d.path)
            } else {
                format!("{} (CycloneDX {})", d.path, d.analysis.spec_version)
            }
        })
        .collect();
    let (total, invalid) = (tally.total, tally.invalid_docs);
    let mut summary = match shares {
        [h, l, p] => format!(
            "{verb} {}: {total} components, hashes {}%, licenses {}%, purls {}%, {invalid} invalid",
            names.join(", "),
            format_number(*h),
            format_number(*l),
            format_number(*p),
        ),
        _ => format!(
            "{verb} {}: 0 components (no hash, licence or purl share to measure), {invalid} invalid",
            names.join(", "),
        ),
    };
    if input.mode == "diff" {
        let sum =
            |f: fn(&Changes) -> usize| -> usize { changes.iter().map(|(_, _, c)| f(c)).sum() };
        let bases: Vec<&str> = input.bases.iter().map(|b| b.path.as_str()).collect();
        summary.push_str(&format!(
            "; against {}: {} added, {} removed, {} version-changed, {} license-changed",
            bases.join(", "),
            sum(|c| c.added.len()),
            sum(|c| c.removed.len()),
            sum(|c| c.version_changed.len()),
            sum(|c| c.license_changed.len())
        ));
    }
    if !input.artifacts.is_empty() {
        summary.push_str(&format!(", {} artifact(s) digested", input.artifacts.len()));
    }
    summary
}

/// The report's details: the SBOMs, artifacts, written paths and changes.
pub fn details(input: &SbomInput, changes: &[(&Doc, &Doc, Changes)]) -> serde_json::Value {
    serde_json::json!({
        "mode": input.mode,
        "sboms": input.docs.iter().filter(|d| !d.absent).map(|d| serde_json::json!({
            "path": d.path,
            "sha256": d.sha256,
            "spec_version": d.analysis.spec_version,
            "serial_number": d.analysis.serial_number,
            "components": d.analysis.components.iter().filter(|c| !c.in_root).count(),
            "dependency_edges": d.analysis.edges,
            "method": d.method,
            "xml_path": d.xml.as_ref().map(|x| &x.0),
            "xml_sha256": d.xml.as_ref().map(|x| &x.1),
        })).collect::<Vec<_>>(),
        "artifacts": input.artifacts.iter().map(|a| serde_json::json!({"name": a.name, "sha256": a.sha256, "size": a.size})).collect::<Vec<_>>(),
        "subjects_path": input.subjects_path,
        "provenance_path": input.provenance_path,
        "diff": changes.iter().map(|(b, h, c)| {
            let mut j = c.to_json();
            j["base"] = serde_json::json!(b.path);
            j["head"] = serde_json::json!(h.path);
            j["base_sha256"] = serde_json::json!(b.sha256);
            j["head_sha256"] = serde_json::json!(h.sha256);
            j
        }).collect::<Vec<_>>(),
    })
}
