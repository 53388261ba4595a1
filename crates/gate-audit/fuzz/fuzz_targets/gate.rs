//! Fuzz target `gate`: the whole gate on a Cargo.lock of any bytes (see
//! ../README.md), every output format under a simulated Actions runner: it
//! never panics, and no workflow command is started by the input.
#![no_main]

use gate_audit::gate::AuditGate;
use gate_core::run::testing::sweep;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("gate-audit-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("db/crates")).expect("temp dir");
    std::fs::write(dir.join("Cargo.lock"), data).expect("write the input");
    let db = dir.join("db").display().to_string();
    let (_, c, extra) = sweep::<AuditGate>(
        &dir,
        &["--lockfile", "Cargo.lock", "--rustsec-db", &db, "--max-db-age", "off", "--yanked", "ignore", "--no-record"],
        &[],
    );
    assert!(extra.is_empty(), "commands started by the input: {extra:?}\n{}", c.stdout);
});
