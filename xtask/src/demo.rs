//! The README's main job: every gate, chained on `examples/` as a workflow
//! chains them with `needs:`, locally: no root, no token, no network.
//!
//! coverage → audit → sbom (+ check, + diff against HEAD) → deploy v1 (blue) → health (the
//! deployment's URL, from the ledger) → load → deploy v2, which starts failing
//! 1.5 s after the switch: the watch trips and traffic goes back to blue on
//! its own (exit 1, expected) → status → health again on what is live →
//! score: one decision over everything the chain recorded for the commit
//! (no-go, expected: the rolled-back deploy is a failed gate, a veto).
//!
//! Results go to the local ledger (`.gates/`), reports to `target/demo/`.
//! The `demo` environment is reset first, and both slots are stopped last.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One link of the chain.
struct Step {
    /// Binary: `gate-<gate>`.
    gate: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// The exit code this step must give for the chain to be right.
    expect: i32,
    what: &'static str,
    /// Record to the ledger and write JSON/Markdown reports.
    record: bool,
}

const DEPLOY: &str = "examples/deploy/gates.yml";

const CHAIN: &[Step] = &[
    Step {
        gate: "coverage",
        args: &["--config", "examples/gates.yml"],
        env: &[],
        expect: 0,
        what: "total, per-file and diff coverage of examples/coverage (LCOV + Cobertura, diff from feature.diff)",
        record: true,
    },
    Step {
        gate: "audit",
        args: &["--config", "examples/gates.yml"],
        env: &[],
        expect: 0,
        what: "bat's Cargo.lock against its RustSec advisories (frozen example database)",
        record: true,
    },
    Step {
        gate: "sbom",
        args: &["--config", "examples/gates.yml"],
        env: &[],
        expect: 0,
        what: "CycloneDX SBOM of examples/sbom/web with the release file's sha256 and provenance",
        record: true,
    },
    Step {
        gate: "sbom",
        args: &["check", "target/demo/sbom/web.cdx.json"],
        env: &[],
        expect: 0,
        what: "the SBOM just written, against the official schema and semantic checks",
        record: false,
    },
    Step {
        gate: "sbom",
        args: &["--config", "examples/gates.yml", "diff", "HEAD", "."],
        env: &[],
        expect: 0,
        what: "components added, removed or changed between the last commit and the working tree (a pull request's diff)",
        record: false,
    },
    Step {
        gate: "deploy",
        args: &["--config", DEPLOY, "--release", "v1"],
        env: &[],
        expect: 0,
        what: "release v1 into the blue slot (sample service, symlink switch), health-gated and watched",
        record: true,
    },
    Step {
        gate: "health",
        args: &[
            "--config",
            "examples/health/gates.yml",
            "--target-from-deployment",
            "demo",
            "--wait",
        ],
        env: &[],
        expect: 0,
        what: "probes of whatever was just deployed (the deployment's environment_url in the ledger)",
        record: true,
    },
    Step {
        gate: "load",
        args: &[
            "--config",
            "examples/load/gates.yml",
            "--target",
            "http://127.0.0.1:{blue-port}",
            "--duration",
            "2s",
        ],
        env: &[],
        expect: 0,
        what: "2 s weighted mix against the live slot, k6-style thresholds",
        record: true,
    },
    Step {
        gate: "deploy",
        args: &["--config", DEPLOY, "--release", "v2"],
        env: &[("SAMPLE_FAIL_AFTER", "1.5")],
        expect: 1,
        what: "release v2 into green; it starts failing 1.5 s after the switch: automatic rollback to blue",
        record: true,
    },
    Step {
        gate: "deploy",
        args: &["status", "--config", DEPLOY, "--no-record"],
        env: &[],
        expect: 0,
        what: "what the ledger says: live slot, versions, the rolled-back deploy and its timings",
        record: false,
    },
    Step {
        gate: "health",
        args: &[
            "--config",
            "examples/health/gates.yml",
            "--target-from-deployment",
            "demo",
        ],
        env: &[],
        expect: 0,
        what: "what is live after the rollback answers",
        record: false,
    },
    Step {
        gate: "score",
        args: &["--explain"],
        env: &[],
        expect: 1,
        what: "the decision over every report the chain recorded for this commit: no-go, the rolled-back deploy is a failed gate (a veto), with --explain",
        record: true,
    },
];

/// Two free loopback ports for the demo's slots, picked at run time: a
/// fixed port that something else already answers on would pass the slot's
/// health probes in place of the sample service.
fn free_ports() -> Result<(u16, u16), String> {
    let bind = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
    };
    // Both held at once, so they differ.
    let (a, b) = (bind()?, bind()?);
    let port = |l: &std::net::TcpListener| {
        l.local_addr()
            .map(|a| a.port())
            .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
    };
    Ok((port(&a)?, port(&b)?))
}

fn say(s: &str) {
    gate_core::out::stderr(&format!("{s}\n"));
}

/// Stops both demo slots and forgets the demo environment's state.
fn reset_demo(root: &Path) {
    for slot in ["blue", "green"] {
        let _ = Command::new("sh")
            .current_dir(root)
            .arg("examples/deploy/stop.sh")
            .env("GATES_SLOT", slot)
            .status();
    }
}

fn forget_demo_state(root: &Path) {
    for dir in [".gates/demo", ".gates/deployments/demo"] {
        let _ = std::fs::remove_dir_all(root.join(dir));
    }
}

