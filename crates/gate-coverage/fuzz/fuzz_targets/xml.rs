//! Fuzz target `xml`: never panics, whatever the bytes (see ../README.md).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gate_coverage::parse::xml::parse(Path::new("fuzz.xml"), data);
});
