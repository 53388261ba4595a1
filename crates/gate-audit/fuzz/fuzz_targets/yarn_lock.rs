#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // never panics; errors carry a line inside the input
    let _ = gate_audit::lockfile::parse(gate_audit::lockfile::Kind::Yarn, "fuzz", data);
});
