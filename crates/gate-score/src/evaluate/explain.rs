//! `--explain`: for a no-go, the smallest change in the evidence that would
//! turn it into a go, one line per reason.

use gate_core::report::{Finding, Report, Severity, format_with_unit};

use super::scoring::{Row, Scores, num};
use super::select::Selected;
use crate::config::ScoreConfig;
use crate::rules::ScoreRule;

/// The changes, in the order of the reasons (findings sorted already).
pub fn explain(
    report: &Report,
    sel: &Selected,
    scores: &Scores,
    config: &ScoreConfig,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
    {
        let key = f.key.as_deref().unwrap_or_default();
        let line = match f.rule.as_str() {
            "required-missing" => format!("run gate-{key} on this commit and record its report"),
            "gate-failed" => failed(key, sel).unwrap_or_else(|| f.message.clone()),
            "critical-vulnerability" => critical(f),
            "gate-checked-nothing" => {
                format!("point gate-{key} at real inputs: it checked nothing")
            }
            "below-target" => f.message.clone(),
            "category-below-minimum" => {
                category(scores, key, config).unwrap_or_else(|| f.message.clone())
            }
            "score-below-minimum" => overall(scores, config).unwrap_or_else(|| f.message.clone()),
            _ => continue,
        };
        if !out.contains(&line) {
            out.push(line);
        }
    }
    out
}

/// The one row whose smallest improvement lifts `score` by `missing`
/// points, where a row's sub-score counts `share` per point.
fn best_row<'r>(
    rows: impl Iterator<Item = (&'r Row<'r>, f64)>,
    missing: f64,
) -> Option<(&'r Row<'r>, f64)> {
    rows.filter(|(_, share)| *share > 0.0)
        .filter_map(|(row, share)| {
            let needed = row.sub_score + missing / share;
            row.curve
                .value_for(needed)
                .map(|v| (row, v, needed - row.sub_score))
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(row, v, _)| (row, v))
}

fn change(row: &Row, to: f64) -> String {
    format!(
        "gate-{} {} {} → {}",
        row.key,
        row.spec.metric,
        format_with_unit(row.value, &row.unit),
        format_with_unit(to, &row.unit)
    )
}

fn category(scores: &Scores, name: &str, config: &ScoreConfig) -> Option<String> {
    let c = scores.categories.iter().find(|c| c.name == name)?;
    let s = c.score?;
    if c.capped_from.is_some() {
        return Some(format!(
            "{name}: remove the critical vulnerabilities first (the score is capped at {})",
            num(config.critical_cap)
        ));
    }
    let w: f64 = scores
        .rows
        .iter()
        .filter(|r| r.spec.category == name)
        .map(|r| r.weight)
        .sum();
    let rows = scores
        .rows
        .iter()
        .filter(|r| r.spec.category == name)
        .map(|r| (r, r.weight / w));
    let (row, to) = best_row(rows, c.min - s)?;
    Some(format!(
        "{} lifts {name} from {} to {}",
        change(row, to),
        num(s),
        num(c.min)
    ))
}

fn overall(scores: &Scores, config: &ScoreConfig) -> Option<String> {
    let s = scores.overall?;
    let rows = scores.rows.iter().map(|r| (r, r.share));
    let (row, to) = best_row(rows, config.min_score - s)?;
    Some(format!(
        "{} lifts the overall score from {} to {}",
        change(row, to),
        num(s),
        num(config.min_score)
    ))
}

/// The explanation as notes.
pub fn findings(lines: &[String]) -> Vec<Finding> {
    lines
        .iter()
        .map(|l| Finding::new(ScoreRule::SmallestChange, Severity::Note, l.clone()))
        .collect()
}

/// What failed in a gate's own report: its failing metrics against their
/// thresholds, else its first error.
fn failed(key: &str, sel: &Selected) -> Option<String> {
    let r = sel.reports.get(key)?;
    let metrics: Vec<String> = r
        .metrics
        .iter()
        .filter(|m| m.verdict == gate_core::Verdict::Fail)
        .filter_map(|m| {
            let t = m
                .thresholds
                .iter()
                .find(|t| t.judge(m.value) == gate_core::Verdict::Fail)?;
            Some(format!(
                "{} {} → needs {} {}",
                m.name,
                m.display_value(),
                t.op.symbol(),
                format_with_unit(t.value, &m.unit)
            ))
        })
        .collect();
    if !metrics.is_empty() {
        return Some(format!("gate-{key}: {}", metrics.join("; ")));
    }
    let first = r.findings.iter().find(|f| f.severity == Severity::Error)?;
    Some(format!(
        "gate-{key}: fix `{}`: {}",
        first.rule, first.message
    ))
}

/// "RUSTSEC-2019-0009 in smallvec 0.6.5 → upgrade to >=0.6.10", from the
/// veto's message (`gate-K: ID is critical (S): ORIGINAL`), whose original
/// is the gate's own (`package version: … upgrade to …`).
fn critical(f: &Finding) -> String {
    let parsed = (|| {
        let (head, original) = f.message.split_once("): ")?;
        let id = head.split_once(": ")?.1.split(" is critical").next()?;
        let package = original.split_once(": ").map_or(original, |(p, _)| p);
        let advice = match original.find("upgrade to") {
            Some(i) => original[i..].to_string(),
            None => "no fixed version: remove or replace the package".into(),
        };
        Some(format!("{id} in {package} → {advice}"))
    })();
    parsed.unwrap_or_else(|| f.message.clone())
}
