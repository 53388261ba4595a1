//! `gate-rollback --help` is part of the interface.

#[test]
fn help_snapshot() {
    let help = gate_core::run::command::<gate_rollback::RollbackGate>()
        .render_long_help()
        .to_string();
    insta::assert_snapshot!(help);
}
