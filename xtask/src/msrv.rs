//! `cargo xtask msrv`: checks that the workspace's `rust-version` is honest.
//!
//! Only one toolchain can be installed here, so the check is done on the
//! metadata: every package in the lockfile must declare a `rust-version` no
//! newer than ours (the MSRV-aware resolver keeps it so), and the compiler
//! building us must not be older than it.

use std::path::Path;
use std::process::Command;

fn parse(v: &str) -> Option<(u64, u64, u64)> {
    let mut it = v.trim().split('.').map(|p| p.parse::<u64>().ok());
    Some((
        it.next()??,
        it.next().flatten().unwrap_or(0),
        it.next().flatten().unwrap_or(0),
    ))
}

pub fn run(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(&cargo)
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata output: {e}"))?;
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    let ours = packages
        .iter()
        .filter(|p| members.contains(&p["id"].as_str().unwrap_or("")))
        .filter_map(|p| p["rust_version"].as_str())
        .filter_map(|v| parse(v).map(|p| (v.to_string(), p)))
        .max_by_key(|(_, p)| *p)
        .ok_or("no workspace member declares rust-version")?;
    let mut too_new = Vec::new();
    for p in &packages {
        if let Some(v) = p["rust_version"].as_str()
            && let Some(pv) = parse(v)
            && pv > ours.1
        {
            too_new.push(format!(
                "{} {} needs Rust {v}",
                p["name"].as_str().unwrap_or("?"),
                p["version"].as_str().unwrap_or("?")
            ));
        }
    }
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let rustc = String::from_utf8_lossy(&rustc.stdout).to_string();
    let have = rustc
        .split_whitespace()
        .nth(1)
        .and_then(parse)
        .ok_or("cannot read rustc --version")?;
    if have < ours.1 {
        return Err(format!(
            "{} is older than the workspace's rust-version {}",
            rustc.trim(),
            ours.0
        ));
    }
    if !too_new.is_empty() {
        return Err(format!(
            "dependencies need a newer Rust than rust-version {}: {}",
            ours.0,
            too_new.join("; ")
        ));
    }
    gate_core::out::stderr(&format!(
        "msrv: rust-version {} holds for all {} packages in Cargo.lock ({})\n",
        ours.0,
        packages.len(),
        rustc.trim()
    ));
    Ok(())
}
