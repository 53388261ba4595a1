//! Units every gate reads the same way.

use std::time::Duration;

/// Parses a duration with units: `250ms`, `5s`, `1m30s`, `1.5s`, `72h`,
/// `7d`, `2w`, `500us`. A bare number is refused (say the unit). This is the one
/// duration grammar: [`crate::types::Duration`], the type of every duration
/// key, parses with it.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration; write e.g. 5s, 250ms, 1m30s".into());
    }
    let mut total_ms = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_end == 0 {
            return Err(format!(
                "`{t}` is not a duration; write e.g. 5s, 250ms, 1m30s, 72h, 7d"
            ));
        }
        let n: f64 = rest[..num_end]
            .parse()
            .map_err(|_| format!("`{t}`: bad number in duration"))?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let ms = match unit {
            "us" | "µs" => 0.001,
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            "w" => 7.0 * 86_400_000.0,
            "" => {
                return Err(format!(
                    "`{t}`: duration without a unit; write e.g. {n}s or {n}ms"
                ));
            }
            u => {
                return Err(format!(
                    "`{t}`: unknown unit `{u}`; use us, ms, s, m, h, d or w"
                ));
            }
        };
        total_ms += n * ms;
    }
    if !total_ms.is_finite() || total_ms > 1e15 {
        return Err(format!("`{t}`: duration too large"));
    }
    Ok(Duration::from_micros((total_ms * 1000.0).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(parse_duration("500us").unwrap(), Duration::from_micros(500));
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        assert!(parse_duration("5").unwrap_err().contains("without a unit"));
        assert!(parse_duration("5 y").is_err());
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("").is_err());
    }
}
