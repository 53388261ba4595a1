//! The fuzz targets' corpus (fuzz/corpus/<target>/) as a plain test on
//! stable: every seed, every truncation of it and a deterministic set of
//! byte mutations go through the target's parser. No input may panic; every
//! error names the file it read. `cargo fuzz run <target>` explores further
//! (fuzz/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use gate_coverage::CoverageError;

const NAME: &str = "fuzz.input";

fn run_target(target: &str, data: &[u8]) -> Vec<Result<(), CoverageError>> {
    let p = Path::new(NAME);
    match target {
        "lcov" => vec![gate_coverage::parse::lcov::parse(p, data).map(drop)],
        "xml" => vec![gate_coverage::parse::xml::parse(p, data).map(drop)],
        "go" => vec![gate_coverage::parse::go::parse(p, data).map(drop)],
        "istanbul" => vec![gate_coverage::parse::json::parse_istanbul(p, data).map(drop)],
        "llvm" => vec![gate_coverage::parse::json::parse_llvm(p, data).map(drop)],
        "diff" => vec![
            gate_coverage::diff::parse_unified_diff(p, data).map(drop),
            gate_coverage::diff::parse_diff_cover(p, data).map(drop),
        ],
        "report" => vec![gate_coverage::parse_reader(p, data).map(drop)],
        other => panic!("no fuzz target {other}"),
    }
}

/// Deterministic mutations: truncations, and bytes replaced by characters
/// that matter to the formats.
fn variants(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec(), Vec::new()];
    let step = (seed.len() / 64).max(1);
    for cut in (0..seed.len()).step_by(step) {
        out.push(seed[..cut].to_vec());
    }
    let specials: &[u8] = b"\0\n\r:,<>\"{}[]-+@\\9\xff";
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..200 {
        if seed.is_empty() {
            break;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut v = seed.to_vec();
        let i = (x % seed.len() as u64) as usize;
        v[i] = specials[(x >> 32) as usize % specials.len()];
        out.push(v);
    }
    out
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

#[test]
fn every_target_survives_its_corpus_and_mutations() {
    let mut seeds = 0;
    for target in ["lcov", "xml", "go", "istanbul", "llvm", "diff", "report"] {
        let dir = corpus().join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{target}: empty corpus");
        for f in files {
            seeds += 1;
            let seed = std::fs::read(&f).unwrap();
            for v in variants(&seed) {
                for r in run_target(target, &v) {
                    if let Err(e) = r {
                        let text = e.to_string();
                        assert!(
                            text.contains(NAME),
                            "{target} {}: error does not name the file: {text}",
                            f.display()
                        );
                    }
                }
            }
        }
    }
    assert!(seeds >= 7);
}

#[test]
fn seeds_are_valid_inputs() {
    // Each seed (but the deliberately broken ones) parses: the fuzzer starts from real shapes.
    for target in ["lcov", "xml", "go", "istanbul", "llvm", "diff"] {
        for e in std::fs::read_dir(corpus().join(target)).unwrap() {
            let f = e.unwrap().path();
            let data = std::fs::read(&f).unwrap();
            for r in run_target(target, &data) {
                assert!(r.is_ok(), "{}: {:?}", f.display(), r.err());
            }
        }
    }
}

/// The `report` target's second half on stable: the whole gate's output for
/// every seed of every corpus, each with hostile names spliced in, and every
/// truncation, starts no workflow command the gate did not mean to print.
#[test]
fn the_gate_output_for_every_corpus_variant_passes_the_runner_oracle() {
    use gate_core::run::testing::{HOSTILE, sweep};
    let dir = tempfile::tempdir().unwrap();
    let mut runs = 0;
    for target in ["lcov", "xml", "go", "istanbul", "llvm", "report"] {
        for e in std::fs::read_dir(corpus().join(target)).unwrap() {
            let seed = std::fs::read(e.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&seed).into_owned();
            let mut inputs: Vec<Vec<u8>> = variants(&seed).into_iter().step_by(7).collect();
            // File names are where untrusted text reaches the output: put
            // each hostile value where the seed names a source file.
            for h in HOSTILE {
                for (from, to) in [
                    ("SF:", format!("SF:{h}")),
                    ("filename=\"", format!("filename=\"{h}")),
                ] {
                    if text.contains(from) {
                        inputs.push(text.replacen(from, &to, 1).into_bytes());
                    }
                }
            }
            for input in inputs {
                std::fs::write(dir.path().join("in.report"), &input).unwrap();
                let (_, c, extra) = sweep::<gate_coverage::gate::CoverageGate>(
                    dir.path(),
                    &["--report", "in.report", "--min-file", "50", "--no-record"],
                    &[],
                );
                runs += 1;
                assert!(
                    extra.is_empty(),
                    "{target}: {extra:?}\n{}{}",
                    c.stdout,
                    c.stderr
                );
            }
        }
    }
    assert!(runs >= 100, "{runs}");
}
