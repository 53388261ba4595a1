#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // never panics; errors carry a line inside the input
    let _ = gates_lockfile::parse(gates_lockfile::Kind::Pipfile, "fuzz", data);
});
