//! A JUnit report is untrusted text (a pull request controls its test
//! names and failure messages): whatever it says, gate-tests prints no
//! workflow command it did not mean to, in any format, summary or output.

use gate_core::run::testing::{HOSTILE, sweep};
use gate_tests::TestsGate;

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
}

#[test]
fn hostile_test_names_and_messages_never_start_a_workflow_command() {
    for h in HOSTILE {
        let dir = tempfile::tempdir().unwrap();
        let e = xml_escape(h);
        let xml = format!(
            "<testsuites><testsuite name=\"{e}\"><testcase classname=\"{e}\" name=\"{e}\" file=\"{e}\" line=\"1\"><failure message=\"{e}\">{e}</failure></testcase><testcase classname=\"c\" name=\"r\"><flakyFailure message=\"{e}\"/></testcase></testsuite></testsuites>"
        );
        std::fs::write(dir.path().join("r.xml"), xml).unwrap();
        let (_, cap, extra) = sweep::<TestsGate>(dir.path(), &["--inputs", "r.xml"], &[]);
        assert!(extra.is_empty(), "{h:?}: {extra:?}\n{}", cap.stderr);
        let summary = std::fs::read_to_string(dir.path().join(".gh-summary")).unwrap();
        let commands = gate_core::escape::runner_model::unintended(&summary, &[]);
        assert!(commands.is_empty(), "{h:?} in the summary: {commands:?}");
        assert!(cap.stdout.contains("test-failed"), "{h:?}: {}", cap.stderr);
        assert!(cap.stdout.contains("flaky-test"), "{h:?}");
    }
}
