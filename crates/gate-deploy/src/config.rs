//! The `deploy` (and `rollback`) section of `gates.yml`, and the flags.

use std::time::Duration;

use gate_core::GateError;
use gate_core::types::{Duration as Dur, Header, HttpUrl, Percent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which traffic switch moves traffic between the slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SwitchKind {
    /// HAProxy runtime API over the stats socket (`set server BACKEND/SERVER state ...`). Recommended.
    Haproxy,
    /// nginx: rewrite an upstream include file atomically, `nginx -t`, `nginx -s reload`, wait for the old workers.
    Nginx,
    /// Caddy admin API: replace the upstreams of a reverse_proxy handler.
    Caddy,
    /// A symlink renamed atomically over the old one (static sites, release directories).
    Symlink,
    /// Your own command (Traefik file provider, Kubernetes selector, ...), with `GATES_SLOT` and `GATES_ADDRESS`.
    Command,
}

impl SwitchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SwitchKind::Haproxy => "haproxy",
            SwitchKind::Nginx => "nginx",
            SwitchKind::Caddy => "caddy",
            SwitchKind::Symlink => "symlink",
            SwitchKind::Command => "command",
        }
    }
}

/// One of the two slots of an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Slot {
    Blue,
    Green,
}

impl Slot {
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Blue => "blue",
            Slot::Green => "green",
        }
    }

    pub fn other(self) -> Slot {
        match self {
            Slot::Blue => Slot::Green,
            Slot::Green => Slot::Blue,
        }
    }

    pub fn parse(s: &str) -> Option<Slot> {
        match s {
            "blue" => Some(Slot::Blue),
            "green" => Some(Slot::Green),
            _ => None,
        }
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the post-switch circuit breaker decides to trip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BreakerKind {
    /// `breaker-trip-after` consecutive failed probe rounds trip it.
    #[default]
    Consecutive,
    /// More than `error-rate` percent failed probes among the last `error-window` (at least `error-min-samples` of them) trip it.
    ErrorRate,
}

impl BreakerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerKind::Consecutive => "consecutive",
            BreakerKind::ErrorRate => "error-rate",
        }
    }
}

/// The optional pre-switch load smoke (gate-load's engine): an open-model
/// load at `rate` requests/s for `duration` against the new slot, before
/// any traffic moves. Over a threshold: no switch, exit 1.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SmokeConfig {
    /// Path requested on the new slot (joined to the origin of its health URL).
    pub path: String,
    /// Requests per second (open model: latency from the intended send time).
    #[schemars(range(min = 0.1, max = 100000.0))]
    pub rate: f64,
    /// How long the smoke runs, such as `5s` (at most `1h`).
    pub duration: Dur,
    /// Most connections in flight.
    #[schemars(range(min = 1, max = 10000))]
    pub connections: u32,
    /// How long one request may take, such as `2s` (a slower one is a `timeout` error).
    pub timeout: Dur,
    /// Highest failed-request rate in percent (errors of any class, plus arrivals dropped for want of a connection).
    pub max_error_rate: Percent,
    /// Highest p99 latency, such as `250ms`; unset: not checked.
    pub max_p99: Option<Dur>,
}

impl Default for SmokeConfig {
    fn default() -> Self {
        SmokeConfig {
            path: "/".into(),
            rate: 20.0,
            duration: Dur::from_secs(5),
            connections: 16,
            timeout: Dur::from_secs(2),
            max_error_rate: Percent(1.0),
            max_p99: None,
        }
    }
}

/// The optional canary (HAProxy only): instead of one blue-green switch,
/// the new slot gets a growing share of the requests through the servers'
/// weights, and the circuit breaker judges each step for `step-time` before
/// the next one. A trip at any step puts all traffic back on the old slot.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct CanaryConfig {
    /// Percent of the requests the new slot takes at each step, increasing, ending at 100.
    pub steps: Vec<u8>,
    /// How long each step below 100 % is watched, such as `30s` (the last step is the `watch` window).
    pub step_time: Dur,
}

