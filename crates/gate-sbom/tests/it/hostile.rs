#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Hostile text where gate-sbom prints it (component names, versions,
//! purls and licenses from an SBOM or a lockfile a pull request controls),
//! under a simulated Actions runner, in every output format: no command is
//! started by the input.

use gate_core::ExitCode;
use gate_core::run::testing::{HOSTILE, sweep};
use gate_sbom::SbomGate;

#[test]
fn hostile_component_texts_start_no_command_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let components: Vec<serde_json::Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, h)| {
            serde_json::json!({
                "type": "library",
                "bom-ref": format!("ref-{i}-{h}"),
                "name": h,
                "version": h,
                "purl": format!("pkg:npm/{i}{h}@1.0.0"),
                "licenses": [{ "license": { "name": h } }],
            })
        })
        .collect();
    let bom = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": { "component": { "type": "application", "bom-ref": "root", "name": HOSTILE[1] } },
        "components": components,
        "dependencies": [{ "ref": "root", "dependsOn": ["ref-0-missing"] }],
    });
    std::fs::write(
        dir.path().join("bom.json"),
        serde_json::to_string(&bom).unwrap(),
    )
    .unwrap();
    let (code, c, extra) = sweep::<SbomGate>(
        dir.path(),
        &[
            "check",
            "bom.json",
            "--min-licenses",
            "100",
            "--min-hashes",
            "100",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert!(
        extra.is_empty(),
        "commands started by the input: {extra:#?}"
    );
    assert!(
        c.commands.iter().any(|l| l.starts_with("::error")),
        "the gate's own annotations are there: {:#?}",
        c.commands
    );
}
