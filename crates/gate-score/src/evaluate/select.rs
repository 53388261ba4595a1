//! Which evidence counts: this commit's, the newest of each gate.

use std::collections::BTreeMap;

use gate_core::report::{Finding, Report, Severity};

use crate::collect::{Evidence, ScoreInput};
use crate::rules::ScoreRule;

/// The evidence that counts, by key (`gate` or `gate/instance`): a report,
/// or why the newest record of that key cannot be used.
#[derive(Debug, Default)]
pub struct Selected<'a> {
    pub reports: BTreeMap<&'a str, &'a Report>,
    pub unusable: BTreeMap<&'a str, &'a str>,
}

/// Whether two commit ids name the same commit (one may be abbreviated to
/// 7 or more digits).
pub fn same_commit(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 7 && long.starts_with(&short)
}

/// Keeps, for each key, the newest evidence of this commit; notes every
/// report left out and why. gate-score's own records never count.
pub fn select<'a>(input: &'a ScoreInput, own: &str, report: &mut Report) -> Selected<'a> {
    let mut sel = Selected::default();
    for e in &input.evidence {
        if crate::validate::gate_id(&e.key) == own {
            continue;
        }
        if let Err(why) = valid_key(&e.key) {
            ignored(report, e, &why);
            continue;
        }
        match &e.report {
            Ok(r) => match r.commit.as_deref() {
                Some(c) if same_commit(c, &input.commit) => {
                    sel.unusable.remove(e.key.as_str());
                    sel.reports.insert(&e.key, r);
                }
                other => ignored(
                    report,
                    e,
                    &match other {
                        Some(c) => format!(
                            "it is about commit {}, not {}",
                            short(c),
                            short(&input.commit)
                        ),
                        None => "it does not say which commit it is about".into(),
                    },
                ),
            },
            Err(why) => {
                sel.reports.remove(e.key.as_str());
                sel.unusable.insert(&e.key, why);
                ignored(report, e, why);
            }
        }
    }
    sel
}

/// A record key as gates write them: a kebab-case gate id, and an instance
/// name as `--instance` accepts it. Anything else did not come from a gate
/// and is not shown as one.
fn valid_key(key: &str) -> Result<(), String> {
    let (gate, instance) = key
        .split_once('/')
        .map_or((key, None), |(g, i)| (g, Some(i)));
    let gate_ok = !gate.is_empty()
        && gate.len() <= 64
        && gate
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !gate_ok {
        return Err(
            "its gate id is not one a gate has (lower-case letters, digits and `-`)".into(),
        );
    }
    match instance {
        Some(i) => gate_core::report::check_instance_name(i)
            .map_err(|_| "its instance name is not one `--instance` accepts".into()),
        None => Ok(()),
    }
}

fn ignored(report: &mut Report, e: &Evidence, why: &str) {
    report.findings.push(
        Finding::new(
            ScoreRule::ReportIgnored,
            Severity::Note,
            format!("gate-{} report from {} left out: {why}", e.key, e.source),
        )
        .with_key(e.key.clone()),
    );
}

/// The first 12 digits of a commit id.
pub fn short(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}
