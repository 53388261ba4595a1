//! Fuzz target `cargo_lock`: the parser never panics, whatever the bytes (see ../README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gates_lockfile::parse(gates_lockfile::Kind::Cargo, "fuzz", data);
});
