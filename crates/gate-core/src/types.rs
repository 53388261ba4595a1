//! Domain types for `gates.yml` keys: each one is checked at load time by
//! the schema it generates (a pattern, a range, an enumeration), so a bad
//! value gets the located message every config problem gets (`file:line`,
//! the key path, what to write instead), and deserializes to a typed value.
//!
//! Every schema carries two extensions the loader and `cargo xtask schema`
//! read:
//! - `x-gates-type`: the type's name for people (`duration`, `percent`,
//!   `url`, `header`, `level`), used as the flag's value name and in the
//!   docs' key tables;
//! - `x-gates-hint`: what to write instead, appended to the message of a
//!   value the schema refuses.
//!
//! | Type | Accepts | Refuses |
//! |---|---|---|
//! | [`Duration`] | `250ms`, `2s`, `1m30s`, `1h`, `7d`, `2w`, `500us` | a bare number (`90`: write `90s` or `90d`) |
//! | [`Percent`] | a number from 0 to 100; `80%` on flags and in `GATES_*` | anything outside 0–100 |
//! | [`HttpUrl`] | `http://` or `https://` with a host; userinfo allowed (`https://user:${TOKEN}@host/`) | other schemes, spaces |
//! | [`Header`] | `Name: value`, the name an HTTP token | no colon, a line break |
//! | [`Level`] | `error`, `warning`, `note`, `ignore` (`fail` and `warn` are aliases) | anything else |

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::report::Severity;

/// Deserializes `T` through its `FromStr`, from a string.
fn from_str<'de, D: Deserializer<'de>, T: FromStr<Err = String>>(d: D) -> Result<T, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

/// Pattern of [`Duration`]: one or more number-unit pairs, nothing bare.
pub const DURATION_PATTERN: &str = r"^(([0-9]+\.?[0-9]*|\.[0-9]+)(us|µs|ms|s|m|h|d|w))+$";

/// A length of time, written with its unit: `250ms`, `2s`, `1m30s`, `1h`,
/// `7d`, `2w` (also `500us`, `1.5s`). One grammar for every gate, parsed by
/// [`crate::units::parse_duration`].
///
/// A bare number is refused, in `gates.yml`, in `GATES_*` and on flags: its
/// unit differed from gate to gate (seconds for load, days for audit's
/// ages), and a number that silently changes meaning is worse than an
/// error that says "write `90s` or `90d`".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub const fn from_secs(s: u64) -> Self {
        Duration(std::time::Duration::from_secs(s))
    }
    pub const fn from_millis(ms: u64) -> Self {
        Duration(std::time::Duration::from_millis(ms))
    }
    pub fn as_secs_f64(&self) -> f64 {
        self.0.as_secs_f64()
    }
    pub const fn get(&self) -> std::time::Duration {
        self.0
    }
}

impl From<Duration> for std::time::Duration {
    fn from(d: Duration) -> Self {
        d.0
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration(d)
    }
}

impl FromStr for Duration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        crate::units::parse_duration(s).map(Duration)
    }
}

impl fmt::Display for Duration {
    /// The shortest exact spelling in one unit: `90s`, `250ms`, `7d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0.as_micros();
        for (unit, size) in [
            ("d", 86_400_000_000u128),
            ("h", 3_600_000_000),
            ("m", 60_000_000),
            ("s", 1_000_000),
            ("ms", 1_000),
        ] {
            if us >= size && us.is_multiple_of(size) {
                return write!(f, "{}{unit}", us / size);
            }
        }
        if us == 0 {
            return f.write_str("0s");
        }
        write!(f, "{us}us")
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

impl JsonSchema for Duration {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "x-gates-type": "duration",
            "x-gates-hint": "write a duration with its unit, e.g. 250ms, 2s, 1m30s, 1h, 7d (a bare number is refused: write 90s or 90d)",
        })
    }
}

/// A share from 0 to 100. In `gates.yml` it is a number (`80`); flags and
/// `GATES_*` values may also write `80%` (the loader strips the sign, as it
/// always has for numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Percent(pub f64);

impl Percent {
    pub const fn get(&self) -> f64 {
        self.0
    }
}

