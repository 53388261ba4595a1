//! Fuzz target `report`: never panics, whatever the bytes (see ../README.md).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gate_coverage::parse_reader(Path::new("fuzz.report"), data);
});
