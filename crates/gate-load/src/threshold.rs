//! k6-style threshold expressions: `p(95) < 200ms`, `avg <= 50ms`,
//! `error_rate < 1%`, `rps > 100`, `dropped == 0`, optionally prefixed with
//! a level: `warn: error_rate < 5%` (default level: fail).

use std::fmt;

use gate_core::{Comparison, Verdict};

use crate::result::{EndpointStats, LoadResult};

/// What a threshold measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stat {
    /// Latency percentile (0 < p ≤ 100), ms.
    Percentile(f64),
    Avg,
    Min,
    Max,
    /// Failed / completed requests (a fraction 0..1).
    ErrorRate,
    /// Completed requests per second.
    Rps,
    /// Open-model arrivals with no free connection.
    Dropped,
    /// Completed requests.
    Requests,
    /// Failed requests.
    Errors,
}

impl Stat {
    /// Metric name in the report (kebab-case).
    pub fn metric_name(self) -> String {
        match self {
            Stat::Percentile(p) => format!("latency-p{}", gate_core::report::format_number(p)),
            Stat::Avg => "latency-avg".into(),
            Stat::Min => "latency-min".into(),
            Stat::Max => "latency-max".into(),
            Stat::ErrorRate => "error-rate".into(),
            Stat::Rps => "rps".into(),
            Stat::Dropped => "dropped".into(),
            Stat::Requests => "requests".into(),
            Stat::Errors => "errors".into(),
        }
    }

    /// Unit of the report metric.
    pub fn unit(self) -> &'static str {
        match self {
            Stat::Percentile(_) | Stat::Avg | Stat::Min | Stat::Max => "ms",
            Stat::ErrorRate => "%",
            Stat::Rps => "rps",
            Stat::Dropped | Stat::Requests | Stat::Errors => "count",
        }
    }

    /// A latency statistic, which only successful requests have.
    pub fn is_latency(self) -> bool {
        self.unit() == "ms"
    }
}

/// A parsed threshold. `limit` is in the metric's report unit (ms, %, rps, count).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub text: String,
    pub level: Verdict,
    pub stat: Stat,
    pub op: Comparison,
    pub limit: f64,
}

impl Expr {
    pub fn threshold(&self) -> gate_core::Threshold {
        gate_core::Threshold {
            op: self.op,
            value: self.limit,
            on_breach: self.level,
        }
    }
}

/// A parse error at a 1-based column of the expression.
/// A threshold and where it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoped {
    /// `None`: the whole run; else the endpoint's name.
    pub endpoint: Option<String>,
    pub expr: Expr,
}

impl Stat {
    /// This statistic of `e` (the whole run's or one endpoint's stats) in
    /// the run `r`.
    pub fn value(self, e: &EndpointStats, r: &LoadResult) -> f64 {
        let h = &e.latency;
        match self {
            Stat::Percentile(p) => h.percentile_ms(p),
            Stat::Avg => round3(h.mean_ms()),
            Stat::Min => h.min_ms(),
            Stat::Max => h.max_ms(),
            Stat::ErrorRate => round3(e.error_rate() * 100.0),
            Stat::Rps => {
                if r.duration_s > 0.0 {
                    round3(e.ok as f64 / r.duration_s)
                } else {
                    0.0
                }
            }
            Stat::Dropped => r.dropped as f64,
            Stat::Requests => e.requests as f64,
            Stat::Errors => e.error_count() as f64,
        }
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Expr {
    /// `stat op limit`, failing when breached (`text` is how it reads).
    pub fn new(stat: Stat, op: Comparison, limit: f64, text: impl Into<String>) -> Self {
        Expr {
            text: text.into(),
            level: Verdict::Fail,
            stat,
            op,
            limit,
        }
    }

    /// The verdict on a value of its statistic: pass, or its level.
    pub fn judge_value(&self, value: f64) -> Verdict {
        self.threshold().judge(value)
    }
}

/// A threshold judged against a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    /// The statistic's value; `None` for a latency statistic when no
    /// request succeeded (there is no latency, not a 0 ms one).
    pub value: Option<f64>,
    /// Pass, or the threshold's level; with no value, its level.
    pub verdict: Verdict,
}

/// The threshold judge: `expr`'s statistic of `e` in the run `r` against
/// its limit.
pub fn judge(expr: &Expr, e: &EndpointStats, r: &LoadResult) -> Judged {
    if expr.stat.is_latency() && e.latency.count() == 0 {
        return Judged {
            value: None,
            verdict: expr.level,
        };
    }
    let value = expr.stat.value(e, r);
    Judged {
        value: Some(value),
        verdict: expr.judge_value(value),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += self.text[self.pos..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        }
    }
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }
    fn err<T>(&self, at: usize, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            column: self.text[..at].chars().count() + 1,
            message: message.into(),
        })
    }
    fn word(&mut self) -> &str {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(self.rest().len());
        self.pos += len;
        &self.text[start..self.pos]
    }
    fn number(&mut self) -> Option<f64> {
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(self.rest().len());
        let n = self.rest()[..len].parse().ok()?;
        self.pos += len;
        Some(n)
    }
}

