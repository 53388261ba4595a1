//! The command switch: a user command moves traffic.

use gate_core::GateError;

use super::{SwitchCtx, TrafficSwitch};
use crate::config::{Slot, SwitchKind};
use crate::hooks::run_hook;

/// The command switch.
#[derive(Debug, Clone)]
pub struct Command(pub(crate) SwitchCtx);

impl TrafficSwitch for Command {
    fn kind(&self) -> SwitchKind {
        SwitchKind::Command
    }

    async fn validate(&self, to: Slot) -> Result<(), GateError> {
        let c = &self.0;
        match &c.cfg.switch_validate {
            None => Ok(()),
            Some(cmd) => {
                let out = run_hook(cmd, &c.env(to, None), c.cfg.hook_timeout(), &c.base)
                    .await
                    .map_err(|e| c.err(e))?;
                if out.success() {
                    Ok(())
                } else {
                    Err(c.err(format!("switch-validate failed: {}", out.describe())))
                }
            }
        }
    }

    async fn current(&self) -> Result<Option<Slot>, GateError> {
        Ok(None)
    }

    async fn apply(&self, to: Slot) -> Result<String, GateError> {
        let c = &self.0;
        let Some(cmd) = &c.cfg.switch_command else {
            return Err(GateError::Config(vec![
                "switch-command: required by the command switch".into(),
            ]));
        };
        let out = run_hook(
            cmd,
            &c.env(to, Some(to.other())),
            c.cfg.hook_timeout(),
            &c.base,
        )
        .await
        .map_err(|e| c.err(e))?;
        if out.success() {
            return Ok(format!("switch-command: {}", out.describe()));
        }
        // Put traffic back where it was.
        let back = run_hook(
            cmd,
            &c.env(to.other(), Some(to)),
            c.cfg.hook_timeout(),
            &c.base,
        )
        .await;
        let restored = match back {
            Ok(b) if b.success() => "previous slot restored".to_string(),
            Ok(b) => format!("restoring the previous slot failed too: {}", b.describe()),
            Err(e) => format!("restoring the previous slot failed too: {e}"),
        };
        Err(c.err(format!(
            "switch-command failed: {}; {restored}",
            out.describe()
        )))
    }

    fn plan(&self, to: Slot) -> Vec<String> {
        let c = &self.0.cfg;
        let env = self
            .0
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
            c.switch_command.as_deref().unwrap_or("(unset)"),
            to.other()
        ));
        v
    }
}