impl Default for CanaryConfig {
    fn default() -> Self {
        CanaryConfig {
            steps: vec![5, 25, 50, 100],
            step_time: Dur::from_secs(30),
        }
    }
}

impl CanaryConfig {
    /// What is wrong with the steps, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.steps.last() != Some(&100) {
            return Some("the last step must be 100 (all traffic on the new slot)".into());
        }
        if self.steps.iter().any(|s| *s == 0 || *s > 100) {
            return Some("each step is a percentage from 1 to 100".into());
        }
        if self.steps.windows(2).any(|w| w[0] >= w[1]) {
            return Some("the steps must increase, e.g. [5, 25, 50, 100]".into());
        }
        None
    }
}

/// The `deploy` section of `gates.yml` (`gate-rollback` reads the same keys
/// from its `rollback` section).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct DeployConfig {
    /// Environment name: the ledger key (a GitHub environment in Actions).
    pub environment: String,
    /// Version being deployed, recorded in the ledger and passed to the start hook as `GATES_VERSION` (default: the commit SHA). Letters, digits and `._:+/@-`, at most 64.
    pub release: Option<String>,
    /// Digest of the artifact being deployed (`sha256:...`), recorded in the ledger.
    pub artifact_digest: Option<String>,
    /// Traffic switch: `haproxy`, `nginx`, `caddy`, `symlink` or `command`.
    pub switch: Option<SwitchKind>,
    /// Address (`host:port`) the blue slot listens on; its port is passed to the start hook as `GATES_PORT`.
    pub blue_address: Option<String>,
    /// Address (`host:port`) the green slot listens on.
    pub green_address: Option<String>,
    /// Health URL of the blue slot (default `http://<blue-address><health-path>`).
    pub blue_health_url: Option<HttpUrl>,
    /// Health URL of the green slot (default `http://<green-address><health-path>`).
    pub green_health_url: Option<HttpUrl>,
    /// Path probed on each slot when no health URL is given.
    pub health_path: String,
    /// Public URL (through the proxy) probed too after a switch; optional.
    pub public_url: Option<HttpUrl>,
    /// Conditions every health probe must meet, gatus style (gate-health's): `[STATUS] == 200`, `[BODY].status == UP`, `[RESPONSE_TIME] < 300`, `[HEADER].content-type == application/json`. Default `[STATUS] == 2xx` (redirects are followed).
    #[schemars(extend("x-gates-separator" = "newline"))]
    pub conditions: Vec<String>,
    /// Request headers of the health probes, `Name: value`; `${VAR}` reads an environment variable, masked in every output.
    #[schemars(extend("x-gates-separator" = "newline"))]
    pub headers: Vec<Header>,
    /// Over this latency a passing probe is `degraded` (noted, still passing), such as `300ms`; for a hard limit use the condition `[RESPONSE_TIME] < 300`.
    pub latency_budget: Option<Dur>,
    /// Accept any TLS certificate on `https://` health URLs (self-signed slots); the signature is still checked.
    pub insecure: bool,
    /// Extra CA certificates (a PEM file) trusted for `https://` health URLs besides the Mozilla roots.
    pub ca_file: Option<String>,
    /// Command that starts a slot (run with `sh -c`; env `GATES_SLOT`, `GATES_VERSION`, `GATES_PORT`, `GATES_ADDRESS`, `GATES_ENVIRONMENT`). Must return once the slot is started (e.g. `docker compose -p app-$GATES_SLOT up -d`).
    pub start: Option<String>,
    /// Command that stops a slot (same environment as `start`); run on the old slot after a successful deploy and `keep-old`.
    pub stop: Option<String>,
    /// Extra check run every interval during the watch window (`sh -c`); a non-zero exit counts as a failed probe.
    pub check_command: Option<String>,
    /// Time between probes (pre-switch wait and post-switch watch), such as `1s`.
    pub interval: Dur,
    /// `breaker: consecutive`: this many failed probe rounds in a row trip the circuit breaker (and roll back). Default 3.
    #[schemars(range(min = 1, max = 1000), extend("default" = DEFAULT_TRIP_AFTER))]
    pub breaker_trip_after: Option<u32>,
    /// Deprecated name of `breaker-trip-after` (still read; `breaker-trip-after` wins when both are set).
    #[schemars(range(min = 1, max = 1000), extend("deprecated" = true))]
    pub threshold: Option<u32>,
    /// Circuit breaker of the watch: `consecutive` (`breaker-trip-after` failed rounds in a row) or `error-rate` (a sliding window of probe results).
    pub breaker: BreakerKind,
    /// `breaker: error-rate`: trip when more than this percentage of the window's probe results failed (default 25: a slot failing every second, or every third, probe trips it).
    pub error_rate: Percent,
    /// `breaker: error-rate`: how many of the latest probe results the window holds.
    #[schemars(range(min = 1, max = 100000))]
    pub error_window: u32,
    /// `breaker: error-rate`: results needed in the window before it can trip.
    #[schemars(range(min = 1, max = 100000))]
    pub error_min_samples: u32,
    /// How long the new slot is watched after the switch, such as `30s`.
    pub watch: Dur,
    /// How long to wait for the new slot to become healthy before the switch, such as `60s`.
    pub wait_timeout: Dur,
    /// Longest pause between failing probe rounds while waiting for a slot, such as `10s`: the pause starts at `interval` and doubles up to this (gate-health's `--wait` backoff). Default: `interval` (no backoff).
    pub max_backoff: Option<Dur>,
    /// Pre-switch load smoke against the new slot (gate-load); skipped when absent. Set in gates.yml.
    // Declared as the mapping itself, not `anyOf [mapping, null]`: a bad
    // value inside it is then reported at its own key (`smoke.duration`).
    #[schemars(with = "SmokeConfig")]
    pub smoke: Option<SmokeConfig>,
    /// Canary steps on HAProxy weights instead of one switch (`switch: haproxy` only); absent: blue-green. Set in gates.yml.
    #[schemars(with = "CanaryConfig")]
    pub canary: Option<CanaryConfig>,
    /// Consecutive passing probes that make a slot healthy (before the switch and when verifying).
    #[schemars(range(min = 1, max = 1000))]
    pub healthy_successes: u32,
    /// How long one probe may take, such as `2s`.
    pub probe_timeout: Dur,
    /// How long the old slot stays warm after a successful deploy before the `stop` hook runs, such as `5m` (default `30s`, as Argo Rollouts' `scaleDownDelaySeconds`: a `gate-rollback` within it switches back without a restart; `0s` stops it at once).
    pub keep_old: Dur,
    /// How long a hook (`start`, `stop`, `switch-command`, `check-command`) may run, such as `2m`.
    pub hook_timeout: Dur,
    /// With the GitHub ledger: an `in_progress` deployment younger than this (such as `1h`) is a running deploy (the lock); older ones are treated as interrupted.
    pub lock_timeout: Dur,
    /// HAProxy: path of the stats socket (`stats socket PATH level admin` in haproxy.cfg).
    pub haproxy_socket: Option<String>,
    /// HAProxy: the backend holding both slots' servers.
    pub haproxy_backend: String,
    /// HAProxy: server name of the blue slot in the backend.
    pub haproxy_blue_server: String,
    /// HAProxy: server name of the green slot in the backend.
    pub haproxy_green_server: String,
    /// nginx: the include file holding the upstream's `server` line (rewritten atomically).
    pub nginx_include: Option<String>,
    /// nginx: main configuration file (`nginx -c`); default nginx's own.
    pub nginx_conf: Option<String>,
    /// nginx: prefix directory (`nginx -p`); default nginx's own.
    pub nginx_prefix: Option<String>,
    /// nginx: the nginx binary.
    pub nginx_bin: String,
    /// nginx: the master's pid file (default `<prefix>/logs/nginx.pid` with a prefix, else `/run/nginx.pid`).
    pub nginx_pid_file: Option<String>,
    /// nginx: extra text after the address in the generated `server` line (such as `max_fails=0`).
    pub nginx_server_params: String,
    /// nginx: how long to wait for the pre-reload workers to exit, such as `30s`.
    pub nginx_drain_timeout: Dur,
    /// Caddy: admin API origin.
    pub caddy_admin: HttpUrl,
    /// Caddy: config path of the reverse_proxy handler's `upstreams` array.
    pub caddy_upstreams_path: String,
    /// Symlink: the link that traffic follows (replaced atomically).
    pub symlink: Option<String>,
    /// Symlink: what the link points to for the blue slot (e.g. `releases/blue`).
    pub blue_target: Option<String>,
    /// Symlink: what the link points to for the green slot.
    pub green_target: Option<String>,
    /// Command switch: moves traffic to `GATES_SLOT` (`GATES_ADDRESS`); must exit 0 only once traffic is switched.
    pub switch_command: Option<String>,
    /// Command switch: validates the switch before it is applied (exit 0 = valid); optional.
    pub switch_validate: Option<String>,
}

