//! The nginx switch: an include file holding the live slot's `server` line,
//! tested, reloaded, and done when every pre-reload worker has exited.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gate_core::GateError;
use gate_core::ledger::local::atomic_write;

use super::{ADMIN_TIMEOUT, SwitchCtx, TrafficSwitch, children};
use crate::config::{Slot, SwitchKind};

/// The nginx switch.
#[derive(Debug, Clone)]
pub struct Nginx(pub(crate) SwitchCtx);

impl Nginx {
    fn include(&self) -> Result<PathBuf, GateError> {
        self.0
            .cfg
            .nginx_include
            .as_deref()
            .map(|p| self.0.path(p))
            .ok_or_else(|| {
                GateError::Config(vec!["nginx-include: required by the nginx switch".into()])
            })
    }

    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(p) = &self.0.cfg.nginx_prefix {
            args.push("-p".to_string());
            args.push(self.0.path(p).display().to_string());
        }
        if let Some(c) = &self.0.cfg.nginx_conf {
            args.push("-c".to_string());
            args.push(self.0.path(c).display().to_string());
        }
        args
    }

    async fn nginx(&self, extra: &[&str]) -> Result<(bool, String), GateError> {
        let c = &self.0;
        let out = tokio::process::Command::new(&c.cfg.nginx_bin)
            .args(self.args())
            .args(extra)
            .stdin(std::process::Stdio::null())
            .output();
        let out = tokio::time::timeout(ADMIN_TIMEOUT, out)
            .await
            .map_err(|_| {
                c.err(format!(
                    "`{} {}` did not finish",
                    c.cfg.nginx_bin,
                    extra.join(" ")
                ))
            })?
            .map_err(|e| {
                c.err(format!(
                    "cannot run `{}`: {e} (set nginx-bin)",
                    c.cfg.nginx_bin
                ))
            })?;
        let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        Ok((out.status.success(), text.trim().to_string()))
    }

    async fn test(&self) -> Result<(), GateError> {
        let (ok, text) = self.nginx(&["-t", "-q"]).await?;
        if ok {
            Ok(())
        } else {
            Err(self
                .0
                .err(format!("`nginx -t` rejects the configuration: {text}")))
        }
    }

    fn pid_file(&self) -> PathBuf {
        match (&self.0.cfg.nginx_pid_file, &self.0.cfg.nginx_prefix) {
            (Some(p), _) => self.0.path(p),
            (None, Some(prefix)) => self.0.path(prefix).join("logs/nginx.pid"),
            (None, None) => PathBuf::from("/run/nginx.pid"),
        }
    }

    fn master(&self) -> Result<u32, GateError> {
        let path = self.pid_file();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            self.0.err(format!(
                "pid file {}: {e} (is nginx running? set nginx-pid-file)",
                path.display()
            ))
        })?;
        text.trim().parse().map_err(|_| {
            self.0
                .err(format!("pid file {} holds no pid", path.display()))
        })
    }

    fn restore(&self, include: &PathBuf, old: Option<&[u8]>) -> Result<(), GateError> {
        match old {
            Some(bytes) => atomic_write(include, bytes),
            None => std::fs::remove_file(include)
                .or_else(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| self.0.err(format!("removing {}: {e}", include.display()))),
        }
    }
}

/// The addresses of the include's `server` lines that take traffic (not
/// `backup`).
pub fn live_servers(text: &str) -> Vec<&str> {
    server_lines(text)
        .filter(|words| !words.contains(&"backup"))
        .filter_map(|words| words.first().copied())
        .collect()
}

/// Whether the include declares a `backup` server (fallback mode).
pub fn has_backup(text: &str) -> bool {
    server_lines(text).any(|words| words.contains(&"backup"))
}

/// The words after `server` of each line (comments and `;` dropped).
fn server_lines(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| l.strip_prefix("server "))
        .map(|l| {
            l.split_whitespace()
                .map(|w| w.trim_end_matches(';'))
                .filter(|w| !w.is_empty())
                .collect()
        })
}

impl TrafficSwitch for Nginx {
    fn kind(&self) -> SwitchKind {
        SwitchKind::Nginx
    }

    async fn validate(&self, to: Slot) -> Result<(), GateError> {
        let include = self.include()?;
        if let Some(dir) = include.parent()
            && !dir.is_dir()
        {
            return Err(self.0.err(format!(
                "nginx-include {}: its directory does not exist",
                include.display()
            )));
        }
        self.0.address(to)?;
        // The live configuration must be valid before we touch it.
        self.test().await
    }

