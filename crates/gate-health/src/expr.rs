//! The condition language, modelled on gatus.
//!
//! A condition is `LEFT OPERATOR RIGHT`:
//!
//! - LEFT is a placeholder, optionally with a path, optionally inside a
//!   function: `[STATUS]`, `[RESPONSE_TIME]`, `[BODY]`, `[BODY].data[0].id`
//!   (JSON path), `[BODY]/data/0/id` (JSON pointer), `[HEADER].Content-Type`,
//!   `[CONNECTED]`, `[CERTIFICATE_EXPIRATION]`, `[IP]`, `[EXIT_CODE]`,
//!   `[OUTPUT]`, `len([BODY].items)`, `has([BODY].errors)`.
//! - OPERATOR is one of `==`, `!=`, `<`, `<=`, `>`, `>=`.
//! - RIGHT is a literal (`200`, `UP`, `true`, `72h`, `250ms`), a status class
//!   (`2xx`), `pat(*UP*)` (wildcard match), `re(^ok$)` (regular expression,
//!   searched), or `any(200, 201)`.
//!
//! `[RESPONSE_TIME]` and `[CERTIFICATE_EXPIRATION]` are milliseconds; a
//! duration on the right (`200ms`, `72h`, `7d`) is converted. Numbers compare
//! as numbers, everything else as text. A placeholder without a value (no
//! body, no certificate, a JSON path that does not exist) makes the condition
//! false, except in `has(...)`.

use std::cell::OnceCell;
use std::fmt;
use std::time::Duration;

/// A parse error: 1-based column in the condition text and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// What a placeholder reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    Status,
    ResponseTime,
    Body,
    Header(String),
    Connected,
    CertificateExpiration,
    Ip,
    ExitCode,
    Output,
    /// DNS probes: the response code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`).
    DnsRcode,
}

const PLACEHOLDERS: &[&str] = &[
    "STATUS",
    "RESPONSE_TIME",
    "BODY",
    "HEADER",
    "CONNECTED",
    "CERTIFICATE_EXPIRATION",
    "IP",
    "EXIT_CODE",
    "OUTPUT",
    "DNS_RCODE",
];

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    None,
    Len,
    Has,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
    fn is_order(self) -> bool {
        !matches!(self, Op::Eq | Op::Ne)
    }
}

#[derive(Debug, Clone)]
enum Rhs {
    Literal(String),
    Pat(String),
    Re(regex::Regex),
    Any(Vec<String>),
    Class(u16),
}

/// A parsed condition.
#[derive(Debug, Clone)]
pub struct Condition {
    text: String,
    func: Func,
    placeholder: Placeholder,
    path: Vec<Seg>,
    op: Op,
    rhs: Rhs,
}

/// The outcome of one condition on one observation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConditionOutcome {
    pub condition: String,
    pub passed: bool,
    /// The value the left side had, for people (`503`, `"DOWN"`, `(no body)`;
    /// a certificate's time left as `29d 23h`).
    pub actual: String,
    /// The number behind `actual` when that is shown in other units
    /// (`[CERTIFICATE_EXPIRATION]`: milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<f64>,
}

/// Everything a condition can look at, from one probe attempt.
#[derive(Debug, Default)]
pub struct Observation {
    pub status: Option<u16>,
    pub response_time: Option<Duration>,
    pub body: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
    pub connected: bool,
    pub certificate_expiration: Option<Duration>,
    pub ip: Option<String>,
    pub exit_code: Option<i32>,
    pub output: Option<String>,
    /// DNS probes: the response code.
    pub dns_rcode: Option<String>,
    json: OnceCell<Option<serde_json::Value>>,
}

impl Observation {
    fn json(&self) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| {
                self.body
                    .as_deref()
                    .and_then(|b| serde_json::from_slice(b).ok())
            })
            .as_ref()
    }
}

