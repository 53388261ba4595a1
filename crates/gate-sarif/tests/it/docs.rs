//! Every `gate-sarif` command written in README.md and docs/ parses with the
//! gate's flags as they are: the docs cannot drift from the binary.

#[test]
fn every_documented_command_parses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (checked, problems) =
        gate_core::run::testing::check_doc_commands::<gate_sarif::SarifGate>(&root);
    assert!(checked > 0, "no gate-sarif command found in the docs");
    assert!(
        problems.is_empty(),
        "{checked} commands, {} wrong:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
