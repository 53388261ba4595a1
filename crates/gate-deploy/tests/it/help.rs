//! `gate-deploy --help` and `gate-rollback`'s are part of the interface.

#[test]
fn help_snapshot() {
    let help = gate_core::run::command::<gate_deploy::DeployGate>()
        .render_long_help()
        .to_string();
    insta::assert_snapshot!(help);
}

#[test]
fn status_help_snapshot() {
    let mut cmd = gate_core::run::command::<gate_deploy::DeployGate>();
    let help = cmd
        .find_subcommand_mut("status")
        .map(|c| c.render_long_help().to_string())
        .unwrap_or_default();
    insta::assert_snapshot!(help);
}
