//! Reports are untrusted text (a pull request controls what its gates
//! quote): whatever they say, gate-score prints no workflow command it did
//! not mean to, in any format, summary or step output.

use crate::common;

use common::*;
use gate_core::report::{Finding, RunnerRule, Severity};
use gate_core::run::testing::{HOSTILE, sweep};
use gate_score::ScoreGate;

#[test]
fn hostile_text_in_reports_never_starts_a_workflow_command() {
    for h in HOSTILE {
        let dir = tempfile::tempdir().unwrap();
        record_all(dir.path());
        let mut r = report("coverage-failed");
        r.summary = format!("summary {h}");
        let mut f = Finding::new(
            RunnerRule::NothingChecked,
            Severity::Error,
            format!("pkg 1.0: {h}; upgrade to {h}"),
        )
        .with_security_severity(9.8);
        f.key = Some(h.to_string());
        r.findings.push(f);
        std::fs::write(
            dir.path().join("hostile.json"),
            serde_json::to_string(&r).unwrap(),
        )
        .unwrap();
        // A key no gate would write is left out, and says so safely.
        r.instance = Some(h.to_string());
        std::fs::write(
            dir.path().join("instance.json"),
            serde_json::to_string(&r).unwrap(),
        )
        .unwrap();
        let c = commit();
        let (_, cap, extra) = sweep::<ScoreGate>(
            dir.path(),
            &[
                "--report",
                "hostile.json,instance.json",
                "--explain",
                "--ledger",
                "local",
            ],
            &[("GITHUB_SHA", &c)],
        );
        assert!(extra.is_empty(), "{h:?}: {extra:?}\n{}", cap.stderr);
        let summary = std::fs::read_to_string(dir.path().join(".gh-summary")).unwrap();
        let commands = gate_core::escape::runner_model::unintended(&summary, &[]);
        assert!(commands.is_empty(), "{h:?} in the summary: {commands:?}");
        assert!(cap.stdout.contains("critical-vulnerability"), "{h:?}");
        assert!(cap.stdout.contains("its instance name is not one"), "{h:?}");
    }
}
