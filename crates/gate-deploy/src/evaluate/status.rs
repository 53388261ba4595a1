//! The report of `gate-deploy status`: what the ledger and the proxy say.

use gate_core::report::{Finding, Metric, Report, Severity};

use crate::flow::StatusView;
use crate::rules::DeployRule;

/// The report of `gate-deploy status`. Pure.
pub fn evaluate_status(s: &StatusView) -> Report {
    let mut r = Report::new("deploy");
    let st = &s.state;
    let env = &st.environment;
    r.checked = (st.history.len() as u64).max(1);
    r.summary = match &st.live {
        Some(l) => format!(
            "{env}: {} live with {}{}",
            l.slot,
            l.release,
            st.live_since
                .map(|id| format!(" (deployment {id})"))
                .unwrap_or_default()
        ),
        None if st.history.is_empty() => format!("{env}: no deployment recorded yet"),
        None => format!("{env}: no slot is known to be live"),
    };
    if let Some(f) = &st.fallback {
        r.summary
            .push_str(&format!("; rollback target {} ({})", f.slot, f.release));
    }
    unfinished(&mut r, s);
    proxy(&mut r, s);
    history(&mut r, s);
    r.metrics.push(Metric::info(
        "deployments",
        st.history.len() as f64,
        "count",
    ));
    r.details = serde_json::to_value(s).unwrap_or(serde_json::Value::Null);
    r.finish()
}

/// `interrupted-deploy`: a note for a deployment running now, a warning
/// for one that stopped and never finished.
fn unfinished(r: &mut Report, s: &StatusView) {
    let st = &s.state;
    for u in &st.unfinished {
        let (sev, msg) = if s.running.contains(&u.id) {
            (
                Severity::Note,
                format!(
                    "deployment {} ({} {} to {}) is running now, in phase {}",
                    u.id, u.kind, u.release, u.slot, u.phase
                ),
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "deployment {} ({} {} to {}) stopped in phase {} at {} and never finished{}; run gate-rollback to restore {}, or re-run the deploy",
                    u.id,
                    u.kind,
                    u.release,
                    u.slot,
                    u.phase,
                    u.last_update.format("%Y-%m-%d %H:%M:%S UTC"),
                    if u.live_at_last_status.is_none() {
                        " while switching: traffic may be on either slot"
                    } else {
                        ""
                    },
                    st.live
                        .as_ref()
                        .or(u.previous.as_ref())
                        .map(|l| format!("{} ({})", l.slot, l.release))
                        .unwrap_or_else(|| "the last known-good slot".into())
                ),
            )
        };
        r.findings.push(
            Finding::new(DeployRule::InterruptedDeploy, sev, msg)
                .with_key(format!("deployment-{}", u.id)),
        );
    }
}

/// `proxy-disagrees` when the switch sends traffic elsewhere than the
/// ledger records, and a warning when the switch could not be asked.
fn proxy(r: &mut Report, s: &StatusView) {
    let st = &s.state;
    match (&st.live, s.proxy_live) {
        (Some(l), Some(p)) if l.slot != p => r.findings.push(Finding::new(
            DeployRule::ProxyDisagrees,
            Severity::Warning,
            format!(
                "the ledger records {} live but the {} switch sends traffic to {p}",
                l.slot,
                s.switch.clone().unwrap_or_default()
            ),
        )),
        _ => {}
    }
    if let Some(e) = &s.proxy_error {
        r.findings.push(Finding::new(
            DeployRule::DeployWarning,
            Severity::Warning,
            format!("could not ask the switch which slot is live: {e}"),
        ));
    }
}

/// `history`: one note per recorded deployment, newest first.
fn history(r: &mut Report, s: &StatusView) {
    for h in &s.state.history {
        r.findings.push(
            Finding::new(
                DeployRule::History,
                Severity::Note,
                format!(
                    "#{} {} {} to {} at {}: {}{}",
                    h.id,
                    h.kind,
                    h.release.clone().unwrap_or_else(|| "?".into()),
                    h.slot.map(|s| s.to_string()).unwrap_or_else(|| "?".into()),
                    h.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    h.state.clone().unwrap_or_else(|| "no status".into()),
                    h.description
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ),
            )
            .with_key(format!("h{:010}", u64::MAX - h.id)),
        );
    }
}