impl FromStr for Percent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let n: f64 = t
            .strip_suffix('%')
            .unwrap_or(t)
            .trim()
            .parse()
            .map_err(|_| format!("`{t}` is not a percentage; write a number from 0 to 100"))?;
        Percent::try_from(n)
    }
}

impl TryFrom<f64> for Percent {
    type Error = String;
    fn try_from(n: f64) -> Result<Self, String> {
        if (0.0..=100.0).contains(&n) {
            Ok(Percent(n))
        } else {
            Err(format!(
                "{n} is not a percentage; write a number from 0 to 100"
            ))
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = f64::deserialize(d)?;
        Percent::try_from(n).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

impl JsonSchema for Percent {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Percent".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "number",
            "minimum": 0.0,
            "maximum": 100.0,
            "x-gates-type": "percent",
            "x-gates-hint": "write a number from 0 to 100",
        })
    }
}

/// Pattern of [`HttpUrl`]: an `http`/`https` scheme, a non-empty authority
/// (userinfo allowed), no whitespace.
pub const HTTP_URL_PATTERN: &str = r"^[hH][tT][tT][pP][sS]?://[^\s/?#]+([/?#][^\s]*)?$";

/// An `http://` or `https://` URL with a host. Userinfo is allowed, as
/// gate-health allows it (`https://user:${TOKEN}@host/`: the password is
/// expanded and masked by the gate); `${VAR}` references are kept as
/// written, so the text is checked by shape here and parsed by the gate
/// after expansion.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for HttpUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
        let rest = if lower.starts_with("https://") {
            &s[8..]
        } else if lower.starts_with("http://") {
            &s[7..]
        } else {
            return Err(format!(
                "`{s}` is not an http(s) URL; write e.g. https://example.com/health"
            ));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || s.chars().any(char::is_whitespace) {
            return Err(format!(
                "`{s}`: a URL needs a host and no spaces; write e.g. https://example.com/health"
            ));
        }
        Ok(HttpUrl(s.to_string()))
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for HttpUrl {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "HttpUrl".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": HTTP_URL_PATTERN,
            "x-gates-type": "url",
            "x-gates-hint": "write an http:// or https:// URL with a host, e.g. https://example.com/health",
        })
    }
}

/// Pattern of [`Header`]: an HTTP token name, a colon, a value on one line.
pub const HEADER_PATTERN: &str = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n]*$";

/// An HTTP header as `Name: value`: the name an HTTP token (RFC 9110), the
/// value on one line (leading and trailing spaces are not part of it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl FromStr for Header {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let hint = "write `Name: value`, e.g. `Accept: application/json`";
        let (name, value) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}` is not a header; {hint}"))?;
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+.^_`|~-".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(format!("`{name}` is not a header name; {hint}"));
        }
        if value.contains(['\r', '\n']) {
            return Err(format!(
                "header `{name}`: the value has a line break; {hint}"
            ));
        }
        Ok(Header {
            name: name.to_string(),
            value: value.trim().to_string(),
        })
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.value)
    }
}

impl Serialize for Header {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str(d)
    }
}

impl JsonSchema for Header {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Header".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": HEADER_PATTERN,
            "x-gates-type": "header",
            "x-gates-hint": "write `Name: value`, e.g. `Accept: application/json`",
        })
    }
}

/// How much a kind of problem matters, one spelling for every gate:
/// `error` (fails the gate), `warning`, `note`, `ignore` (not reported).
/// The older spellings are accepted as aliases, so no configuration breaks:
/// `fail` (gate-audit) is `error`, `warn` (gate-audit, `--fail-on`) is
/// `warning`. It serializes as the canonical spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Not reported.
    Ignore,
    /// Reported; never changes the verdict.
    Note,
    /// Makes the verdict at least `warn`.
    #[serde(alias = "warn")]
    Warning,
    /// Fails the gate.
    #[serde(alias = "fail")]
    Error,
}