/// A value a placeholder resolved to.
#[derive(Debug, Clone)]
enum Val {
    Num(f64),
    Bool(bool),
    Str(String),
    Missing(&'static str),
}

impl Val {
    fn show(&self) -> String {
        match self {
            Val::Num(n) => gate_core::report::format_number(*n),
            Val::Bool(b) => b.to_string(),
            Val::Str(s) => {
                let mut s: String = s.chars().take(120).collect();
                if s.len() >= 120 {
                    s.push('…');
                }
                format!("{s:?}")
            }
            Val::Missing(why) => format!("({why})"),
        }
    }
}

/// Durations are read as everywhere in gates (`250ms`, `72h`, `7d`; a unit is required).
pub use gate_core::units::parse_duration;

/// `*` matches any run of characters; everything else matches itself.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn col(&self) -> usize {
        self.s[..self.pos].chars().count() + 1
    }
    fn skip_ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }
    fn eat(&mut self, p: &str) -> bool {
        if self.rest().starts_with(p) {
            self.pos += p.len();
            true
        } else {
            false
        }
    }
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            column: self.col(),
            message: message.into(),
        }
    }
}

/// `3d 4h`, `5h 10m`, `42s`.
pub fn human_secs(s: f64) -> String {
    let neg = s < 0.0;
    let s = s.abs().round() as u64;
    let (d, h, m, sec) = (s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60);
    let t = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    };
    if neg { format!("-{t}") } else { t }
}

fn is_path_end(c: char) -> bool {
    c.is_whitespace() || c == ')' || c == '.' || c == '[' || c == '/'
}

/// The function on the left side: `len(`, `has(`, or none before `[`.
fn parse_func(c: &mut Cursor<'_>) -> Result<Func, ParseError> {
    Ok(if c.eat("len(") {
        Func::Len
    } else if c.eat("has(") {
        Func::Has
    } else if c.rest().starts_with('[') {
        Func::None
    } else {
        let word: String = c
            .rest()
            .chars()
            .take_while(|ch| ch.is_alphanumeric() || *ch == '_')
            .collect();
        if c.rest()[word.len()..].starts_with('(') {
            return Err(c.err(format!(
                "unknown function `{word}(`; the left side can use len(...) or has(...)"
            )));
        }
        return Err(c.err(
            "the left side must be a placeholder such as [STATUS], [BODY].path or len([BODY].items)",
        ));
    })
}

