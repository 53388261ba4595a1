//! Fuzz target `diff`: never panics, whatever the bytes (see ../README.md).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gate_coverage::diff::parse_unified_diff(Path::new("fuzz.diff"), data);
    let _ = gate_coverage::diff::parse_diff_cover(Path::new("fuzz.diff"), data);
});
