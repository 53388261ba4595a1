//! Traffic switches. Each one validates before applying and restores the
//! previous configuration when applying fails: the proxy is never left
//! without a valid configuration.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gate_core::GateError;
use gate_core::ledger::local::atomic_write;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{DeployConfig, Slot, SwitchKind};
use crate::hooks::run_hook;

/// `srv_admin_state` flags meaning "takes no new traffic": forced,
/// inherited or resolution maintenance (`SRV_ADMF_MAINT` = 0x23) and drain
/// (`SRV_ADMF_DRAIN` = 0x18). 0x04 (disabled in the configuration) stays set
/// after `set server ... state ready` and does not count.
const HAPROXY_NOT_READY: u32 = 0x23 | 0x18;

/// How long one admin exchange (socket command, admin API call) may take.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What a switch did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SwitchDone {
    pub to: Slot,
    pub took_ms: f64,
    /// Switch-specific facts (old nginx workers drained, ...).
    pub note: String,
}

/// A configured traffic switch.
#[derive(Debug, Clone)]
pub struct Switch {
    kind: SwitchKind,
    cfg: DeployConfig,
    base: PathBuf,
    environment_name: String,
}

fn upstream(kind: SwitchKind, msg: impl std::fmt::Display) -> GateError {
    GateError::Upstream(format!("{} switch: {msg}", kind.as_str()))
}

impl Switch {
    /// `base` resolves relative paths (the repository root).
    pub fn new(kind: SwitchKind, cfg: &DeployConfig, base: &Path) -> Self {
        Switch {
            kind,
            cfg: cfg.clone(),
            base: base.to_path_buf(),
            environment_name: cfg.environment.clone(),
        }
    }

