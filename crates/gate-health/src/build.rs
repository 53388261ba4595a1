//! Turning probe configuration into [`Probe`]s: `${VAR}` expansion (every
//! value masked), URL credentials, per-kind validation; all problems at once.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gate_core::secret::{Masker, Secret};
use gate_core::text::{percent_decode_bytes, percent_encode};

use crate::config::{CommandSpec, ProbeConfig, StatusSpec};
use crate::expr::Condition;
use crate::probe::{HttpTarget, HttpVersion, Probe, Target, tls_config};

/// Replaces `${VAR}` with the environment variable's value; every value
/// used is registered with the masker. Returns (text, used a variable).
pub fn expand_env(
    text: &str,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
) -> Result<(String, bool), String> {
    expand_with(text, get, masker, &|v| v.to_string())
}

/// [`expand_env`], each value passed through `fit` before it is inserted.
fn expand_with(
    text: &str,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
    fit: &dyn Fn(&str) -> String,
) -> Result<(String, bool), String> {
    let mut out = String::new();
    let mut rest = text;
    let mut used = false;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "unclosed `${` (write ${NAME})".to_string())?;
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`${{{name}}}` is not a variable name"));
        }
        let value = get(name).ok_or_else(|| {
            format!("environment variable `{name}` is not set (export it, or pass it in the step's `env:`)")
        })?;
        masker.add(&Secret::new(value.clone()));
        out.push_str(&fit(&value));
        used = true;
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, used))
}

/// `%XX` decoded (a `%` not followed by two hex digits is kept as is).
fn percent_decode(s: &str) -> Result<String, String> {
    String::from_utf8(percent_decode_bytes(s))
        .map_err(|_| "its percent-escapes are not UTF-8".to_string())
}

/// `scheme://userinfo@rest` of a URL as written, split before any `${VAR}`
/// is expanded (so that no value can move the split): the authority ends at
/// the first `/`, `?` or `#` after `://`, the userinfo is what precedes its
/// last `@` (RFC 3986). None without a scheme or a userinfo.
fn split_userinfo(raw: &str) -> Option<(&str, &str, &str)> {
    let i = raw.find("://")?;
    let scheme = &raw[..i];
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let after = &raw[i + 3..];
    let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let at = after[..authority_end].rfind('@')?;
    Some((&raw[..i + 3], &after[..at], &after[at + 1..]))
}

/// User name and password of a URL's userinfo, decoded.
struct Credentials {
    user: String,
    password: Option<String>,
    /// The user name came from a `${VAR}`: it is a secret too.
    user_secret: bool,
}

/// The userinfo of a URL as written: each part expanded with the values
/// percent-encoded, then decoded, so that literal escapes (`p%40ss`) and
/// values (`p@ss`) both end up as the characters meant.
fn userinfo_credentials(
    userinfo: &str,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
) -> Result<Credentials, String> {
    let part = |raw: &str| -> Result<(String, bool), String> {
        let (encoded, used) = expand_with(raw, get, masker, &percent_encode)?;
        Ok((percent_decode(&encoded)?, used))
    };
    let (user_raw, password_raw) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let (user, user_secret) = part(user_raw)?;
    let password = match password_raw {
        Some(p) => Some(part(p)?.0),
        None => None,
    };
    Ok(Credentials {
        user,
        password,
        user_secret,
    })
}

/// What a URL with credentials looks like in a message: userinfo as `***`.
fn shown_url(raw: &str) -> String {
    match split_userinfo(raw) {
        Some((scheme, _, rest)) => format!("{scheme}***@{rest}"),
        None => raw.to_string(),
    }
}

/// Settings shared by probes built from config.
#[derive(Debug)]
pub struct Defaults<'a> {
    pub probe_timeout: Duration,
    pub latency_budget: Option<Duration>,
    pub cert_expiry_warning: Duration,
    pub base_url: Option<&'a url::Url>,
    pub repo_root: &'a Path,
}

