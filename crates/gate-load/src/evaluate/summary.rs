//! The summary line and the details (the result itself, with the
//! thresholds and the merged shards).

use gate_core::report::format_number;

use crate::collect::LoadInput;

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The summary line.
pub fn summary_line(input: &LoadInput) -> String {
    let r = &input.result;
    let shards = if input.merged.is_empty() {
        String::new()
    } else {
        format!(" ({} shards merged)", input.merged.len())
    };
    let latency = if r.overall.latency.count() == 0 {
        "no request succeeded (no latency)".to_string()
    } else {
        format!(
            "p95 {} ms, p99 {} ms",
            format_number(r.overall.latency.percentile_ms(95.0)),
            format_number(r.overall.latency.percentile_ms(99.0)),
        )
    };
    format!(
        "{}{} requests in {}s, {} ok/s, {latency}, errors {}%{}{}{}",
        if r.dropped > 0 {
            format!("{} arrivals dropped, ", r.dropped)
        } else {
            String::new()
        },
        r.overall.requests,
        format_number(r.duration_s),
        format_number(round3(r.rps())),
        format_number(round3(r.overall.error_rate() * 100.0)),
        if r.dropped > 0 {
            " (dropped arrivals included)"
        } else {
            ""
        },
        if r.generator.unreliable {
            " (unreliable: generator saturated)"
        } else {
            ""
        },
        shards,
    )
}

/// The details: the result, its rps, the thresholds, the merged shards.
pub fn details(input: &LoadInput) -> serde_json::Value {
    let r = &input.result;
    let mut details = serde_json::to_value(r).unwrap_or_default();
    if let Some(obj) = details.as_object_mut() {
        obj.insert("rps".into(), serde_json::json!(round3(r.rps())));
        obj.insert(
            "thresholds".into(),
            serde_json::Value::Array(
                input
                    .thresholds
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "endpoint": t.endpoint,
                            "expression": t.expr.text,
                            "level": t.expr.level.as_str(),
                        })
                    })
                    .collect(),
            ),
        );
        if !input.merged.is_empty() {
            obj.insert("merged_from".into(), serde_json::json!(input.merged));
        }
    }
    details
}
