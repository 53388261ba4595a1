//! Traffic switches. Each kind implements [`TrafficSwitch`]; each one
//! validates before applying and restores the previous configuration when
//! applying fails: the proxy is never left without a valid configuration.
//!
//! [`Switch`] is the configured switch the deploy machine drives: it picks
//! the kind's module and adds what every kind shares (validate before apply,
//! the timing, the hook environment).

use std::collections::BTreeSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gate_core::GateError;

use crate::config::{DeployConfig, Slot, SwitchKind};

mod caddy;
pub mod canary;
mod command;
mod haproxy;
mod nginx;
mod symlink;

pub use caddy::Caddy;
pub use command::Command;
pub use haproxy::{BACKUP_SUFFIX, Fallback, Haproxy};
pub use nginx::Nginx;
pub use symlink::Symlink;

/// How long one admin exchange (socket command, admin API call) may take.
pub(crate) const ADMIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What a switch did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SwitchDone {
    pub to: Slot,
    pub took_ms: f64,
    /// Switch-specific facts (old nginx workers drained, ...).
    pub note: String,
}

/// What every kind of traffic switch offers the deploy machine.
pub trait TrafficSwitch: Sync {
    /// Which kind this is.
    fn kind(&self) -> SwitchKind;

    /// Checks, without changing anything, that the proxy's configuration
    /// lets this switch move traffic to `to` (the plan phase runs it before
    /// any slot is started, and every switch runs it again first).
    fn validate(&self, to: Slot) -> impl Future<Output = Result<(), GateError>> + Send;

    /// Which slot takes traffic now, when the switch can tell.
    fn current(&self) -> impl Future<Output = Result<Option<Slot>, GateError>> + Send;

    /// What the plan phase checks, before any slot is started: the proxy's
    /// own configuration. By default all of [`TrafficSwitch::validate`]; a
    /// switch whose target the start hook may create (the symlink's release
    /// directory) checks only what exists before the start.
    fn preflight(&self, to: Slot) -> impl Future<Output = Result<(), GateError>> + Send {
        self.validate(to)
    }

    /// Every slot the proxy sends traffic to now: two after a switch
    /// interrupted half-way (HAProxy: the new server ready, the old one not
    /// yet in maintenance). By default, [`TrafficSwitch::current`]'s slot.
    fn serving(&self) -> impl Future<Output = Result<Vec<Slot>, GateError>> + Send {
        async { Ok(self.current().await?.into_iter().collect()) }
    }

    /// Moves traffic to `to` (already validated), restoring the previous
    /// configuration if applying fails. Idempotent. Returns a note on what
    /// it did.
    fn apply(&self, to: Slot) -> impl Future<Output = Result<String, GateError>> + Send;

    /// What [`TrafficSwitch::apply`] would do to move traffic to `to`, in
    /// words and commands, without doing any of it (the dry run).
    fn plan(&self, to: Slot) -> Vec<String>;
}

/// What every switch kind shares: the configuration, the base directory
/// relative paths resolve against, and the environment name.
#[derive(Debug, Clone)]
pub struct SwitchCtx {
    pub(crate) kind: SwitchKind,
    pub(crate) cfg: DeployConfig,
    pub(crate) base: PathBuf,
    pub(crate) environment_name: String,
}

fn upstream(kind: SwitchKind, msg: impl std::fmt::Display) -> GateError {
    GateError::Upstream(format!("{} switch: {msg}", kind.as_str()))
}

impl SwitchCtx {
    pub(crate) fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    pub(crate) fn err(&self, msg: impl std::fmt::Display) -> GateError {
        upstream(self.kind, msg)
    }

    pub(crate) fn address(&self, slot: Slot) -> Result<&str, GateError> {
        self.cfg.address(slot).ok_or_else(|| {
            GateError::Config(vec![format!(
                "{}-address: required by the {} switch",
                slot,
                self.kind.as_str()
            )])
        })
    }

    pub(crate) fn slot_of_addresses(&self, addrs: &[&str]) -> Option<Slot> {
        match addrs {
            [one] => [Slot::Blue, Slot::Green]
                .into_iter()
                .find(|s| self.cfg.address(*s) == Some(one)),
            _ => None,
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
}

/// A configured traffic switch: one of the kinds.
#[derive(Debug, Clone)]
pub enum Switch {
    Haproxy(Haproxy),
    Nginx(Nginx),
    Caddy(Caddy),
    Symlink(Symlink),
    Command(Command),
}

/// Calls `$body` with `$s` bound to the kind's switch.
macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            Switch::Haproxy($s) => $body,
            Switch::Nginx($s) => $body,
            Switch::Caddy($s) => $body,
            Switch::Symlink($s) => $body,
            Switch::Command($s) => $body,
        }
    };
}

impl Switch {
    /// `base` resolves relative paths and is where the switch command runs
    /// (the repository root, or `-C DIR`).
    pub fn new(kind: SwitchKind, cfg: &DeployConfig, base: &Path) -> Self {
        let c = SwitchCtx {
            kind,
            cfg: cfg.clone(),
            base: base.to_path_buf(),
            environment_name: cfg.environment.clone(),
        };
        match kind {
            SwitchKind::Haproxy => Switch::Haproxy(Haproxy(c)),
            SwitchKind::Nginx => Switch::Nginx(Nginx(c)),
            SwitchKind::Caddy => Switch::Caddy(Caddy(c)),
            SwitchKind::Symlink => Switch::Symlink(Symlink(c)),
            SwitchKind::Command => Switch::Command(Command(c)),
        }
    }

    fn ctx(&self) -> &SwitchCtx {
        each!(self, s => &s.0)
    }

    /// Validates, moves traffic to `to`, and restores the previous
    /// configuration if applying fails. Idempotent.
    pub async fn switch_to(&self, to: Slot) -> Result<SwitchDone, GateError> {
        self.validate(to).await?;
        let started = Instant::now();
        let note = self.apply(to).await?;
        Ok(SwitchDone {
            to,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            note,
        })
    }

    /// Environment of the switch command and hooks.
    pub fn env(&self, slot: Slot, previous: Option<Slot>) -> Vec<(String, String)> {
        self.ctx().env(slot, previous)
    }

    /// Where relative paths resolve, and hooks and commands run.
    pub fn base(&self) -> &Path {
        &self.ctx().base
    }
}

impl TrafficSwitch for Switch {
    fn kind(&self) -> SwitchKind {
        self.ctx().kind
    }

    async fn validate(&self, to: Slot) -> Result<(), GateError> {
        each!(self, s => s.validate(to).await)
    }

    async fn preflight(&self, to: Slot) -> Result<(), GateError> {
        each!(self, s => s.preflight(to).await)
    }

    async fn current(&self) -> Result<Option<Slot>, GateError> {
        each!(self, s => s.current().await)
    }

    async fn serving(&self) -> Result<Vec<Slot>, GateError> {
        each!(self, s => s.serving().await)
    }

    async fn apply(&self, to: Slot) -> Result<String, GateError> {
        each!(self, s => s.apply(to).await)
    }

    fn plan(&self, to: Slot) -> Vec<String> {
        each!(self, s => s.plan(to))
    }
}

/// Live pids whose parent is `ppid` (gate-core's `/proc` reader).
pub fn children(ppid: u32) -> BTreeSet<u32> {
    gate_core::procfs::children(ppid)
}
