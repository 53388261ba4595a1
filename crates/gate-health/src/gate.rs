//! The `Gate` glue: flags, `collect` (build probes, probe once / wait /
//! watch) and the pure `evaluate`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use gate_core::ledger::DeploymentState;
use gate_core::report::{Chart, Finding, Metric, Rule, Series, SeriesKind, Severity, Threshold};
use gate_core::{Comparison, Context, Gate, GateError, Report};
use serde::Serialize;

use crate::config::{Defaults, HealthConfig, ProbeConfig, build_probe};
use crate::expr::parse_duration;
use crate::modes::{Round, TokioClock, WaitOptions, WatchOptions, probe_round, wait, watch};
use crate::probe::{Health, Probe, ProbeResult, human_secs};
use crate::stats::percentiles;

/// Flags of gate-health; each overrides the `gates.yml` key of the same name.
#[derive(Debug, Clone, clap::Args)]
pub struct HealthArgs {
    /// Probe this HTTP(S) URL (repeatable), besides the configured probes
    #[arg(long = "url", id = "urls", value_name = "URL")]
    pub urls: Vec<String>,
    /// Probe a TCP connection to HOST:PORT (repeatable)
    #[arg(long = "tcp", id = "tcp", value_name = "HOST:PORT")]
    pub tcp: Vec<String>,
    /// Probe that NAME resolves (repeatable)
    #[arg(long = "dns", id = "dns", value_name = "NAME")]
    pub dns: Vec<String>,
    /// Condition for the --url/--tcp/--dns probes (repeatable), e.g. '[BODY].status == UP'
    #[arg(long = "condition", id = "conditions", value_name = "EXPR")]
    pub conditions: Vec<String>,
    /// Header for the --url probes, 'Name: value' (repeatable; ${VAR} reads a masked variable)
    #[arg(long = "header", id = "headers", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Accept any TLS certificate for the --url probes
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub insecure: Option<String>,
    /// PEM file of CA certificates trusted for the --url probes besides the Mozilla roots
    #[arg(long = "ca-file", id = "ca_file", value_name = "PATH")]
    pub ca_file: Option<String>,
    /// HTTP method of the --url probes (default GET)
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// Expected status of the --url probes: codes or classes (repeatable or comma-separated), e.g. 200,204 or 2xx
    #[arg(
        long = "expect-status",
        id = "expect_status",
        value_name = "STATUS",
        value_delimiter = ','
    )]
    pub expect_status: Vec<String>,
    /// Latency budget of every probe without its own, e.g. 300ms
    #[arg(
        long = "latency-budget",
        id = "latency_budget",
        value_name = "DURATION"
    )]
    pub latency_budget: Option<String>,
    /// Probe until healthy (success-threshold passing rounds in a row) or --timeout
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub wait: Option<String>,
    /// Watch for DURATION, failing on failure-threshold consecutive failures
    #[arg(long, value_name = "DURATION")]
    pub watch: Option<String>,
    /// Time between rounds (watch) or between passing rounds (wait)
    #[arg(long, value_name = "DURATION")]
    pub interval: Option<String>,
    /// Give up waiting after DURATION
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// First pause after a failing round when waiting (doubles up to --max-backoff)
    #[arg(long, value_name = "DURATION")]
    pub backoff: Option<String>,
    /// Longest pause between failing rounds when waiting
    #[arg(long = "max-backoff", id = "max_backoff", value_name = "DURATION")]
    pub max_backoff: Option<String>,
    /// Passing rounds in a row each probe needs when waiting
    #[arg(long = "success-threshold", id = "success_threshold", value_name = "N")]
    pub success_threshold: Option<String>,
    /// Failing rounds in a row that trip the watch
    #[arg(long = "failure-threshold", id = "failure_threshold", value_name = "N")]
    pub failure_threshold: Option<String>,
    /// Probes in flight at once
    #[arg(long, value_name = "N")]
    pub concurrency: Option<String>,
    /// Time limit of one probe attempt
    #[arg(long = "probe-timeout", id = "probe_timeout", value_name = "DURATION")]
    pub probe_timeout: Option<String>,
    /// Probe the environment_url of ENV's latest successful deployment
    #[arg(
        long = "target-from-deployment",
        id = "target_from_deployment",
        value_name = "ENV"
    )]
    pub target_from_deployment: Option<String>,
    /// Base URL that relative probe URLs (/healthz) are joined to
    #[arg(long = "base-url", id = "base_url", value_name = "URL")]
    pub base_url: Option<String>,
    /// Read probes from a gatus configuration file's endpoints
    #[arg(long = "gatus-file", id = "gatus_file", value_name = "PATH")]
    pub gatus_file: Option<String>,
}

/// How the probes were run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Once,
    Wait,
    Watch,
}

/// A probe as configured, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeInfo {
    pub name: String,
    pub kind: &'static str,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_budget_ms: Option<f64>,
}