/// The variables cargo sets for the binary it runs (not a user's settings
/// such as CARGO_HOME, CARGO_TARGET_DIR or CARGO_TERM_COLOR).
fn set_by_cargo_for_a_binary(key: &str) -> bool {
    key.starts_with("CARGO_PKG_")
        || key.starts_with("CARGO_BIN_EXE_")
        || matches!(
            key,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "CARGO_TARGET_TMPDIR"
        )
}

/// `cargo build --bins` of the chain's gates, rollback and the sample
/// service, as a plain cargo would.
fn build_binaries(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    say("==> building the gates and the sample service (cargo build --bins)");
    let mut build = Command::new(&cargo);
    // cargo's own progress shows (a cold build takes minutes on 2 cores).
    build.current_dir(root).args(["build", "--bins"]);
    // `cargo run -p xtask` set CARGO_PKG_NAME, CARGO_MANIFEST_DIR, ... for
    // this process; build scripts that read them (ring's
    // `rerun-if-env-changed`) would see a change and rebuild the TLS stack
    // here, and again in the next plain `cargo build`. Build as a plain
    // cargo would: only the user's own CARGO_* settings pass.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if set_by_cargo_for_a_binary(&k) {
            build.env_remove(k);
        }
    }
    let mut gates: Vec<&str> = CHAIN.iter().map(|s| s.gate).collect();
    gates.push("rollback");
    gates.dedup();
    for g in &gates {
        build.args(["-p", &format!("gate-{g}")]);
    }
    build.args(["-p", "sample-service"]);
    let status = build
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("the build failed".into());
    }
    Ok(())
}

/// Where the demo's binaries and reports are.
struct Paths {
    target: PathBuf,
    out_dir: PathBuf,
}

/// One step's gate, with its arguments, environment, slot addresses and
/// (when recorded) report outputs.
fn step_command(
    root: &Path,
    paths: &Paths,
    extra: &[String],
    (i, step): (usize, &Step),
    blue: u16,
    ports: &[(&str, &String)],
) -> (PathBuf, Command) {
    let bin = paths
        .target
        .join("debug")
        .join(format!("gate-{}", step.gate));
    let mut cmd = Command::new(&bin);
    cmd.current_dir(root)
        .args(
            step.args
                .iter()
                .map(|a| a.replace("{blue-port}", &blue.to_string())),
        )
        .args(extra)
        .arg("--ledger")
        .arg("local")
        .env("CARGO_TARGET_DIR", &paths.target)
        // Locally, whatever the caller's shell says.
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GATES_CONFIG");
    for (k, v) in step.env {
        cmd.env(k, v);
    }
    for (k, v) in ports {
        cmd.env(k, v);
    }
    if step.record {
        let name = format!("{:02}-{}", i + 1, step.gate);
        cmd.arg("--output").arg(format!(
            "json={},markdown={}",
            paths.out_dir.join(format!("{name}.json")).display(),
            paths.out_dir.join(format!("{name}.md")).display()
        ));
    }
    (bin, cmd)
}

/// The chain's summary: each step's verdict, exit code and time.
fn print_chain(results: &[(usize, &Step, i32, std::time::Duration)]) {
    say("\n==> chain");
    for (n, step, code, took) in results {
        let verdict = match code {
            0 => "pass",
            1 => "FAIL",
            _ => "ERROR",
        };
        let note = if *code == step.expect && *code != 0 {
            " (expected: the gate refused / rolled back)"
        } else if *code != step.expect {
            " (UNEXPECTED)"
        } else {
            ""
        };
        say(&format!(
            "  {n:>2}. gate-{:<9} {verdict:<5} exit {code}  {:>6.2}s{note}",
            step.gate,
            took.as_secs_f64()
        ));
    }
}

pub fn run(root: &Path, extra: &[String]) -> Result<(), String> {
    build_binaries(root)?;
    let target: PathBuf = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"));
    let out_dir = root.join("target/demo");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let paths = Paths { target, out_dir };

    reset_demo(root);
    forget_demo_state(root);
    let (blue, green) = free_ports()?;
    let (blue_addr, green_addr) = (format!("127.0.0.1:{blue}"), format!("127.0.0.1:{green}"));
    say(&format!(
        "==> slots: blue on {blue_addr}, green on {green_addr}"
    ));
    let ports = [
        ("GATES_DEPLOY_BLUE_ADDRESS", &blue_addr),
        ("GATES_DEPLOY_GREEN_ADDRESS", &green_addr),
        ("GATES_ROLLBACK_BLUE_ADDRESS", &blue_addr),
        ("GATES_ROLLBACK_GREEN_ADDRESS", &green_addr),
    ];
    let mut results = Vec::new();
    let mut broken = false;
    for (i, step) in CHAIN.iter().enumerate() {
        say(&format!(
            "\n==> [{}] gate-{}: {}",
            i + 1,
            step.gate,
            step.what
        ));
        let (bin, mut cmd) = step_command(root, &paths, extra, (i, step), blue, &ports);
        let started = Instant::now();
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        let code = status.code().unwrap_or(70);
        results.push((i + 1, step, code, started.elapsed()));
        if code != step.expect {
            say(&format!(
                "gate-{} exited {code}, expected {}: the chain stops here (as `needs:` would)",
                step.gate, step.expect
            ));
            broken = true;
            break;
        }
    }
    reset_demo(root);

    print_chain(&results);
    say(&format!(
        "reports: {}; ledger: {}",
        paths.out_dir.display(),
        root.join(".gates").display()
    ));
    if broken || results.len() != CHAIN.len() {
        Err("the chain did not run as expected".into())
    } else {
        Ok(())
    }
}
