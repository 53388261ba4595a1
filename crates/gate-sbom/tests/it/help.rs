//! `gate-sbom --help` is part of the interface: a snapshot keeps it honest.

#[test]
fn help_snapshot() {
    let help = gate_core::run::command::<gate_sbom::gate::SbomGate>()
        .render_long_help()
        .to_string();
    insta::assert_snapshot!(help);
}

#[test]
fn check_help_snapshot() {
    let mut cmd = gate_core::run::command::<gate_sbom::gate::SbomGate>();
    let help = cmd
        .find_subcommand_mut("check")
        .map(|c| c.render_long_help().to_string())
        .unwrap_or_default();
    insta::assert_snapshot!(help);
}
