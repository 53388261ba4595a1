//! Fuzz target `sarif`: parsing any bytes as SARIF, and matching the results
//! against themselves in new-only mode, never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(results) = gate_sarif::sarif::parse(Path::new("fuzz.sarif"), data) {
        for r in &results {
            let _ = r.identity_hash();
        }
        assert!(gate_sarif::evaluate::results::new_only(&results, &results).is_empty());
    }
});
