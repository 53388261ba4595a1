//! The Caddy switch: the admin API's `upstreams` of a reverse_proxy handler.

use gate_core::GateError;

use super::{ADMIN_TIMEOUT, SwitchCtx, TrafficSwitch};
use crate::config::{Slot, SwitchKind};

/// The Caddy switch.
#[derive(Debug, Clone)]
pub struct Caddy(pub(crate) SwitchCtx);

impl Caddy {
    async fn upstreams(&self) -> Result<serde_json::Value, GateError> {
        let c = &self.0;
        let (status, body) = crate::http::request(
            http::Method::GET,
            c.cfg.caddy_admin.as_str(),
            &c.cfg.caddy_upstreams_path,
            None,
            ADMIN_TIMEOUT,
        )
        .await
        .map_err(|e| c.err(format!("admin API {}: {e}", c.cfg.caddy_admin)))?;
        if status != 200 {
            return Err(c.err(format!(
                "GET {}{} answered {status}: {} (check caddy-upstreams-path)",
                c.cfg.caddy_admin,
                c.cfg.caddy_upstreams_path,
                body.trim()
            )));
        }
        let v: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| c.err(format!("admin API answer is not JSON: {e}")))?;
        if !v.is_array() {
            return Err(c.err(format!(
                "{} is not an upstreams array in Caddy's config (found {}); point caddy-upstreams-path at a reverse_proxy handler's `upstreams`",
                c.cfg.caddy_upstreams_path,
                body.trim()
            )));
        }
        Ok(v)
    }

    async fn patch(&self, value: &serde_json::Value) -> Result<(), GateError> {
        let c = &self.0;
        let (status, body) = crate::http::request(
            http::Method::PATCH,
            c.cfg.caddy_admin.as_str(),
            &c.cfg.caddy_upstreams_path,
            Some(value.to_string()),
            ADMIN_TIMEOUT,
        )
        .await
        .map_err(|e| c.err(format!("admin API {}: {e}", c.cfg.caddy_admin)))?;
        if status == 200 {
            Ok(())
        } else {
            Err(c.err(format!(
                "PATCH {} answered {status}: {}",
                c.cfg.caddy_upstreams_path,
                body.trim()
            )))
        }
    }
}

impl TrafficSwitch for Caddy {
    fn kind(&self) -> SwitchKind {
        SwitchKind::Caddy
    }

    async fn validate(&self, to: Slot) -> Result<(), GateError> {
        self.upstreams().await?;
        self.0.address(to)?;
        Ok(())
    }

    async fn current(&self) -> Result<Option<Slot>, GateError> {
        let ups = self.upstreams().await?;
        let dials: Vec<&str> = ups
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u.get("dial").and_then(|d| d.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(self.0.slot_of_addresses(&dials))
    }

    async fn apply(&self, to: Slot) -> Result<String, GateError> {
        let old = self.upstreams().await?;
        let new = serde_json::json!([{ "dial": self.0.address(to)? }]);
        // Caddy validates the whole new config and keeps the old one on error.
        if let Err(e) = self.patch(&new).await {
            let _ = self.patch(&old).await;
            return Err(e);
        }
        if self.current().await? != Some(to) {
            let _ = self.patch(&old).await;
            return Err(self.0.err(
                "Caddy accepted the change but does not report it; previous upstreams restored",
            ));
        }
        Ok(format!("upstreams = {new}"))
    }

    fn plan(&self, to: Slot) -> Vec<String> {
        let c = &self.0.cfg;
        vec![format!(
            "GET {admin}{path}, then PATCH it to [{{\"dial\": \"{}\"}}] and read it back (the old value is PATCHed back on any error)",
            c.address(to).unwrap_or("(unset)"),
            admin = c.caddy_admin.as_str().trim_end_matches('/'),
            path = c.caddy_upstreams_path,
        )]
    }
}
