//! The HAProxy switch: the runtime API on the stats socket sets the new
//! slot's server `ready` and the old one's `maint`.
//!
//! **Fallback mode.** A server's `backup` flag cannot change at runtime, so
//! a backend that wants the old slot to keep serving as a backup declares
//! each slot twice: `blue` and `green` (active), and `blue-backup` and
//! `green-backup` (the same addresses, `backup`). When both twins exist the
//! switch also sets the old slot's twin `ready` and the new slot's twin
//! `maint`: if the new slot fails its passive health check (`observe
//! layer7`, `on-error mark-down`), HAProxy sends traffic (and `retry-on`
//! retries) to the old slot within milliseconds, before the circuit breaker
//! has confirmed anything. Without twins the switch works as before.

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

/// Suffix of a slot server's backup twin (fallback mode).
pub const BACKUP_SUFFIX: &str = "-backup";

/// The HAProxy switch.
#[derive(Debug, Clone)]
pub struct Haproxy(pub(crate) SwitchCtx);

/// Whether the backend declares backup twins of the slot servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// No twins: the old slot goes to maintenance at the switch.
    Off,
    /// Both twins, both `backup`: the old slot's twin serves as a backup.
    On,
}

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

    /// `srv_admin_state` of every server of the backend, by name.
    async fn server_states(&self) -> Result<HashMap<String, ServerState>, GateError> {
        let backend = &self.0.cfg.haproxy_backend;
        let answer = self
            .command(&format!("show servers state {backend}"))
            .await?;
        Ok(parse_server_states(&answer, backend))
    }

    /// `srv_admin_state` of both slots' servers (see [`HAPROXY_NOT_READY`]).
    async fn admin_states(&self) -> Result<HashMap<Slot, u32>, GateError> {
        let all = self.server_states().await?;
        Ok([Slot::Blue, Slot::Green]
            .into_iter()
            .filter_map(|s| {
                all.get(self.0.cfg.haproxy_server(s))
                    .map(|st| (s, st.admin))
            })
            .collect())
    }

    fn server(&self, slot: Slot) -> String {
        self.0.cfg.haproxy_server(slot).to_string()
    }

    fn twin(&self, slot: Slot) -> String {
        format!("{}{BACKUP_SUFFIX}", self.0.cfg.haproxy_server(slot))
    }

    /// Whether the backend runs in fallback mode: both backup twins
    /// declared, and declared `backup` (a twin taking live traffic next to
    /// the new slot would defeat the switch). One twin only, or a twin
    /// without `backup`, is a configuration error.
    pub async fn fallback(&self) -> Result<Fallback, GateError> {
        let states = self.server_states().await?;
        self.fallback_in(&states).await
    }

    async fn fallback_in(
        &self,
        states: &HashMap<String, ServerState>,
    ) -> Result<Fallback, GateError> {
        let twins: Vec<String> = [Slot::Blue, Slot::Green]
            .into_iter()
            .map(|s| self.twin(s))
            .collect();
        let present: Vec<&String> = twins.iter().filter(|t| states.contains_key(*t)).collect();
        let backend = &self.0.cfg.haproxy_backend;
        match present.len() {
            0 => return Ok(Fallback::Off),
            1 => {
                return Err(self.0.err(format!(
                    "backend `{backend}` declares `{}` but not `{}`: declare both backup twins (fallback mode) or neither",
                    present[0],
                    twins.iter().find(|t| !present.contains(t)).map(String::as_str).unwrap_or("")
                )));
            }
            _ => {}
        }
        let stat = self.command("show stat").await?;
        let backup = parse_backup_flags(&stat, backend);
        for t in &twins {
            if backup.get(t) != Some(&true) {
                return Err(self.0.err(format!(
                    "server `{backend}/{t}` is not declared `backup` in haproxy.cfg: as an active server it would take traffic next to the live slot (see docs/gates/deploy.md, fallback mode)"
                )));
            }
        }
        Ok(Fallback::On)
    }

    async fn set_named(&self, server: &str, state: &str) -> Result<(), GateError> {
        let srv = format!("{}/{server}", self.0.cfg.haproxy_backend);
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

    async fn set(&self, slot: Slot, state: &str) -> Result<(), GateError> {
        self.set_named(&self.server(slot), state).await
    }

    /// `set weight BACKEND/SERVER W` (`W` a number, or `100%`: the weight
    /// of haproxy.cfg).
    pub(crate) async fn set_weight(&self, slot: Slot, weight: &str) -> Result<(), GateError> {
        let srv = format!("{}/{}", self.0.cfg.haproxy_backend, self.server(slot));
        let answer = self.command(&format!("set weight {srv} {weight}")).await?;
        if answer.trim().is_empty() {
            Ok(())
        } else {
            Err(self.0.err(format!(
                "`set weight {srv} {weight}` was refused: {}",
                answer.trim()
            )))
        }
    }

    /// Canary: `share` percent of new requests to `to`, the rest to the
    /// other slot (both ready, weights `share` and `100 - share`). At 100
    /// it is the whole switch ([`TrafficSwitch::apply`]).
    pub async fn set_share(&self, to: Slot, share: u8) -> Result<String, GateError> {
        if share >= 100 {
            return self.apply(to).await;
        }
        let share = share.max(1);
        self.set_weight(to, &share.to_string()).await?;
        self.set_weight(to.other(), &(100 - share).to_string())
            .await?;
        self.set(to, "ready").await?;
        self.set(to.other(), "ready").await?;
        Ok(format!(
            "{share} % to {}, {} % to {}",
            self.server(to),
            100 - share,
            self.server(to.other())
        ))
    }

    /// Before a slot is (re)started with a new release: its backup twin to
    /// maintenance, so the untested release is never the live slot's
    /// backup between its start and the switch (the twin may be `ready`
    /// from an earlier switch, and its health check brings it up as soon
    /// as the new release answers). Nothing to do without fallback mode.
    /// The executor calls it before every start hook.
    pub async fn retire_twin(&self, slot: Slot) -> Result<(), GateError> {
        if self.fallback().await? == Fallback::On {
            self.set_named(&self.twin(slot), "maint").await?;
        }
        Ok(())
    }

    /// Canary aborted: all traffic back on `old` with its configured
    /// weight, the new slot in maintenance.
    pub async fn abort_share(&self, old: Slot) -> Result<String, GateError> {
        self.apply(old).await
    }
}

