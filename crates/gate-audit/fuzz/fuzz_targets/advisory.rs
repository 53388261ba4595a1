//! Fuzz target `advisory`: RustSec front matter and Cargo requirements never
//! panic, and a parsed advisory answers `affects` for any version.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(a) = gate_audit::rustsec::parse_advisory(
            Path::new("RUSTSEC-0000-0000.md"),
            text,
            gate_audit::rustsec::Collection::Crates,
        ) {
            for v in ["0.0.0", "1.0.0-rc.1", "1.2.3+b", "99.0.0"] {
                let _ = a.affects(&semver::Version::parse(v).unwrap_or(semver::Version::new(0, 0, 0)));
            }
        }
    }
});