const METRICS_HELP: &str =
    "use p(N), avg, min, max, med, error_rate, rps, dropped, requests or errors";

/// The optional level prefix, `warn:` or `fail:` (default: fail).
fn parse_level(c: &mut Cursor<'_>) -> Verdict {
    // Optional level prefix.
    let mut level = Verdict::Fail;
    let save = c.pos;
    let w = c.word().to_ascii_lowercase();
    c.skip_ws();
    if (w == "warn" || w == "fail") && c.rest().starts_with(':') {
        level = if w == "warn" {
            Verdict::Warn
        } else {
            Verdict::Fail
        };
        c.pos += 1;
        c.skip_ws();
    } else {
        c.pos = save;
    }
    level
}

/// The metric: `p(95)`, `p95`, `avg`, `error_rate`, ...
fn parse_stat(c: &mut Cursor<'_>) -> Result<Stat, ParseError> {
    let metric_at = c.pos;
    let name = c.word().to_ascii_lowercase();
    let stat = match name.as_str() {
        "p" => {
            c.skip_ws();
            if !c.rest().starts_with('(') {
                return c.err(c.pos, "expected `(` after p: write p(95)");
            }
            c.pos += 1;
            c.skip_ws();
            let at = c.pos;
            let Some(p) = c.number() else {
                return c.err(at, "expected a percentile between 0 and 100, e.g. p(99.9)");
            };
            if !(p > 0.0 && p <= 100.0) {
                return c.err(at, format!("percentile {p} is not in (0, 100]"));
            }
            c.skip_ws();
            if !c.rest().starts_with(')') {
                return c.err(c.pos, "expected `)` to close p(...)");
            }
            c.pos += 1;
            Stat::Percentile(p)
        }
        n if n.len() > 1
            && n.starts_with('p')
            && n[1..].chars().all(|ch| ch.is_ascii_digit() || ch == '_') =>
        {
            // p95, p99_9
            let p: f64 = n[1..].replacen('_', ".", 1).parse().unwrap_or(-1.0);
            if !(p > 0.0 && p <= 100.0) {
                return c.err(metric_at, format!("`{n}` is not a percentile: write p(95)"));
            }
            Stat::Percentile(p)
        }
        "avg" | "mean" => Stat::Avg,
        "min" => Stat::Min,
        "max" => Stat::Max,
        "med" | "median" => Stat::Percentile(50.0),
        "error_rate" | "error-rate" | "errors_rate" | "failed" | "http_req_failed" => {
            Stat::ErrorRate
        }
        "rps" | "throughput" => Stat::Rps,
        "dropped" | "dropped_iterations" | "dropped_requests" => Stat::Dropped,
        "requests" | "count" => Stat::Requests,
        "errors" => Stat::Errors,
        "" => return c.err(metric_at, format!("expected a metric: {METRICS_HELP}")),
        other => {
            return c.err(
                metric_at,
                format!("unknown metric `{other}`: {METRICS_HELP}"),
            );
        }
    };
    Ok(stat)
}

/// The comparison.
fn parse_op(c: &mut Cursor<'_>) -> Result<Comparison, ParseError> {
    c.skip_ws();
    let op_at = c.pos;
    let rest = c.rest();
    let (op, len) = if rest.starts_with("<=") {
        (Comparison::AtMost, 2)
    } else if rest.starts_with(">=") {
        (Comparison::AtLeast, 2)
    } else if rest.starts_with("==") {
        (Comparison::Equal, 2)
    } else if rest.starts_with('<') {
        (Comparison::Below, 1)
    } else if rest.starts_with('>') {
        (Comparison::Above, 1)
    } else if rest.starts_with('=') {
        (Comparison::Equal, 1)
    } else {
        return c.err(op_at, "expected a comparison: <, <=, >, >= or ==");
    };
    c.pos += len;
    if c.rest().starts_with(['<', '>', '=']) {
        return c.err(c.pos, "expected a number after the comparison");
    }
    Ok(op)
}

