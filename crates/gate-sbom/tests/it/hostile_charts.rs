#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The licence-mix chart and the reachability note quote text from the
//! SBOM checked (licence names, the root's bom-ref): hostile values, under a
//! simulated Actions runner, in every output format, start no command.

use gate_core::run::testing::{HOSTILE, sweep};
use gate_sbom::gate::SbomGate;
use serde_json::json;

#[test]
fn hostile_licences_and_root_refs_start_no_command() {
    let dir = tempfile::tempdir().unwrap();
    let comps: Vec<serde_json::Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, h)| {
            json!({
                "type": "library", "bom-ref": format!("c{i}"), "name": format!("c{i}"),
                "version": "1.0.0", "purl": format!("pkg:npm/c{i}@1.0.0"),
                "licenses": [{"license": {"name": h}}],
            })
        })
        .collect();
    let doc = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        // syft's shape: a root the graph does not name (the note quotes it)
        "metadata": {"component": {"type": "file", "name": "x", "bom-ref": HOSTILE[0]}},
        "components": comps,
        "dependencies": [],
    });
    std::fs::write(
        dir.path().join("s.cdx.json"),
        serde_json::to_vec(&doc).unwrap(),
    )
    .unwrap();
    let (_code, c, extra) =
        sweep::<SbomGate>(dir.path(), &["check", "s.cdx.json", "--no-record"], &[]);
    assert!(
        extra.is_empty(),
        "commands started by the input: {extra:#?}"
    );
    assert!(c.stdout.contains("License mix"), "{}", c.stdout);
    assert!(c.stdout.contains("reachability-unchecked"), "{}", c.stdout);
}
