//! `cargo run -p gate-sbom --example npm_adapter -- LOCKFILE...`
//!
//! Reads each package-lock.json twice, with gate-sbom's own `npm` reader and
//! with gate-core's lockfile parser through the generic adapter, and prints
//! whether the SBOMs are byte-identical and, package by package, where the
//! graphs differ (docs/gates/sbom.md, "One npm parser or two").

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)] // a developer tool

use std::collections::BTreeSet;
use std::path::Path;

fn main() {
    let opts = gate_sbom::generate::Options {
        tool_version: "compare".into(),
        ..Default::default()
    };
    for f in std::env::args().skip(1) {
        let p = Path::new(&f);
        let text = std::fs::read_to_string(p).expect("read the lockfile");
        let own = gate_sbom::npm::parse(p, &text, "package-lock.json").unwrap();
        let lock = gate_core::lockfile::parse(
            gate_core::lockfile::Kind::Npm,
            "package-lock.json",
            text.as_bytes(),
        )
        .unwrap();
        let info = gate_sbom::lockfile::manifest_info(p, lock.ecosystem);
        let adapted = gate_sbom::lockfile::to_graph(&lock, "package-lock.json", "", &info);
        let bytes = |g: &gate_sbom::graph::Graph| {
            gate_sbom::generate::to_bytes(gate_sbom::generate::bom(g, &opts)).unwrap()
        };
        println!(
            "{f}: byte-identical SBOMs: {}; roots {} / {}; {} / {} packages (roots included)",
            bytes(&own) == bytes(&adapted),
            own.root,
            adapted.root,
            own.packages.len(),
            adapted.packages.len()
        );
        let a: BTreeSet<&String> = own.packages.keys().collect();
        let b: BTreeSet<&String> = adapted.packages.keys().collect();
        println!(
            "  only in npm.rs: {:?}",
            a.difference(&b).collect::<Vec<_>>()
        );
        println!(
            "  only in the adapter: {:?}",
            b.difference(&a).collect::<Vec<_>>()
        );
        let differ: Vec<&String> = own
            .packages
            .iter()
            .filter(|(k, v)| adapted.packages.get(*k).is_some_and(|w| w != *v))
            .map(|(k, _)| k)
            .collect();
        println!(
            "  packages in both that differ (fields or edges): {}",
            differ.len()
        );
        for k in differ.iter().take(3) {
            println!(
                "    {k}:\n      {:?}\n      {:?}",
                own.packages[*k], adapted.packages[*k]
            );
        }
    }
}
