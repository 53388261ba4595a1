//! Latency percentiles over a window, with an HDR histogram.

use hdrhistogram::Histogram;

/// p50 and p95 (milliseconds) of `samples_ms`, `None` when empty.
pub fn percentiles(samples_ms: &[f64]) -> Option<(f64, f64)> {
    if samples_ms.is_empty() {
        return None;
    }
    // Microsecond resolution, up to one hour, 3 significant digits.
    let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).ok()?;
    for s in samples_ms {
        let us = (s * 1000.0).round().clamp(1.0, 3_600_000_000.0) as u64;
        h.saturating_record(us);
    }
    let q = |p: f64| (h.value_at_quantile(p) as f64 / 1000.0 * 1000.0).round() / 1000.0;
    Some((q(0.5), q(0.95)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn percentiles_match_a_sorted_computation() {
        let samples: Vec<f64> = (1..=1000).map(|i| f64::from(i) * 0.5).collect();
        let (p50, p95) = percentiles(&samples).unwrap();
        // Nearest-rank on the sorted samples: 250 ms and 475 ms; HDR keeps 3 digits.
        assert!((p50 - 250.0).abs() <= 0.5, "{p50}");
        assert!((p95 - 475.0).abs() <= 0.5, "{p95}");
        assert_eq!(percentiles(&[]), None);
    }
}
