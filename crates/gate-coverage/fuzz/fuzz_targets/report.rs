//! Fuzz target `report`: never panics, whatever the bytes, and the whole
//! gate's output for them (every format, under a simulated Actions runner)
//! starts no workflow command the gate did not mean to print (see
//! ../README.md).
#![no_main]

use std::path::Path;

use gate_core::run::testing::sweep;
use gate_coverage::gate::CoverageGate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gate_coverage::parse_reader(Path::new("fuzz.report"), data);
    let dir = std::env::temp_dir().join(format!("gate-coverage-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("fuzz.report"), data).expect("write the input");
    let (_, c, extra) = sweep::<CoverageGate>(
        &dir,
        &["--report", "fuzz.report", "--min-file", "50", "--no-record"],
        &[],
    );
    assert!(extra.is_empty(), "commands started by the input: {extra:?}\n{}", c.stdout);
});
