//! Benchmark: `cargo run --release -p gate-sbom --example sbom_bench -- [CYCLONEDX_NPM [CARGO_CYCLONEDX [WORKSPACE]]]`
//!
//! In one run, on the real lockfiles in ../shared/fixtures/lockfiles:
//! - in-process generation (parse + CycloneDX + serialize) for the npm and
//!   Cargo lockfiles, and validation (schema + semantic) of the written SBOMs;
//! - end to end, the release `gate-sbom` binary beside `cyclonedx-npm`
//!   (path given as the argument, e.g. from `npm install @cyclonedx/cyclonedx-npm`)
//!   on the same npm lockfile: wall time (best of N) and peak RSS (/usr/bin/time);
//! - in-process and end to end on a real 1,331-package pnpm 9 lockfile
//!   (tests/data/axios-v1.0.0.pnpm-lock.yaml), and with `CYCLONEDX_PY` set
//!   (the `cyclonedx-py` binary), gate-sbom beside cyclonedx-py on a pinned
//!   requirements file;
//! - end to end, `gate-sbom` beside `cargo-cyclonedx` (its binary path) on a
//!   Cargo workspace (default: this one), all targets, both through
//!   `cargo metadata`; the `<member>.cdx.json` files cargo-cyclonedx writes
//!   beside each manifest are removed afterwards.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)] // a developer tool

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn best<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.unwrap())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Wall time (best of `n`) and peak RSS in KiB of a command.
fn external(n: usize, dir: &Path, argv: &[String]) -> (Duration, Option<u64>) {
    let mut best = Duration::MAX;
    let mut rss = None;
    for _ in 0..n {
        let t = Instant::now();
        let o = Command::new("/usr/bin/time")
            .arg("-f")
            .arg("RSS_KB=%M")
            .args(argv)
            .current_dir(dir)
            .output()
            .expect("run /usr/bin/time");
        let el = t.elapsed();
        assert!(
            o.status.success(),
            "{argv:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        best = best.min(el);
        let err = String::from_utf8_lossy(&o.stderr);
        rss = err
            .lines()
            .find_map(|l| l.strip_prefix("RSS_KB="))
            .and_then(|v| v.trim().parse().ok());
    }
    (best, rss)
}

/// `*.cdx.json` files one level below the workspace's member directories.
fn cdx_files(ws: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    let mut dirs = vec![ws.to_path_buf()];
    for d in [ws.join("crates"), ws.join("examples"), ws.to_path_buf()] {
        if let Ok(rd) = std::fs::read_dir(&d) {
            dirs.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
    }
    for d in dirs {
        if let Ok(rd) = std::fs::read_dir(&d) {
            out.extend(
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with(".cdx.json")),
            );
        }
    }
    out
}

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res {
    let cdx_npm = std::env::args().nth(1).filter(|s| !s.is_empty());
    let cdx_cargo = std::env::args().nth(2);
    let workspace = std::env::args()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/lockfiles");
    let npm_lock = fixtures.join("axios-v1.0.0.package-lock.json");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let pnpm_lock = data.join("axios-v1.0.0.pnpm-lock.yaml");
    let opts = gate_sbom::generate::Options {
        tool_version: "bench".into(),
        ..Default::default()
    };
    in_process_npm(&npm_lock, &opts)?;
    in_process_cargo(&fixtures, &opts)?;
    in_process_pnpm(&pnpm_lock, &opts)?;

    // End to end, side by side.
    let bin = std::env::var("GATE_SBOM")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
            Path::new(&target).join("release/gate-sbom")
        });
    let dir = tempfile::tempdir()?;
    end_to_end_js(&bin, dir.path(), &npm_lock, &pnpm_lock, &data)?;
    if let Some(py) = std::env::var_os("CYCLONEDX_PY") {
        end_to_end_py(&bin, dir.path(), &fixtures, &py);
    }
    match cdx_npm {
        Some(c) => {
            let theirs = vec![
                c,
                "--package-lock-only".into(),
                "--output-reproducible".into(),
                "--spec-version".into(),
                "1.5".into(),
                "--output-file".into(),
                "theirs.cdx.json".into(),
            ];
            let (t, rss) = external(3, dir.path(), &theirs);
            println!(
                "end to end  cyclonedx-npm --package-lock-only: {} wall, peak RSS {} KiB",
                ms(t),
                rss.unwrap_or(0)
            );
        }
        None => eprintln!("(pass the path of cyclonedx-npm to compare with it)"),
    }

    if let Some(cc) = cdx_cargo {
        end_to_end_cargo(&bin, dir.path(), &workspace, cc);
    }
    Ok(())
}