    pub fn kind(&self) -> SwitchKind {
        self.kind
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    fn err(&self, msg: impl std::fmt::Display) -> GateError {
        upstream(self.kind, msg)
    }

    fn address(&self, slot: Slot) -> Result<&str, GateError> {
        self.cfg.address(slot).ok_or_else(|| {
            GateError::Config(vec![format!(
                "{}-address: required by the {} switch",
                slot,
                self.kind.as_str()
            )])
        })
    }

    /// Checks that the switch can move traffic to `to` without changing anything.
    pub async fn validate(&self, to: Slot) -> Result<(), GateError> {
        match self.kind {
            SwitchKind::Haproxy => {
                for slot in [Slot::Blue, Slot::Green] {
                    let srv = format!(
                        "{}/{}",
                        self.cfg.haproxy_backend,
                        self.cfg.haproxy_server(slot)
                    );
                    let answer = self.haproxy(&format!("get weight {srv}")).await?;
                    if !answer
                        .trim_start()
                        .starts_with(|c: char| c.is_ascii_digit())
                    {
                        return Err(self.err(format!(
                            "HAProxy does not know server `{srv}`: {} (check haproxy-backend and haproxy-{slot}-server)",
                            answer.trim()
                        )));
                    }
                }
                Ok(())
            }
            SwitchKind::Nginx => {
                let include = self.nginx_include()?;
                if let Some(dir) = include.parent()
                    && !dir.is_dir()
                {
                    return Err(self.err(format!(
                        "nginx-include {}: its directory does not exist",
                        include.display()
                    )));
                }
                self.address(to)?;
                // The live configuration must be valid before we touch it.
                self.nginx_test().await
            }
            SwitchKind::Caddy => {
                self.caddy_upstreams().await?;
                self.address(to)?;
                Ok(())
            }
            SwitchKind::Symlink => {
                let (link, target) = self.symlink_paths(to)?;
                let resolved = match link.parent() {
                    Some(dir) => dir.join(&target),
                    None => PathBuf::from(&target),
                };
                if !resolved.exists() {
                    return Err(self.err(format!(
                        "{to}-target `{target}` does not exist (resolved from {}: {})",
                        link.display(),
                        resolved.display()
                    )));
                }
                Ok(())
            }
            SwitchKind::Command => match &self.cfg.switch_validate {
                None => Ok(()),
                Some(cmd) => {
                    let out = run_hook(cmd, &self.env(to, None), self.cfg.hook_timeout())
                        .await
                        .map_err(|e| self.err(e))?;
                    if out.success() {
                        Ok(())
                    } else {
                        Err(self.err(format!("switch-validate failed: {}", out.describe())))
                    }
                }
            },
        }
    }

    /// Which slot takes traffic now, when the switch can tell.
    pub async fn current(&self) -> Result<Option<Slot>, GateError> {
        match self.kind {
            SwitchKind::Haproxy => {
                let states = self.haproxy_admin_states().await?;
                let ready: Vec<Slot> = [Slot::Blue, Slot::Green]
                    .into_iter()
                    .filter(|s| states.get(s).is_some_and(|st| st & HAPROXY_NOT_READY == 0))
                    .collect();
                Ok(match ready.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                })
            }
            SwitchKind::Nginx => {
                let include = self.nginx_include()?;
                let text = match std::fs::read_to_string(&include) {
                    Ok(t) => t,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(GateError::read(&include, e)),
                };
                let servers: Vec<&str> = text
                    .lines()
                    .map(|l| l.split('#').next().unwrap_or("").trim())
                    .filter_map(|l| l.strip_prefix("server "))
                    .filter_map(|l| l.split_whitespace().next())
                    .map(|a| a.trim_end_matches(';'))
                    .collect();
                Ok(self.slot_of_addresses(&servers))
            }
            SwitchKind::Caddy => {
                let ups = self.caddy_upstreams().await?;
                let dials: Vec<&str> = ups
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|u| u.get("dial").and_then(|d| d.as_str()))
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(self.slot_of_addresses(&dials))
            }
            SwitchKind::Symlink => {
                let (link, _) = self.symlink_paths(Slot::Blue)?;
                let Ok(now) = std::fs::read_link(&link) else {
                    return Ok(None);
                };
                let now = now.to_string_lossy().into_owned();
                Ok([Slot::Blue, Slot::Green]
                    .into_iter()
                    .find(|s| self.cfg.target(*s) == Some(now.as_str())))
            }
            SwitchKind::Command => Ok(None),
        }
    }

    fn slot_of_addresses(&self, addrs: &[&str]) -> Option<Slot> {
        match addrs {
            [one] => [Slot::Blue, Slot::Green]
                .into_iter()
                .find(|s| self.cfg.address(*s) == Some(one)),
            _ => None,
        }
    }

    /// Validates, moves traffic to `to`, and restores the previous
    /// configuration if applying fails. Idempotent.
    pub async fn switch_to(&self, to: Slot) -> Result<SwitchDone, GateError> {
        self.validate(to).await?;
        let started = Instant::now();
        let note = match self.kind {
            SwitchKind::Haproxy => self.haproxy_switch(to).await?,
            SwitchKind::Nginx => self.nginx_switch(to).await?,
            SwitchKind::Caddy => self.caddy_switch(to).await?,
            SwitchKind::Symlink => self.symlink_switch(to)?,
            SwitchKind::Command => self.command_switch(to).await?,
        };
        Ok(SwitchDone {
            to,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            note,
        })
    }

    /// What [`Switch::switch_to`] would do to move traffic to `to`, in
    /// words and commands, without doing any of it (the dry run).
    pub fn plan(&self, to: Slot) -> Vec<String> {
        let c = &self.cfg;
        let or_unset = |v: Option<&str>| v.map(str::to_string).unwrap_or_else(|| "(unset)".into());
        match self.kind {
            SwitchKind::Haproxy => {
                let socket = c
                    .haproxy_socket
                    .as_deref()
                    .map(|p| self.path(p).display().to_string());
                let srv = |s: Slot| format!("{}/{}", c.haproxy_backend, c.haproxy_server(s));
                vec![format!(
                    "on the HAProxy stats socket {}: `get weight` of {} and {} (validate), then `set server {} state ready`, then `set server {} state maint`",
                    or_unset(socket.as_deref()),
                    srv(Slot::Blue),
                    srv(Slot::Green),
                    srv(to),
                    srv(to.other())
                )]
            }
            SwitchKind::Nginx => {
                let include = c
                    .nginx_include
                    .as_deref()
                    .map(|p| self.path(p).display().to_string());
                let params = c.nginx_server_params.trim();
                let line = match (c.address(to), params.is_empty()) {
                    (Some(a), true) => format!("server {a};"),
                    (Some(a), false) => format!("server {a} {params};"),
                    (None, _) => "(no address)".into(),
                };
                let args = self.nginx_args().join(" ");
                let nginx = if args.is_empty() {
                    c.nginx_bin.clone()
                } else {
                    format!("{} {args}", c.nginx_bin)
                };
                vec![
                    format!("`{nginx} -t -q` (the live configuration must be valid)"),
                    format!(
                        "rewrite {} atomically to `{line}`, `{nginx} -t -q` (restore it if rejected), `{nginx} -s reload`",
                        or_unset(include.as_deref())
                    ),
                    format!(
                        "wait for every pre-reload worker of the master in {} to exit, at most nginx-drain-timeout ({}), else restore the include and reload",
                        self.nginx_pid_file().display(),
                        c.nginx_drain_timeout
                    ),
                ]
            }
            SwitchKind::Caddy => vec![format!(
                "GET {admin}{path}, then PATCH it to [{{\"dial\": \"{}\"}}] and read it back (the old value is PATCHed back on any error)",
                or_unset(c.address(to)),
                admin = c.caddy_admin.as_str().trim_end_matches('/'),
                path = c.caddy_upstreams_path,
            )],
            SwitchKind::Symlink => {
                let link = c
                    .symlink
                    .as_deref()
                    .map(|p| self.path(p).display().to_string());
                vec![format!(
                    "point {} at `{}` (a new link renamed over the old one)",
                    or_unset(link.as_deref()),
                    or_unset(c.target(to))
                )]
            }
            SwitchKind::Command => {
                let env = self
                    .env(to, Some(to.other()))
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut v = Vec::new();
                if let Some(val) = &c.switch_validate {
                    v.push(format!("run switch-validate `{val}` with {env}"));
                }
                v.push(format!(
                    "run switch-command `{}` with {env} (run again for {} if it fails)",
                    or_unset(c.switch_command.as_deref()),
                    to.other()
                ));
                v
            }
        }
    }

    /// Environment of the switch command and hooks.
    pub fn env(&self, slot: Slot, previous: Option<Slot>) -> Vec<(String, String)> {
        let mut env = vec![
            ("GATES_SLOT".to_string(), slot.to_string()),
            (
                "GATES_ENVIRONMENT".to_string(),
                self.environment_name.clone(),
            ),
        ];
        if let Some(a) = self.cfg.address(slot) {
            env.push(("GATES_ADDRESS".into(), a.to_string()));
        }
        if let Some(p) = self.cfg.port(slot) {
            env.push(("GATES_PORT".into(), p.to_string()));
        }
        if let Some(p) = previous {
            env.push(("GATES_PREVIOUS_SLOT".into(), p.to_string()));
        }
        env
    }

    // ---- HAProxy ---------------------------------------------------------

    fn haproxy_socket(&self) -> Result<PathBuf, GateError> {
        self.cfg
            .haproxy_socket
            .as_deref()
            .map(|p| self.path(p))
            .ok_or_else(|| {
                GateError::Config(vec![
                    "haproxy-socket: required by the haproxy switch".into(),
                ])
            })
    }

    /// One runtime API command (non-interactive: one line, one answer).
    async fn haproxy(&self, command: &str) -> Result<String, GateError> {
        let socket = self.haproxy_socket()?;
        let exchange = async {
            let mut s = tokio::net::UnixStream::connect(&socket).await?;
            s.write_all(format!("{command}\n").as_bytes()).await?;
            let mut answer = String::new();
            s.read_to_string(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        };
        match tokio::time::timeout(ADMIN_TIMEOUT, exchange).await {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(self.err(format!(
                "stats socket {}: {e} (is HAProxy running with `stats socket {} level admin`?)",
                socket.display(),
                socket.display()
            ))),
            Err(_) => Err(self.err(format!(
                "stats socket {}: no answer to `{command}` within {} s",
                socket.display(),
                ADMIN_TIMEOUT.as_secs()
            ))),
        }
    }

    /// `srv_admin_state` of both slots' servers (see [`HAPROXY_NOT_READY`]).
    async fn haproxy_admin_states(
        &self,
    ) -> Result<std::collections::HashMap<Slot, u32>, GateError> {
        let answer = self
            .haproxy(&format!("show servers state {}", self.cfg.haproxy_backend))
            .await?;
        let mut out = std::collections::HashMap::new();
        for line in answer.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 7 || cols[1] != self.cfg.haproxy_backend {
                continue;
            }
            for slot in [Slot::Blue, Slot::Green] {
                if cols[3] == self.cfg.haproxy_server(slot)
                    && let Ok(state) = cols[6].parse::<u32>()
                {
                    out.insert(slot, state);
                }
            }
        }
        Ok(out)
    }

    async fn haproxy_set(&self, slot: Slot, state: &str) -> Result<(), GateError> {
        let srv = format!(
            "{}/{}",
            self.cfg.haproxy_backend,
            self.cfg.haproxy_server(slot)
        );
        let answer = self
            .haproxy(&format!("set server {srv} state {state}"))
            .await?;
        if answer.trim().is_empty() {
            Ok(())
        } else {
            Err(self.err(format!(
                "`set server {srv} state {state}` was refused: {}",
                answer.trim()
            )))
        }
    }

    async fn haproxy_switch(&self, to: Slot) -> Result<String, GateError> {
        let before = self.haproxy_admin_states().await?;
        // New slot first, so there is always a ready server.
        self.haproxy_set(to, "ready").await?;
        if let Err(e) = self.haproxy_set(to.other(), "maint").await {
            if before.get(&to).is_some_and(|s| s & HAPROXY_NOT_READY != 0) {
                let _ = self.haproxy_set(to, "maint").await;
            }
            return Err(e);
        }
        Ok(format!(
            "{}/{} ready, {}/{} maint",
            self.cfg.haproxy_backend,
            self.cfg.haproxy_server(to),
            self.cfg.haproxy_backend,
            self.cfg.haproxy_server(to.other())
        ))
    }

    // ---- nginx -----------------------------------------------------------

    fn nginx_include(&self) -> Result<PathBuf, GateError> {
        self.cfg
            .nginx_include
            .as_deref()
            .map(|p| self.path(p))
            .ok_or_else(|| {
                GateError::Config(vec!["nginx-include: required by the nginx switch".into()])
            })
    }

    fn nginx_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(p) = &self.cfg.nginx_prefix {
            args.push("-p".to_string());
            args.push(self.path(p).display().to_string());
        }
        if let Some(c) = &self.cfg.nginx_conf {
            args.push("-c".to_string());
            args.push(self.path(c).display().to_string());
        }
        args
    }

    async fn nginx(&self, extra: &[&str]) -> Result<(bool, String), GateError> {
        let out = tokio::process::Command::new(&self.cfg.nginx_bin)
            .args(self.nginx_args())
            .args(extra)
            .stdin(std::process::Stdio::null())
            .output();
        let out = tokio::time::timeout(ADMIN_TIMEOUT, out)
            .await
            .map_err(|_| {
                self.err(format!(
                    "`{} {}` did not finish",
                    self.cfg.nginx_bin,
                    extra.join(" ")
                ))
            })?
            .map_err(|e| {
                self.err(format!(
                    "cannot run `{}`: {e} (set nginx-bin)",
                    self.cfg.nginx_bin
                ))
            })?;
        let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        Ok((out.status.success(), text.trim().to_string()))
    }

    async fn nginx_test(&self) -> Result<(), GateError> {
        let (ok, text) = self.nginx(&["-t", "-q"]).await?;
        if ok {
            Ok(())
        } else {
            Err(self.err(format!("`nginx -t` rejects the configuration: {text}")))
        }
    }

    fn nginx_pid_file(&self) -> PathBuf {
        match (&self.cfg.nginx_pid_file, &self.cfg.nginx_prefix) {
            (Some(p), _) => self.path(p),
            (None, Some(prefix)) => self.path(prefix).join("logs/nginx.pid"),
            (None, None) => PathBuf::from("/run/nginx.pid"),
        }
    }

    fn nginx_master(&self) -> Result<u32, GateError> {
        let path = self.nginx_pid_file();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            self.err(format!(
                "pid file {}: {e} (is nginx running? set nginx-pid-file)",
                path.display()
            ))
        })?;
        text.trim()
            .parse()
            .map_err(|_| self.err(format!("pid file {} holds no pid", path.display())))
    }

    async fn nginx_switch(&self, to: Slot) -> Result<String, GateError> {
        let include = self.nginx_include()?;
        let old = std::fs::read(&include).ok();
        let addr = self.address(to)?;
        let params = self.cfg.nginx_server_params.trim();
        let line = if params.is_empty() {
            format!("server {addr};")
        } else {
            format!("server {addr} {params};")
        };
        let new = format!("# managed by gate-deploy: live slot {to}\n{line}\n");
        let restore = |this: &Self| -> Result<(), GateError> {
            match &old {
                Some(bytes) => atomic_write(&include, bytes),
                None => std::fs::remove_file(&include)
                    .or_else(|e| {
                        if e.kind() == std::io::ErrorKind::NotFound {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })
                    .map_err(|e| this.err(format!("removing {}: {e}", include.display()))),
            }
        };
        if old.as_deref() == Some(new.as_bytes()) && self.current().await? == Some(to) {
            return Ok("include already up to date; no reload".into());
        }
        atomic_write(&include, new.as_bytes())?;
        if let Err(e) = self.nginx_test().await {
            restore(self)?;
            return Err(e);
        }
        let master = match self.nginx_master() {
            Ok(m) => m,
            Err(e) => {
                restore(self)?;
                return Err(e);
            }
        };
        let old_workers = children(master);
        let (ok, text) = self.nginx(&["-s", "reload"]).await?;
        if !ok {
            restore(self)?;
            return Err(self.err(format!("`nginx -s reload` failed: {text}")));
        }
        // Done only when every pre-reload worker has exited: before that an
        // old worker may still route requests to the old slot.
        let deadline = Instant::now() + self.cfg.nginx_drain_timeout().max(Duration::from_secs(1));
        loop {
            let now = children(master);
            let remaining: Vec<u32> = old_workers.intersection(&now).copied().collect();
            let fresh = now.difference(&old_workers).count();
            if remaining.is_empty() && fresh > 0 {
                break;
            }
            if Instant::now() >= deadline {
                restore(self)?;
                let _ = self.nginx(&["-s", "reload"]).await;
                return Err(self.err(format!(
                    "after `nginx -s reload`, {} pre-reload worker(s) ({remaining:?}) still running and {fresh} new after {}: the reload did not take (see nginx's error log); previous include restored",
                    remaining.len(),
                    self.cfg.nginx_drain_timeout
                )));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(format!(
            "{} pre-reload worker(s) of master {master} exited",
            old_workers.len()
        ))
    }

    // ---- Caddy -----------------------------------------------------------

    async fn caddy_upstreams(&self) -> Result<serde_json::Value, GateError> {
        let (status, body) = crate::http::request(
            http::Method::GET,
            self.cfg.caddy_admin.as_str(),
            &self.cfg.caddy_upstreams_path,
            None,
            ADMIN_TIMEOUT,
        )
        .await
        .map_err(|e| self.err(format!("admin API {}: {e}", self.cfg.caddy_admin)))?;
        if status != 200 {
            return Err(self.err(format!(
                "GET {}{} answered {status}: {} (check caddy-upstreams-path)",
                self.cfg.caddy_admin,
                self.cfg.caddy_upstreams_path,
                body.trim()
            )));
        }
        let v: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| self.err(format!("admin API answer is not JSON: {e}")))?;
        if !v.is_array() {
            return Err(self.err(format!(
                "{} is not an upstreams array in Caddy's config (found {}); point caddy-upstreams-path at a reverse_proxy handler's `upstreams`",
                self.cfg.caddy_upstreams_path,
                body.trim()
            )));
        }
        Ok(v)
    }

    async fn caddy_patch(&self, value: &serde_json::Value) -> Result<(), GateError> {
        let (status, body) = crate::http::request(
            http::Method::PATCH,
            self.cfg.caddy_admin.as_str(),
            &self.cfg.caddy_upstreams_path,
            Some(value.to_string()),
            ADMIN_TIMEOUT,
        )
        .await
        .map_err(|e| self.err(format!("admin API {}: {e}", self.cfg.caddy_admin)))?;
        if status == 200 {
            Ok(())
        } else {
            Err(self.err(format!(
                "PATCH {} answered {status}: {}",
                self.cfg.caddy_upstreams_path,
                body.trim()
            )))
        }
    }

    async fn caddy_switch(&self, to: Slot) -> Result<String, GateError> {
        let old = self.caddy_upstreams().await?;
        let new = serde_json::json!([{ "dial": self.address(to)? }]);
        // Caddy validates the whole new config and keeps the old one on error.
        if let Err(e) = self.caddy_patch(&new).await {
            let _ = self.caddy_patch(&old).await;
            return Err(e);
        }
        if self.current().await? != Some(to) {
            let _ = self.caddy_patch(&old).await;
            return Err(self.err(
                "Caddy accepted the change but does not report it; previous upstreams restored",
            ));
        }
        Ok(format!("upstreams = {new}"))
    }

    // ---- symlink ---------------------------------------------------------

    fn symlink_paths(&self, slot: Slot) -> Result<(PathBuf, String), GateError> {
        let link = self
            .cfg
            .symlink
            .as_deref()
            .map(|p| self.path(p))
            .ok_or_else(|| {
                GateError::Config(vec!["symlink: required by the symlink switch".into()])
            })?;
        let target = self.cfg.target(slot).ok_or_else(|| {
            GateError::Config(vec![format!(
                "{slot}-target: required by the symlink switch"
            )])
        })?;
        Ok((link, target.to_string()))
    }

    fn symlink_switch(&self, to: Slot) -> Result<String, GateError> {
        let (link, target) = self.symlink_paths(to)?;
        let name = link
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "link".into());
        let tmp = link.with_file_name(format!(".{name}.gates-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp)
            .map_err(|e| self.err(format!("creating {}: {e}", tmp.display())))?;
        // rename(2) replaces the old link in one step: readers see the old
        // target or the new one, never nothing.
        if let Err(e) = std::fs::rename(&tmp, &link) {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.err(format!("renaming over {}: {e}", link.display())));
        }
        if let Some(dir) = link.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(format!("{} -> {target}", link.display()))
    }

    // ---- command ---------------------------------------------------------

    async fn command_switch(&self, to: Slot) -> Result<String, GateError> {
        let Some(cmd) = &self.cfg.switch_command else {
            return Err(GateError::Config(vec![
                "switch-command: required by the command switch".into(),
            ]));
        };
        let out = run_hook(
            cmd,
            &self.env(to, Some(to.other())),
            self.cfg.hook_timeout(),
        )
        .await
        .map_err(|e| self.err(e))?;
        if out.success() {
            return Ok(format!("switch-command: {}", out.describe()));
        }
        // Put traffic back where it was.
        let back = run_hook(
            cmd,
            &self.env(to.other(), Some(to)),
            self.cfg.hook_timeout(),
        )
        .await;
        let restored = match back {
            Ok(b) if b.success() => "previous slot restored".to_string(),
            Ok(b) => format!("restoring the previous slot failed too: {}", b.describe()),
            Err(e) => format!("restoring the previous slot failed too: {e}"),
        };
        Err(self.err(format!(
            "switch-command failed: {}; {restored}",
            out.describe()
        )))
    }
}

/// Live pids whose parent is `ppid` (gate-core's `/proc` reader).
pub fn children(ppid: u32) -> BTreeSet<u32> {
    gate_core::procfs::children(ppid)
}
