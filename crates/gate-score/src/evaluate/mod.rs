//! The pure judgement: which evidence counts, the vetoes, the scores, the
//! decision and (with `--explain`) what would change it. No I/O, no clock:
//! the same evidence and configuration give the same report.

pub mod explain;
pub mod scoring;
pub mod select;
pub mod vetoes;

use gate_core::report::{
    Chart, Comparison, Metric, Report, Series, SeriesKind, Severity, Threshold, Verdict,
};
use serde_json::json;

use crate::collect::ScoreInput;
use crate::config::ScoreConfig;
use scoring::{Scores, num};

/// The decision a verdict stands for: `go`, `go-with-warnings`, `no-go`.
pub fn decision(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "go",
        Verdict::Warn => "go-with-warnings",
        Verdict::Fail => "no-go",
    }
}

/// Judges the evidence of one commit.
pub fn evaluate(input: &ScoreInput, config: &ScoreConfig) -> Report {
    let mut report = Report::new("score");
    report.commit = Some(input.commit.clone());
    let sel = select::select(input, "score", &mut report);
    report.checked = sel.reports.len() as u64;
    let critical = vetoes::vetoes(&sel, config, &input.commit, &mut report);
    let scores = scoring::score(&sel, config, critical, &mut report);
    metrics(&scores, config, &mut report);
    report.charts.push(chart(&scores));
    let mut report = report.finish();
    let reasons = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .count();
    let explained = if input.explain && report.verdict == Verdict::Fail {
        explain::explain(&report, &sel, &scores, config)
    } else {
        Vec::new()
    };
    report.findings.extend(explain::findings(&explained));
    let d = decision(report.verdict);
    report.summary = summary(d, &scores, reasons);
    report.details = details(d, input, &sel, &scores, &explained);
    report.finish()
}

fn summary(decision: &str, scores: &Scores, reasons: usize) -> String {
    let overall = scores.overall.map_or_else(|| "none".into(), num);
    let cats: Vec<String> = scores
        .categories
        .iter()
        .filter_map(|c| c.score.map(|s| format!("{} {}", c.name, num(s))))
        .collect();
    let reasons = match reasons {
        0 => String::new(),
        1 => "; 1 reason".into(),
        n => format!("; {n} reasons"),
    };
    format!(
        "{decision}: score {overall} ({}){reasons}",
        if cats.is_empty() {
            "no evidence scored".into()
        } else {
            cats.join(", ")
        }
    )
}

fn metrics(scores: &Scores, config: &ScoreConfig, report: &mut Report) {
    if let Some(s) = scores.overall {
        report.metrics.push(
            Metric::info("score", round(s), "")
                .with_threshold(Threshold::new(Comparison::AtLeast, config.min_score))
                .with_threshold(Threshold::new(Comparison::AtLeast, config.warn_score).warn_only()),
        );
    }
    for c in &scores.categories {
        if let Some(s) = c.score {
            let mut m = Metric::info(format!("{}-score", c.name), round(s), "");
            if c.min > 0.0 {
                m = m.with_threshold(Threshold::new(Comparison::AtLeast, c.min));
            }
            report.metrics.push(m);
        }
    }
    for row in &scores.rows {
        let mut m = Metric::info(
            format!("{}.{}", row.key, row.spec.metric),
            row.value,
            row.unit.clone(),
        );
        let op = row.curve.comparison();
        if let Some(go) = row.spec.go {
            m = m.with_threshold(Threshold::new(op, go));
        }
        if let Some(warn) = row.spec.warn {
            m = m.with_threshold(Threshold::new(op, warn).warn_only());
        }
        report.metrics.push(m);
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Category scores as bars, their minimums as a line.
fn chart(scores: &Scores) -> Chart {
    let with: Vec<_> = scores
        .categories
        .iter()
        .filter(|c| c.score.is_some())
        .collect();
    let mut x: Vec<String> = with.iter().map(|c| c.name.to_string()).collect();
    let mut values: Vec<f64> = with.iter().map(|c| round(c.score.unwrap_or(0.0))).collect();
    let mut mins: Vec<f64> = with.iter().map(|c| c.min).collect();
    if let Some(s) = scores.overall {
        x.push("overall".into());
        values.push(round(s));
        mins.push(0.0);
    }
    Chart {
        title: "Score by category".into(),
        x_label: "category".into(),
        y_label: "score".into(),
        x,
        series: vec![
            Series {
                name: "score".into(),
                kind: SeriesKind::Bar,
                values,
            },
            Series {
                name: "minimum".into(),
                kind: SeriesKind::Line,
                values: mins,
            },
        ],
        y_max: Some(100.0),
    }
}

fn details(
    decision: &str,
    input: &ScoreInput,
    sel: &select::Selected,
    scores: &Scores,
    explained: &[String],
) -> serde_json::Value {
    let inputs: Vec<_> = scores
        .rows
        .iter()
        .map(|r| {
            json!({
                "gate": r.key,
                "metric": r.spec.metric,
                "category": r.spec.category,
                "value": r.value,
                "unit": r.unit,
                "sub_score": round(r.sub_score),
                "weight": r.weight,
                "contribution": (r.contribution * 100.0).round() / 100.0,
            })
        })
        .collect();
    let categories: Vec<_> = scores
        .categories
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "score": c.score.map(round),
                "weight": c.weight,
                "min": c.min,
                "capped_from": c.capped_from.map(round),
            })
        })
        .collect();
    let reports: Vec<_> = sel
        .reports
        .iter()
        .map(|(k, r)| json!({"gate": k, "verdict": r.verdict, "checked": r.checked, "summary": r.summary}))
        .collect();
    json!({
        "decision": decision,
        "commit": input.commit,
        "score": scores.overall.map(round),
        "categories": categories,
        "inputs": inputs,
        "reports": reports,
        "explain": explained,
    })
}
