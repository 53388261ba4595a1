//! Hostile text in a SARIF message never starts a workflow command.

use gate_core::run::testing::{HOSTILE, sweep};
use gate_sarif::SarifGate;

#[test]
fn hostile_sarif_messages_never_start_a_workflow_command() {
    for h in HOSTILE {
        let dir = tempfile::tempdir().unwrap();
        let log = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": h}},
            "results": [{"ruleId": h, "level": "error", "message": {"text": h},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": h},
                "region": {"startLine": 1, "snippet": {"text": h}}}}]}]}]});
        std::fs::write(dir.path().join("h.sarif"), log.to_string()).unwrap();
        let (_, cap, extra) = sweep::<SarifGate>(dir.path(), &["--inputs", "h.sarif"], &[]);
        assert!(extra.is_empty(), "{h:?}: {extra:?}\n{}", cap.stderr);
    }
}
