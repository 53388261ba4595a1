//! Probes behind the [`Probe`] trait: gate-health's HTTP(S) probes (through
//! its library: rustls, conditions, latency budgets) and a command probe for
//! `check-command` (run with the deploy's hook environment).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gate_core::GateError;
use gate_core::secret::Masker;
use serde::Serialize;

use crate::config::{DeployConfig, Slot};

/// The pass/fail outcome of one probe, as the deploy flow counts it (a
/// gate-health [`gate_health::ProbeResult`] is mapped onto it by
/// [`from_health`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeOutcome {
    pub ok: bool,
    /// HTTP status, when one came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub latency_ms: f64,
    /// Why it failed (connection refused, timeout, a condition, exit code, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why a passing probe is degraded (over its latency budget, certificate
    /// near expiry): it still counts as passing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degraded: Option<String>,
}

/// Something that can say whether a target is healthy right now.
pub trait Probe {
    /// A short name for reports (`green https://...`, `public ...`, ...).
    fn name(&self) -> &str;
    fn check(&self) -> impl Future<Output = ProbeOutcome> + Send;
}

/// A gate-health probe (`gate_health::probe_once`).
#[derive(Debug, Clone)]
pub struct HealthProbe(pub Arc<gate_health::Probe>);

/// Maps gate-health's three-level result onto the deploy's pass/fail.
pub fn from_health(r: &gate_health::ProbeResult) -> ProbeOutcome {
    let ok = r.health.passing();
    let error = if ok {
        None
    } else {
        let failed: Vec<String> = r
            .conditions
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{} (actual {})", c.condition, c.actual))
            .collect();
        Some(match (&r.error, failed.is_empty()) {
            (Some(e), _) => e.clone(),
            (None, false) => failed.join("; "),
            (None, true) => "failed".into(),
        })
    };
    ProbeOutcome {
        ok,
        status: r.status,
        latency_ms: r.phases.total,
        error,
        degraded: (!r.degraded.is_empty()).then(|| r.degraded.join("; ")),
    }
}

impl Probe for HealthProbe {
    fn name(&self) -> &str {
        &self.0.name
    }

    async fn check(&self) -> ProbeOutcome {
        from_health(&gate_health::probe_once(&self.0).await)
    }
}

/// The HTTP(S) probes of a deploy, built once from the config (so a bad
/// condition, header or CA file is a config error before anything runs).
#[derive(Debug, Clone)]
pub struct SlotProbes {
    pub blue: Option<Arc<gate_health::Probe>>,
    pub green: Option<Arc<gate_health::Probe>>,
    pub public: Option<Arc<gate_health::Probe>>,
}

impl SlotProbes {
    /// Builds the probes through gate-health's [`gate_health::http_probe`]: the slot's
    /// health URL (or the public URL) with the section's `conditions`,
    /// `headers`, `latency-budget`, `insecure`, `ca-file` and
    /// `probe-timeout`. `${VAR}` in headers reads the environment (masked).
    pub fn build(
        cfg: &DeployConfig,
        section: &str,
        repo_root: &std::path::Path,
        get: &dyn Fn(&str) -> Option<String>,
        masker: &Masker,
    ) -> Result<SlotProbes, GateError> {
        let mut problems = Vec::new();
        // One item per line (the keys are `newline`-separated), each header
        // already checked as `Name: value` when the configuration was loaded.
        let headers: std::collections::BTreeMap<String, String> = cfg
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        let conditions = cfg.conditions.clone();
        // Built under the section's own name, so problems name the deploy
        // keys (`deploy.ca-file`, `deploy.conditions[0]`), each once.
        // Named after the URL as probed: expanded, without credentials.
        let mut one = |who: &str, key: &str, url: Option<String>| {
            let url = url?;
            let spec = gate_health::HttpProbeSpec {
                url,
                headers: headers.clone(),
                conditions: conditions.clone(),
                latency_budget: cfg.latency_budget.map(|d| d.to_string()),
                insecure: cfg.insecure,
                ca_file: cfg.ca_file.clone(),
                timeout: cfg.probe_timeout(),
            };
            match gate_health::http_probe(&spec, section, repo_root, get, masker) {
                Ok(mut p) => {
                    if let gate_health::Target::Http(h) = &p.target {
                        p.name = format!("{who} {}", h.url);
                    }
                    Some(Arc::new(p))
                }
                Err(e) => {
                    for m in e {
                        let m = match m.strip_prefix(&format!("{section}.url:")) {
                            Some(rest) => format!("{section}.{key}:{rest}"),
                            None => m,
                        };
                        if !problems.contains(&m) {
                            problems.push(m);
                        }
                    }
                    None
                }
            }
        };
        let (b, g) = (cfg.health_url(Slot::Blue), cfg.health_url(Slot::Green));
        let blue = one("blue", "blue-health-url", b);
        let green = one("green", "green-health-url", g);
        let public = one(
            "public",
            "public-url",
            cfg.public_url.as_ref().map(|u| u.as_str().to_string()),
        );
        if problems.is_empty() {
            Ok(SlotProbes {
                blue,
                green,
                public,
            })
        } else {
            Err(GateError::Config(problems))
        }
    }