/// The limit: a number with the unit of the metric, in the metric's unit
/// (ms, percent, ...).
fn parse_limit(c: &mut Cursor<'_>, stat: Stat) -> Result<f64, ParseError> {
    c.skip_ws();
    let num_at = c.pos;
    let Some(value) = c.number() else {
        return c.err(num_at, "expected a number, e.g. 200ms, 1%, 100");
    };
    c.skip_ws();
    let unit_at = c.pos;
    let unit = c.rest().trim_end().to_string();
    let limit = match (stat.is_latency(), stat, unit.as_str()) {
        (true, _, "" | "ms") => value,
        (true, _, "s") => value * 1000.0,
        (true, _, "us" | "µs") => value / 1000.0,
        (true, _, "m") => value * 60_000.0,
        (true, _, u) => {
            return c.err(
                unit_at,
                format!("unknown time unit `{u}`: use us, ms, s or m"),
            );
        }
        (_, Stat::ErrorRate, "%") => value,
        (_, Stat::ErrorRate, "") => {
            if value > 1.0 {
                return c.err(
                    num_at,
                    format!(
                        "error_rate is a fraction (0 to 1) without a unit: write {value}% or {}",
                        value / 100.0
                    ),
                );
            }
            value * 100.0
        }
        (_, Stat::Rps, "" | "/s" | "rps") => value,
        (_, Stat::Dropped | Stat::Requests | Stat::Errors, "") => value,
        (_, _, u) => {
            return c.err(
                unit_at,
                format!("`{u}` is not a unit of {}", stat.metric_name()),
            );
        }
    };
    Ok(limit)
}

/// Parses one threshold expression.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut c = Cursor { text, pos: 0 };
    c.skip_ws();
    if c.rest().is_empty() {
        return c.err(0, "empty threshold: write e.g. `p(95) < 200ms`");
    }
    let level = parse_level(&mut c);
    let stat = parse_stat(&mut c)?;
    let op = parse_op(&mut c)?;
    let limit = parse_limit(&mut c, stat)?;
    Ok(Expr {
        text: text.trim().to_string(),
        level,
        stat,
        op,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let e = parse("p(95) < 200ms").unwrap();
        assert_eq!(
            (e.stat, e.op, e.limit, e.level),
            (
                Stat::Percentile(95.0),
                Comparison::Below,
                200.0,
                Verdict::Fail
            )
        );
        assert_eq!(parse("p(99)<2s").unwrap().limit, 2000.0);
        assert_eq!(parse("p(99.9) <= 1500us").unwrap().limit, 1.5);
        assert_eq!(parse("avg < 50").unwrap().stat, Stat::Avg);
        let w = parse("warn: error_rate < 5%").unwrap();
        assert_eq!(
            (w.level, w.stat, w.limit),
            (Verdict::Warn, Stat::ErrorRate, 5.0)
        );
        assert_eq!(parse("error_rate < 0.01").unwrap().limit, 1.0);
        assert_eq!(parse("rps > 100").unwrap().op, Comparison::Above);
        assert_eq!(parse("dropped == 0").unwrap().stat, Stat::Dropped);
        assert_eq!(parse("p95 < 10ms").unwrap().stat, Stat::Percentile(95.0));
        assert_eq!(
            parse("med < 10ms").unwrap().stat.metric_name(),
            "latency-p50"
        );
    }

    #[test]
    fn errors_name_the_column() {
        let e = parse("p(95) <> 200ms").unwrap_err();
        assert_eq!(e.column, 8, "{e}");
        let e = parse("latency < 200ms").unwrap_err();
        assert_eq!(e.column, 1);
        assert!(e.message.contains("unknown metric `latency`"));
        let e = parse("p(95) < 200 parsecs").unwrap_err();
        assert_eq!(e.column, 13);
        let e = parse("p(150) < 1s").unwrap_err();
        assert_eq!(e.column, 3);
        let e = parse("error_rate < 5").unwrap_err();
        assert_eq!(e.column, 14);
        let e = parse("rps > ").unwrap_err();
        assert_eq!(e.column, 7);
        assert!(parse("").is_err());
        assert_eq!(parse("p(95 < 1s").unwrap_err().column, 6);
        assert_eq!(parse("dropped == 0%").unwrap_err().column, 13);
    }
}