    async fn current(&self) -> Result<Option<Slot>, GateError> {
        let include = self.include()?;
        let text = match std::fs::read_to_string(&include) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(GateError::read(&include, e)),
        };
        Ok(self.0.slot_of_addresses(&live_servers(&text)))
    }

    async fn apply(&self, to: Slot) -> Result<String, GateError> {
        let include = self.include()?;
        let old = std::fs::read(&include).ok();
        let addr = self.0.address(to)?;
        let params = self.0.cfg.nginx_server_params.trim();
        let line = if params.is_empty() {
            format!("server {addr};")
        } else {
            format!("server {addr} {params};")
        };
        // Fallback mode: the include holds a `backup` server (the old slot,
        // which `proxy_next_upstream` retries a failed request on).
        let backup = match old.as_deref().map(String::from_utf8_lossy) {
            Some(t) if has_backup(&t) => {
                let other = self.0.address(to.other())?;
                format!("server {other} backup;\n")
            }
            _ => String::new(),
        };
        let new = format!("# managed by gate-deploy: live slot {to}\n{line}\n{backup}");
        if old.as_deref() == Some(new.as_bytes()) && self.current().await? == Some(to) {
            return Ok("include already up to date; no reload".into());
        }
        atomic_write(&include, new.as_bytes())?;
        if let Err(e) = self.test().await {
            self.restore(&include, old.as_deref())?;
            return Err(e);
        }
        let master = match self.master() {
            Ok(m) => m,
            Err(e) => {
                self.restore(&include, old.as_deref())?;
                return Err(e);
            }
        };
        let old_workers = children(master);
        let (ok, text) = self.nginx(&["-s", "reload"]).await?;
        if !ok {
            self.restore(&include, old.as_deref())?;
            return Err(self.0.err(format!("`nginx -s reload` failed: {text}")));
        }
        // Done only when every pre-reload worker has exited: before that an
        // old worker may still route requests to the old slot.
        let deadline =
            Instant::now() + self.0.cfg.nginx_drain_timeout().max(Duration::from_secs(1));
        loop {
            let now = children(master);
            let remaining: Vec<u32> = old_workers.intersection(&now).copied().collect();
            let fresh = now.difference(&old_workers).count();
            if remaining.is_empty() && fresh > 0 {
                break;
            }
            if Instant::now() >= deadline {
                self.restore(&include, old.as_deref())?;
                let _ = self.nginx(&["-s", "reload"]).await;
                return Err(self.0.err(format!(
                    "after `nginx -s reload`, {} pre-reload worker(s) ({remaining:?}) still running and {fresh} new after {}: the reload did not take (see nginx's error log); previous include restored",
                    remaining.len(),
                    self.0.cfg.nginx_drain_timeout
                )));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(format!(
            "{} pre-reload worker(s) of master {master} exited",
            old_workers.len()
        ))
    }

    fn plan(&self, to: Slot) -> Vec<String> {
        let c = &self.0.cfg;
        let include = c
            .nginx_include
            .as_deref()
            .map(|p| self.0.path(p).display().to_string())
            .unwrap_or_else(|| "(unset)".into());
        let params = c.nginx_server_params.trim();
        let line = match (c.address(to), params.is_empty()) {
            (Some(a), true) => format!("server {a};"),
            (Some(a), false) => format!("server {a} {params};"),
            (None, _) => "(no address)".into(),
        };
        let args = self.args().join(" ");
        let nginx = if args.is_empty() {
            c.nginx_bin.clone()
        } else {
            format!("{} {args}", c.nginx_bin)
        };
        vec![
            format!("`{nginx} -t -q` (the live configuration must be valid)"),
            format!(
                "rewrite {include} atomically to `{line}` (fallback mode, when it holds a `backup` server now: and `server {} backup;`), `{nginx} -t -q` (restore it if rejected), `{nginx} -s reload`",
                c.address(to.other()).unwrap_or("(no address)")
            ),
            format!(
                "wait for every pre-reload worker of the master in {} to exit, at most nginx-drain-timeout ({}), else restore the include and reload",
                self.pid_file().display(),
                c.nginx_drain_timeout
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_lines_are_not_live() {
        let plain = "# managed by gate-deploy: live slot blue\nserver 127.0.0.1:8081;\n";
        assert_eq!(live_servers(plain), ["127.0.0.1:8081"]);
        assert!(!has_backup(plain));
        let fb = "server 127.0.0.1:8082 max_fails=1 fail_timeout=30s;\nserver 127.0.0.1:8081 backup; # old\n";
        assert_eq!(live_servers(fb), ["127.0.0.1:8082"]);
        assert!(has_backup(fb));
        assert!(!has_backup(
            "# server 127.0.0.1:1 backup;\nserver 127.0.0.1:2;"
        ));
        assert!(live_servers("").is_empty());
    }
}
