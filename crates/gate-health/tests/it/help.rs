//! `gate-health --help` is part of the interface: a snapshot keeps it honest.

#[test]
fn help_snapshot() {
    let help = gate_core::run::command::<gate_health::gate::HealthGate>()
        .render_long_help()
        .to_string();
    insta::assert_snapshot!(help);
}
