//! Fuzz target `lcov`: never panics, whatever the bytes (see ../README.md).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gate_coverage::parse::lcov::parse(Path::new("fuzz.lcov"), data);
});
