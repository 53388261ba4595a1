#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The fuzz corpus through the whole gate, on stable: every lockfile seed,
//! with each hostile value spliced in where the seed names a package, and
//! truncations of it, run as `gate-audit` under a simulated Actions runner
//! in every output format (`gate_core::run::testing::sweep`). Whatever the
//! input, and whichever path the gate takes (findings, an input error, no
//! advisory data for the ecosystem), no workflow command is started by the
//! input. `fuzz/fuzz_targets/gate.rs` explores further with libFuzzer.

use std::path::Path;

use gate_audit::gate::AuditGate;
use gate_core::run::testing::{HOSTILE, sweep};

/// (corpus folder, the file name the gate recognises).
const TARGETS: &[(&str, &str)] = &[
    ("cargo_lock", "Cargo.lock"),
    ("package_lock", "package-lock.json"),
    ("pnpm_lock", "pnpm-lock.yaml"),
    ("yarn_lock", "yarn.lock"),
    ("poetry_lock", "poetry.lock"),
    ("uv_lock", "uv.lock"),
    ("pipfile_lock", "Pipfile.lock"),
    ("requirements", "requirements.txt"),
    ("go_mod", "go.mod"),
    ("gemfile_lock", "Gemfile.lock"),
    ("composer_lock", "composer.lock"),
];

#[test]
fn every_corpus_lockfile_and_hostile_variant_passes_the_runner_oracle() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../gates-lockfile/fuzz/corpus");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir_all(db.join("crates")).unwrap();
    let db_arg = db.display().to_string();
    let mut runs = 0;
    for (target, file) in TARGETS {
        let folder = corpus.join(target);
        let mut seeds: Vec<_> = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
            .map(|e| e.unwrap().path())
            .collect();
        seeds.sort();
        assert!(!seeds.is_empty(), "{target}: empty corpus");
        for seed in seeds {
            let text = std::fs::read_to_string(&seed).unwrap();
            let mut inputs = vec![text.clone()];
            for cut in [text.len() / 3, text.len() / 2] {
                let mut c = cut;
                while !text.is_char_boundary(c) {
                    c -= 1;
                }
                inputs.push(text[..c].to_string());
            }
            for h in HOSTILE {
                // Where the seed names a package, in each format's quoting.
                let quoted = serde_json::to_string(h).unwrap();
                for (from, to) in [
                    (
                        "name = \"",
                        format!("name = {}", &quoted[..quoted.len() - 1]),
                    ),
                    (
                        "\"name\": \"",
                        format!("\"name\": {}", &quoted[..quoted.len() - 1]),
                    ),
                    ("\n", format!("\n{}\n", h.replace(['\r', '\n'], " "))),
                ] {
                    if text.contains(from) {
                        inputs.push(text.replacen(from, &to, 1));
                    }
                }
            }
            for input in inputs {
                std::fs::write(dir.path().join(file), &input).unwrap();
                let (_, c, extra) = sweep::<AuditGate>(
                    dir.path(),
                    &[
                        "--lockfile",
                        file,
                        "--rustsec-db",
                        &db_arg,
                        "--max-db-age",
                        "off",
                        "--yanked",
                        "ignore",
                        "--no-record",
                    ],
                    &[],
                );
                runs += 1;
                assert!(
                    extra.is_empty(),
                    "{target} {}: {extra:#?}\n{}{}",
                    seed.display(),
                    c.stdout,
                    c.stderr
                );
            }
        }
    }
    assert!(runs >= 100, "{runs}");
}