    /// The probe of a slot's health URL.
    pub fn slot(&self, slot: Slot) -> Result<Arc<gate_health::Probe>, GateError> {
        match slot {
            Slot::Blue => self.blue.clone(),
            Slot::Green => self.green.clone(),
        }
        .ok_or_else(|| {
            GateError::Config(vec![format!(
                "{slot}-address or {slot}-health-url: needed to probe the {slot} slot"
            )])
        })
    }

    /// The slot's probe, plus the public URL's when set.
    pub fn with_public(&self, slot: Slot) -> Result<Vec<gate_health::Probe>, GateError> {
        let mut v = vec![(*self.slot(slot)?).clone()];
        if let Some(p) = &self.public {
            v.push((**p).clone());
        }
        Ok(v)
    }
}

/// `sh -c COMMAND`; healthy on exit 0 within the timeout.
#[derive(Debug, Clone)]
pub struct CommandProbe {
    name: String,
    command: String,
    env: Vec<(String, String)>,
    timeout: Duration,
    dir: std::path::PathBuf,
}

impl CommandProbe {
    pub fn new(
        name: impl Into<String>,
        command: impl Into<String>,
        env: Vec<(String, String)>,
        timeout: Duration,
        dir: std::path::PathBuf,
    ) -> Self {
        CommandProbe {
            name: name.into(),
            command: command.into(),
            env,
            timeout,
            dir,
        }
    }
}

impl Probe for CommandProbe {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> ProbeOutcome {
        let started = Instant::now();
        let r = crate::hooks::run_hook(&self.command, &self.env, self.timeout, &self.dir).await;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (ok, error) = match r {
            Ok(out) if out.success() => (true, None),
            Ok(out) => (false, Some(out.describe())),
            Err(e) => (false, Some(e)),
        };
        ProbeOutcome {
            ok,
            status: None,
            latency_ms,
            error,
            degraded: None,
        }
    }
}

/// The probes the deploy flow uses, as one type.
#[derive(Debug, Clone)]
pub enum AnyProbe {
    Health(HealthProbe),
    Command(CommandProbe),
}

impl Probe for AnyProbe {
    fn name(&self) -> &str {
        match self {
            AnyProbe::Health(p) => p.name(),
            AnyProbe::Command(p) => p.name(),
        }
    }

    async fn check(&self) -> ProbeOutcome {
        match self {
            AnyProbe::Health(p) => p.check().await,
            AnyProbe::Command(p) => p.check().await,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn cfg(conditions: &[&str], headers: &[&str]) -> DeployConfig {
        DeployConfig {
            blue_address: Some("127.0.0.1:8081".into()),
            green_health_url: Some("https://localhost:8443/healthz".parse().unwrap()),
            conditions: conditions.iter().map(|s| s.to_string()).collect(),
            headers: headers.iter().map(|s| s.parse().unwrap()).collect(),
            ..DeployConfig::default()
        }
    }

    fn build(c: &DeployConfig) -> Result<SlotProbes, GateError> {
        let vars = |k: &str| (k == "TOKEN").then(|| "s3cret".to_string());
        SlotProbes::build(
            c,
            "deploy",
            std::path::Path::new("."),
            &vars,
            &Masker::default(),
        )
    }

    #[test]
    fn conditions_and_headers_holding_commas_are_probed_as_given() {
        // One item per line: a comma inside an item is part of it.
        let c = cfg(
            &["[STATUS] == any(200, 204)", "[BODY] == pat(ok*)"],
            &[
                "Accept: text/plain, application/json",
                "Authorization: Bearer ${TOKEN}",
            ],
        );
        let p = build(&c).unwrap();
        let blue = p.slot(Slot::Blue).unwrap();
        let texts: Vec<&str> = blue.conditions.iter().map(|c| c.text()).collect();
        assert_eq!(texts, ["[STATUS] == any(200, 204)", "[BODY] == pat(ok*)"]);
        let gate_health::Target::Http(h) = &blue.target else {
            panic!("not an HTTP probe");
        };
        let accept = h.headers.iter().find(|(k, _)| k == "accept").unwrap();
        assert_eq!(accept.1, "text/plain, application/json");
        let auth = h
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap();
        assert_eq!(auth.1, "Bearer s3cret");
        assert!(auth.1.is_sensitive());
        // Green's https URL is probed as given; no public URL, no probe.
        let green = p.slot(Slot::Green).unwrap();
        assert!(
            green
                .target
                .display()
                .ends_with("https://localhost:8443/healthz")
        );
        assert!(p.public.is_none());
        assert_eq!(p.with_public(Slot::Blue).unwrap().len(), 1);
    }

    #[test]
    fn bad_conditions_and_ca_files_are_config_errors_naming_the_key() {
        // (A header without a colon is refused when gates.yml is loaded.)
        let mut c = cfg(&["[NOT_A_PLACEHOLDER] == 1"], &[]);
        c.ca_file = Some("/nonexistent/ca.pem".into());
        let Err(GateError::Config(problems)) = build(&c) else {
            panic!("expected a config error");
        };
        let all = problems.join("\n");
        assert!(
            all.contains("deploy.conditions[0] `[NOT_A_PLACEHOLDER] == 1`"),
            "{all}"
        );
        assert!(
            all.contains("deploy.ca-file: cannot read /nonexistent/ca.pem"),
            "{all}"
        );
        // Shared keys: each problem once, not once per slot.
        assert_eq!(problems.len(), 2, "{all}");
    }
}