impl Default for DeployConfig {
    fn default() -> Self {
        DeployConfig {
            environment: "production".into(),
            release: None,
            artifact_digest: None,
            switch: None,
            blue_address: None,
            green_address: None,
            blue_health_url: None,
            green_health_url: None,
            health_path: "/healthz".into(),
            public_url: None,
            conditions: Vec::new(),
            headers: Vec::new(),
            latency_budget: None,
            insecure: false,
            ca_file: None,
            start: None,
            stop: None,
            check_command: None,
            interval: Dur::from_secs(1),
            breaker_trip_after: None,
            threshold: None,
            breaker: BreakerKind::Consecutive,
            error_rate: Percent(DEFAULT_ERROR_RATE),
            error_window: 20,
            error_min_samples: 10,
            watch: Dur::from_secs(30),
            wait_timeout: Dur::from_secs(60),
            max_backoff: None,
            smoke: None,
            canary: None,
            healthy_successes: 2,
            probe_timeout: Dur::from_secs(2),
            keep_old: Dur::from_secs(DEFAULT_KEEP_OLD_SECS),
            hook_timeout: Dur::from_secs(120),
            lock_timeout: Dur::from_secs(3600),
            haproxy_socket: None,
            haproxy_backend: "app".into(),
            haproxy_blue_server: "blue".into(),
            haproxy_green_server: "green".into(),
            nginx_include: None,
            nginx_conf: None,
            nginx_prefix: None,
            nginx_bin: "nginx".into(),
            nginx_pid_file: None,
            nginx_server_params: String::new(),
            nginx_drain_timeout: Dur::from_secs(30),
            // A literal that parses (HttpUrl has no infallible constructor).
            caddy_admin: DEFAULT_CADDY_ADMIN
                .parse()
                .unwrap_or_else(|e: String| unreachable!("{e}")),
            caddy_upstreams_path: "/config/apps/http/servers/srv0/routes/0/handle/0/upstreams"
                .into(),
            symlink: None,
            blue_target: None,
            green_target: None,
            switch_command: None,
            switch_validate: None,
        }
    }
}

