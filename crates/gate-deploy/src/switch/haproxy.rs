//! The HAProxy switch: the runtime API on the stats socket sets the new
//! slot's server `ready` and the old one's `maint`.

use std::collections::HashMap;
use std::path::PathBuf;

use gate_core::GateError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{ADMIN_TIMEOUT, SwitchCtx, TrafficSwitch};
use crate::config::{Slot, SwitchKind};

/// `srv_admin_state` flags meaning "takes no new traffic": forced,
/// inherited or resolution maintenance (`SRV_ADMF_MAINT` = 0x23) and drain
/// (`SRV_ADMF_DRAIN` = 0x18). 0x04 (disabled in the configuration) stays set
/// after `set server ... state ready` and does not count.
const HAPROXY_NOT_READY: u32 = 0x23 | 0x18;

/// The HAProxy switch.
#[derive(Debug, Clone)]
pub struct Haproxy(pub(crate) SwitchCtx);

impl Haproxy {
    fn socket(&self) -> Result<PathBuf, GateError> {
        self.0
            .cfg
            .haproxy_socket
            .as_deref()
            .map(|p| self.0.path(p))
            .ok_or_else(|| {
                GateError::Config(vec![
                    "haproxy-socket: required by the haproxy switch".into(),
                ])
            })
    }

    /// One runtime API command (non-interactive: one line, one answer).
    async fn command(&self, command: &str) -> Result<String, GateError> {
        let socket = self.socket()?;
        let exchange = async {
            let mut s = tokio::net::UnixStream::connect(&socket).await?;
            s.write_all(format!("{command}\n").as_bytes()).await?;
            let mut answer = String::new();
            s.read_to_string(&mut answer).await?;
            Ok::<_, std::io::Error>(answer)
        };
        match tokio::time::timeout(ADMIN_TIMEOUT, exchange).await {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(e)) => Err(self.0.err(format!(
                "stats socket {}: {e} (is HAProxy running with `stats socket {} level admin`?)",
                socket.display(),
                socket.display()
            ))),
            Err(_) => Err(self.0.err(format!(
                "stats socket {}: no answer to `{command}` within {} s",
                socket.display(),
                ADMIN_TIMEOUT.as_secs()
            ))),
        }
    }

    /// `srv_admin_state` of both slots' servers (see [`HAPROXY_NOT_READY`]).
    async fn admin_states(&self) -> Result<HashMap<Slot, u32>, GateError> {
        let cfg = &self.0.cfg;
        let answer = self
            .command(&format!("show servers state {}", cfg.haproxy_backend))
            .await?;
        let mut out = HashMap::new();
        for line in answer.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 7 || cols[1] != cfg.haproxy_backend {
                continue;
            }
            for slot in [Slot::Blue, Slot::Green] {
                if cols[3] == cfg.haproxy_server(slot)
                    && let Ok(state) = cols[6].parse::<u32>()
                {
                    out.insert(slot, state);
                }
            }
        }
        Ok(out)
    }

    async fn set(&self, slot: Slot, state: &str) -> Result<(), GateError> {
        let srv = format!(
            "{}/{}",
            self.0.cfg.haproxy_backend,
            self.0.cfg.haproxy_server(slot)
        );
        let answer = self
            .command(&format!("set server {srv} state {state}"))
            .await?;
        if answer.trim().is_empty() {
            Ok(())
        } else {
            Err(self.0.err(format!(
                "`set server {srv} state {state}` was refused: {}",
                answer.trim()
            )))
        }
    }
}

impl TrafficSwitch for Haproxy {
    fn kind(&self) -> SwitchKind {
        SwitchKind::Haproxy
    }

    async fn validate(&self, _to: Slot) -> Result<(), GateError> {
        for slot in [Slot::Blue, Slot::Green] {
            let srv = format!(
                "{}/{}",
                self.0.cfg.haproxy_backend,
                self.0.cfg.haproxy_server(slot)
            );
            let answer = self.command(&format!("get weight {srv}")).await?;
            if !answer
                .trim_start()
                .starts_with(|c: char| c.is_ascii_digit())
            {
                return Err(self.0.err(format!(
                    "HAProxy does not know server `{srv}`: {} (check haproxy-backend and haproxy-{slot}-server)",
                    answer.trim()
                )));
            }
        }
        Ok(())
    }

    async fn current(&self) -> Result<Option<Slot>, GateError> {
        let ready = self.serving().await?;
        Ok(match ready.as_slice() {
            [one] => Some(*one),
            _ => None,
        })
    }

    async fn serving(&self) -> Result<Vec<Slot>, GateError> {
        let states = self.admin_states().await?;
        Ok([Slot::Blue, Slot::Green]
            .into_iter()
            .filter(|s| states.get(s).is_some_and(|st| st & HAPROXY_NOT_READY == 0))
            .collect())
    }

    async fn apply(&self, to: Slot) -> Result<String, GateError> {
        let before = self.admin_states().await?;
        // New slot first, so there is always a ready server.
        self.set(to, "ready").await?;
        crate::flow::failpoint::inside();
        if let Err(e) = self.set(to.other(), "maint").await {
            if before.get(&to).is_some_and(|s| s & HAPROXY_NOT_READY != 0) {
                let _ = self.set(to, "maint").await;
            }
            return Err(e);
        }
        Ok(format!(
            "{}/{} ready, {}/{} maint",
            self.0.cfg.haproxy_backend,
            self.0.cfg.haproxy_server(to),
            self.0.cfg.haproxy_backend,
            self.0.cfg.haproxy_server(to.other())
        ))
    }

    fn plan(&self, to: Slot) -> Vec<String> {
        let c = &self.0.cfg;
        let socket = c
            .haproxy_socket
            .as_deref()
            .map(|p| self.0.path(p).display().to_string())
            .unwrap_or_else(|| "(unset)".into());
        let srv = |s: Slot| format!("{}/{}", c.haproxy_backend, c.haproxy_server(s));
        vec![format!(
            "on the HAProxy stats socket {socket}: `get weight` of {} and {} (validate), then `set server {} state ready`, then `set server {} state maint`",
            srv(Slot::Blue),
            srv(Slot::Green),
            srv(to),
            srv(to.other())
        )]
    }
}