/// What `collect` gathers.
#[derive(Debug, Clone, Serialize)]
pub struct HealthInput {
    pub mode: Mode,
    pub probes: Vec<ProbeInfo>,
    pub rounds: Vec<Round>,
    /// Wait mode: the threshold and whether it was reached.
    pub success_threshold: u32,
    pub failure_threshold: u32,
    pub healthy_in_time: Option<bool>,
    pub streaks: Vec<u32>,
    pub timeout_ms: f64,
    /// Watch mode: the trip.
    pub tripped: Option<crate::modes::Trip>,
    pub watch_ms: f64,
    pub interval_ms: f64,
    pub elapsed_ms: f64,
    /// Where the target came from (a deployment), for people.
    pub target_note: Option<String>,
    pub notes: Vec<String>,
    /// Warnings about the probes (gatus endpoints skipped).
    pub warnings: Vec<String>,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "probe-failing",
        summary: "A probe failed: it could not connect, timed out, or a condition did not hold",
        help: "Look at the reason and the phase that failed; fix the service or the condition.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "latency-over-budget",
        summary: "A probe passed but took longer than its latency budget",
        help: "Find the slow phase (DNS, connect, TLS, TTFB) in the report, or raise `latency-budget`.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "certificate-expiring",
        summary: "The server's TLS certificate expires soon",
        help: "Renew the certificate; the warning starts at `cert-expiry-warning` before expiry.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "not-healthy-in-time",
        summary: "A probe did not pass `success-threshold` rounds in a row before `timeout`",
        help: "Check the service's start-up; raise `timeout` if it is just slow to start.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "circuit-open",
        summary: "A probe failed `failure-threshold` rounds in a row while watching",
        help: "The service went unhealthy after the change: roll back (gate-rollback) and look at the failing probe.",
        default_severity: Severity::Error,
    },
    Rule {
        id: "flaky-probe",
        summary: "A probe failed some rounds while watching, fewer than `failure-threshold` in a row",
        help: "Intermittent failures: look at the failing rounds' reasons in the JSON report.",
        default_severity: Severity::Warning,
    },
    Rule {
        id: "probe-status",
        summary: "Each probe's health, latency, phases and status (one note per probe)",
        help: "Nothing to do: the line says how the probe went.",
        default_severity: Severity::Note,
    },
    Rule {
        id: "probe-note",
        summary: "Something about the probes worth knowing (skipped gatus endpoints, target source)",
        help: "Nothing to do.",
        default_severity: Severity::Note,
    },
];

/// The health gate.
#[derive(Debug)]
pub struct HealthGate;

fn config_dur(key: &str, v: &str) -> gate_core::Result<Duration> {
    parse_duration(v).map_err(|e| GateError::Config(vec![format!("health.{key}: {e}")]))
}