/// Caddy's admin API origin unless `caddy-admin` says otherwise.
pub const DEFAULT_CADDY_ADMIN: &str = "http://127.0.0.1:2019";

/// Failed probe rounds in a row that trip the `consecutive` breaker by default.
pub const DEFAULT_TRIP_AFTER: u32 = 3;

/// Default `keep-old`: the old slot stays warm 30 s after a successful
/// deploy, as Argo Rollouts' `scaleDownDelaySeconds`. A warm old slot is what
/// makes going back instant (a switch, no start): within it, `gate-rollback`
/// does not restart anything. Longer holds the job; `0s` stops at once.
pub const DEFAULT_KEEP_OLD_SECS: u64 = 30;

/// Default `error-rate` of the `error-rate` breaker, in percent. Strictly
/// below 50 so that the documented flapping case (every second probe
/// failing: 50 %) trips it, with room for a window that is not perfectly
/// alternating; a single stray failure among `error-min-samples` (10 %)
/// does not.
pub const DEFAULT_ERROR_RATE: f64 = 25.0;

/// What the deploy writes for a slot whose release it does not know (the
/// proxy said which slot takes traffic, the ledger had no record of it).
/// Reserved: never a release name, never a rollback target.
pub const UNKNOWN_RELEASE: &str = "unknown";

