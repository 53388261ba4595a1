//! The charts: p95 latency and requests per second, per second.

use gate_core::Report;
use gate_core::report::{Chart, Series, SeriesKind};

use crate::result::LoadResult;

/// Per-second p95 and throughput, when there is a timeline.
pub fn charts(report: &mut Report, r: &LoadResult) {
    // Charts: per-second p95 and throughput.
    if !r.timeline.is_empty() {
        let x: Vec<String> = r.timeline.iter().map(|s| s.t.to_string()).collect();
        report.charts.push(Chart {
            y_max: None,
            title: "p95 latency per second".into(),
            x_label: "second".into(),
            y_label: "ms".into(),
            x: x.clone(),
            series: vec![Series {
                name: "p95".into(),
                kind: SeriesKind::Line,
                values: r
                    .timeline
                    .iter()
                    .map(|s| s.latency.percentile_ms(95.0))
                    .collect(),
            }],
        });
        report.charts.push(Chart {
            y_max: None,
            title: "Requests per second".into(),
            x_label: "second".into(),
            y_label: "requests".into(),
            x,
            series: {
                let mut series = vec![Series {
                    name: "completed".into(),
                    kind: SeriesKind::Bar,
                    values: r.timeline.iter().map(|s| s.requests as f64).collect(),
                }];
                if r.timeline.iter().any(|s| s.errors > 0) {
                    series.push(Series {
                        name: "errors".into(),
                        kind: SeriesKind::Line,
                        values: r.timeline.iter().map(|s| s.errors as f64).collect(),
                    });
                }
                series
            },
        });
    }
}
