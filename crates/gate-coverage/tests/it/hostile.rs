#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Hostile file names in a coverage report, under a simulated Actions
//! runner, in every output format: no command is started by the input, and
//! the gate's own annotations are all there.

use gate_core::ExitCode;
use gate_core::run::testing::{HOSTILE, sweep};
use gate_coverage::gate::CoverageGate;

#[test]
fn hostile_file_names_start_no_command_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut lcov = String::new();
    for (i, name) in HOSTILE.iter().enumerate() {
        // LCOV is line-based: the line breaks of a name end its SF: line,
        // so only the part before them can be a path; the rest of the name
        // follows as a malformed-free comment line the parser skips.
        let path = name.split(['\n', '\r']).next().unwrap_or(name);
        let path = format!("src/{i}{path}.py");
        lcov.push_str(&format!(
            "TN:\nSF:{path}\nDA:1,1\nDA:2,0\nDA:3,0\nend_of_record\n"
        ));
    }
    std::fs::write(dir.path().join("c.lcov"), lcov).unwrap();
    let (code, c, extra) = sweep::<CoverageGate>(
        dir.path(),
        &["--report", "c.lcov", "--min-file", "50", "--no-record"],
        &[],
    );
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert!(
        extra.is_empty(),
        "commands started by the input: {extra:#?}"
    );
    let ours = gate_core::github::escape::runner_model::parse_output(&c.commands.join("\n"));
    assert!(
        ours.iter().filter(|p| p.command == "error").count() >= HOSTILE.len(),
        "every failing file is annotated: {ours:#?}"
    );
    // The JSON on stdout still carries the names as they were.
    assert!(
        c.stdout.contains("a\\u0023#[stop-commands]z"),
        "{}",
        c.stdout
    );
}

/// Argument errors quote the value as given; through the action's
/// `fail-on`, `ledger` and `args` inputs that value is hostile. The real
/// binary, with the values in its environment as the action passes them.
#[test]
fn hostile_argument_values_from_the_environment_start_no_command() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value, args) in [
        ("GATES_FAIL_ON", "x\n::error title=forged::INJ", vec![]),
        ("GATES_LEDGER", "x\r::warning title=forged::INJ", vec![]),
        ("GATES_FORMAT", "x\r\n##[add-mask]INJ", vec![]),
        ("GATES_X", "", vec!["--x\n##[add-mask]INJ"]),
        (
            "GATES_X",
            "",
            vec![
                "--report",
                "a\n::error title=forged::INJ",
                "--min-file",
                "x\r::error::INJ",
            ],
        ),
    ] {
        let out = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-coverage"))
            .args(&args)
            .current_dir(dir.path())
            .env(var, value)
            .env("GITHUB_ACTIONS", "true")
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let cmds =
            gate_core::github::escape::runner_model::parse_output(&format!("{stdout}\n{stderr}"));
        // A usage or input error starts at most the gate's own `::error`.
        assert!(
            cmds.iter().all(|c| c.command == "error"
                && !c.legacy
                && c.properties.iter().all(|(_, v)| v != "forged")),
            "{var} {args:?}: {cmds:#?}\n{stderr}"
        );
        assert!(
            matches!(out.status.code(), Some(2..=4)),
            "{var} {args:?}: {:?} {stderr}",
            out.status
        );
        assert!(
            !stderr.contains('\u{1b}'),
            "no colour on a pipe: {stderr:?}"
        );
    }
}
