//! `gate-audit --help` is part of the interface: a snapshot keeps it honest.

#[test]
fn help_snapshot() {
    let help = gate_core::run::command::<gate_audit::gate::AuditGate>()
        .render_long_help()
        .to_string();
    insta::assert_snapshot!(help);
}

/// `--help` names every lockfile kind gate-core reads (it listed 3 of 11).
#[test]
fn help_names_every_lockfile_kind() {
    let help = gate_core::run::command::<gate_audit::gate::AuditGate>()
        .render_long_help()
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for kind in gates_lockfile::SUPPORTED_NAMES.split(", ") {
        assert!(help.contains(kind), "--help does not name {kind}");
    }
}