impl DeployConfig {
    /// Failed probe rounds in a row that trip the `consecutive` breaker:
    /// `breaker-trip-after`, else the deprecated `threshold`, else 3.
    pub fn trip_after(&self) -> u32 {
        self.breaker_trip_after
            .or(self.threshold)
            .unwrap_or(DEFAULT_TRIP_AFTER)
            .max(1)
    }

    /// Deprecated keys in use, one sentence each (printed as warnings; they
    /// do not change the verdict).
    pub fn deprecations(&self, section: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = self.threshold {
            out.push(match self.breaker_trip_after {
                Some(n) if n != t => format!(
                    "{section}.threshold ({t}) is deprecated and ignored: {section}.breaker-trip-after ({n}) is set too"
                ),
                _ => format!(
                    "{section}.threshold is deprecated: write `breaker-trip-after: {t}` (GATES_{}_BREAKER_TRIP_AFTER, flag --breaker-trip-after or --trip-after), the consecutive failed probe rounds that trip the circuit breaker",
                    section.to_ascii_uppercase()
                ),
            });
        }
        out
    }

    pub fn interval(&self) -> Duration {
        self.interval.get()
    }
    pub fn watch(&self) -> Duration {
        self.watch.get()
    }
    pub fn wait_timeout(&self) -> Duration {
        self.wait_timeout.get()
    }
    /// Longest pause between failing rounds while waiting (at least `interval`).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
            .map(|d| d.get())
            .unwrap_or_default()
            .max(self.interval())
    }
    pub fn probe_timeout(&self) -> Duration {
        self.probe_timeout.get()
    }
    pub fn keep_old(&self) -> Duration {
        self.keep_old.get()
    }
    pub fn hook_timeout(&self) -> Duration {
        self.hook_timeout.get()
    }
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout.get()
    }
    pub fn nginx_drain_timeout(&self) -> Duration {
        self.nginx_drain_timeout.get()
    }

    pub fn address(&self, slot: Slot) -> Option<&str> {
        match slot {
            Slot::Blue => self.blue_address.as_deref(),
            Slot::Green => self.green_address.as_deref(),
        }
    }

    /// The port of a slot's address, for `GATES_PORT`.
    pub fn port(&self, slot: Slot) -> Option<u16> {
        self.address(slot)?.rsplit_once(':')?.1.parse().ok()
    }

    /// The slot's health URL.
    pub fn health_url(&self, slot: Slot) -> Option<String> {
        let explicit = match slot {
            Slot::Blue => self.blue_health_url.as_ref().map(HttpUrl::as_str),
            Slot::Green => self.green_health_url.as_ref().map(HttpUrl::as_str),
        };
        if let Some(u) = explicit {
            return Some(u.to_string());
        }
        let addr = self.address(slot)?;
        let path = if self.health_path.starts_with('/') {
            self.health_path.clone()
        } else {
            format!("/{}", self.health_path)
        };
        Some(format!("http://{addr}{path}"))
    }

    pub fn haproxy_server(&self, slot: Slot) -> &str {
        match slot {
            Slot::Blue => &self.haproxy_blue_server,
            Slot::Green => &self.haproxy_green_server,
        }
    }

    pub fn target(&self, slot: Slot) -> Option<&str> {
        match slot {
            Slot::Blue => self.blue_target.as_deref(),
            Slot::Green => self.green_target.as_deref(),
        }
    }

    /// Checks what the schema cannot: keys that go together, formats.
    /// All problems at once, each naming its key and the fix.
    pub fn validate(&self, section: &str) -> Result<SwitchKind, GateError> {
        let mut problems = Vec::new();
        let key = |k: &str| format!("{section}.{k}");
        self.name_problems(&key, &mut problems);
        self.value_problems(&key, &mut problems);
        let Some(kind) = self.switch else {
            problems.push(format!(
                "{}: missing; set one of haproxy, nginx, caddy, symlink, command",
                key("switch")
            ));
            return Err(GateError::Config(problems));
        };
        self.switch_problems(kind, &key, &mut problems);
        if let Some(c) = &self.canary {
            if let Some(p) = c.problem() {
                problems.push(format!("{}: {p}", key("canary.steps")));
            }
            if kind != SwitchKind::Haproxy {
                problems.push(format!(
                    "{}: needs `switch: haproxy` (weights on the runtime API); {} switches traffic as a whole",
                    key("canary"),
                    kind.as_str()
                ));
            }
        }
        if problems.is_empty() {
            Ok(kind)
        } else {
            Err(GateError::Config(problems))
        }
    }

    /// The environment and release names.
    fn name_problems(&self, key: &dyn Fn(&str) -> String, problems: &mut Vec<String>) {
        if !valid_token(&self.environment) {
            problems.push(format!(
                "{}: `{}` is not a usable environment name (letters, digits and `._:+/@-`, 1 to 64 characters)",
                key("environment"),
                self.environment
            ));
        }
        if let Some(r) = &self.release {
            if !valid_token(r) {
                problems.push(format!(
                    "{}: `{r}` is not a usable release name (letters, digits and `._:+/@-`, 1 to 64 characters, no spaces)",
                    key("release")
                ));
            } else if r == UNKNOWN_RELEASE {
                problems.push(format!(
                    "{}: `{UNKNOWN_RELEASE}` is reserved (the ledger's word for a slot whose release is not known); name the release after its version or commit",
                    key("release")
                ));
            }
        }
    }

    /// Addresses, URLs, the breaker's window and the smoke's path.
    fn value_problems(&self, key: &dyn Fn(&str) -> String, problems: &mut Vec<String>) {
        for (k, v) in [
            ("blue-address", &self.blue_address),
            ("green-address", &self.green_address),
        ] {
            if let Some(a) = v
                && !a
                    .rsplit_once(':')
                    .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
            {
                problems.push(format!(
                    "{}: `{a}` is not host:port, e.g. 127.0.0.1:8081",
                    key(k)
                ));
            }
        }
        self.duration_problems(key, problems);
        if self.breaker == BreakerKind::ErrorRate && self.error_min_samples > self.error_window {
            problems.push(format!(
                "{}: {} is more than error-window ({}): the breaker could never trip; lower it or widen the window",
                key("error-min-samples"),
                self.error_min_samples,
                self.error_window
            ));
        }
        if let Some(sm) = &self.smoke
            && !sm.path.starts_with('/')
        {
            problems.push(format!(
                "{}: `{}` is not a path; write it with a leading `/`",
                key("smoke.path"),
                sm.path
            ));
        }
    }

    /// The ranges the duration keys had as numbers of seconds (a schema
    /// pattern cannot bound a duration).
    fn duration_problems(&self, key: &dyn Fn(&str) -> String, problems: &mut Vec<String>) {
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        let day = s(86_400);
        let mut within = |k: &str, d: Duration, lo: Duration, hi: Duration| {
            if d < lo || d > hi {
                problems.push(format!(
                    "{}: {} is out of range: write a duration from {} to {}",
                    key(k),
                    Dur(d),
                    Dur(lo),
                    Dur(hi)
                ));
            }
        };
        within("interval", self.interval(), ms(50), s(300));
        within("watch", self.watch(), Duration::ZERO, day);
        within("wait-timeout", self.wait_timeout(), Duration::ZERO, day);
        if let Some(b) = self.max_backoff {
            within("max-backoff", b.get(), ms(50), s(300));
        }
        within("probe-timeout", self.probe_timeout(), ms(50), s(300));
        within("keep-old", self.keep_old(), Duration::ZERO, day);
        within("hook-timeout", self.hook_timeout(), s(1), day);
        within("lock-timeout", self.lock_timeout(), s(60), s(315_360_000));
        within("nginx-drain-timeout", self.nginx_drain_timeout(), s(1), day);
        if let Some(c) = &self.canary {
            within("canary.step-time", c.step_time.get(), ms(100), day);
        }
        if let Some(sm) = &self.smoke {
            within("smoke.duration", sm.duration.get(), ms(100), s(3600));
            within("smoke.timeout", sm.timeout.get(), ms(50), s(300));
        }
    }

    /// The keys the switch kind needs.
    fn switch_problems(
        &self,
        kind: SwitchKind,
        key: &dyn Fn(&str) -> String,
        problems: &mut Vec<String>,
    ) {
        let mut need = |name: &str, present: bool| {
            if !present {
                problems.push(format!(
                    "{}: required with `switch: {}`",
                    key(name),
                    kind.as_str()
                ));
            }
        };
        match kind {
            SwitchKind::Haproxy => {
                need("haproxy-socket", self.haproxy_socket.is_some());
                need("blue-address", self.health_url(Slot::Blue).is_some());
                need("green-address", self.health_url(Slot::Green).is_some());
            }
            SwitchKind::Nginx => {
                need("nginx-include", self.nginx_include.is_some());
                need("blue-address", self.blue_address.is_some());
                need("green-address", self.green_address.is_some());
            }
            SwitchKind::Caddy => {
                need("blue-address", self.blue_address.is_some());
                need("green-address", self.green_address.is_some());
            }
            SwitchKind::Symlink => {
                need("symlink", self.symlink.is_some());
                need("blue-target", self.blue_target.is_some());
                need("green-target", self.green_target.is_some());
            }
            SwitchKind::Command => {
                need("switch-command", self.switch_command.is_some());
            }
        }
    }
}

