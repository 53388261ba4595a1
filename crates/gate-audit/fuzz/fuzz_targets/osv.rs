//! Fuzz target `osv`: OSV records never panic the parser or the range walk.
#![no_main]

use std::path::Path;

use gate_audit::lockfile::Ecosystem;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(rec)) = gate_audit::osv::parse_record(Path::new("fuzz.json"), data) {
        for a in rec.affected.iter().flatten() {
            for eco in [Ecosystem::Npm, Ecosystem::PyPI, Ecosystem::CratesIo] {
                for v in ["0.0.1", "1.0.0", "2.2.9", "1.0.0-alpha", "1!2.0.post1"] {
                    let _ = gate_audit::osv::affected_contains(eco, v, a, &mut Vec::new());
                }
            }
        }
    }
});