/// A server's states in `show servers state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerState {
    /// `srv_op_state`: 0 stopped (down), 1 starting, 2 running, 3 stopping.
    pub op: u32,
    /// `srv_admin_state` (see [`HAPROXY_NOT_READY`]).
    pub admin: u32,
}

/// `show servers state BACKEND`: server name -> its states.
pub fn parse_server_states(answer: &str, backend: &str) -> HashMap<String, ServerState> {
    let mut out = HashMap::new();
    for line in answer.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 7 || cols[1] != backend {
            continue;
        }
        if let (Ok(op), Ok(admin)) = (cols[5].parse::<u32>(), cols[6].parse::<u32>()) {
            out.insert(cols[3].to_string(), ServerState { op, admin });
        }
    }
    out
}

/// `show stat` (CSV): server name -> its `bck` flag, for one backend.
pub fn parse_backup_flags(csv: &str, backend: &str) -> HashMap<String, bool> {
    let mut lines = csv.lines();
    let Some(header) = lines.next() else {
        return HashMap::new();
    };
    let names: Vec<&str> = header.trim_start_matches('#').trim().split(',').collect();
    let col = |n: &str| names.iter().position(|c| *c == n);
    let (Some(px), Some(sv), Some(bck)) = (col("pxname"), col("svname"), col("bck")) else {
        return HashMap::new();
    };
    lines
        .map(|l| l.split(',').collect::<Vec<&str>>())
        .filter(|c| c.get(px) == Some(&backend))
        .filter_map(|c| Some((c.get(sv)?.to_string(), *c.get(bck)? == "1")))
        .collect()
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
        self.fallback().await.map(|_| ())
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
        let all = self.server_states().await?;
        let fallback = self.fallback_in(&all).await?;
        let before = self.admin_states().await?;
        let backend = &self.0.cfg.haproxy_backend;
        let mut note = Vec::new();
        // The old slot's twin first: from here on it catches what the new
        // slot fails. Not when HAProxy sees the old slot down (a rollback
        // from a slot its passive check took out): a failing release is
        // no one's backup.
        let old_up = all
            .get(&self.server(to.other()))
            .is_some_and(|st| st.op == 2 && st.admin & HAPROXY_NOT_READY == 0);
        if fallback == Fallback::On && old_up {
            self.set_named(&self.twin(to.other()), "ready").await?;
            note.push(format!(
                "{backend}/{} ready (backup)",
                self.twin(to.other())
            ));
        } else if fallback == Fallback::On {
            self.set_named(&self.twin(to.other()), "maint").await?;
            note.push(format!(
                "{backend}/{} maint ({} is down: no backup)",
                self.twin(to.other()),
                self.server(to.other())
            ));
        }
        // The configured weight back (a canary changed it), then the new
        // slot before the old one, so there is always a ready server.
        self.set_weight(to, "100%").await?;
        self.set(to, "ready").await?;
        crate::flow::failpoint::inside();
        if let Err(e) = self.set(to.other(), "maint").await {
            if before.get(&to).is_some_and(|s| s & HAPROXY_NOT_READY != 0) {
                let _ = self.set(to, "maint").await;
            }
            return Err(e);
        }
        let _ = self.set_weight(to.other(), "100%").await;
        note.insert(0, format!("{backend}/{} ready", self.server(to)));
        note.insert(1, format!("{backend}/{} maint", self.server(to.other())));
        // The new slot's own twin would otherwise back it up with itself.
        if fallback == Fallback::On {
            self.set_named(&self.twin(to), "maint").await?;
            note.push(format!("{backend}/{} maint", self.twin(to)));
        }
        Ok(note.join(", "))
    }

    fn plan(&self, to: Slot) -> Vec<String> {
        let c = &self.0.cfg;
        let socket = c
            .haproxy_socket
            .as_deref()
            .map(|p| self.0.path(p).display().to_string())
            .unwrap_or_else(|| "(unset)".into());
        let srv = |s: Slot| format!("{}/{}", c.haproxy_backend, c.haproxy_server(s));
        let mut plan = Vec::new();
        if let Some(canary) = &c.canary {
            let steps: Vec<String> = canary
                .steps
                .iter()
                .filter(|s| **s < 100)
                .map(|s| format!("{s} %"))
                .collect();
            plan.push(format!(
                "canary: {} of requests to {} (`set weight {} N`, `set weight {} 100-N`, both ready), each step watched by the circuit breaker for {}; a trip rolls back; then the whole switch:",
                steps.join(", then "),
                srv(to),
                srv(to),
                srv(to.other()),
                canary.step_time
            ));
        }
        plan.extend([
            format!(
                "on the HAProxy stats socket {socket}: `get weight` of {} and {} (validate), then `set weight {} 100%`, `set server {} state ready`, then `set server {} state maint`",
                srv(Slot::Blue),
                srv(Slot::Green),
                srv(to),
                srv(to),
                srv(to.other())
            ),
            format!(
                "fallback mode, when the backend declares the backup twins {b}{BACKUP_SUFFIX} and {g}{BACKUP_SUFFIX}: first `set server {old}{BACKUP_SUFFIX} state ready` (the old slot serves as a backup during the watch), last `set server {new}{BACKUP_SUFFIX} state maint`",
                b = srv(Slot::Blue),
                g = srv(Slot::Green),
                old = srv(to.other()),
                new = srv(to),
            ),
        ]);
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n\
        3 app 1 blue 127.0.0.1 2 0 1 1 10 6 3 4 6 0 0 0 - 8081 -\n\
        3 app 2 green 127.0.0.1 0 1 1 1 10 6 3 4 6 0 0 0 - 8082 -\n\
        3 app 3 blue-backup 127.0.0.1 2 0 1 1 10 6 3 4 6 0 0 0 - 8081 -\n\
        4 other 1 blue 127.0.0.1 0 5 1 1 10 6 3 4 6 0 0 0 - 8081 -\n";

    #[test]
    fn server_states_of_one_backend() {
        let st = parse_server_states(STATE, "app");
        assert_eq!(st.len(), 3);
        assert_eq!(st["blue"], ServerState { op: 2, admin: 0 });
        assert_eq!(st["green"], ServerState { op: 0, admin: 1 });
        assert!(st.contains_key("blue-backup"));
        assert_eq!(parse_server_states(STATE, "other")["blue"].admin, 5);
        assert!(parse_server_states("garbage\n\n", "app").is_empty());
    }

    #[test]
    fn backup_flags_from_show_stat() {
        let csv = "# pxname,svname,qcur,act,bck,status\n\
            app,BACKEND,0,1,0,UP\n\
            app,blue,0,1,0,UP\n\
            app,blue-backup,0,0,1,UP\n\
            web,green-backup,0,0,1,UP\n\
            app,green-backup,0,1,0,UP\n";
        let f = parse_backup_flags(csv, "app");
        assert_eq!(f.get("blue-backup"), Some(&true));
        assert_eq!(f.get("green-backup"), Some(&false));
        assert_eq!(f.get("blue"), Some(&false));
        assert!(parse_backup_flags("", "app").is_empty());
        assert!(parse_backup_flags("# a,b\n1,2\n", "app").is_empty());
    }
}
