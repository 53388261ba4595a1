//! The README's main job: every gate that exists, chained on `examples/`,
//! locally: no root, no token, no network. Results go to the local ledger
//! (`.gates/`), reports to `target/demo/`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// One link of the chain: gate id and its arguments (run from the repository root).
struct Step {
    gate: &'static str,
    args: &'static [&'static str],
    /// What the step shows.
    what: &'static str,
}

const CHAIN: &[Step] = &[Step {
    gate: "coverage",
    args: &["--config", "examples/gates.yml"],
    what: "total, per-file and diff coverage of examples/coverage (LCOV + Cobertura, diff from feature.diff)",
}];

pub fn run(root: &Path, extra: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let say = |s: &str| gate_core::out::stderr(&format!("{s}\n"));
    say("==> building the gates (cargo build --bins)");
    let mut build = Command::new(&cargo);
    build.current_dir(root).args(["build", "--quiet", "--bins"]);
    for step in CHAIN {
        build.args(["-p", &format!("gate-{}", step.gate)]);
    }
    let status = build
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the build failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let out_dir = target.join("demo");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let mut results = Vec::new();
    for step in CHAIN {
        say(&format!("\n==> gate-{}: {}", step.gate, step.what));
        let bin = target.join("debug").join(format!("gate-{}", step.gate));
        let json = out_dir.join(format!("{}.json", step.gate));
        let md = out_dir.join(format!("{}.md", step.gate));
        let started = Instant::now();
        let status = Command::new(&bin)
            .current_dir(root)
            .args(step.args)
            .args(extra)
            .arg("--ledger")
            .arg("local")
            .arg("--output")
            .arg(format!("json={},markdown={}", json.display(), md.display()))
            // Locally, whatever the caller's shell says.
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_TOKEN")
            .status()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        let code = status.code().unwrap_or(70);
        results.push((step.gate, code, started.elapsed()));
        if code != 0 {
            say(&format!(
                "gate-{} exited {code}: the chain stops here (as `needs:` would)",
                step.gate
            ));
            break;
        }
    }
    say("\n==> chain");
    for (gate, code, took) in &results {
        let verdict = match code {
            0 => "pass",
            1 => "FAIL",
            _ => "ERROR",
        };
        say(&format!(
            "  gate-{gate:<10} {verdict:<5} exit {code}  {:.2}s",
            took.as_secs_f64()
        ));
    }
    say(&format!(
        "reports: {}; ledger: {}",
        out_dir.display(),
        root.join(".gates").display()
    ));
    if results.iter().all(|(_, c, _)| *c == 0) && results.len() == CHAIN.len() {
        Ok(())
    } else {
        Err("a gate did not pass".into())
    }
}