impl Level {
    /// Every accepted spelling, canonical ones first.
    pub const SPELLINGS: [&'static str; 6] = ["error", "warning", "note", "ignore", "fail", "warn"];

    /// The finding severity of this level; `None` for `ignore`.
    pub const fn severity(self) -> Option<Severity> {
        match self {
            Level::Ignore => None,
            Level::Note => Some(Severity::Note),
            Level::Warning => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }

    /// The canonical spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Ignore => "ignore",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "error" | "fail" => Ok(Level::Error),
            "warning" | "warn" => Ok(Level::Warning),
            "note" => Ok(Level::Note),
            "ignore" => Ok(Level::Ignore),
            other => Err(format!(
                "`{other}` is not a level; write error, warning, note or ignore"
            )),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl JsonSchema for Level {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Level".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "enum": Level::SPELLINGS,
            "x-gates-type": "level",
            "x-gates-hint": "write error, warning, note or ignore (fail and warn are accepted as error and warning)",
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{ConfigFile, Origin, Override, env_overrides};
    use crate::error::GateError;

    #[derive(Debug, Default, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
    struct Typed {
        /// How long to wait.
        timeout: Option<Duration>,
        /// Minimum share.
        min: Option<Percent>,
        /// Where to look.
        url: Option<HttpUrl>,
        /// Extra headers.
        headers: Vec<Header>,
        /// How much it matters.
        level: Option<Level>,
    }

    fn load(yaml: &str) -> Result<Typed, Vec<String>> {
        let mut f = ConfigFile::parse(Path::new("gates.yml"), yaml, "t").unwrap();
        f.section::<Typed>("t", &[]).map_err(|e| match e {
            GateError::Config(m) => m,
            other => panic!("{other:?}"),
        })
    }

    fn one_error(yaml: &str) -> String {
        let m = load(yaml).unwrap_err();
        assert_eq!(m.len(), 1, "{m:?}");
        m[0].clone()
    }

    #[test]
    fn good_values_deserialize_typed() {
        let t = load(
            "t:\n  timeout: 1m30s\n  min: 80\n  url: https://u:${T}@example.com/h\n  headers: ['Accept: text/plain']\n  level: warn\n",
        )
        .unwrap();
        assert_eq!(t.timeout, Some(Duration::from_secs(90)));
        assert_eq!(t.min, Some(Percent(80.0)));
        assert_eq!(t.url.unwrap().as_str(), "https://u:${T}@example.com/h");
        assert_eq!(
            t.headers,
            [Header {
                name: "Accept".into(),
                value: "text/plain".into()
            }]
        );
        assert_eq!(t.level, Some(Level::Warning));
    }

    #[test]
    fn durations_have_one_grammar_and_refuse_bare_numbers() {
        for (text, want) in [
            ("250ms", Duration::from_millis(250)),
            ("2s", Duration::from_secs(2)),
            ("1m30s", Duration::from_secs(90)),
            ("1h", Duration::from_secs(3600)),
            ("7d", Duration::from_secs(7 * 86_400)),
            ("2w", Duration::from_secs(14 * 86_400)),
            ("1.5s", Duration::from_millis(1500)),
            ("500us", Duration(std::time::Duration::from_micros(500))),
        ] {
            assert_eq!(text.parse::<Duration>().unwrap(), want, "{text}");
            let re = regex_lite(DURATION_PATTERN, text);
            assert!(re, "the schema pattern accepts {text}");
        }
        for bad in ["90", "", "5 y", "ms", "-1s", "1y"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad}");
        }
        assert_eq!(Duration::from_secs(90).to_string(), "90s");
        assert_eq!(Duration::from_millis(250).to_string(), "250ms");
        assert_eq!(Duration::from_secs(7 * 86_400).to_string(), "7d");
        // A bare number in the file: located, with the fix.
        let e = one_error("t:\n  timeout: 90\n");
        assert!(e.starts_with("gates.yml:2:12: `t.timeout`"), "{e}");
        assert!(e.contains("write 90s or 90d"), "{e}");
        let e = one_error("t:\n  timeout: '90'\n");
        assert!(e.starts_with("gates.yml:2:12: `t.timeout`"), "{e}");
        assert!(e.contains("a bare number is refused"), "{e}");
        assert!(!e.contains("does not match"), "{e}");
    }

    /// A JSON Schema pattern through the validator the loader uses.
    fn regex_lite(pattern: &str, text: &str) -> bool {
        let schema = serde_json::json!({"type": "string", "pattern": pattern});
        jsonschema::validator_for(&schema)
            .unwrap()
            .is_valid(&serde_json::json!(text))
    }

    #[test]
    fn percents_are_0_to_100() {
        assert_eq!("80%".parse::<Percent>().unwrap(), Percent(80.0));
        assert_eq!("12.5".parse::<Percent>().unwrap(), Percent(12.5));
        assert!("101".parse::<Percent>().is_err());
        assert!("-1".parse::<Percent>().is_err());
        let e = one_error("t:\n  min: 120\n");
        assert!(e.starts_with("gates.yml:2:8: `t.min`"), "{e}");
        assert!(e.contains("from 0 to 100"), "{e}");
        // `80%` from the environment, as numbers always were.
        let env = env_overrides("t", [("GATES_T_MIN".into(), "80%".into())].into_iter());
        let t: Typed = ConfigFile::default().section("t", &env).unwrap();
        assert_eq!(t.min, Some(Percent(80.0)));
    }

    #[test]
    fn urls_are_http_with_a_host() {
        for ok in [
            "http://localhost:8080/health",
            "HTTPS://example.com",
            "https://user:${TOKEN}@example.com/x?y#z",
        ] {
            assert!(ok.parse::<HttpUrl>().is_ok(), "{ok}");
            assert!(regex_lite(HTTP_URL_PATTERN, ok), "{ok}");
        }
        for bad in [
            "ftp://x",
            "example.com",
            "https://",
            "https:///x",
            "http://a b",
        ] {
            assert!(bad.parse::<HttpUrl>().is_err(), "{bad}");
            assert!(!regex_lite(HTTP_URL_PATTERN, bad), "{bad}");
        }
        let e = one_error("t:\n  url: ftp://example.com\n");
        assert!(e.starts_with("gates.yml:2:8: `t.url`"), "{e}");
        assert!(e.contains("http:// or https://"), "{e}");
    }

    #[test]
    fn headers_are_name_colon_value() {
        let h: Header = "X-Api-Key:  abc ".parse().unwrap();
        assert_eq!((h.name.as_str(), h.value.as_str()), ("X-Api-Key", "abc"));
        assert_eq!(h.to_string(), "X-Api-Key: abc");
        for bad in ["no colon", ": v", "Bad Name: v", "A: b\nc"] {
            assert!(bad.parse::<Header>().is_err(), "{bad}");
            assert!(!regex_lite(HEADER_PATTERN, bad), "{bad}");
        }
        assert!(regex_lite(HEADER_PATTERN, "Accept: */*"));
        let e = one_error("t:\n  headers:\n    - 'Accept text'\n");
        assert!(e.starts_with("gates.yml:3:7: `t.headers[0]`"), "{e}");
        assert!(e.contains("Name: value"), "{e}");
    }

    #[test]
    fn levels_have_one_spelling_and_the_old_ones_as_aliases() {
        for (text, want) in [
            ("error", Level::Error),
            ("fail", Level::Error),
            ("warning", Level::Warning),
            ("warn", Level::Warning),
            ("note", Level::Note),
            ("ignore", Level::Ignore),
        ] {
            assert_eq!(text.parse::<Level>().unwrap(), want);
            let yaml = format!("t:\n  level: {text}\n");
            assert_eq!(load(&yaml).unwrap().level, Some(want), "{text}");
        }
        assert_eq!(Level::Warning.to_string(), "warning");
        assert_eq!(Level::Ignore.severity(), None);
        assert_eq!(Level::Error.severity(), Some(Severity::Error));
        let e = one_error("t:\n  level: fatal\n");
        assert!(e.starts_with("gates.yml:2:10: `t.level`"), "{e}");
        assert!(e.contains("error, warning, note or ignore"), "{e}");
    }

    #[test]
    fn a_bad_flag_value_names_the_flag() {
        let flags = [Override {
            key: "timeout".into(),
            values: vec!["5".into()],
            origin: Origin::Flag("timeout".into()),
        }];
        match ConfigFile::default().section::<Typed>("t", &flags) {
            Err(GateError::Usage(m)) => {
                assert!(m.contains("flag --timeout: `t.timeout`"), "{m}");
                assert!(m.contains("write 90s or 90d"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }
}