/// Builds a probe from its config; `at` names it in messages
/// (`health.probes[2]`). All problems are returned at once.
pub fn build_probe(
    pc: &ProbeConfig,
    at: &str,
    defaults: &Defaults<'_>,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
) -> Result<Probe, Vec<String>> {
    let mut problems = Vec::new();
    let set: Vec<&str> = [
        ("url", pc.url.is_some()),
        ("tcp", pc.tcp.is_some()),
        ("dns", pc.dns.is_some()),
        ("command", pc.command.is_some()),
    ]
    .iter()
    .filter(|(_, s)| *s)
    .map(|(k, _)| *k)
    .collect();
    let label = match &pc.name {
        Some(n) => format!("{at} (`{n}`)"),
        None => at.to_string(),
    };
    if set.len() != 1 {
        return Err(vec![format!(
            "{label}: a probe needs exactly one of `url`, `tcp`, `dns`, `command`{}",
            if set.is_empty() {
                String::new()
            } else {
                format!(" (found {})", set.join(", "))
            }
        )]);
    }
    let conditions = conditions(pc, &label, &mut problems);
    let (timeout, latency_budget, cert_warn) = durations(pc, defaults);
    let http_only = [
        ("method", pc.method.is_some()),
        ("headers", !pc.headers.is_empty()),
        ("body", pc.body.is_some()),
        ("follow-redirects", pc.follow_redirects.is_some()),
        ("expect-status", !pc.expect_status.is_empty()),
        ("http-version", pc.http_version.is_some()),
        ("insecure", pc.insecure),
        ("ca-file", pc.ca_file.is_some()),
    ];
    let (target, default_name) = if let Some(raw) = &pc.url {
        let t = build_http(pc, raw, &label, defaults, get, masker, &mut problems);
        // Default name: host[:port]/path[?query], without scheme or credentials.
        let name = match &t {
            Some(Target::Http(h)) => format!(
                "{}{}{}{}",
                h.url.host_str().unwrap_or_default(),
                h.url.port().map(|p| format!(":{p}")).unwrap_or_default(),
                h.url.path(),
                h.url.query().map(|q| format!("?{q}")).unwrap_or_default()
            ),
            _ => masker.redact(raw),
        };
        (t, name)
    } else {
        for (k, s) in http_only {
            if s {
                problems.push(format!("{label}.{k}: only HTTP probes (`url`) take `{k}`"));
            }
        }
        if let Some(t) = &pc.tcp {
            tcp_target(t, &label, &mut problems)
        } else if let Some(name) = &pc.dns {
            dns_target(pc, name, &label, &mut problems)
        } else {
            command_target(pc, defaults, &label, &mut problems)
        }
    };
    if (pc.dns_server.is_some() || pc.query_type.is_some()) && pc.dns.is_none() {
        problems.push(format!(
            "{label}: only DNS probes (`dns`) take `dns-server` and `query-type`"
        ));
    }
    if !pc.expect_addresses.is_empty() && pc.dns.is_none() {
        problems.push(format!(
            "{label}.expect-addresses: only DNS probes (`dns`) take `expect-addresses`"
        ));
    }
    match target {
        Some(target) if problems.is_empty() => {
            let mut p = Probe::new(pc.name.clone().unwrap_or(default_name), target, conditions);
            p.timeout = timeout;
            p.latency_budget = latency_budget;
            p.cert_expiry_warning = Some(cert_warn);
            Ok(p)
        }
        _ => Err(problems),
    }
}

/// A probe's conditions: `expect-status` as `[STATUS] == ...` first, then
/// `conditions`.
fn conditions(pc: &ProbeConfig, label: &str, problems: &mut Vec<String>) -> Vec<Condition> {
    let mut conditions = Vec::new();
    for (i, c) in pc.conditions.iter().enumerate() {
        match Condition::parse(c) {
            Ok(c) => conditions.push(c),
            Err(e) => problems.push(format!("{label}.conditions[{i}] `{c}`: {e}")),
        }
    }
    if !pc.expect_status.is_empty() {
        let list: Vec<String> = pc
            .expect_status
            .iter()
            .map(|s| match s {
                StatusSpec::Code(c) => c.to_string(),
                StatusSpec::Class(c) => c.clone(),
            })
            .collect();
        let text = if list.len() == 1 {
            format!("[STATUS] == {}", list[0])
        } else {
            format!("[STATUS] == any({})", list.join(", "))
        };
        match Condition::parse(&text) {
            Ok(c) => conditions.insert(0, c),
            Err(e) => problems.push(format!("{label}.expect-status: {e}")),
        }
    }
    conditions
}

/// A probe's timeout, latency budget and certificate-expiry warning, each
/// its own or the default.
fn durations(pc: &ProbeConfig, defaults: &Defaults<'_>) -> (Duration, Option<Duration>, Duration) {
    let timeout = pc.timeout.map_or(defaults.probe_timeout, |t| t.get());
    let latency_budget = pc
        .latency_budget
        .map(|t| t.get())
        .or(defaults.latency_budget);
    let cert_warn = pc
        .cert_expiry_warning
        .map_or(defaults.cert_expiry_warning, |t| t.get());
    (timeout, latency_budget, cert_warn)
}

