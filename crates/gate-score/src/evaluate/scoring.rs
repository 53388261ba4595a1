//! Sub-scores through each input's curve, category scores, the overall
//! score, and the targets and minimums they are held to.

use gate_core::report::{Finding, Report, Severity, Verdict, format_with_unit};

use super::select::Selected;
use super::vetoes::matches;
use crate::config::{InputSpec, ScoreConfig, VERDICT_METRIC};
use crate::curve::Curve;
use crate::rules::ScoreRule;

/// One scored row: an input over one report.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub spec: &'a InputSpec,
    pub curve: Curve<'a>,
    /// The report's key (`gate` or `gate/instance`).
    pub key: String,
    pub value: f64,
    pub unit: String,
    pub sub_score: f64,
    /// Weight within the category (the input's, shared among instances).
    pub weight: f64,
    /// Points of the overall score per point of sub-score.
    pub share: f64,
    /// Points of the overall score this row brings (`share × sub_score`).
    pub contribution: f64,
}

/// One category's result.
#[derive(Debug, Clone)]
pub struct CategoryScore {
    pub name: &'static str,
    /// `None`: no evidence in this category.
    pub score: Option<f64>,
    pub weight: f64,
    pub min: f64,
    /// The score before the critical cap, when the cap lowered it.
    pub capped_from: Option<f64>,
}

/// Everything the score is made of.
#[derive(Debug, Clone)]
pub struct Scores<'a> {
    pub rows: Vec<Row<'a>>,
    pub categories: Vec<CategoryScore>,
    /// `None`: nothing was scored.
    pub overall: Option<f64>,
}

fn verdict_value(v: Verdict) -> f64 {
    match v {
        Verdict::Pass => 100.0,
        Verdict::Warn => 50.0,
        Verdict::Fail => 0.0,
    }
}

/// The rows of one input: one per matching report that has the metric.
fn rows_of<'a>(spec: &'a InputSpec, sel: &Selected, report: &mut Report) -> Vec<Row<'a>> {
    let Ok(curve) = Curve::new(&spec.curve) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for (key, r) in sel.reports.iter().filter(|(k, _)| matches(&spec.gate, k)) {
        let (value, unit) = if spec.metric == VERDICT_METRIC {
            (verdict_value(r.verdict), String::new())
        } else {
            match r.metric(&spec.metric).filter(|m| m.value.is_finite()) {
                Some(m) => (m.value, m.unit.clone()),
                None => {
                    report.findings.push(
                        Finding::new(
                            ScoreRule::MetricMissing,
                            Severity::Note,
                            format!(
                                "gate-{key} reports no `{}`: left out of the score",
                                spec.metric
                            ),
                        )
                        .with_key(spec.label()),
                    );
                    continue;
                }
            }
        };
        rows.push(Row {
            spec,
            curve: curve.clone(),
            key: key.to_string(),
            value,
            unit,
            sub_score: curve.score(value),
            weight: spec.weight,
            share: 0.0,
            contribution: 0.0,
        });
    }
    let n = rows.len() as f64;
    for row in &mut rows {
        row.weight /= n;
    }
    rows
}

