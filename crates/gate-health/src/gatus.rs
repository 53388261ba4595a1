//! Reading a gatus configuration file's `endpoints:` as probes.
//!
//! Supported: `name`, `group`, `url` (http, https, `tcp://host:port`),
//! `method`, `headers`, `body`, `conditions`, `client.timeout`,
//! `client.insecure`, `client.ignore-redirect` (redirects are followed by
//! default, as gatus does), `dns.query-name` and `dns.query-type` (asked of
//! the DNS server in `url`, over UDP), `enabled`. Everything else gatus knows
//! (alerts, intervals, other schemes) is ignored, with a note.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::ProbeConfig;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GatusFile {
    endpoints: Vec<Endpoint>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Endpoint {
    name: Option<String>,
    group: Option<String>,
    url: Option<String>,
    method: Option<String>,
    headers: BTreeMap<String, String>,
    body: Option<String>,
    conditions: Vec<String>,
    client: Option<Client>,
    dns: Option<Dns>,
    enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct Client {
    timeout: Option<String>,
    insecure: Option<bool>,
    /// gatus follows redirects unless this is true.
    ignore_redirect: Option<bool>,
    /// Every other client key (`tls`, `proxy-url`, `dns-resolver`,
    /// `oauth2`, …): not supported, named in a warning.
    #[serde(flatten)]
    other: BTreeMap<String, serde::de::IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct Dns {
    query_name: Option<String>,
    query_type: Option<String>,
}

/// What a gatus file gives: probe configs with their index in
/// `endpoints:`, notes, and warnings (endpoints skipped because a
/// condition reads a placeholder gate-health does not have).
#[derive(Debug, Default)]
pub struct Parsed {
    pub probes: Vec<(usize, ProbeConfig)>,
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

/// gatus placeholders gate-health cannot evaluate: an endpoint whose
/// conditions read one is skipped with a warning.
const UNSUPPORTED_PLACEHOLDERS: &[&str] = &["[DOMAIN_EXPIRATION]"];

/// Probe configs from a gatus file's text, plus notes about what was
/// skipped. `Err` is a message for a malformed file.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let file: GatusFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Parsed::default();
    let (probes, notes) = (&mut out.probes, &mut out.notes);
    for (i, ep) in file.endpoints.into_iter().enumerate() {
        let name = match (&ep.group, &ep.name) {
            (Some(g), Some(n)) => format!("{g}/{n}"),
            (None, Some(n)) => n.clone(),
            _ => format!("endpoints[{i}]"),
        };
        if ep.enabled == Some(false) {
            notes.push(format!("gatus endpoint `{name}` is disabled: skipped"));
            continue;
        }
        if let Some((c, p)) = ep.conditions.iter().find_map(|c| {
            UNSUPPORTED_PLACEHOLDERS
                .iter()
                .find(|p| c.contains(**p))
                .map(|p| (c, p))
        }) {
            out.warnings.push(format!(
                "gatus endpoint endpoints[{i}] (`{name}`) skipped: its condition `{c}` reads {p}, which gate-health does not support"
            ));
            continue;
        }
        if let Some(c) = &ep.client
            && !c.other.is_empty()
        {
            let keys: Vec<String> = c.other.keys().map(|k| format!("client.{k}")).collect();
            out.warnings.push(format!(
                "gatus endpoint endpoints[{i}] (`{name}`): {} not supported by gate-health: ignored (the probe runs without {})",
                keys.join(", "),
                if keys.len() == 1 { "it" } else { "them" }
            ));
        }
        let url = ep.url.clone().unwrap_or_default();
        let timeout = match ep.client.as_ref().and_then(|c| c.timeout.as_deref()) {
            Some(t) => Some(
                t.parse::<gate_core::types::Duration>()
                    .map_err(|e| format!("endpoints[{i}] (`{name}`): client.timeout: {e}"))?,
            ),
            None => None,
        };
        let mut pc = ProbeConfig {
            name: Some(name.clone()),
            timeout,
            ..ProbeConfig::default()
        };
        let conditions = ep.conditions.clone();
        if let Some(dns) = &ep.dns {
            let Some(q) = dns.query_name.clone() else {
                return Err(format!(
                    "endpoints[{i}] (`{name}`): `dns` without `query-name`"
                ));
            };
            pc.dns = Some(q);
            // gatus' `url` is the DNS server to ask.
            if !url.trim().is_empty() {
                pc.dns_server = Some(url.trim().to_string());
                pc.query_type = dns.query_type.clone();
            }
        } else if let Some(rest) = url.strip_prefix("tcp://") {
            pc.tcp = Some(rest.trim_end_matches('/').to_string());
        } else if url.starts_with("http://") || url.starts_with("https://") {
            pc.url = Some(url.clone());
            pc.method = ep.method.clone();
            pc.headers = ep.headers.clone();
            pc.body = ep.body.clone();
            pc.insecure = ep.client.as_ref().and_then(|c| c.insecure).unwrap_or(false);
            // gatus follows redirects unless `client.ignore-redirect: true`.
            pc.follow_redirects = Some(
                !ep.client
                    .as_ref()
                    .and_then(|c| c.ignore_redirect)
                    .unwrap_or(false),
            );
        } else {
            let scheme = url.split("://").next().unwrap_or_default();
            notes.push(format!(
                "gatus endpoint `{name}`: `{scheme}` endpoints are not supported: skipped"
            ));
            continue;
        }
        pc.conditions = conditions;
        probes.push((i, pc));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn reads_gatus_endpoints() {
        let text = r#"
storage:
  type: memory
endpoints:
  - name: website
    group: core
    url: "https://twin.sh/health"
    interval: 5m
    conditions:
      - "[STATUS] == 200"
      - "[BODY].status == UP"
      - "[RESPONSE_TIME] < 300"
    alerts:
      - type: slack
  - name: db
    url: "tcp://127.0.0.1:5432"
    conditions: ["[CONNECTED] == true"]
  - name: dns
    url: "8.8.8.8"
    dns:
      query-name: "example.org"
      query-type: "A"
    conditions: ["[DNS_RCODE] == NOERROR"]
  - name: ping
    url: "icmp://127.0.0.1"
"#;
        let Parsed { probes, notes, .. } = parse(text).unwrap();
        let probes: Vec<ProbeConfig> = probes.into_iter().map(|(_, p)| p).collect();
        assert_eq!(probes.len(), 3);
        assert_eq!(probes[0].name.as_deref(), Some("core/website"));
        assert_eq!(probes[0].conditions.len(), 3);
        assert_eq!(probes[1].tcp.as_deref(), Some("127.0.0.1:5432"));
        assert_eq!(probes[2].dns.as_deref(), Some("example.org"));
        assert_eq!(probes[2].conditions, vec!["[DNS_RCODE] == NOERROR"]);
        assert_eq!(probes[2].dns_server.as_deref(), Some("8.8.8.8"));
        assert_eq!(probes[2].query_type.as_deref(), Some("A"));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("icmp"));
    }

    #[test]
    fn malformed_gatus_file_is_an_error() {
        assert!(parse("endpoints: [1, 2").is_err());
        assert!(parse("endpoints:\n  - name: x\n    conditions: 5\n").is_err());
    }
}
