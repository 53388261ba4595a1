//! Project automation: `cargo xtask <task>`.
//!
//! - `schema [--check]`: generate `docs/gates.schema.json` (the `gates.yml`
//!   schema), `docs/report-v1.schema.json`, the exit-code table in
//!   `docs/exit-codes.md`, and from each gate's config schema its action's
//!   inputs and `GATES_*` env lines (`actions/<gate>/action.yml`) and its
//!   docs key table (`docs/gates/<gate>.md`), between marker comments;
//!   with `--check`, fail if any of them drifted.
//! - `demo`: the README's main job: every gate that exists, chained on
//!   `examples/`, locally (no root, no token, no network).
//! - `msrv`: the declared `rust-version` holds for every dependency.
//! - `fixtures [--dest DIR] [--mirror SRC] | --verify DIR`: the fixture
//!   root from its pinned sources, verified by sha256 (`xtask/fixtures.toml`).
//! - `new-gate NAME "ABOUT"`: scaffold a gate in the house shape and
//!   register it (see `new_gate`).
//!
//! `schema` also writes `docs/rules.md` (every gate's rule ids) and appends
//! new ids to `xtask/published-rules.txt`; `--check` fails when an id that
//! was ever published is no longer declared.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod demo;
mod fixtures;
mod gates;
mod keys;
mod msrv;
mod new_gate;
mod rules;
mod schema;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("schema") => schema::run(&root(), args.iter().any(|a| a == "--check")),
        Some("demo") => demo::run(&root(), &args[1..]),
        Some("msrv") => msrv::run(&root()),
        Some("fixtures") => fixtures::run(&root(), &args[1..]),
        Some("new-gate") => new_gate::run(&root(), &args[1..]),
        _ => Err(
            "usage: cargo xtask schema [--check] | demo | msrv | fixtures [--verify DIR] | new-gate NAME \"ABOUT\""
                .to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            gate_core::out::stderr(&format!("xtask: {e}\n"));
            ExitCode::from(1)
        }
    }
}
