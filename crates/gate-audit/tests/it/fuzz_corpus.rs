//! The fuzz targets' corpus (fuzz/corpus/<target>/) as a plain test on
//! stable: every seed, every truncation of it and deterministic byte
//! mutations go through the same code as the fuzz targets. Nothing may
//! panic, and an error's line must lie inside the input. `cargo fuzz run
//! <target>` explores further (fuzz/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use testkit::mutate::{Rng, mutate};

use gate_audit::lockfile::Ecosystem;
use gate_audit::{osv, rustsec};

fn lines(data: &[u8]) -> u64 {
    data.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

fn run(target: &str, data: &[u8]) {
    match target {
        "advisory" => {
            if let Ok(text) = std::str::from_utf8(data) {
                match rustsec::parse_advisory(
                    Path::new("RUSTSEC-0000-0000.md"),
                    text,
                    rustsec::Collection::Crates,
                ) {
                    Ok(a) => {
                        for v in ["0.0.0", "1.0.0-rc.1", "1.2.3+b", "99.0.0"] {
                            let _ = a.affects(&semver::Version::parse(v).unwrap());
                        }
                    }
                    Err(e) => {
                        if let Some(l) = e.line {
                            assert!(l >= 1 && l <= lines(data), "advisory: line {l}: {e:?}");
                        }
                    }
                }
            }
        }
        "osv" => {
            if let Ok(Some(rec)) = osv::parse_record(Path::new("fuzz.json"), data) {
                for a in rec.affected.iter().flatten() {
                    for eco in Ecosystem::ALL {
                        for v in [
                            "0.0.1",
                            "1.0.0",
                            "2.2.9",
                            "1.0.0-alpha",
                            "1!2.0.post1",
                            "v0.0.0-20191206172530-e9b2fee46413",
                            "v2.0.1+incompatible",
                            "1.8.2.a10",
                            "v2.4.8",
                            "1.0.0-RC1",
                        ] {
                            let _ = osv::affected_contains(eco, v, a, &mut Vec::new());
                        }
                    }
                }
            }
        }
        other => panic!("no fuzz target {other}"),
    }
}

const INTERESTING: &[&[u8]] = &[
    b"\"",
    b"=",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\n",
    b"\0",
    b"\xff",
    b"version = 5",
    b"0",
    b"-",
    b"^",
    b">= ",
    b"\"lockfileVersion\": 3",
    b"==",
    b"\\",
    b"\xe2\x82",
    b"\"introduced\"",
    b"__metadata:\n  version: 8\n",
    b"lockfileVersion: '9.0'\n",
    b"require (\n",
    b"    a (1.0)\n",
    b"  version \"",
    b": {",
    b"'",
    b"99999999999999999999",
];

#[test]
fn corpus_truncations_and_mutations_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seeds = 0;
    for target in ["advisory", "osv"] {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ target.len() as u64);
        for e in std::fs::read_dir(root.join(target)).unwrap() {
            let data = std::fs::read(e.unwrap().path()).unwrap();
            seeds += 1;
            run(target, &data);
            // every truncation of small seeds; about 2,000 evenly spaced
            // ones of the larger real lockfiles (keeps the test quick)
            let step = (data.len() / 2000).max(1);
            for cut in (0..data.len()).step_by(step) {
                run(target, &data[..cut]);
            }
            for _ in 0..300 {
                run(target, &mutate(&data, &mut rng, INTERESTING));
            }
        }
    }
    assert!(seeds >= 3, "corpus has {seeds} seeds");
}