/// In process: the npm lockfile generated, then validated and checked.
fn in_process_npm(npm_lock: &Path, opts: &gate_sbom::generate::Options) -> Res {
    // In-process: npm.
    let text = std::fs::read_to_string(npm_lock)?;
    let (t_npm, bytes) = best(20, || {
        let l = gate_sbom::lockfiles::parse(
            gate_sbom::lockfiles::Kind::Npm,
            "package-lock.json",
            text.as_bytes(),
        )
        .unwrap();
        let g = gate_sbom::lockfile::to_graph(&l, "package-lock.json", "", &Default::default());
        gate_sbom::generate::to_bytes(gate_sbom::generate::bom(&g, opts)).unwrap()
    });
    let doc: serde_json::Value = serde_json::from_slice(&bytes)?;
    let n = doc["components"].as_array().map_or(0, Vec::len);
    println!(
        "generate npm  axios-v1.0.0 ({n} components, {} KiB): {}",
        bytes.len() / 1024,
        ms(t_npm)
    );
    let t = Instant::now();
    let _ = gate_sbom::validate::validator("1.5");
    println!(
        "compile embedded 1.5 schema (once per run): {}",
        ms(t.elapsed())
    );
    let (t_val, _) = best(20, || {
        let a = gate_sbom::validate::analyse(&doc);
        let s = gate_sbom::validate::schema_issues(&doc, "1.5", 50).unwrap();
        (a.issues.len(), s.len())
    });
    println!(
        "validate ({n} components, schema + semantic): {}",
        ms(t_val)
    );
    let (t_parse_val, _) = best(20, || {
        gate_sbom::doc::check_bytes("x", Path::new("x"), &bytes)
            .unwrap()
            .analysis
            .components
            .len()
    });
    println!(
        "check = JSON parse + schema + semantic ({n} components): {}",
        ms(t_parse_val)
    );

    Ok(())
}

/// In process: Cargo.lock files generated.
fn in_process_cargo(fixtures: &Path, opts: &gate_sbom::generate::Options) -> Res {
    // In-process: Cargo.lock.
    for name in ["debio-node.Cargo.lock", "bat-HEAD.Cargo.lock"] {
        let p = fixtures.join(name);
        let text = std::fs::read_to_string(&p)?;
        let (t, bytes) = best(20, || {
            let lock = gate_sbom::cargo::Lock::parse(&p, &text).unwrap();
            let g = gate_sbom::cargo::from_lock(&lock, "Cargo.lock", &Default::default());
            gate_sbom::generate::to_bytes(gate_sbom::generate::bom(&g, opts)).unwrap()
        });
        let doc: serde_json::Value = serde_json::from_slice(&bytes)?;
        println!(
            "generate cargo {name} ({} components): {}",
            doc["components"].as_array().map_or(0, Vec::len),
            ms(t)
        );
    }

    Ok(())
}

/// In process: a pnpm 9 lockfile generated.
fn in_process_pnpm(pnpm_lock: &Path, opts: &gate_sbom::generate::Options) -> Res {
    // In-process: a pnpm 9 lockfile (1,331 packages) through gate-core's
    // parser and the generic adapter.
    let pnpm_text = std::fs::read(pnpm_lock)?;
    let (t_pnpm, bytes) = best(20, || {
        let l = gate_sbom::lockfiles::parse(
            gate_sbom::lockfiles::Kind::Pnpm,
            "pnpm-lock.yaml",
            &pnpm_text,
        )
        .unwrap();
        let g = gate_sbom::lockfile::to_graph(&l, "pnpm-lock.yaml", "", &Default::default());
        gate_sbom::generate::to_bytes(gate_sbom::generate::bom(&g, opts)).unwrap()
    });
    let pdoc: serde_json::Value = serde_json::from_slice(&bytes)?;
    println!(
        "generate pnpm axios-v1.0.0.pnpm-lock.yaml ({} components): {}",
        pdoc["components"].as_array().map_or(0, Vec::len),
        ms(t_pnpm)
    );

    Ok(())
}

