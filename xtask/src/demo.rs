//! The README's main job: every gate that exists, chained on `examples/`.

use std::path::Path;

pub fn run(_root: &Path, _args: &[String]) -> Result<(), String> {
    Err("no gate is wired into the demo yet".into())
}