fn env_get(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Builds every probe of the configuration (gatus file, probes, one-off
/// flags). All problems at once, as a config error (exit 3).
pub async fn build_probes(
    ctx: &Context,
    config: &HealthConfig,
    args: &HealthArgs,
    notes: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> gate_core::Result<(Vec<Probe>, Option<String>)> {
    let probe_timeout = config_dur("probe-timeout", &config.probe_timeout)?;
    let latency_budget = match &config.latency_budget {
        Some(b) => Some(config_dur("latency-budget", b)?),
        None => None,
    };
    let cert_expiry_warning = config_dur("cert-expiry-warning", &config.cert_expiry_warning)?;

    // The deployment target.
    let mut target_note = None;
    let base_url = match &config.target_from_deployment {
        Some(env) => {
            let deployments = ctx.ledger.deployments(env, 10).await?;
            let found = deployments.iter().find_map(|d| {
                let last = d.statuses.last()?;
                (last.state == DeploymentState::Success)
                    .then(|| last.environment_url.clone().map(|u| (d, u)))
                    .flatten()
            });
            let Some((d, u)) = found else {
                return Err(GateError::Input(format!(
                    "target-from-deployment: no successful deployment of `{env}` with an environment_url in the {} ledger ({} deployment(s) looked at); deploy first, or give the URL with --url",
                    ctx.ledger.kind(),
                    deployments.len()
                )));
            };
            let url = url::Url::parse(&u).map_err(|e| {
                GateError::Input(format!(
                    "target-from-deployment: deployment {} of `{env}` has environment_url `{u}`, which is not a URL: {e}",
                    d.id
                ))
            })?;
            target_note = Some(format!(
                "target from deployment {} of `{env}` (commit {}): {url}",
                d.id,
                d.commit.get(..12).unwrap_or(&d.commit)
            ));
            Some(url)
        }
        None => match &config.base_url {
            Some(b) => {
                let u = url::Url::parse(b).map_err(|e| {
                    GateError::Config(vec![format!(
                        "health.base-url: `{b}` is not a URL: {e}; write e.g. http://127.0.0.1:8080"
                    )])
                })?;
                if !matches!(u.scheme(), "http" | "https") {
                    return Err(GateError::Config(vec![format!(
                        "health.base-url: `{b}`: only http:// and https:// can be probed"
                    )]));
                }
                Some(u)
            }
            None => None,
        },
    };
    if config.base_url.is_some() && config.target_from_deployment.is_some() {
        return Err(GateError::Config(vec![
            "health.base-url and health.target-from-deployment both give the base URL; keep one"
                .into(),
        ]));
    }
    let defaults = Defaults {
        probe_timeout,
        latency_budget,
        cert_expiry_warning,
        base_url: base_url.as_ref(),
        repo_root: &ctx.repo_root,
    };

    let mut configs: Vec<(String, ProbeConfig)> = Vec::new();
    if let Some(f) = &config.gatus_file {
        let path = ctx.resolve(f);
        let text = std::fs::read_to_string(&path).map_err(|e| GateError::read(&path, e))?;
        let parsed = crate::gatus::parse(&text).map_err(|e| {
            GateError::Config(vec![format!("{} (health.gatus-file): {e}", path.display())])
        })?;
        notes.extend(parsed.notes);
        warnings.extend(parsed.warnings);
        // Named by their index in the file, skipped endpoints counted.
        for (i, pc) in parsed.probes {
            configs.push((format!("{f}: endpoints[{i}]"), pc));
        }
    }
    for (i, pc) in config.probes.iter().enumerate() {
        configs.push((format!("health.probes[{i}]"), pc.clone()));
    }
    let _ = args;
    let mut headers = BTreeMap::new();
    for (i, h) in rejoin(&config.headers, |piece| !piece.contains(':'))
        .iter()
        .enumerate()
    {
        let Some((k, v)) = h.split_once(':') else {
            return Err(GateError::Config(vec![format!(
                "health.headers[{i}]: `{h}` is not `Name: value`"
            )]));
        };
        headers.insert(k.trim().to_string(), v.trim().to_string());
    }
    let conditions = rejoin(&config.conditions, |piece| !piece.contains('['));
    let one_off = |f: &dyn Fn(&mut ProbeConfig)| {
        let mut pc = ProbeConfig {
            conditions: conditions.clone(),
            ..ProbeConfig::default()
        };
        f(&mut pc);
        pc
    };
    for u in &config.urls {
        configs.push((
            format!("--url/urls `{u}`"),
            one_off(&|pc| {
                pc.url = Some(u.clone());
                pc.headers = headers.clone();
                pc.insecure = config.insecure;
                pc.ca_file = config.ca_file.clone();
                pc.method = config.method.clone();
                pc.expect_status = config.expect_status.clone();
            }),
        ));
    }
    for t in &config.tcp {
        configs.push((
            format!("--tcp/tcp `{t}`"),
            one_off(&|pc| pc.tcp = Some(t.clone())),
        ));
    }
    for d in &config.dns {
        configs.push((
            format!("--dns/dns `{d}`"),
            one_off(&|pc| pc.dns = Some(d.clone())),
        ));
    }
    if !config.conditions.is_empty()
        && config.urls.is_empty()
        && config.tcp.is_empty()
        && config.dns.is_empty()
    {
        return Err(GateError::Config(vec![
            "health.conditions (--condition) applies to the urls, tcp and dns probes (--url, --tcp, --dns); give one of those too, or put conditions under a probe in `probes:`".into(),
        ]));
    }
    if configs.is_empty()
        && let Some(u) = &base_url
    {
        configs.push((
            "base URL".into(),
            ProbeConfig {
                name: Some("deployment".into()),
                url: Some(u.to_string()),
                ..ProbeConfig::default()
            },
        ));
    }
    if configs.is_empty() {
        return Err(GateError::Usage(
            "no probe: pass --url URL (or --tcp, --dns), list `probes:` under `health:` in gates.yml, or set gatus-file / target-from-deployment".into(),
        ));
    }
    // A CA file that cannot be read or holds no certificate is an input
    // error (exit 4), like any unreadable input.
    for (at, pc) in &configs {
        if let Some(f) = &pc.ca_file {
            let path = ctx.resolve(f);
            let pem = std::fs::read(&path).map_err(|e| {
                GateError::Input(format!(
                    "{at}: ca-file: cannot read {}: {e}; give a readable PEM file of CA certificates",
                    path.display()
                ))
            })?;
            gate_core::tls::client_config(&[pem], false)
                .map_err(|e| GateError::Input(format!("{at}: ca-file {}: {e}", path.display())))?;
        }
    }
    let mut probes = Vec::new();
    let mut problems = Vec::new();
    for (at, pc) in &configs {
        match build_probe(pc, at, &defaults, &env_get, &ctx.masker) {
            Ok(p) => probes.push(p),
            Err(mut e) => problems.append(&mut e),
        }
    }
    let mut seen = BTreeMap::new();
    for p in &probes {
        *seen.entry(p.name.clone()).or_insert(0u32) += 1;
    }
    for (name, n) in seen {
        if n > 1 {
            problems.push(format!(
                "health.probes: {n} probes are named `{name}`; give each a distinct `name`"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(GateError::Config(
            problems.iter().map(|p| ctx.masker.redact(p)).collect(),
        ));
    }
    Ok((probes, target_note))
}

/// Lists from flags and action inputs arrive split at commas: glue back the
/// pieces that `continues` says belong to the previous item (a condition's
/// `any(200, 201)`, a header value with commas). Public for gate-deploy,
/// whose `conditions` and `headers` arrive the same way.
pub fn rejoin(items: &[String], continues: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = 0i32;
    for it in items {
        let piece = it.trim();
        let depth = |s: &str| s.matches('(').count() as i32 - s.matches(')').count() as i32;
        match out.last_mut() {
            Some(last) if open > 0 || continues(piece) => {
                last.push_str(", ");
                last.push_str(piece);
            }
            _ => {
                out.push(piece.to_string());
                open = 0;
            }
        }
        open += depth(piece);
    }
    out
}

fn progress_line(text: &str) {
    if gate_core::out::stderr_is_tty() {
        let t = gate_core::github::escape::neutralize(text);
        gate_core::out::stderr(&format!("\r\x1b[2Kgate-health: {t}"));
    }
}

fn progress_done() {
    if gate_core::out::stderr_is_tty() {
        gate_core::out::stderr("\r\x1b[2K");
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

impl Gate for HealthGate {
    const ID: &'static str = "health";
    const ABOUT: &'static str = "Probe HTTP(S), TCP, DNS and commands with gatus-style conditions and latency budgets; once, until healthy (--wait), or watching (--watch)";
    const RULES: &'static [Rule] = RULES;
    type Config = HealthConfig;
    type Args = HealthArgs;
    type Input = HealthInput;

    async fn collect(
        ctx: &Context,
        config: &HealthConfig,
        args: &HealthArgs,
    ) -> gate_core::Result<HealthInput> {
        let mut notes = Vec::new();
        let mut warnings = Vec::new();
        let (probes, target_note) =
            build_probes(ctx, config, args, &mut notes, &mut warnings).await?;
        let infos: Vec<ProbeInfo> = probes
            .iter()
            .map(|p| ProbeInfo {
                name: p.name.clone(),
                kind: p.target.kind(),
                target: ctx.masker.redact(&p.target.display()),
                latency_budget_ms: p.latency_budget.map(millis),
            })
            .collect();
        let probes: Arc<[Probe]> = probes.into();
        let concurrency = config.concurrency.max(1) as usize;
        let interval = config_dur("interval", &config.interval)?;
        let timeout = config_dur("timeout", &config.timeout)?;
        let watch_for = match &config.watch {
            Some(w) => Some(config_dur("watch", w)?),
            None => None,
        };
        if watch_for.is_some() && config.wait {
            return Err(GateError::Usage(
                "--wait and --watch are separate modes: wait first in one step, then watch in another".into(),
            ));
        }
        let clock = TokioClock::default();
        let mut input = HealthInput {
            mode: Mode::Once,
            probes: infos,
            rounds: Vec::new(),
            success_threshold: config.success_threshold.max(1),
            failure_threshold: config.failure_threshold.max(1),
            healthy_in_time: None,
            streaks: Vec::new(),
            timeout_ms: millis(timeout),
            tripped: None,
            watch_ms: 0.0,
            interval_ms: millis(interval),
            elapsed_ms: 0.0,
            target_note,
            notes,
            warnings,
        };
        if let Some(duration) = watch_for {
            input.mode = Mode::Watch;
            input.watch_ms = millis(duration);
            let opts = WatchOptions {
                duration,
                interval,
                failure_threshold: input.failure_threshold,
                concurrency,
            };
            let total = probes.len();
            let mut on_round = |r: &Round| {
                let failing: Vec<&str> = r
                    .results
                    .iter()
                    .filter(|x| !x.health.passing())
                    .map(|x| x.name.as_str())
                    .collect();
                progress_line(&format!(
                    "watching {:.0}s/{:.0}s: {}/{total} passing{}",
                    r.at_ms / 1000.0,
                    duration.as_secs_f64(),
                    total - failing.len(),
                    if failing.is_empty() {
                        String::new()
                    } else {
                        format!(" (failing: {})", failing.join(", "))
                    }
                ));
            };
            let out = watch(&probes, &opts, &clock, &mut on_round).await;
            progress_done();
            input.tripped = out.tripped;
            input.rounds = out.rounds;
            input.elapsed_ms = out.elapsed_ms;
        } else if config.wait {
            input.mode = Mode::Wait;
            let opts = WaitOptions {
                success_threshold: input.success_threshold,
                timeout,
                initial_backoff: config_dur("backoff", &config.backoff)?,
                max_backoff: config_dur("max-backoff", &config.max_backoff)?,
                interval: interval
                    .min(Duration::from_secs(1))
                    .max(Duration::from_millis(50)),
                concurrency,
            };
            let threshold = input.success_threshold;
            let mut progress = |r: &Round, streaks: &[u32]| {
                let done = streaks.iter().filter(|s| **s >= threshold).count();
                progress_line(&format!(
                    "waiting {:.0}s/{:.0}s: {done}/{} probes healthy ({threshold} in a row)",
                    r.at_ms / 1000.0,
                    timeout.as_secs_f64(),
                    streaks.len()
                ));
            };
            let out = wait(&probes, &opts, &clock, &mut progress).await;
            progress_done();
            input.healthy_in_time = Some(out.healthy);
            input.streaks = out.streaks;
            input.rounds = out.rounds;
            input.elapsed_ms = out.elapsed_ms;
        } else {
            let results = probe_round(&probes, concurrency).await;
            input.rounds.push(Round {
                at_ms: 0.0,
                results,
            });
        }
        // Secrets echoed back by a service are masked centrally: gate-core
        // redacts the whole report once before any output.
        Ok(input)
    }

    fn evaluate(input: &HealthInput, _config: &HealthConfig) -> Report {
        evaluate(input)
    }

    fn outputs(report: &Report) -> Vec<(String, String)> {
        let failing: Vec<String> = report
            .details
            .get("probes")
            .and_then(|p| p.as_array())
            .map(|list| {
                list.iter()
                    .filter(|p| p.get("health").and_then(|h| h.as_str()) == Some("failing"))
                    .filter_map(|p| p.get("name").and_then(|n| n.as_str()).map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let p95 = report
            .metric("p95-ms")
            .map(|m| gate_core::report::format_number(m.value))
            .unwrap_or_default();
        vec![
            ("healthy".into(), failing.is_empty().to_string()),
            ("failing".into(), failing.join(",")),
            ("p95-ms".into(), p95),
        ]
    }
}

/// Stable kebab-case slug of a probe name, for metric names.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "probe".into() } else { s }
}

/// The metric id of each probe: the slug of its name, and where two probes'
/// slugs are the same (`--url http://h:1/` and `--tcp h:1`), that slug with
/// the probe's kind (`h-1-http`, `h-1-tcp`), then with its position among
/// those still alike. An id that collides with no other is the plain slug,
/// so ids stay what they were unless a collision forces a change.
pub fn metric_ids(probes: &[ProbeInfo]) -> Vec<String> {
    let count = |ids: &[String], id: &str| ids.iter().filter(|x| *x == id).count();
    let mut ids: Vec<String> = probes.iter().map(|p| slug(&p.name)).collect();
    let with_kind: Vec<String> = ids
        .iter()
        .zip(probes)
        .map(|(id, p)| {
            if count(&ids, id) > 1 {
                format!("{id}-{}", p.kind)
            } else {
                id.clone()
            }
        })
        .collect();
    ids = with_kind;
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let alike: Vec<bool> = ids.iter().map(|id| count(&ids, id) > 1).collect();
    for (id, alike) in ids.iter_mut().zip(alike) {
        if alike {
            let n = seen.entry(id.clone()).or_insert(0);
            *n += 1;
            *id = format!("{id}-{n}");
        }
    }
    ids
}

/// One line per probe for people: health, latency and phases, status.
fn status_line(
    info: &ProbeInfo,
    health: Health,
    last: Option<&ProbeResult>,
    rounds: usize,
    failures: usize,
    pct: Option<(f64, f64)>,
) -> String {
    use gate_core::report::format_number as n;
    let mut s = format!("`{}` {}: {}", info.name, info.target, health.as_str());
    if rounds > 1 {
        s.push_str(&format!(", {failures} of {rounds} rounds failed"));
        if let Some((p50, p95)) = pct {
            s.push_str(&format!(", p50 {} ms, p95 {} ms", n(p50), n(p95)));
        }
    }
    if let Some(r) = last {
        let phases: Vec<String> = [
            ("DNS", r.phases.dns),
            ("connect", r.phases.connect),
            ("TLS", r.phases.tls),
            ("TTFB", r.phases.ttfb),
        ]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k} {} ms", n(v))))
        .collect();
        s.push_str(&format!("; last {} ms", n(r.phases.total)));
        if !phases.is_empty() {
            s.push_str(&format!(" ({})", phases.join(", ")));
        }
        if let Some(st) = r.status {
            s.push_str(&format!(", status {st}"));
        }
        if let Some(v) = &r.http_version {
            s.push_str(&format!(", {v}"));
        }
        if let Some(c) = r.certificate_expires_in_s {
            s.push_str(&format!(", certificate expires in {}", human_secs(c)));
        }
    }
    s
}

/// The longest run of failing results.
fn longest_failing_streak(history: &[&ProbeResult]) -> usize {
    let (mut best, mut cur) = (0, 0);
    for r in history {
        if r.health.passing() {
            cur = 0;
        } else {
            cur += 1;
            best = best.max(cur);
        }
    }
    best
}

/// Why a failing result failed, in one line.
pub fn failure_reason(r: &ProbeResult) -> String {
    let mut parts = Vec::new();
    if let Some(e) = &r.error {
        parts.push(e.clone());
    }
    for c in r.conditions.iter().filter(|c| !c.passed) {
        parts.push(format!("`{}` did not hold (was {})", c.condition, c.actual));
    }
    if parts.is_empty() {
        parts.push("failed".into());
    }
    let mut s = parts.join("; ");
    if let Some(o) = &r.output
        && !o.trim().is_empty()
    {
        let tail: String = o.trim().chars().take(500).collect();
        s.push_str(&format!("; output: {tail}"));
    }
    s
}

#[derive(Debug, Serialize)]
struct ProbeSummary<'a> {
    name: &'a str,
    kind: &'a str,
    target: &'a str,
    health: Health,
    rounds: usize,
    failures: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p95_ms: Option<f64>,
    last: Option<&'a ProbeResult>,
}

/// The pure judgement.
pub fn evaluate(input: &HealthInput) -> Report {
    let mut report = Report::new("health");
    let n = input.probes.len();
    report.checked = n as u64;
    let mut all_latencies = Vec::new();
    let mut summaries = Vec::new();
    let mut counts = (0usize, 0usize, 0usize);
    let last_round = input.rounds.last();
    let ids = metric_ids(&input.probes);
    for (i, info) in input.probes.iter().enumerate() {
        let history: Vec<&ProbeResult> = input
            .rounds
            .iter()
            .filter_map(|r| r.results.get(i))
            .collect();
        let last = last_round.and_then(|r| r.results.get(i));
        let latencies: Vec<f64> = history
            .iter()
            .filter(|r| r.error.is_none())
            .map(|r| r.phases.total)
            .collect();
        all_latencies.extend(latencies.iter().copied());
        let failures = history.iter().filter(|r| !r.health.passing()).count();
        let pct = percentiles(&latencies);
        let key = info.name.clone();
        let what = format!("probe `{}` ({})", info.name, info.target);
        let mut health = last.map_or(Health::Failing, |r| r.health);

        match input.mode {
            Mode::Watch => {
                let longest = longest_failing_streak(&history);
                if input
                    .tripped
                    .as_ref()
                    .is_some_and(|t| t.probe == info.name || t.also.contains(&info.name))
                {
                    health = Health::Failing;
                    let reason = last.map(failure_reason).unwrap_or_default();
                    let at = input.tripped.as_ref().map_or(0.0, |t| t.at_ms);
                    let first = input.rounds.len().saturating_sub(longest);
                    let from = input.rounds.get(first).map_or(0.0, |r| r.at_ms);
                    report.findings.push(
                        Finding::new(
                            "circuit-open",
                            Severity::Error,
                            format!(
                                "{what} failed {longest} rounds in a row (from {:.1}s to {:.1}s into the watch; failure-threshold {}): {reason}",
                                from / 1000.0,
                                at / 1000.0,
                                input.failure_threshold,
                            ),
                        )
                        .with_key(key.clone()),
                    );
                } else if failures > 0 {
                    if health == Health::Failing {
                        // Failing at the end, below the threshold.
                        health = Health::Degraded;
                    }
                    health = health.max(Health::Degraded);
                    let reason = history
                        .iter()
                        .rev()
                        .find(|r| !r.health.passing())
                        .map(|r| failure_reason(r))
                        .unwrap_or_default();
                    report.findings.push(
                        Finding::new(
                            "flaky-probe",
                            Severity::Warning,
                            format!(
                                "{what} failed {failures} of {} rounds (at most {longest} in a row, below failure-threshold {}); last failure: {reason}",
                                history.len(),
                                input.failure_threshold
                            ),
                        )
                        .with_key(key.clone()),
                    );
                }
            }
            Mode::Wait => {
                let streak = input.streaks.get(i).copied().unwrap_or(0);
                if input.healthy_in_time == Some(false) && streak < input.success_threshold {
                    health = Health::Failing;
                    let reason = match last {
                        Some(r) if !r.health.passing() => failure_reason(r),
                        _ => format!("passing, but only {streak} round(s) in a row"),
                    };
                    report.findings.push(
                        Finding::new(
                            "not-healthy-in-time",
                            Severity::Error,
                            format!(
                                "{what} did not pass {} rounds in a row within {}: {reason} ({} rounds)",
                                input.success_threshold,
                                human_secs(input.timeout_ms / 1000.0),
                                history.len()
                            ),
                        )
                        .with_key(key.clone()),
                    );
                }
            }
            Mode::Once => {
                if let Some(r) = last
                    && r.health == Health::Failing
                {
                    report.findings.push(
                        Finding::new(
                            "probe-failing",
                            Severity::Error,
                            format!("{what} is failing: {}", failure_reason(r)),
                        )
                        .with_key(key.clone()),
                    );
                }
            }
        }
        // Degradation, from the last result (once, wait) or the window (watch).
        if let Some(r) = last
            && health != Health::Failing
        {
            for d in &r.degraded {
                let rule = if d.starts_with("certificate") {
                    "certificate-expiring"
                } else {
                    "latency-over-budget"
                };
                if input.mode == Mode::Watch && rule == "latency-over-budget" {
                    continue;
                }
                health = health.max(Health::Degraded);
                report.findings.push(
                    Finding::new(rule, Severity::Warning, format!("{what}: {d}"))
                        .with_key(key.clone()),
                );
            }
            if input.mode == Mode::Watch
                && let (Some(b), Some((_, p95))) = (info.latency_budget_ms, pct)
                && p95 > b
            {
                health = health.max(Health::Degraded);
                report.findings.push(
                    Finding::new(
                        "latency-over-budget",
                        Severity::Warning,
                        format!(
                            "{what}: p95 latency {} ms over the budget of {} ms",
                            gate_core::report::format_number(p95),
                            gate_core::report::format_number(b)
                        ),
                    )
                    .with_key(key.clone()),
                );
            }
        }
        report.findings.push(
            Finding::new(
                "probe-status",
                Severity::Note,
                status_line(info, health, last, history.len(), failures, pct),
            )
            .with_key(key.clone()),
        );
        match health {
            Health::Healthy => counts.0 += 1,
            Health::Degraded => counts.1 += 1,
            Health::Failing => counts.2 += 1,
        }

        // Metrics.
        let s = ids[i].clone();
        if input.mode == Mode::Once || history.len() <= 1 {
            if let Some(r) = last {
                let mut m = Metric::info(format!("{s}-latency"), r.phases.total, "ms");
                if let Some(b) = info.latency_budget_ms {
                    m = m.with_threshold(Threshold::new(Comparison::AtMost, b).warn_only());
                }
                report.metrics.push(m);
                for (phase, v) in [
                    ("dns", r.phases.dns),
                    ("connect", r.phases.connect),
                    ("tls", r.phases.tls),
                    ("ttfb", r.phases.ttfb),
                ] {
                    if let Some(v) = v {
                        report
                            .metrics
                            .push(Metric::info(format!("{s}-{phase}"), v, "ms"));
                    }
                }
            }
        } else if let Some((p50, p95)) = pct {
            report
                .metrics
                .push(Metric::info(format!("{s}-p50"), p50, "ms"));
            let mut m = Metric::info(format!("{s}-p95"), p95, "ms");
            if let Some(b) = info.latency_budget_ms {
                m = m.with_threshold(Threshold::new(Comparison::AtMost, b).warn_only());
            }
            report.metrics.push(m);
        }
        summaries.push((info, health, history.len(), failures, pct, last));
    }

    if let Some((p50, p95)) = percentiles(&all_latencies) {
        report.metrics.push(Metric::info("p50-ms", p50, "ms"));
        report.metrics.push(Metric::info("p95-ms", p95, "ms"));
    }
    report
        .metrics
        .push(Metric::info("probes-healthy", counts.0 as f64, "count"));
    report
        .metrics
        .push(Metric::info("probes-degraded", counts.1 as f64, "count"));
    report
        .metrics
        .push(Metric::info("probes-failing", counts.2 as f64, "count"));
    for note in input.target_note.iter().chain(&input.notes) {
        report
            .findings
            .push(Finding::new("probe-note", Severity::Note, note.clone()));
    }
    for w in &input.warnings {
        report
            .findings
            .push(Finding::new("probe-note", Severity::Warning, w.clone()));
    }

    // Watch: latency over time.
    if input.mode == Mode::Watch && input.rounds.len() > 1 {
        report.charts.push(latency_chart(input));
    }

    let mode = match input.mode {
        Mode::Once => String::new(),
        Mode::Wait => format!(
            " after {} round(s) in {}",
            input.rounds.len(),
            human_secs(input.elapsed_ms / 1000.0)
        ),
        Mode::Watch => format!(
            " over {} round(s) in {}{}",
            input.rounds.len(),
            human_secs(input.elapsed_ms / 1000.0),
            match &input.tripped {
                Some(t) => format!(", tripped by `{}`", t.probe),
                None => String::new(),
            }
        ),
    };
    report.summary = format!(
        "{n} probe(s): {} healthy, {} degraded, {} failing{mode}",
        counts.0, counts.1, counts.2
    );
    let probes: Vec<ProbeSummary<'_>> = summaries
        .iter()
        .map(|(info, health, rounds, failures, pct, last)| ProbeSummary {
            name: &info.name,
            kind: info.kind,
            target: &info.target,
            health: *health,
            rounds: *rounds,
            failures: *failures,
            p50_ms: pct.map(|p| p.0),
            p95_ms: pct.map(|p| p.1),
            last: *last,
        })
        .collect();
    report.details = serde_json::json!({
        "mode": input.mode,
        "rounds": input.rounds.len(),
        "elapsed_ms": input.elapsed_ms,
        "success_threshold": input.success_threshold,
        "failure_threshold": input.failure_threshold,
        "tripped": input.tripped,
        "probes": probes,
    });
    report.finish()
}

fn latency_chart(input: &HealthInput) -> Chart {
    const MAX_POINTS: usize = 60;
    const MAX_SERIES: usize = 8;
    let rounds = &input.rounds;
    let per = rounds.len().div_ceil(MAX_POINTS).max(1);
    let buckets: Vec<&[Round]> = rounds.chunks(per).collect();
    let x = buckets
        .iter()
        .map(|b| format!("{:.0}s", b.first().map_or(0.0, |r| r.at_ms) / 1000.0))
        .collect();
    let series = input
        .probes
        .iter()
        .enumerate()
        .take(MAX_SERIES)
        .map(|(i, p)| Series {
            name: p.name.clone(),
            kind: SeriesKind::Line,
            // Worst latency of each bucket; a failed attempt counts as 0.
            values: buckets
                .iter()
                .map(|b| {
                    b.iter()
                        .filter_map(|r| r.results.get(i))
                        .filter(|r| r.error.is_none())
                        .map(|r| r.phases.total)
                        .fold(0.0, f64::max)
                })
                .collect(),
        })
        .collect();
    Chart {
        y_max: None,
        title: "Probe latency while watching".into(),
        x_label: "time".into(),
        y_label: "ms".into(),
        x,
        series,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::modes::Trip;
    use crate::probe::Phases;
    use gate_core::Verdict;

    fn result(name: &str, health: Health, total: f64) -> ProbeResult {
        ProbeResult {
            name: name.into(),
            kind: "http",
            target: format!("GET http://x/{name}"),
            health,
            error: (health == Health::Failing).then(|| "connect: refused".to_string()),
            conditions: Vec::new(),
            degraded: Vec::new(),
            phases: Phases {
                total,
                ..Phases::default()
            },
            status: None,
            http_version: None,
            ip: None,
            redirects: 0,
            certificate_expires_in_s: None,
            output: None,
        }
    }

    fn input(mode: Mode, names: &[&str], rounds: Vec<Vec<ProbeResult>>) -> HealthInput {
        HealthInput {
            mode,
            probes: names
                .iter()
                .map(|n| ProbeInfo {
                    name: n.to_string(),
                    kind: "http",
                    target: format!("GET http://x/{n}"),
                    latency_budget_ms: Some(50.0),
                })
                .collect(),
            rounds: rounds
                .into_iter()
                .enumerate()
                .map(|(i, results)| Round {
                    at_ms: i as f64 * 1000.0,
                    results,
                })
                .collect(),
            success_threshold: 2,
            failure_threshold: 3,
            healthy_in_time: None,
            streaks: Vec::new(),
            timeout_ms: 10_000.0,
            tripped: None,
            watch_ms: 10_000.0,
            interval_ms: 1000.0,
            elapsed_ms: 0.0,
            target_note: None,
            notes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn rules(r: &Report) -> Vec<(&str, Severity)> {
        r.findings
            .iter()
            .filter(|f| f.severity != Severity::Note)
            .map(|f| (f.rule.as_str(), f.severity))
            .collect()
    }

    #[test]
    fn once_failing_probe_fails_the_gate_and_outputs_name_it() {
        let i = input(
            Mode::Once,
            &["a", "b"],
            vec![vec![
                result("a", Health::Healthy, 10.0),
                result("b", Health::Failing, 3.0),
            ]],
        );
        let r = evaluate(&i);
        assert_eq!(r.verdict, Verdict::Fail);
        assert_eq!(rules(&r), vec![("probe-failing", Severity::Error)]);
        assert_eq!(r.metric("probes-failing").unwrap().value, 1.0);
        // Failed attempts (errors) do not count in the latency percentiles
        // (HDR histogram: 3 significant digits).
        let p95 = r.metric("p95-ms").unwrap().value;
        assert!((p95 - 10.0).abs() <= 0.01, "{p95}");
        let out = HealthGate::outputs(&r);
        assert_eq!(out[0], ("healthy".into(), "false".into()));
        assert_eq!(out[1], ("failing".into(), "b".into()));
        assert_eq!(out[2].0, "p95-ms");
        assert_eq!(out[2].1, gate_core::report::format_number(p95));
        assert_eq!(r.checked, 2);
    }

    #[test]
    fn watch_trip_flaky_and_p95_budget() {
        let h = |n, t| result(n, Health::Healthy, t);
        let f = |n| result(n, Health::Failing, 0.0);
        let mut i = input(
            Mode::Watch,
            &["a", "b", "c"],
            vec![
                vec![h("a", 5.0), h("b", 5.0), h("c", 80.0)],
                vec![f("a"), f("b"), h("c", 90.0)],
                vec![f("a"), h("b", 5.0), h("c", 70.0)],
                vec![f("a"), h("b", 5.0), h("c", 85.0)],
            ],
        );
        i.tripped = Some(Trip {
            probe: "a".into(),
            at_ms: 3000.0,
            first_failure_ms: 1000.0,
            also: Vec::new(),
        });
        let r = evaluate(&i);
        assert_eq!(r.verdict, Verdict::Fail);
        let mut got = rules(&r);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("circuit-open", Severity::Error),
                ("flaky-probe", Severity::Warning),
                ("latency-over-budget", Severity::Warning),
            ]
        );
        let open = r
            .findings
            .iter()
            .find(|f| f.rule == "circuit-open")
            .unwrap();
        assert!(
            open.message
                .contains("failed 3 rounds in a row (from 1.0s to 3.0s"),
            "{}",
            open.message
        );
        let flaky = r.findings.iter().find(|f| f.rule == "flaky-probe").unwrap();
        assert!(
            flaky
                .message
                .contains("failed 1 of 4 rounds (at most 1 in a row"),
            "{}",
            flaky.message
        );
        assert_eq!(r.metric("c-p95").unwrap().verdict, Verdict::Warn);
        assert_eq!(r.charts.len(), 1);
        assert_eq!(r.charts[0].series[2].values, vec![80.0, 90.0, 70.0, 85.0]);
        assert_eq!(r.metric("probes-degraded").unwrap().value, 2.0);
    }

    #[test]
    fn wait_timeout_names_probes_short_of_the_streak() {
        let mut i = input(
            Mode::Wait,
            &["a", "b"],
            vec![
                vec![
                    result("a", Health::Healthy, 1.0),
                    result("b", Health::Failing, 0.0),
                ],
                vec![
                    result("a", Health::Healthy, 1.0),
                    result("b", Health::Healthy, 1.0),
                ],
            ],
        );
        i.healthy_in_time = Some(false);
        i.streaks = vec![2, 1];
        let r = evaluate(&i);
        assert_eq!(rules(&r), vec![("not-healthy-in-time", Severity::Error)]);
        assert!(
            r.findings[0]
                .message
                .contains("passing, but only 1 round(s) in a row")
        );
        assert_eq!(r.metric("probes-healthy").unwrap().value, 1.0);
    }

    #[test]
    fn degraded_probe_warns() {
        let mut a = result("a", Health::Degraded, 1.0);
        a.degraded = vec!["certificate expires in 2d 0h (warning below 14d 0h)".into()];
        a.certificate_expires_in_s = Some(172_800.0);
        let r = evaluate(&input(Mode::Once, &["a"], vec![vec![a]]));
        assert_eq!(r.verdict, Verdict::Warn);
        assert_eq!(rules(&r), vec![("certificate-expiring", Severity::Warning)]);
        let status = r
            .findings
            .iter()
            .find(|f| f.rule == "probe-status")
            .unwrap();
        assert!(
            status.message.contains("certificate expires in 2d 0h"),
            "{}",
            status.message
        );
    }

    #[test]
    fn rejoin_glues_comma_split_pieces() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            rejoin(&v(&["[STATUS] == any(200", "201)", "[BODY] == x"]), |p| !p
                .contains('[')),
            v(&["[STATUS] == any(200, 201)", "[BODY] == x"])
        );
        assert_eq!(
            rejoin(&v(&["Accept: a/b", "c/d", "X-Y: z"]), |p| !p.contains(':')),
            v(&["Accept: a/b, c/d", "X-Y: z"])
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("127.0.0.1:8080/healthz"), "127-0-0-1-8080-healthz");
        assert_eq!(slug("core/API"), "core-api");
        assert_eq!(slug("///"), "probe");
    }
}