fn build_http(
    pc: &ProbeConfig,
    raw: &str,
    label: &str,
    defaults: &Defaults<'_>,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
    problems: &mut Vec<String>,
) -> Option<Target> {
    let (url, credentials) = http_url(raw, label, defaults, get, masker, problems)?;
    let method = match &pc.method {
        None => http::Method::GET,
        Some(m) => match http::Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes()) {
            Ok(m) => m,
            Err(_) => {
                problems.push(format!("{label}.method: `{m}` is not an HTTP method"));
                http::Method::GET
            }
        },
    };
    let mut headers = http_headers(pc, label, get, masker, problems);
    if let Some(c) = credentials
        && (!c.user.is_empty() || c.password.is_some())
        && let Some(h) = basic_auth(&c, label, masker, problems)
        && !headers
            .iter()
            .any(|(k, _)| k == http::header::AUTHORIZATION)
    {
        headers.push((http::header::AUTHORIZATION, h));
    }
    let version = match pc.http_version.as_deref().map(str::trim) {
        None | Some("auto") => HttpVersion::Auto,
        Some("1.1") | Some("1") | Some("http1") => HttpVersion::Http1,
        Some("2") | Some("2.0") | Some("h2") => HttpVersion::Http2,
        Some(other) => {
            problems.push(format!(
                "{label}.http-version: `{other}`; use auto, 1.1 or 2"
            ));
            HttpVersion::Auto
        }
    };
    let mut extra_ca = Vec::new();
    if let Some(f) = &pc.ca_file {
        let p = if Path::new(f).is_absolute() {
            Path::new(f).to_path_buf()
        } else {
            defaults.repo_root.join(f)
        };
        match std::fs::read(&p) {
            Ok(b) => extra_ca.push(b),
            Err(e) => problems.push(format!("{label}.ca-file: cannot read {}: {e}", p.display())),
        }
    }
    let tls = match tls_config(&extra_ca, pc.insecure) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            problems.push(format!("{label}.ca-file: {e}"));
            return None;
        }
    };
    Some(Target::Http(Box::new(HttpTarget {
        url,
        method,
        headers,
        body: pc.body.clone(),
        follow_redirects: pc.follow_redirects.unwrap_or(true),
        version,
        tls,
    })))
}

/// The URL of an HTTP probe, `${VAR}`s expanded and joined to the base
/// URL, without its credentials, which come back separately.
fn http_url(
    raw: &str,
    label: &str,
    defaults: &Defaults<'_>,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
    problems: &mut Vec<String>,
) -> Option<(url::Url, Option<Credentials>)> {
    // Credentials are split off before expansion: no value (a password with
    // `@`, `/`, `:`, `?` or `#`) can change where the host is.
    let shown = shown_url(raw);
    let (without_userinfo, mut credentials) = match split_userinfo(raw) {
        Some((scheme, userinfo, rest)) => match userinfo_credentials(userinfo, get, masker) {
            Ok(c) => (format!("{scheme}{rest}"), Some(c)),
            Err(e) => {
                problems.push(format!(
                    "{label}.url: the credentials of `{}`: {e}",
                    masker.redact(&shown)
                ));
                return None;
            }
        },
        None => (raw.to_string(), None),
    };
    // In the query (after the first `?` as written) a value is one piece
    // of data: percent-encoded, so `&`, `=` or `#` in it cannot change the
    // query. Before it, values are inserted as they are (`${BASE}/health`).
    let (before_query, query) = match without_userinfo.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (without_userinfo.as_str(), None),
    };
    let expanded = expand_env(before_query, get, masker).and_then(|(b, used)| match query {
        None => Ok((b, used)),
        Some(q) => expand_with(q, get, masker, &percent_encode)
            .map(|(q, used_q)| (format!("{b}?{q}"), used || used_q)),
    });
    let (expanded, used_variable) = match expanded {
        Ok(x) => x,
        Err(e) => {
            problems.push(format!("{label}.url: {e}"));
            return None;
        }
    };
    let parsed = match (defaults.base_url, url::Url::parse(&expanded)) {
        (_, Ok(u)) => Ok(u),
        (Some(base), Err(url::ParseError::RelativeUrlWithoutBase)) => base.join(&expanded),
        (None, Err(url::ParseError::RelativeUrlWithoutBase)) => {
            problems.push(format!(
                "{label}.url: `{}` is relative; give a full http(s):// URL or set `base-url` or `target-from-deployment`",
                masker.redact(&shown)
            ));
            return None;
        }
        (_, Err(e)) => Err(e),
    };
    let mut url = match parsed {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
        Ok(_) => {
            problems.push(format!(
                "{label}.url: `{}`: only http:// and https:// URLs with a host can be probed",
                masker.redact(&shown)
            ));
            return None;
        }
        Err(e) => {
            problems.push(format!(
                "{label}.url: `{}` is not a valid URL: {e}",
                masker.redact(&shown)
            ));
            return None;
        }
    };
    // Userinfo still in the URL came from a variable or the base URL.
    if !url.username().is_empty() || url.password().is_some() {
        let user = percent_decode(url.username());
        let password = url.password().map(percent_decode).transpose();
        match (user, password) {
            (Ok(user), Ok(password)) => {
                if credentials.is_none() {
                    credentials = Some(Credentials {
                        user,
                        password,
                        user_secret: used_variable,
                    });
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                problems.push(format!(
                    "{label}.url: the credentials of `{}`: {e}",
                    masker.redact(&shown)
                ));
            }
        }
        let _ = url.set_password(None);
        let _ = url.set_username("");
    }
    Some((url, credentials))
}