/// The placeholder, `[NAME]`: it, its name as written, its column.
fn parse_placeholder(c: &mut Cursor<'_>) -> Result<(Placeholder, String, usize), ParseError> {
    c.skip_ws();
    let ph_col = c.col();
    if !c.eat("[") {
        return Err(c.err("expected a placeholder such as [STATUS] or [BODY]"));
    }
    let name_end = c.rest().find(']').ok_or_else(|| c.err("unclosed `[`"))?;
    let name = c.rest()[..name_end].to_string();
    c.pos += name_end + 1;
    let placeholder = match name.as_str() {
        "STATUS" => Placeholder::Status,
        "RESPONSE_TIME" => Placeholder::ResponseTime,
        "BODY" => Placeholder::Body,
        "HEADER" | "HEADERS" => Placeholder::Header(String::new()),
        "CONNECTED" => Placeholder::Connected,
        "CERTIFICATE_EXPIRATION" => Placeholder::CertificateExpiration,
        "IP" => Placeholder::Ip,
        "EXIT_CODE" => Placeholder::ExitCode,
        "OUTPUT" => Placeholder::Output,
        "DNS_RCODE" => Placeholder::DnsRcode,
        other => {
            let hint = gate_core::config::did_you_mean(
                &other.to_ascii_uppercase(),
                PLACEHOLDERS.iter().copied(),
            );
            return Err(ParseError {
                column: ph_col,
                message: format!(
                    "unknown placeholder `[{other}]`{hint}; known: {}",
                    PLACEHOLDERS
                        .iter()
                        .map(|p| format!("[{p}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    };
    Ok((placeholder, name, ph_col))
}

/// What follows the placeholder: `[HEADER]`'s name, or `[BODY]`'s path
/// (JSON pointer, or `.key` and `[index]` segments).
fn parse_path(
    c: &mut Cursor<'_>,
    placeholder: Placeholder,
) -> Result<(Placeholder, Vec<Seg>), ParseError> {
    let mut path = Vec::new();
    let mut placeholder = placeholder;
    if let Placeholder::Header(_) = placeholder {
        if !c.eat(".") {
            return Err(c.err("[HEADER] needs a header name: [HEADER].Content-Type"));
        }
        let end = c
            .rest()
            .find(|ch: char| ch.is_whitespace() || ch == ')')
            .unwrap_or(c.rest().len());
        if end == 0 {
            return Err(c.err("[HEADER] needs a header name: [HEADER].Content-Type"));
        }
        placeholder = Placeholder::Header(c.rest()[..end].to_ascii_lowercase());
        c.pos += end;
    } else if c.rest().starts_with('/') {
        // JSON pointer.
        let end = c
            .rest()
            .find(|ch: char| ch.is_whitespace() || ch == ')')
            .unwrap_or(c.rest().len());
        for raw in c.rest()[1..end].split('/') {
            let key = raw.replace("~1", "/").replace("~0", "~");
            path.push(Seg::Key(key));
        }
        c.pos += end;
    } else {
        loop {
            if c.eat(".") {
                let end = c.rest().find(is_path_end).unwrap_or(c.rest().len());
                if end == 0 {
                    return Err(c.err("empty key after `.` in the path"));
                }
                path.push(Seg::Key(c.rest()[..end].to_string()));
                c.pos += end;
            } else if c.rest().starts_with('[') {
                c.pos += 1;
                let end = c
                    .rest()
                    .find(']')
                    .ok_or_else(|| c.err("unclosed `[` in the path"))?;
                let idx: usize = c.rest()[..end]
                    .trim()
                    .parse()
                    .map_err(|_| c.err("an array index must be a number: [0]"))?;
                path.push(Seg::Index(idx));
                c.pos += end + 1;
            } else {
                break;
            }
        }
    }
    Ok((placeholder, path))
}

/// The operator and its column.
fn parse_op(c: &mut Cursor<'_>) -> Result<(Op, usize), ParseError> {
    c.skip_ws();
    let op_col = c.col();
    let op = if c.eat("==") {
        Op::Eq
    } else if c.eat("!=") {
        Op::Ne
    } else if c.eat("<=") {
        Op::Le
    } else if c.eat(">=") {
        Op::Ge
    } else if c.eat("<") {
        Op::Lt
    } else if c.eat(">") {
        Op::Gt
    } else if c.rest().is_empty() {
        return Err(c.err("missing operator: ==, !=, <, <=, > or >="));
    } else {
        return Err(c.err("expected an operator: ==, !=, <, <=, > or >="));
    };
    Ok((op, op_col))
}

/// The right side, checked against the operator and the function.
fn parse_rhs(
    c: &mut Cursor<'_>,
    placeholder: &Placeholder,
    func: Func,
    op: Op,
    op_col: usize,
) -> Result<Rhs, ParseError> {
    c.skip_ws();
    let rhs_col = c.col();
    let raw = c.rest().trim_end();
    if raw.is_empty() {
        return Err(c.err(format!("nothing after `{}`", op.symbol())));
    }
    let at = |message: String| ParseError {
        column: rhs_col,
        message,
    };
    let inner = |prefix: &str| -> Option<&str> {
        raw.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'))
    };
    let duration_ph = matches!(
        placeholder,
        Placeholder::ResponseTime | Placeholder::CertificateExpiration
    ) && func == Func::None;
    let rhs = if let Some(p) = inner("pat(") {
        Rhs::Pat(p.to_string())
    } else if let Some(r) = inner("re(") {
        Rhs::Re(regex::Regex::new(r).map_err(|e| at(format!("invalid regular expression: {e}")))?)
    } else if let Some(list) = inner("any(") {
        Rhs::Any(list.split(',').map(|s| s.trim().to_string()).collect())
    } else if *placeholder == Placeholder::Status
        && func == Func::None
        && raw.len() == 3
        && raw.ends_with("xx")
        && raw.as_bytes()[0].is_ascii_digit()
    {
        Rhs::Class(u16::from(raw.as_bytes()[0] - b'0'))
    } else if duration_ph {
        let ms = match raw.parse::<f64>() {
            Ok(n) => n,
            Err(_) => parse_duration(raw).map_err(at)?.as_secs_f64() * 1000.0,
        };
        Rhs::Literal(gate_core::report::format_number(ms))
    } else {
        Rhs::Literal(raw.to_string())
    };
    match &rhs {
        Rhs::Pat(_) | Rhs::Re(_) | Rhs::Any(_) | Rhs::Class(_) if op.is_order() => {
            return Err(ParseError {
                column: op_col,
                message: format!(
                    "`{}` cannot be used with pat(), re(), any() or a status class; use == or !=",
                    op.symbol()
                ),
            });
        }
        Rhs::Literal(l) if op.is_order() && l.trim().parse::<f64>().is_err() => {
            return Err(at(format!(
                "`{}` compares numbers, and `{l}` is not a number",
                op.symbol()
            )));
        }
        Rhs::Literal(l) if func == Func::Has && !matches!(l.as_str(), "true" | "false") => {
            return Err(at("has(...) is true or false".into()));
        }
        _ => {}
    }
    Ok(rhs)
}

impl Condition {
    /// The condition as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the condition reads `[STATUS]`.
    pub fn reads_status(&self) -> bool {
        self.placeholder == Placeholder::Status
    }

    /// Whether the condition reads `[CONNECTED]`.
    pub fn reads_connected(&self) -> bool {
        self.placeholder == Placeholder::Connected
    }

    /// Whether the condition reads `[DNS_RCODE]` (a failed lookup is then
    /// judged by the condition, like `[CONNECTED]`).
    pub fn reads_dns_rcode(&self) -> bool {
        self.placeholder == Placeholder::DnsRcode
    }

    /// Whether the condition reads `[EXIT_CODE]`.
    pub fn reads_exit_code(&self) -> bool {
        self.placeholder == Placeholder::ExitCode
    }

    pub fn parse(text: &str) -> Result<Condition, ParseError> {
        let mut c = Cursor { s: text, pos: 0 };
        c.skip_ws();
        if c.rest().is_empty() {
            return Err(c.err("empty condition; write e.g. `[STATUS] == 200`"));
        }
        let func = parse_func(&mut c)?;
        let (placeholder, name, ph_col) = parse_placeholder(&mut c)?;
        let (placeholder, path) = parse_path(&mut c, placeholder)?;
        if !path.is_empty() && placeholder != Placeholder::Body {
            return Err(ParseError {
                column: ph_col,
                message: format!("only [BODY] takes a path, not [{name}]"),
            });
        }
        if func != Func::None {
            c.skip_ws();
            if !c.eat(")") {
                return Err(c.err("expected `)` closing the function"));
            }
        }
        let (op, op_col) = parse_op(&mut c)?;
        let rhs = parse_rhs(&mut c, &placeholder, func, op, op_col)?;
        Ok(Condition {
            text: text.trim().to_string(),
            func,
            placeholder,
            path,
            op,
            rhs,
        })
    }

    /// `[BODY].path`: the value at the path of the JSON body.
    fn resolve_json_path(&self, obs: &Observation) -> Val {
        let Some(mut v) = obs.json() else {
            return if self.func == Func::Has {
                Val::Bool(false)
            } else {
                Val::Missing("body is not JSON")
            };
        };
        for seg in &self.path {
            let next = match seg {
                Seg::Key(k) => match v {
                    serde_json::Value::Object(m) => m.get(k),
                    serde_json::Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                },
                Seg::Index(i) => v.as_array().and_then(|a| a.get(*i)),
            };
            match next {
                Some(n) => v = n,
                None => {
                    return if self.func == Func::Has {
                        Val::Bool(false)
                    } else {
                        Val::Missing("no such JSON path")
                    };
                }
            }
        }
        match self.func {
            Func::Has => return Val::Bool(true),
            Func::Len => return json_len(v),
            Func::None => {}
        }
        match v {
            serde_json::Value::Number(n) => n.as_f64().map_or(Val::Str(n.to_string()), Val::Num),
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::String(s) => Val::Str(s.clone()),
            serde_json::Value::Null => Val::Str("null".into()),
            other => Val::Str(other.to_string()),
        }
    }

    fn resolve(&self, obs: &Observation) -> Val {
        let base = match &self.placeholder {
            Placeholder::Status => obs
                .status
                .map_or(Val::Missing("no status"), |s| Val::Num(f64::from(s))),
            Placeholder::ResponseTime => {
                obs.response_time.map_or(Val::Missing("no response"), |d| {
                    Val::Num(d.as_secs_f64() * 1000.0)
                })
            }
            Placeholder::Connected => Val::Bool(obs.connected),
            Placeholder::CertificateExpiration => obs
                .certificate_expiration
                .map_or(Val::Missing("no certificate"), |d| {
                    Val::Num(d.as_secs_f64() * 1000.0)
                }),
            Placeholder::Ip => obs.ip.clone().map_or(Val::Missing("no address"), Val::Str),
            Placeholder::DnsRcode => obs
                .dns_rcode
                .clone()
                .map_or(Val::Missing("not a DNS probe"), Val::Str),
            Placeholder::ExitCode => obs
                .exit_code
                .map_or(Val::Missing("no exit code"), |c| Val::Num(f64::from(c))),
            Placeholder::Output => obs
                .output
                .clone()
                .map_or(Val::Missing("no output"), Val::Str),
            Placeholder::Header(name) => obs
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map_or(Val::Missing("no such header"), |(_, v)| Val::Str(v.clone())),
            Placeholder::Body => {
                if self.path.is_empty() {
                    match &obs.body {
                        None => Val::Missing("no body"),
                        Some(b) => {
                            if self.func == Func::Len {
                                // Length of a JSON array/object/string body, else bytes.
                                if let Some(j) = obs.json() {
                                    return json_len(j);
                                }
                            }
                            Val::Str(String::from_utf8_lossy(b).into_owned())
                        }
                    }
                } else {
                    return self.resolve_json_path(obs);
                }
            }
        };
        match self.func {
            Func::None => base,
            Func::Has => Val::Bool(!matches!(base, Val::Missing(_))),
            Func::Len => match base {
                Val::Str(s) => Val::Num(s.chars().count() as f64),
                Val::Num(n) => Val::Num(gate_core::report::format_number(n).len() as f64),
                Val::Bool(b) => Val::Num(b.to_string().len() as f64),
                m @ Val::Missing(_) => m,
            },
        }
    }

    /// Evaluates the condition on an observation.
    pub fn evaluate(&self, obs: &Observation) -> ConditionOutcome {
        let val = self.resolve(obs);
        let passed = match &val {
            Val::Missing(_) => false,
            v => self.holds(v),
        };
        let (actual, raw) = match (&self.placeholder, &self.func, &val) {
            (Placeholder::CertificateExpiration, Func::None, Val::Num(ms)) => {
                (human_secs(ms / 1000.0), Some(*ms))
            }
            _ => (val.show(), None),
        };
        ConditionOutcome {
            condition: self.text.clone(),
            passed,
            actual,
            raw,
        }
    }

    fn holds(&self, v: &Val) -> bool {
        let text = match v {
            Val::Num(n) => gate_core::report::format_number(*n),
            Val::Bool(b) => b.to_string(),
            Val::Str(s) => s.clone(),
            Val::Missing(_) => return false,
        };
        let eq_result = |m: bool| match self.op {
            Op::Eq => m,
            Op::Ne => !m,
            _ => false,
        };
        match &self.rhs {
            Rhs::Pat(p) => eq_result(wildcard_match(p, &text)),
            Rhs::Re(r) => eq_result(r.is_match(&text)),
            Rhs::Any(list) => eq_result(list.iter().any(|x| equal(v, x))),
            Rhs::Class(c) => {
                eq_result(matches!(v, Val::Num(n) if (*n as i64) / 100 == i64::from(*c)))
            }
            Rhs::Literal(l) => {
                if self.op.is_order() {
                    let left = match v {
                        Val::Num(n) => Some(*n),
                        Val::Str(s) => s.trim().parse::<f64>().ok(),
                        _ => None,
                    };
                    let (Some(a), Ok(b)) = (left, l.trim().parse::<f64>()) else {
                        return false;
                    };
                    match self.op {
                        Op::Lt => a < b,
                        Op::Le => a <= b,
                        Op::Gt => a > b,
                        Op::Ge => a >= b,
                        Op::Eq | Op::Ne => false,
                    }
                } else {
                    eq_result(equal(v, l))
                }
            }
        }
    }
}

fn json_len(v: &serde_json::Value) -> Val {
    match v {
        serde_json::Value::Array(a) => Val::Num(a.len() as f64),
        serde_json::Value::Object(m) => Val::Num(m.len() as f64),
        serde_json::Value::String(s) => Val::Num(s.chars().count() as f64),
        other => Val::Num(other.to_string().len() as f64),
    }
}

fn equal(v: &Val, literal: &str) -> bool {
    let l = literal.trim();
    match v {
        Val::Num(n) if l.len() == 3 && l.ends_with("xx") => {
            l.as_bytes()[0].is_ascii_digit()
                && (*n as i64) / 100 == i64::from(l.as_bytes()[0] - b'0')
        }
        Val::Num(n) => match l.parse::<f64>() {
            Ok(x) => (*n - x).abs() < 1e-9,
            Err(_) => gate_core::report::format_number(*n) == l,
        },
        Val::Bool(b) => l == if *b { "true" } else { "false" },
        Val::Str(s) => {
            if s == l {
                return true;
            }
            matches!((s.trim().parse::<f64>(), l.parse::<f64>()), (Ok(a), Ok(b)) if (a - b).abs() < 1e-9)
        }
        Val::Missing(_) => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn obs_json(body: &str) -> Observation {
        Observation {
            status: Some(200),
            response_time: Some(Duration::from_millis(120)),
            body: Some(body.as_bytes().to_vec()),
            headers: vec![("Content-Type".into(), "application/json".into())],
            connected: true,
            ..Observation::default()
        }
    }

    fn check(cond: &str, obs: &Observation) -> bool {
        Condition::parse(cond).unwrap().evaluate(obs).passed
    }

    #[test]
    fn gatus_examples() {
        let o = obs_json(r#"{"status":"UP","items":[{"id":7},{"id":8}],"n":3,"ok":true}"#);
        for (c, want) in [
            ("[STATUS] == 200", true),
            ("[STATUS] != 200", false),
            ("[STATUS] < 300", true),
            ("[STATUS] == 2xx", true),
            ("[STATUS] == 5xx", false),
            ("[STATUS] == any(201, 200)", true),
            ("[STATUS] == any(301, 2xx)", true),
            ("[STATUS] == any(301, 4xx)", false),
            ("[RESPONSE_TIME] < 200", true),
            ("[RESPONSE_TIME] < 100ms", false),
            ("[RESPONSE_TIME] < 1s", true),
            ("[BODY] == pat(*UP*)", true),
            ("[BODY] == pat(*DOWN*)", false),
            ("[BODY] == re(\"status\":\\s*\"UP\")", true),
            ("[BODY].status == UP", true),
            ("[BODY]/status == UP", true),
            ("[BODY].items[1].id == 8", true),
            ("[BODY].items[1].id > 7", true),
            ("[BODY].n >= 3", true),
            ("[BODY].ok == true", true),
            ("len([BODY].items) > 0", true),
            ("len([BODY].items) == 2", true),
            ("len([BODY].status) == 2", true),
            ("has([BODY].items) == true", true),
            ("has([BODY].errors) == false", true),
            ("[BODY].missing == x", false),
            ("[HEADER].content-type == pat(application/json*)", true),
            ("[CONNECTED] == true", true),
            ("[CERTIFICATE_EXPIRATION] > 72h", false),
        ] {
            assert_eq!(check(c, &o), want, "{c}");
        }
    }

    #[test]
    fn certificate_expiration_in_durations() {
        let o = Observation {
            certificate_expiration: Some(Duration::from_secs(3 * 86400)),
            ..Observation::default()
        };
        assert!(check("[CERTIFICATE_EXPIRATION] > 48h", &o));
        assert!(!check("[CERTIFICATE_EXPIRATION] > 4d", &o));
        assert!(check("[CERTIFICATE_EXPIRATION] > 259000000", &o));
    }

    #[test]
    fn parse_errors_have_columns() {
        let e = Condition::parse("[STATUS] = 200").unwrap_err();
        assert_eq!(e.column, 10, "{e}");
        let e = Condition::parse("[STATSU] == 200").unwrap_err();
        assert_eq!(e.column, 1);
        assert!(
            e.message.contains("did you mean `[STATUS]`") || e.message.contains("`STATUS`"),
            "{e}"
        );
        let e = Condition::parse("[STATUS] ==").unwrap_err();
        assert_eq!(e.column, 12, "{e}");
        let e = Condition::parse("[BODY].n < abc").unwrap_err();
        assert_eq!(e.column, 12, "{e}");
        let e = Condition::parse("foo([BODY]) == 1").unwrap_err();
        assert!(e.message.contains("unknown function"), "{e}");
        let e = Condition::parse("[BODY] < pat(x)").unwrap_err();
        assert_eq!(e.column, 8, "{e}");
        let e = Condition::parse("[RESPONSE_TIME] < 5 parsecs").unwrap_err();
        assert_eq!(e.column, 19, "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5 y").is_err());
    }

    #[test]
    fn wildcard() {
        assert!(wildcard_match("*UP*", "status UP now"));
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(!wildcard_match("a*c", "abbbd"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("UP", "UPX"));
    }
}
