//! The lockfile fuzz targets' corpus (fuzz/corpus/<target>/) as a plain test on
//! stable: every seed, every truncation of it and deterministic byte
//! mutations go through the same code as the fuzz targets. Nothing may
//! panic, and an error's line must lie inside the input. `cargo fuzz run
//! <target>` explores further (fuzz/README.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use testkit::mutate::{Rng, mutate};

use gates_lockfile::{self as lockfile, Kind};

fn lines(data: &[u8]) -> u64 {
    data.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

fn run(target: &str, data: &[u8]) {
    match target {
        "cargo_lock" | "package_lock" | "requirements" | "yarn_lock" | "pnpm_lock"
        | "poetry_lock" | "uv_lock" | "pipfile_lock" | "go_mod" | "gemfile_lock"
        | "composer_lock" => {
            let kind = match target {
                "cargo_lock" => Kind::Cargo,
                "package_lock" => Kind::Npm,
                "yarn_lock" => Kind::Yarn,
                "pnpm_lock" => Kind::Pnpm,
                "poetry_lock" => Kind::Poetry,
                "uv_lock" => Kind::Uv,
                "pipfile_lock" => Kind::Pipfile,
                "go_mod" => Kind::GoMod,
                "gemfile_lock" => Kind::Gemfile,
                "composer_lock" => Kind::Composer,
                _ => Kind::Requirements,
            };
            if let Err(e) = lockfile::parse(kind, "fuzz", data) {
                if let Some(l) = e.line {
                    assert!(
                        l >= 1 && l <= lines(data),
                        "{target}: line {l} outside the input: {e:?}"
                    );
                }
                assert!(!e.message.is_empty());
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
    for target in [
        "cargo_lock",
        "package_lock",
        "requirements",
        "yarn_lock",
        "pnpm_lock",
        "poetry_lock",
        "uv_lock",
        "pipfile_lock",
        "go_mod",
        "gemfile_lock",
        "composer_lock",
    ] {
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
    assert!(seeds >= 18, "corpus has {seeds} seeds");
}