/// End to end: gate-sbom on the npm and pnpm lockfiles (npm's in `dir`,
/// with a package.json from its root entry).
fn end_to_end_js(bin: &Path, dir: &Path, npm_lock: &Path, pnpm_lock: &Path, data: &Path) -> Res {
    let text = std::fs::read_to_string(npm_lock)?;
    std::fs::copy(npm_lock, dir.join("package-lock.json"))?;
    let lock: serde_json::Value = serde_json::from_str(&text)?;
    let root = &lock["packages"][""];
    let mut pj = serde_json::Map::new();
    for k in [
        "name",
        "version",
        "license",
        "dependencies",
        "devDependencies",
    ] {
        if let Some(v) = root.get(k) {
            pj.insert(k.into(), v.clone());
        }
    }
    std::fs::write(dir.join("package.json"), serde_json::to_vec_pretty(&pj)?)?;
    let ours = vec![
        bin.to_string_lossy().into_owned(),
        "--no-record".into(),
        "--sbom-path".into(),
        "ours.cdx.json".into(),
        "--format".into(),
        "json".into(),
    ];
    let (t, rss) = external(5, dir, &ours);
    println!(
        "end to end  gate-sbom (generate + validate + policy): {} wall, peak RSS {} KiB",
        ms(t),
        rss.unwrap_or(0)
    );
    let pdir = tempfile::tempdir()?;
    std::fs::copy(pnpm_lock, pdir.path().join("pnpm-lock.yaml"))?;
    std::fs::copy(
        data.join("axios-v1.0.0.package.json"),
        pdir.path().join("package.json"),
    )?;
    let (t, rss) = external(5, pdir.path(), &ours);
    println!(
        "end to end  gate-sbom on pnpm-lock.yaml (1,331 packages): {} wall, peak RSS {} KiB",
        ms(t),
        rss.unwrap_or(0)
    );
    Ok(())
}

/// End to end: gate-sbom beside cyclonedx-py on a requirements file.
fn end_to_end_py(bin: &Path, dir: &Path, fixtures: &Path, py: &std::ffi::OsStr) {
    let req = fixtures.join("djangoproject-2019.requirements.txt");
    let ours = vec![
        bin.to_string_lossy().into_owned(),
        "--no-record".into(),
        "--input".into(),
        req.to_string_lossy().into_owned(),
        "--sbom-path".into(),
        "req.cdx.json".into(),
        "--format".into(),
        "json".into(),
    ];
    let (t, rss) = external(5, dir, &ours);
    println!(
        "end to end  gate-sbom on djangoproject requirements.txt (19 packages): {} wall, peak RSS {} KiB",
        ms(t),
        rss.unwrap_or(0)
    );
    let theirs = vec![
        py.to_string_lossy().into_owned(),
        "requirements".into(),
        req.to_string_lossy().into_owned(),
        "--sv".into(),
        "1.5".into(),
        "--output-reproducible".into(),
        "-o".into(),
        "py.cdx.json".into(),
    ];
    let (t, rss) = external(3, dir, &theirs);
    println!(
        "end to end  cyclonedx-py requirements (same file): {} wall, peak RSS {} KiB",
        ms(t),
        rss.unwrap_or(0)
    );
}

/// End to end: gate-sbom beside cargo-cyclonedx on a Cargo workspace.
fn end_to_end_cargo(bin: &Path, dir: &Path, workspace: &Path, cc: String) {
    let out = dir.join("ws.cdx.json");
    let ours = vec![
        bin.to_string_lossy().into_owned(),
        "--no-record".into(),
        "--input".into(),
        "Cargo.toml".into(),
        "--sbom-path".into(),
        out.to_string_lossy().into_owned(),
        "--format".into(),
        "json".into(),
    ];
    let (t, rss) = external(5, workspace, &ours);
    println!(
        "end to end  gate-sbom on {} (cargo metadata, one SBOM): {} wall, peak RSS {} KiB",
        workspace.display(),
        ms(t),
        rss.unwrap_or(0)
    );
    let before = cdx_files(workspace);
    let theirs = vec![
        cc,
        "cyclonedx".into(),
        "--format".into(),
        "json".into(),
        "--spec-version".into(),
        "1.5".into(),
        "--target".into(),
        "all".into(),
        "-q".into(),
    ];
    let (t, rss) = external(5, workspace, &theirs);
    for f in cdx_files(workspace).difference(&before) {
        let _ = std::fs::remove_file(f);
    }
    println!(
        "end to end  cargo-cyclonedx --target all (one SBOM per member): {} wall, peak RSS {} KiB",
        ms(t),
        rss.unwrap_or(0)
    );
}