/// The headers of an HTTP probe, `${VAR}`s expanded (such values are
/// sensitive).
fn http_headers(
    pc: &ProbeConfig,
    label: &str,
    get: &dyn Fn(&str) -> Option<String>,
    masker: &Masker,
    problems: &mut Vec<String>,
) -> Vec<(http::HeaderName, http::HeaderValue)> {
    let mut headers = Vec::new();
    for (k, v) in &pc.headers {
        let name = match http::HeaderName::from_bytes(k.as_bytes()) {
            Ok(n) => n,
            Err(_) => {
                problems.push(format!("{label}.headers.{k}: not a valid header name"));
                continue;
            }
        };
        let (value, secret) = match expand_env(v, get, masker) {
            Ok(x) => x,
            Err(e) => {
                problems.push(format!("{label}.headers.{k}: {e}"));
                continue;
            }
        };
        match http::HeaderValue::from_str(&value) {
            Ok(mut hv) => {
                hv.set_sensitive(secret);
                headers.push((name, hv));
            }
            Err(_) => problems.push(format!(
                "{label}.headers.{k}: the value has characters a header cannot carry (newline, control)"
            )),
        }
    }
    headers
}

/// `Authorization: Basic base64(user:password)` for a URL's credentials,
/// sensitive; the password, a user name from a variable, `user:password`
/// and its base64 are registered with the masker first.
fn basic_auth(
    c: &Credentials,
    label: &str,
    masker: &Masker,
    problems: &mut Vec<String>,
) -> Option<http::HeaderValue> {
    use base64::Engine as _;
    let password = c.password.as_deref().unwrap_or_default();
    masker.add(&Secret::new(password));
    if c.user_secret {
        masker.add(&Secret::new(c.user.as_str()));
    }
    let pair = format!("{}:{password}", c.user);
    masker.add(&Secret::new(pair.as_str()));
    let token = base64::engine::general_purpose::STANDARD.encode(pair.as_bytes());
    masker.add(&Secret::new(token.as_str()));
    if c.user.contains(':') {
        problems.push(format!(
            "{label}.url: the user name holds a `:`, which HTTP Basic authentication cannot carry; use a user name without `:`, or an `Authorization` header"
        ));
        return None;
    }
    match http::HeaderValue::from_str(&format!("Basic {token}")) {
        Ok(mut h) => {
            h.set_sensitive(true);
            Some(h)
        }
        Err(_) => {
            problems.push(format!(
                "{label}.url: the credentials cannot be sent in a header"
            ));
            None
        }
    }
}

/// A TCP probe's target, `host:port`.
fn tcp_target(t: &str, label: &str, problems: &mut Vec<String>) -> (Option<Target>, String) {
    let parsed = t
        .rsplit_once(':')
        .and_then(|(h, p)| {
            Some((
                h.trim_matches(['[', ']']).to_string(),
                p.parse::<u16>().ok()?,
            ))
        })
        .filter(|(h, _)| !h.is_empty());
    match parsed {
        Some((host, port)) => (Some(Target::Tcp { host, port }), t.to_string()),
        None => {
            problems.push(format!(
                "{label}.tcp: `{t}` is not host:port (e.g. 127.0.0.1:5432)"
            ));
            (None, t.to_string())
        }
    }
}

