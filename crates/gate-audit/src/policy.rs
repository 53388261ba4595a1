//! Policy helpers: dates and ages, ignore lists (gates.yml, `.cargo/audit.toml`,
//! `osv-scanner.toml`).

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An ignore entry of `gates.yml`: reason and expiry are required.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IgnoreRule {
    /// Advisory id or any alias (RUSTSEC-…, GHSA-…, CVE-…).
    pub id: String,
    /// Why it is acceptable (required, shown in the report).
    pub reason: String,
    /// Last day the ignore applies, `YYYY-MM-DD`; after it the gate fails.
    pub expires: String,
    /// Only for this package name (default: any package).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

/// An ignore in force, wherever it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignore {
    pub id: String,
    pub reason: String,
    /// `YYYY-MM-DD`, none for imported entries without one.
    pub expires: Option<String>,
    pub package: Option<String>,
    /// `gates.yml`, `.cargo/audit.toml`, `osv-scanner.toml`.
    pub origin: String,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let d = i64::from(d);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day number of a `YYYY-MM-DD` date (or the date part of an RFC 3339 time).
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let date = s.get(..10)?;
    let mut it = date.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // reject 2023-02-30 and the like
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

pub fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

#[derive(Deserialize)]
struct CargoAuditToml {
    #[serde(default)]
    advisories: Option<CargoAuditAdvisories>,
}

#[derive(Deserialize)]
struct CargoAuditAdvisories {
    #[serde(default)]
    ignore: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OsvScannerToml {
    #[serde(default)]
    ignored_vulns: Vec<OsvIgnored>,
}

#[derive(Deserialize)]
struct OsvIgnored {
    id: String,
    #[serde(default, rename = "ignoreUntil")]
    ignore_until: Option<toml::Value>,
    #[serde(default)]
    reason: Option<String>,
}

fn toml_err(path: &Path, text: &str, e: &toml::de::Error) -> gate_core::GateError {
    let line = e.span().map(|s| crate::lockfile::line_at(text, s.start));
    gate_core::GateError::malformed(path, line, format!("invalid TOML: {}", e.message().trim()))
}

/// Ignores listed in `.cargo/audit.toml` (`[advisories] ignore = [...]`,
/// strings or `{ id, reason }` tables).
pub fn read_cargo_audit_toml(path: &Path, text: &str) -> gate_core::Result<Vec<Ignore>> {
    let raw: CargoAuditToml = toml::from_str(text).map_err(|e| toml_err(path, text, &e))?;
    let mut out = Vec::new();
    for v in raw.advisories.map(|a| a.ignore).unwrap_or_default() {
        let (id, reason) = match v {
            toml::Value::String(s) => (s, None),
            toml::Value::Table(t) => (
                t.get("id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                t.get("reason").and_then(|v| v.as_str()).map(String::from),
            ),
            _ => continue,
        };
        if id.is_empty() {
            continue;
        }
        out.push(Ignore {
            id,
            reason: reason
                .unwrap_or_else(|| "listed in .cargo/audit.toml (no reason given)".into()),
            expires: None,
            package: None,
            origin: ".cargo/audit.toml".into(),
        });
    }
    Ok(out)
}

/// Ignores listed in `osv-scanner.toml` (`[[IgnoredVulns]]` with `id`,
/// `ignoreUntil`, `reason`).
pub fn read_osv_scanner_toml(path: &Path, text: &str) -> gate_core::Result<Vec<Ignore>> {
    let raw: OsvScannerToml = toml::from_str(text).map_err(|e| toml_err(path, text, &e))?;
    Ok(raw
        .ignored_vulns
        .into_iter()
        .map(|i| Ignore {
            id: i.id,
            reason: i
                .reason
                .unwrap_or_else(|| "listed in osv-scanner.toml (no reason given)".into()),
            expires: i.ignore_until.and_then(|u| {
                let s = match u {
                    toml::Value::String(s) => s,
                    toml::Value::Datetime(d) => d.to_string(),
                    _ => return None,
                };
                parse_date(&s).map(format_date)
            }),
            package: None,
            origin: "osv-scanner.toml".into(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            parse_date("2000-03-01").unwrap() - parse_date("2000-02-28").unwrap(),
            2
        );
        assert_eq!(parse_date("2026-08-21T10:00:00Z"), parse_date("2026-08-21"));
        assert_eq!(parse_date("2023-02-30"), None);
        assert_eq!(parse_date("soon"), None);
        for d in [-1000, 0, 10_000, 20_000, 20_689] {
            assert_eq!(parse_date(&format_date(d)), Some(d));
        }
    }

    #[test]
    fn imported_ignore_lists() {
        let a = read_cargo_audit_toml(
            Path::new(".cargo/audit.toml"),
            "[advisories]\nignore = [\"RUSTSEC-2020-0071\", { id = \"RUSTSEC-2021-0139\", reason = \"no fix\" }]\n",
        )
        .unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].reason, "no fix");
        let o = read_osv_scanner_toml(
            Path::new("osv-scanner.toml"),
            "[[IgnoredVulns]]\nid = \"GHSA-xxxx\"\nignoreUntil = 2022-11-09\nreason = \"not reachable\"\n",
        )
        .unwrap();
        assert_eq!(o[0].expires.as_deref(), Some("2022-11-09"));
        let e =
            read_osv_scanner_toml(Path::new("osv-scanner.toml"), "[[IgnoredVulns]\n").unwrap_err();
        assert_eq!(e.exit_code(), gate_core::ExitCode::Input);
        assert!(e.to_string().contains("osv-scanner.toml:1"), "{e}");
    }
}
