//! The symlink switch: a new link renamed over the old one.

use std::path::PathBuf;

use gate_core::GateError;

use super::{SwitchCtx, TrafficSwitch};
use crate::config::{Slot, SwitchKind};

/// The symlink switch.
#[derive(Debug, Clone)]
pub struct Symlink(pub(crate) SwitchCtx);

impl Symlink {
    fn paths(&self, slot: Slot) -> Result<(PathBuf, String), GateError> {
        let link = self
            .0
            .cfg
            .symlink
            .as_deref()
            .map(|p| self.0.path(p))
            .ok_or_else(|| {
                GateError::Config(vec!["symlink: required by the symlink switch".into()])
            })?;
        let target = self.0.cfg.target(slot).ok_or_else(|| {
            GateError::Config(vec![format!(
                "{slot}-target: required by the symlink switch"
            )])
        })?;
        Ok((link, target.to_string()))
    }
}

impl TrafficSwitch for Symlink {
    fn kind(&self) -> SwitchKind {
        SwitchKind::Symlink
    }

    async fn validate(&self, to: Slot) -> Result<(), GateError> {
        let (link, target) = self.paths(to)?;
        let resolved = match link.parent() {
            Some(dir) => dir.join(&target),
            None => PathBuf::from(&target),
        };
        if !resolved.exists() {
            return Err(self.0.err(format!(
                "{to}-target `{target}` does not exist (resolved from {}: {})",
                link.display(),
                resolved.display()
            )));
        }
        Ok(())
    }

    /// Before the start: only that the configuration names the link and
    /// both targets. The link's directory and the target may both be what
    /// the start hook creates; the switch checks them, in `validate`.
    async fn preflight(&self, to: Slot) -> Result<(), GateError> {
        self.paths(to).map(|_| ())
    }

    async fn current(&self) -> Result<Option<Slot>, GateError> {
        let (link, _) = self.paths(Slot::Blue)?;
        let Ok(now) = std::fs::read_link(&link) else {
            return Ok(None);
        };
        let now = now.to_string_lossy().into_owned();
        Ok([Slot::Blue, Slot::Green]
            .into_iter()
            .find(|s| self.0.cfg.target(*s) == Some(now.as_str())))
    }

    async fn apply(&self, to: Slot) -> Result<String, GateError> {
        let (link, target) = self.paths(to)?;
        let name = link
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "link".into());
        let tmp = link.with_file_name(format!(".{name}.gates-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp)
            .map_err(|e| self.0.err(format!("creating {}: {e}", tmp.display())))?;
        // rename(2) replaces the old link in one step: readers see the old
        // target or the new one, never nothing.
        if let Err(e) = std::fs::rename(&tmp, &link) {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.0.err(format!("renaming over {}: {e}", link.display())));
        }
        if let Some(dir) = link.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(format!("{} -> {target}", link.display()))
    }

    fn plan(&self, to: Slot) -> Vec<String> {
        let c = &self.0.cfg;
        let link = c
            .symlink
            .as_deref()
            .map(|p| self.0.path(p).display().to_string())
            .unwrap_or_else(|| "(unset)".into());
        vec![format!(
            "point {link} at `{}` (a new link renamed over the old one)",
            c.target(to).unwrap_or("(unset)")
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Switch, TrafficSwitch};
    use crate::config::{DeployConfig, Slot, SwitchKind};

    /// The plan phase runs before the start hook, which may create the
    /// link's directory and the release it points at: `preflight` checks the
    /// configuration only, `validate` (before the switch itself) the disk.
    #[tokio::test]
    async fn preflight_accepts_what_the_start_hook_creates_and_validate_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = DeployConfig {
            symlink: Some("site/current".into()),
            blue_target: Some("releases/blue".into()),
            green_target: Some("releases/green".into()),
            ..DeployConfig::default()
        };
        let switch = Switch::new(SwitchKind::Symlink, &cfg, dir.path());
        switch.preflight(Slot::Blue).await.unwrap();
        assert!(switch.validate(Slot::Blue).await.is_err());

        std::fs::create_dir_all(dir.path().join("site/releases/blue")).unwrap();
        switch.validate(Slot::Blue).await.unwrap();

        let unnamed = DeployConfig {
            symlink: Some("site/current".into()),
            ..DeployConfig::default()
        };
        let switch = Switch::new(SwitchKind::Symlink, &unnamed, dir.path());
        assert!(switch.preflight(Slot::Blue).await.is_err());
    }
}
