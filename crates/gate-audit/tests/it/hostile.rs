#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Hostile text where gate-audit prints it (package names and versions from
//! a lockfile a pull request controls, advisory titles, descriptions and
//! URLs from a database fetched from the network), under a simulated Actions
//! runner, in every output format: no command is started by the input.

use gate_audit::gate::AuditGate;
use gate_core::ExitCode;
use gate_core::run::testing::{HOSTILE, sweep};

/// TOML basic-string form of `s` (line breaks as escapes).
fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

#[test]
fn hostile_package_names_and_advisory_texts_start_no_command_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir_all(db.join("crates/victim")).unwrap();
    let hostile_text = HOSTILE.join(" | ");
    std::fs::write(
        db.join("crates/victim/RUSTSEC-2099-0001.md"),
        format!(
            "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"victim\"\n\
             date = \"2099-01-01\"\nurl = {url}\nkeywords = [{kw}]\n\n[versions]\npatched = [\">= 9.0.0\"]\n```\n\n\
             # Title {title}\n\n{body}\n",
            url = toml_str(&format!("https://example.invalid/{}", HOSTILE[0])),
            kw = toml_str(HOSTILE[1]),
            title = HOSTILE[0],
            body = hostile_text,
        ),
    )
    .unwrap();
    let mut lock = String::from(
        "version = 3\n\n[[package]]\nname = \"victim\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    for h in HOSTILE {
        lock.push_str(&format!(
            "\n[[package]]\nname = {}\nversion = {}\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            toml_str(h),
            toml_str("1.0.0"),
        ));
    }
    std::fs::write(dir.path().join("Cargo.lock"), &lock).unwrap();
    let db_arg = db.display().to_string();
    let (code, c, extra) = sweep::<AuditGate>(
        dir.path(),
        &[
            "--lockfile",
            "Cargo.lock",
            "--rustsec-db",
            &db_arg,
            "--max-db-age",
            "off",
            "--yanked",
            "ignore",
            "--no-record",
        ],
        &[],
    );
    assert_eq!(code, ExitCode::Fail, "{}", c.stderr);
    assert!(
        extra.is_empty(),
        "commands started by the input: {extra:#?}"
    );
    // The vulnerable package is found, and every hostile name is refused
    // as a crate name, each annotated by the gate itself.
    assert!(c.stdout.contains("RUSTSEC-2099-0001"), "{}", c.stdout);
    let errors = c
        .commands
        .iter()
        .filter(|l| l.starts_with("::error"))
        .count();
    assert!(errors > HOSTILE.len(), "{:#?}", c.commands);

    // The error path (exit 4, the value quoted in the message) too.
    for h in HOSTILE {
        let bad = lock.replacen(
            "version = \"1.0.0\"",
            &format!("version = {}", toml_str(h)),
            1,
        );
        std::fs::write(dir.path().join("Cargo.lock"), bad).unwrap();
        let (code, c, extra) = sweep::<AuditGate>(
            dir.path(),
            &[
                "--lockfile",
                "Cargo.lock",
                "--rustsec-db",
                &db_arg,
                "--max-db-age",
                "off",
                "--no-record",
            ],
            &[],
        );
        assert_eq!(code, ExitCode::Input, "{h:?}: {}", c.stderr);
        assert!(extra.is_empty(), "{h:?}: {extra:#?}");
    }
}
