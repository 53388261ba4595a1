//! What the schema cannot say about the `score` section: known gates in
//! `required`, weights that sum to a positive number, monotone curves.
//! Every problem at once, each with its key path (exit 3).

use std::collections::BTreeSet;

use gate_core::GateError;

use crate::config::{CATEGORIES, ScoreConfig};
use crate::curve::Curve;

/// The gate ids gate-score can name: every section gate-core knows, and
/// every gate an input scores (a gate of a later wave becomes known by
/// being scored).
pub fn known_gates(config: &ScoreConfig) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = gate_core::config::SECTIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    for i in &config.inputs {
        known.insert(gate_id(&i.gate).to_string());
    }
    known
}

/// `gate` of `gate/instance`.
pub fn gate_id(key: &str) -> &str {
    key.split_once('/').map_or(key, |(g, _)| g)
}

/// Checks the section; `Err` lists every problem with its key path.
pub fn check(config: &ScoreConfig) -> Result<(), GateError> {
    let mut problems = Vec::new();
    let known = known_gates(config);
    for (i, r) in config.required.iter().enumerate() {
        let id = gate_id(r.trim());
        if !known.contains(id) {
            let hint = known
                .iter()
                .min_by_key(|k| strsim_distance(k, id))
                .filter(|k| strsim_distance(k, id) <= 2)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            problems.push(format!(
                "score.required[{i}]: unknown gate `{r}`{hint}; known gates: {}; a gate of your own becomes known by scoring it in `score.inputs`",
                known.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let total: f64 = config.categories.all().iter().map(|(_, c)| c.weight).sum();
    if !(total.is_finite() && total > 0.0) {
        problems.push(format!(
            "score.categories: the weights sum to {total}; give at least one category a positive weight"
        ));
    }
    for (i, input) in config.inputs.iter().enumerate() {
        if !CATEGORIES.contains(&input.category.as_str()) {
            problems.push(format!(
                "score.inputs[{i}].category: `{}` is not a category; use {}",
                input.category,
                CATEGORIES.join(", ")
            ));
        }
        if let Err(e) = Curve::new(&input.curve) {
            problems.push(format!("score.inputs[{i}].curve: {e}"));
        }
        if input.gate.trim().is_empty() || input.metric.trim().is_empty() {
            problems.push(format!(
                "score.inputs[{i}]: `gate` and `metric` must not be empty"
            ));
        }
    }
    for cat in CATEGORIES {
        let weights: Vec<f64> = config
            .inputs
            .iter()
            .filter(|i| i.category == cat)
            .map(|i| i.weight)
            .collect();
        let sum: f64 = weights.iter().sum();
        let positive = sum.is_finite() && sum > 0.0;
        if !weights.is_empty() && !positive {
            problems.push(format!(
                "score.inputs: the weights of category `{cat}` sum to {sum}; give one of its inputs a positive weight, or remove them"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(GateError::Config(problems))
    }
}

/// Levenshtein distance, for "did you mean".
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
