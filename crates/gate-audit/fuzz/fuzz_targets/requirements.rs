//! Fuzz target `requirements`: the parser never panics, whatever the bytes (see ../README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gate_audit::lockfile::parse(gate_audit::lockfile::Kind::Requirements, "fuzz", data);
});
