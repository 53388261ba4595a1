//! Fuzz target `istanbul`: never panics, whatever the bytes (see ../README.md).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gate_coverage::parse::json::parse_istanbul(Path::new("fuzz.json"), data);
});
