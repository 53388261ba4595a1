//! The quality policy: reachability from the root, denied licenses, and the
//! shares of components with a hash, a license and a purl.

use gate_core::report::{Comparison, Finding, Location, Metric, Severity, Threshold};
use gate_core::types::Level;

use super::sink::{Sink, Tally};
use crate::config::SbomConfig;
use crate::doc::Doc;
use crate::rules::SbomRule;
use crate::validate::Comp;

/// A first-party path package (`download_url=file:…` in its purl): the
/// lockfile has no checksum for it, so `min-hashes` does not count it against.
fn is_local(c: &Comp) -> bool {
    c.purl.as_deref().is_some_and(|p| {
        p.split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("download_url=file:")))
    })
}

/// `n` of `d` in percent; a share of nothing is no figure at all (not 100 %).
#[allow(clippy::cast_precision_loss)]
fn percent(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| ((n as f64) * 10000.0 / (d as f64)).round() / 100.0)
}

/// Whether a component's license expression cannot be satisfied without a denied id.
fn requires_denied(expr: &str, denied: &[String]) -> Option<bool> {
    let e = spdx::Expression::parse_mode(expr, spdx::ParseMode::LAX).ok()?;
    Some(!e.evaluate(|req| match req.license.id() {
        Some(id) => !denied.iter().any(|d| d == id.name),
        None => true,
    }))
}

/// The key of a component's findings: its bom-ref, else its name.
fn key(c: &Comp) -> String {
    c.bom_ref.clone().unwrap_or_else(|| c.name.clone())
}

/// Counts the components of `d` into `tally`; each unreachable one and each
/// that requires a denied license is a finding.
pub fn components<'a>(sink: &mut Sink, tally: &mut Tally<'a>, d: &'a Doc, config: &SbomConfig) {
    let loc = || Location::file(d.path.clone());
    let a = &d.analysis;
    tally.edges += a.edges;
    for c in a.components.iter().filter(|c| !c.in_root) {
        tally.total += 1;
        // A local path package has no registry archive to hash: it counts as hashed.
        tally.hashed += usize::from(c.has_hash || is_local(c));
        tally.licensed += usize::from(!c.licenses.is_empty());
        tally.purled += usize::from(c.purl.is_some());
        tally.components.push((d.path.as_str(), c));
        if let Some(sev) = config.unreachable.severity()
            && a.has_graph
            && a.unrooted.is_none()
            && c.bom_ref.as_ref().is_none_or(|b| !a.reachable.contains(b))
        {
            tally.unreachable += 1;
            let message = format!(
                "{} is not reachable from the root component through `dependencies`",
                c.label()
            );
            sink.limited(
                &d.path,
                SbomRule::UnreachableComponent,
                Finding::new(SbomRule::UnreachableComponent, sev, message)
                    .at(loc())
                    .with_key(key(c)),
            );
        }
        if !config.deny_licenses.is_empty() {
            denied_licenses(sink, tally, d, c, config);
        }
    }
}

/// A finding per license of `c` that needs a denied license.
fn denied_licenses(sink: &mut Sink, tally: &mut Tally, d: &Doc, c: &Comp, config: &SbomConfig) {
    for l in &c.licenses {
        if requires_denied(l, &config.deny_licenses) == Some(true) {
            tally.denied += 1;
            let message = format!(
                "{} is licensed `{l}`, which needs a denied license ({})",
                c.label(),
                config.deny_licenses.join(", ")
            );
            sink.limited(
                &d.path,
                SbomRule::DeniedLicense,
                Finding::new(SbomRule::DeniedLicense, Severity::Error, message)
                    .at(Location::file(d.path.clone()))
                    .with_key(key(c)),
            );
        }
    }
}

/// Why reachability could not be checked in `d`, when it could not.
pub fn reachability(sink: &mut Sink, d: &Doc, config: &SbomConfig) {
    let a = &d.analysis;
    if let (true, Some(why), false) = (
        a.has_graph,
        &a.unrooted,
        config.unreachable == Level::Ignore,
    ) {
        sink.push(
            Finding::new(
                SbomRule::ReachabilityUnchecked,
                Severity::Note,
                format!(
                    "reachability is not checked: {why}; the dependency graph itself is (every ref must name a component)"
                ),
            )
            .at(Location::file(d.path.clone())),
        );
    }
    if !a.has_graph && config.unreachable != Level::Ignore {
        sink.push(
            Finding::new(
                SbomRule::NoDependencyGraph,
                Severity::Warning,
                "no `dependencies`: reachability from the root cannot be checked",
            )
            .at(Location::file(d.path.clone())),
        );
    }
}

/// One share of components the policy may set a minimum for.
struct Share {
    metric: &'static str,
    have: usize,
    min: Option<f64>,
    rule: SbomRule,
    what: &'static str,
    key: &'static str,
    has: fn(&Comp) -> bool,
}

/// The hash, license and purl shares as metrics (with their minimums), and
/// a finding per component lacking one whose minimum is not met. Returns the
/// shares (none when there are no components).
pub fn coverage(sink: &mut Sink, tally: &Tally, config: &SbomConfig) -> Vec<f64> {
    let shares = [
        Share {
            metric: "hash-coverage",
            have: tally.hashed,
            min: config.min_hashes.map(|p| p.get()),
            rule: SbomRule::MissingHash,
            what: "hash",
            key: "min-hashes",
            has: |c| c.has_hash || is_local(c),
        },
        Share {
            metric: "license-coverage",
            have: tally.licensed,
            min: config.min_licenses.map(|p| p.get()),
            rule: SbomRule::MissingLicense,
            what: "license",
            key: "min-licenses",
            has: |c| !c.licenses.is_empty(),
        },
        Share {
            metric: "purl-coverage",
            have: tally.purled,
            min: config.min_purls.map(|p| p.get()),
            rule: SbomRule::MissingPurl,
            what: "purl",
            key: "min-purls",
            has: |c| c.purl.is_some(),
        },
    ];
    let mut values = Vec::new();
    for s in shares {
        let Some(value) = percent(s.have, tally.total) else {
            continue;
        };
        values.push(value);
        let mut m = Metric::info(s.metric, value, "%");
        if let Some(min) = s.min {
            m = m.with_threshold(Threshold::new(Comparison::AtLeast, min));
            if value < min {
                lacking(sink, tally, &s, min, value);
            }
        }
        sink.report.metrics.push(m);
    }
    values
}

/// A finding per component without what share `s` counts.
fn lacking(sink: &mut Sink, tally: &Tally, s: &Share, min: f64, value: f64) {
    for (path, c) in &tally.components {
        if !(s.has)(c) {
            let message = format!(
                "{} has no {} ({} {min}%, have {value}%)",
                c.label(),
                s.what,
                s.key
            );
            sink.limited(
                path,
                s.rule,
                Finding::new(s.rule, Severity::Error, message)
                    .at(Location::file(path.to_string()))
                    .with_key(key(c)),
            );
        }
    }
}
