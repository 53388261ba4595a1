//! Every gate xtask knows: its id, section schema, command and rules, in
//! the order of `gate_core::config::SECTIONS` (the one registry of
//! sections).

use serde_json::Value;

/// One gate as xtask sees it: its id, its section schema, its command.
pub struct GateInfo {
    pub id: &'static str,
    pub schema: Value,
    pub command: clap::Command,
    pub rules: &'static [gate_core::report::Rule],
}

fn info<G: gate_core::Gate>() -> GateInfo {
    GateInfo {
        id: G::ID,
        schema: gate_core::config::section_schema::<G::Config>(),
        command: gate_core::run::command::<G>(),
        rules: G::RULES,
    }
}

/// Every gate, in the order of `gate_core::config::SECTIONS` (the one
/// registry of sections): this list only says which type each id is, and
/// a section without a type, or a type without a section, is an error.
pub fn gates() -> Result<Vec<GateInfo>, String> {
    let mut known = vec![
        info::<gate_coverage::gate::CoverageGate>(),
        info::<gate_audit::gate::AuditGate>(),
        info::<gate_sbom::SbomGate>(),
        info::<gate_health::gate::HealthGate>(),
        info::<gate_load::LoadGate>(),
        info::<gate_deploy::DeployGate>(),
        info::<gate_rollback::RollbackGate>(),
        info::<gate_score::ScoreGate>(),
        info::<gate_tests::TestsGate>(),
        info::<gate_sarif::SarifGate>(),
        // new-gate: gate
    ];
    let mut out = Vec::new();
    for id in gate_core::config::SECTIONS {
        let i = known.iter().position(|g| g.id == *id).ok_or_else(|| {
            format!("gate_core::config::SECTIONS lists `{id}`, but xtask/src/gates.rs has no gate type for it; add it to `gates()`")
        })?;
        out.push(known.remove(i));
    }
    if let Some(g) = known.first() {
        return Err(format!(
            "gate `{}` is not in gate_core::config::SECTIONS; add it there",
            g.id
        ));
    }
    Ok(out)
}