/// Names stored in ledger descriptions: no spaces, no `=`.
pub fn valid_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:+/@-".contains(&b))
}

/// Flags of gate-deploy that are not generated from [`DeployConfig`]'s
/// schema (every other key has its generated flag): the subcommand,
/// `--dry-run`, and two keys whose published flags the generator cannot
/// spell: `--environment` is global (`gate-deploy status --environment
/// staging`), and `--breaker-trip-after` has the visible alias
/// `--trip-after` and the deprecated `--threshold`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    #[command(subcommand)]
    pub command: Option<DeployCommand>,
    /// Environment to deploy to
    #[arg(long, value_name = "NAME", global = true)]
    pub environment: Option<String>,
    /// Consecutive failed probe rounds that trip the circuit breaker (breaker: consecutive); --threshold is its deprecated name
    #[arg(
        long = "breaker-trip-after",
        id = "breaker_trip_after",
        visible_alias = "trip-after",
        alias = "threshold",
        value_name = "N"
    )]
    pub breaker_trip_after: Option<String>,
    /// Print the plan (slot, hooks and their environment, switch, probes) and change nothing: no hook, no switch, no ledger write
    #[arg(long = "dry-run", id = "dry_run", visible_alias = "plan")]
    pub dry_run: bool,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum DeployCommand {
    /// Show which slot is live, what runs where, and every transition
    Status {
        /// How many deployments to list
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}