/// A DNS probe's target: the name, expected addresses, server, query type.
fn dns_target(
    pc: &ProbeConfig,
    name: &str,
    label: &str,
    problems: &mut Vec<String>,
) -> (Option<Target>, String) {
    let mut expect = Vec::new();
    for (i, a) in pc.expect_addresses.iter().enumerate() {
        match a.parse::<IpAddr>() {
            Ok(ip) => expect.push(ip),
            Err(_) => problems.push(format!(
                "{label}.expect-addresses[{i}]: `{a}` is not an IP address"
            )),
        }
    }
    let server = pc.dns_server.as_deref().and_then(|a| {
        let a = a.trim();
        let parsed = a
            .parse::<std::net::SocketAddr>()
            .ok()
            .or_else(|| a.parse::<IpAddr>().ok().map(|ip| (ip, 53).into()));
        if parsed.is_none() {
            problems.push(format!(
                "{label}.dns-server: `{a}` is not an IP address (with an optional :port), e.g. 8.8.8.8 or 127.0.0.1:5353"
            ));
        }
        parsed
    });
    let qtype = match &pc.query_type {
        None => 1,
        Some(t) => crate::dns::query_type(t).unwrap_or_else(|| {
            problems.push(format!(
                "{label}.query-type: `{t}`; use one of {}",
                crate::dns::TYPES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            1
        }),
    };
    if pc.query_type.is_some() && pc.dns_server.is_none() {
        problems.push(format!(
            "{label}.query-type: needs `dns-server` (the system resolver answers addresses only)"
        ));
    }
    (
        Some(Target::Dns {
            name: name.to_string(),
            expect,
            server,
            qtype,
        }),
        name.to_string(),
    )
}

/// A command probe's target: `sh -c` of a string, or a program and its
/// arguments, run in the repository.
fn command_target(
    pc: &ProbeConfig,
    defaults: &Defaults<'_>,
    label: &str,
    problems: &mut Vec<String>,
) -> (Option<Target>, String) {
    let argv = match &pc.command {
        Some(CommandSpec::Shell(s)) => vec!["sh".into(), "-c".into(), s.clone()],
        Some(CommandSpec::Argv(v)) => v.clone(),
        None => Vec::new(),
    };
    if argv.first().is_none_or(|p| p.trim().is_empty()) {
        problems.push(format!("{label}.command: empty command"));
    }
    let name = match &pc.command {
        Some(CommandSpec::Shell(s)) => s.clone(),
        _ => argv.join(" "),
    };
    (
        Some(Target::Command {
            argv,
            cwd: Some(defaults.repo_root.to_path_buf()),
        }),
        name,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn userinfo_is_split_at_the_last_at_before_the_path_as_written() {
        assert_eq!(
            split_userinfo("http://u:${PW}@127.0.0.1:8080/a@b?c@d"),
            Some(("http://", "u:${PW}", "127.0.0.1:8080/a@b?c@d"))
        );
        assert_eq!(
            split_userinfo("https://u:p@ss@host/"),
            Some(("https://", "u:p@ss", "host/"))
        );
        assert_eq!(split_userinfo("http://host/a@b"), None);
        assert_eq!(split_userinfo("/healthz@x"), None);
        assert_eq!(split_userinfo("${BASE}://u:p@h/"), None);
        assert_eq!(shown_url("http://u:${PW}@h:1/x"), "http://***@h:1/x");
    }

    #[test]
    fn credentials_keep_values_verbatim_and_decode_literal_escapes() {
        let m = Masker::new(false);
        let get = |k: &str| match k {
            "U" => Some("a%20b".to_string()),
            "PW" => Some("p@ss/w:rd#x?y%z".to_string()),
            _ => None,
        };
        let c = userinfo_credentials("${U}:lit%40${PW}%", &get, &m).unwrap();
        assert_eq!(c.user, "a%20b");
        assert!(c.user_secret);
        assert_eq!(c.password.as_deref(), Some("lit@p@ss/w:rd#x?y%z%"));
        let c = userinfo_credentials("admin", &get, &m).unwrap();
        assert_eq!(
            (c.user.as_str(), c.password, c.user_secret),
            ("admin", None, false)
        );
        assert!(
            userinfo_credentials("u:${NOPE}", &get, &m)
                .err()
                .unwrap()
                .contains("`NOPE` is not set")
        );
        assert!(percent_decode("%ff").is_err());
        assert_eq!(percent_encode("a b/ü"), "a%20b%2F%C3%BC");
    }
}