/// Scores every input, category and the whole; adds target findings.
pub fn score<'a>(
    sel: &Selected,
    config: &'a ScoreConfig,
    critical: bool,
    report: &mut Report,
) -> Scores<'a> {
    let mut rows: Vec<Row<'a>> = Vec::new();
    for spec in &config.inputs {
        rows.extend(rows_of(spec, sel, report));
    }
    targets(&rows, report);
    let mut categories = Vec::new();
    for (name, cat) in config.categories.all() {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.spec.category == name).collect();
        let w: f64 = mine.iter().map(|r| r.weight).sum();
        let mut score =
            (w > 0.0).then(|| mine.iter().map(|r| r.weight * r.sub_score).sum::<f64>() / w);
        let mut capped_from = None;
        if name == "security" && critical {
            let cap = config.critical_cap;
            let s = score.unwrap_or(cap);
            if s > cap {
                capped_from = Some(s);
            }
            score = Some(s.min(cap));
        }
        categories.push(CategoryScore {
            name,
            score,
            weight: cat.weight,
            min: cat.min,
            capped_from,
        });
    }
    let counted: Vec<&CategoryScore> = categories
        .iter()
        .filter(|c| c.score.is_some() && c.weight > 0.0)
        .collect();
    let total_w: f64 = counted.iter().map(|c| c.weight).sum();
    let overall = (total_w > 0.0).then(|| {
        counted
            .iter()
            .map(|c| c.weight * c.score.unwrap_or(0.0))
            .sum::<f64>()
            / total_w
    });
    let sums: Vec<(String, f64)> = categories
        .iter()
        .map(|c| {
            let w = rows
                .iter()
                .filter(|r| r.spec.category == c.name)
                .map(|r| r.weight)
                .sum();
            (c.name.to_string(), w)
        })
        .collect();
    for row in &mut rows {
        let Some(c) = counted.iter().find(|c| c.name == row.spec.category) else {
            continue;
        };
        let w = sums
            .iter()
            .find(|(n, _)| *n == row.spec.category)
            .map_or(0.0, |(_, w)| *w);
        // With the critical cap, the category's rows shrink in proportion.
        let factor = match (c.capped_from, c.score) {
            (Some(before), Some(after)) if before > 0.0 => after / before,
            _ => 1.0,
        };
        if w > 0.0 {
            row.share = c.weight / total_w * row.weight / w * factor;
            row.contribution = row.share * row.sub_score;
        }
    }
    minimums(&categories, overall, config, report);
    Scores {
        rows,
        categories,
        overall,
    }
}

/// `go` and `warn` targets of every row.
fn targets(rows: &[Row], report: &mut Report) {
    for row in rows {
        let show = |v: f64| format_with_unit(v, &row.unit);
        let op = row.curve.comparison().symbol();
        if let Some(go) = row.spec.go.filter(|t| !row.curve.meets(row.value, *t)) {
            report.findings.push(
                Finding::new(
                    ScoreRule::BelowTarget,
                    Severity::Error,
                    format!(
                        "gate-{} {} is {}: needs {op} {}",
                        row.key,
                        row.spec.metric,
                        show(row.value),
                        show(go)
                    ),
                )
                .with_key(format!("{}.{}", row.key, row.spec.metric)),
            );
        } else if let Some(warn) = row.spec.warn.filter(|t| !row.curve.meets(row.value, *t)) {
            report.findings.push(
                Finding::new(
                    ScoreRule::BelowWarnTarget,
                    Severity::Warning,
                    format!(
                        "gate-{} {} is {}: should be {op} {}",
                        row.key,
                        row.spec.metric,
                        show(row.value),
                        show(warn)
                    ),
                )
                .with_key(format!("{}.{}", row.key, row.spec.metric)),
            );
        }
    }
}

/// Category minimums and the overall minimum and warning level.
fn minimums(
    categories: &[CategoryScore],
    overall: Option<f64>,
    config: &ScoreConfig,
    report: &mut Report,
) {
    for c in categories {
        let Some(s) = c.score.filter(|s| *s < c.min) else {
            continue;
        };
        let cap = match c.capped_from {
            Some(before) => format!(
                " (capped at {} by a critical vulnerability; {} without it)",
                num(config.critical_cap),
                num(before)
            ),
            None => String::new(),
        };
        report.findings.push(
            Finding::new(
                ScoreRule::CategoryBelowMinimum,
                Severity::Error,
                format!(
                    "{} score {}{cap}: needs at least {}",
                    c.name,
                    num(s),
                    num(c.min)
                ),
            )
            .with_key(c.name.to_string()),
        );
    }
    match overall {
        None => report.findings.push(Finding::new(
            ScoreRule::ScoreBelowMinimum,
            Severity::Error,
            "nothing was scored: no report of this commit has a metric `score.inputs` scores",
        )),
        Some(s) if s < config.min_score => report.findings.push(Finding::new(
            ScoreRule::ScoreBelowMinimum,
            Severity::Error,
            format!(
                "overall score {}: needs at least {}",
                num(s),
                num(config.min_score)
            ),
        )),
        Some(s) if s < config.warn_score => report.findings.push(Finding::new(
            ScoreRule::ScoreLow,
            Severity::Warning,
            format!(
                "overall score {}: under the warning level {}",
                num(s),
                num(config.warn_score)
            ),
        )),
        Some(_) => {}
    }
}

/// A score for people: one decimal at most.
pub fn num(v: f64) -> String {
    gate_core::report::format_number((v * 10.0).round() / 10.0)
}
