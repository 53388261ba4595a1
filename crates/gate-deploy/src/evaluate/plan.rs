//! The reports of a dry run and of a refused rollback.

use gate_core::report::{Finding, Metric, Report, Severity};

use crate::flow::{Plan, Refusal};
use crate::rules::DeployRule;

/// The report of `--dry-run` (gate-deploy or gate-rollback). Pure.
pub fn evaluate_plan(gate: &str, p: &Plan) -> Report {
    let mut r = Report::new(gate);
    let env = &p.environment;
    r.checked = p.inspected;
    let show = |sr: &crate::state::SlotRelease| format!("{} ({})", sr.slot, sr.release);
    let now = p
        .from
        .as_ref()
        .map(show)
        .unwrap_or_else(|| "no slot".into());
    r.summary = match (p.operation.as_str(), &p.to) {
        (_, None) => format!("{env}: dry run: no rollback (live now: {now}); nothing was changed"),
        ("rollback", Some(to)) => format!(
            "{env}: dry run: would roll back from {now} to {} through the {} switch; nothing was changed",
            show(to),
            p.switch
        ),
        (_, Some(to)) if p.already_live => format!(
            "{env}: dry run: {} is already live on {}; a run would probe it and change nothing if it is healthy",
            to.release,
            p.from.as_ref().map(|f| f.slot.as_str()).unwrap_or("?")
        ),
        (_, Some(to)) => format!(
            "{env}: dry run: would put {} live through the {} switch (live now: {now}); nothing was changed",
            show(to),
            p.switch
        ),
    };
    for (i, st) in p.steps.iter().enumerate() {
        let mut msg = format!("{}: {}", st.phase, st.action);
        if let Some(c) = &st.command {
            msg.push_str(&format!(": `sh -c {c}`"));
        }
        if !st.env.is_empty() {
            let env: Vec<String> = st.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            msg.push_str(&format!(" with {}", env.join(" ")));
        }
        r.findings
            .push(Finding::new(DeployRule::Plan, Severity::Note, msg).with_key(format!("s{i:03}")));
    }
    for w in &p.warnings {
        r.findings.push(Finding::new(
            DeployRule::DeployWarning,
            Severity::Warning,
            w.clone(),
        ));
    }
    if let Some(why) = &p.refused {
        r.findings.push(
            Finding::new(DeployRule::NoRollbackTarget, Severity::Error, why.clone())
                .with_key(env.clone()),
        );
    }
    r.details = serde_json::to_value(p).unwrap_or(serde_json::Value::Null);
    r.finish()
}

/// The report of a gate-rollback that found no target verified live. Pure.
pub fn evaluate_refusal(f: &Refusal) -> Report {
    let mut r = Report::new("rollback");
    let env = &f.environment;
    // The ledger's deployments were what it checked.
    r.checked = f.deployments_read;
    r.summary = match &f.candidate {
        Some(c) => format!(
            "{env}: refused to roll back to {} ({}): not a release verified live; nothing changed",
            c.slot, c.release
        ),
        None => format!("{env}: nothing to roll back to; nothing changed"),
    };
    r.findings.push(
        Finding::new(
            DeployRule::NoRollbackTarget,
            Severity::Error,
            f.reason.clone(),
        )
        .with_key(env.clone()),
    );
    r.metrics.push(Metric::info(
        "deployments",
        f.deployments_read as f64,
        "count",
    ));
    r.details = serde_json::to_value(f).unwrap_or(serde_json::Value::Null);
    r.finish()
}
