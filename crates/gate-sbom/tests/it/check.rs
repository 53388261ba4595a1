//! `gate-sbom check`: schema + semantic validation and policy, with one
//! broken SBOM per check.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::Path;

use common::*;
use gate_core::report::{Report, Severity, Verdict};
use gate_core::types::{Level, Percent};
use gate_sbom::collect::SbomInput;
use gate_sbom::config::SbomConfig;
use gate_sbom::doc::check_bytes;
use gate_sbom::evaluate::evaluate_input;
use serde_json::{Value, json};

/// A real SBOM: bat 0.24.0's Cargo.lock through the generator.
fn base() -> Value {
    let path = lockfile("bat-v0.24.0.Cargo.lock");
    let lock =
        gate_sbom::cargo::Lock::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    let g = gate_sbom::cargo::from_lock(&lock, "Cargo.lock", &Default::default());
    let opts = gate_sbom::generate::Options {
        tool_version: "0.1.0".into(),
        ..Default::default()
    };
    let bytes = gate_sbom::generate::to_bytes(gate_sbom::generate::bom(&g, &opts)).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn judge(doc: &Value, config: &SbomConfig) -> Report {
    let bytes = serde_json::to_vec(doc).unwrap();
    let d = check_bytes("sbom.json", Path::new("sbom.json"), &bytes).unwrap();
    evaluate_input(
        &SbomInput {
            mode: "check",
            docs: vec![d],
            artifacts: vec![],
            subjects_path: None,
            provenance_path: None,
            bases: Vec::new(),
        },
        config,
    )
}

fn rules(r: &Report) -> Vec<&str> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule.as_str())
        .collect()
}

#[test]
fn the_generated_sbom_passes() {
    testkit::fixture!("lockfiles");
    let r = judge(&base(), &SbomConfig::default());
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.findings);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

/// Each mutation is caught, by the layer that can catch it.
#[test]
fn every_mutation_is_caught() {
    testkit::fixture!("lockfiles");
    type Mutation = fn(&mut Value);
    let cases: Vec<(&str, Mutation, &str, bool)> = vec![
        // (what, mutation, rule, caught by the schema too)
        (
            "wrong-length hash",
            |d| d["components"][3]["hashes"][0]["content"] = json!("ab".repeat(16)),
            "hash-length-mismatch",
            false,
        ),
        (
            "unknown field",
            |d| d["components"][0]["colour"] = json!("blue"),
            "schema-invalid",
            true,
        ),
        (
            "duplicate bom-ref",
            |d| {
                let r = d["components"][1]["bom-ref"].clone();
                d["components"][2]["bom-ref"] = r;
            },
            "duplicate-bom-ref",
            false,
        ),
        (
            "dangling ref",
            |d| {
                d["dependencies"][0]["dependsOn"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!("pkg:cargo/ghost@1.0.0"))
            },
            "dangling-dependency-ref",
            false,
        ),
        (
            "bad purl",
            |d| d["components"][4]["purl"] = json!("cargo/serde@1.0"),
            "invalid-purl",
            false,
        ),
        (
            "bad SPDX expression",
            |d| d["components"][5]["licenses"] = json!([{"expression": "MIT OR OR Apache-2.0"}]),
            "invalid-license-expression",
            false,
        ),
        (
            "missing serial",
            |d| {
                d.as_object_mut().unwrap().remove("serialNumber");
            },
            "missing-serial-number",
            false,
        ),
        (
            "wrong type",
            |d| d["components"][0]["version"] = json!(12),
            "schema-invalid",
            true,
        ),
    ];
    for (what, mutate, rule, by_schema) in cases {
        let mut d = base();
        mutate(&mut d);
        let r = judge(&d, &SbomConfig::default());
        assert_eq!(r.verdict, Verdict::Fail, "{what}");
        assert!(rules(&r).contains(&rule), "{what}: {:?}", rules(&r));
        let schema_caught = rules(&r).contains(&"schema-invalid");
        assert_eq!(
            schema_caught,
            by_schema,
            "{what}: schema layer {:?}",
            rules(&r)
        );
        // The finding names the component where there is one.
        if rule != "missing-serial-number" && rule != "schema-invalid" {
            let f = r.findings.iter().find(|f| f.rule == rule).unwrap();
            assert!(f.key.is_some(), "{what}: {f:?}");
        }
    }
}

#[test]
fn other_spec_versions_1_6_and_1_7() {
    testkit::fixture!("lockfiles");
    for v in ["1.6", "1.7"] {
        let mut d = base();
        d["specVersion"] = json!(v);
        d["$schema"] = json!(format!("http://cyclonedx.org/schema/bom-{v}.schema.json"));
        let r = judge(&d, &SbomConfig::default());
        assert_eq!(r.verdict, Verdict::Pass, "{v}: {:?}", r.findings);
        assert!(schema_errors(&d, v).is_empty());
        // A 1.7-only field is refused under 1.5.
    }
    let mut d = base();
    d["specVersion"] = json!("1.4");
    d.as_object_mut().unwrap().remove("$schema");
    let r = judge(&d, &SbomConfig::default());
    assert!(r.findings.iter().any(|f| f.rule == "schema-unavailable"));
}

#[test]
fn policy_findings_name_the_components() {
    testkit::fixture!("lockfiles");
    let d = base();
    // bat's own crate is the root; every crates.io package has a checksum, none a license (Cargo.lock alone).
    let cfg = SbomConfig {
        min_hashes: Some(Percent(100.0)),
        min_licenses: Some(Percent(50.0)),
        min_purls: Some(Percent(100.0)),
        ..SbomConfig::default()
    };
    let r = judge(&d, &cfg);
    assert_eq!(r.metric("hash-coverage").unwrap().verdict, Verdict::Pass);
    assert_eq!(r.metric("license-coverage").unwrap().verdict, Verdict::Fail);
    assert_eq!(r.metric("purl-coverage").unwrap().verdict, Verdict::Pass);
    let n = d["components"].as_array().unwrap().len();
    let listed = r
        .findings
        .iter()
        .filter(|f| f.rule == "missing-license")
        .count();
    assert_eq!(listed, n.min(50));
    assert!(r.findings.iter().any(|f| {
        f.message
            .contains(&format!("{} more `missing-license`", n - 50))
    }));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "missing-license")
        .unwrap();
    assert!(f.message.contains("pkg:cargo/"), "{}", f.message);

    // Remove hashes from two components.
    let mut d2 = d.clone();
    for i in [0, 7] {
        d2["components"][i]
            .as_object_mut()
            .unwrap()
            .remove("hashes");
    }
    let r = judge(&d2, &cfg);
    let missing: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule == "missing-hash")
        .map(|f| f.key.as_deref().unwrap())
        .collect();
    assert_eq!(missing.len(), 2);
    assert!(missing.contains(&d["components"][0]["bom-ref"].as_str().unwrap()));
    // Each finding names its key as spelt in gates.yml (not "min-hashs").
    for (rule, key) in [
        ("missing-hash", "(min-hashes 100%"),
        ("missing-license", "(min-licenses 50%"),
    ] {
        let f = r.findings.iter().find(|f| f.rule == rule).unwrap();
        assert!(f.message.contains(key), "{}", f.message);
    }
}

#[test]
fn unreachable_components_and_denied_licenses() {
    testkit::fixture!("lockfiles");
    let mut d = base();
    // Cut every edge to one component.
    let victim = d["components"][10]["bom-ref"].as_str().unwrap().to_string();
    for dep in d["dependencies"].as_array_mut().unwrap() {
        dep["dependsOn"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r != victim.as_str());
    }
    let r = judge(&d, &SbomConfig::default());
    let un: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule == "unreachable-component")
        .map(|f| f.key.as_deref().unwrap())
        .collect();
    assert!(un.contains(&victim.as_str()), "{un:?}");
    assert_eq!(r.verdict, Verdict::Fail);
    let warn = judge(
        &d,
        &SbomConfig {
            unreachable: Level::Warning,
            ..SbomConfig::default()
        },
    );
    assert_eq!(warn.verdict, Verdict::Warn);
    // `note` (a level gate-sbom gained with gate_core's Level): reported,
    // never changes the verdict.
    let note = judge(
        &d,
        &SbomConfig {
            unreachable: Level::Note,
            ..SbomConfig::default()
        },
    );
    assert_eq!(note.verdict, Verdict::Pass);
    assert!(
        note.findings
            .iter()
            .any(|f| f.rule == "unreachable-component" && f.severity == Severity::Note),
        "{:?}",
        note.findings
    );
    let off = judge(
        &d,
        &SbomConfig {
            unreachable: Level::Ignore,
            ..SbomConfig::default()
        },
    );
    assert_eq!(off.verdict, Verdict::Pass);

    // Licenses: GPL-3.0-only denied; an OR with an allowed license passes.
    let mut d = base();
    d["components"][0]["licenses"] = json!([{"expression": "GPL-3.0-only"}]);
    d["components"][1]["licenses"] = json!([{"expression": "MIT OR GPL-3.0-only"}]);
    d["components"][2]["licenses"] = json!([{"expression": "MIT AND GPL-3.0-only"}]);
    d["components"][3]["licenses"] = json!([{"license": {"id": "GPL-3.0-only"}}]);
    let cfg = SbomConfig {
        deny_licenses: vec!["GPL-3.0-only".into()],
        ..SbomConfig::default()
    };
    let r = judge(&d, &cfg);
    let denied: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.rule == "denied-license")
        .map(|f| f.key.as_deref().unwrap())
        .collect();
    let refs = |i: usize| d["components"][i]["bom-ref"].as_str().unwrap();
    assert_eq!(denied.len(), 3, "{denied:?}");
    assert!(denied.contains(&refs(0)) && denied.contains(&refs(2)) && denied.contains(&refs(3)));
    assert!(!denied.contains(&refs(1)));
}

#[test]
fn check_subcommand_exit_codes() {
    testkit::fixture!("schemas");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("good.json"),
        serde_json::to_vec_pretty(&base()).unwrap(),
    )
    .unwrap();
    let mut bad = base();
    bad["components"][0]["purl"] = json!("not a purl");
    std::fs::write(dir.join("bad.json"), serde_json::to_vec(&bad).unwrap()).unwrap();
    std::fs::write(
        dir.join("spdx.json"),
        r#"{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"}"#,
    )
    .unwrap();
    std::fs::write(dir.join("trunc.json"), r#"{"bomFormat": "CycloneDX", "#).unwrap();

    let mut c = gate(dir);
    c.args(["check", "good.json", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(report(&r)["verdict"], "pass");

    let mut c = gate(dir);
    c.args(["check", "good.json", "bad.json"]);
    let r = run(c);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("invalid-purl") && r.stdout.contains("bad.json"),
        "{}",
        r.stdout
    );

    // Policy flags work before or after the subcommand.
    let mut c = gate(dir);
    c.args(["check", "good.json", "--min-licenses", "90"]);
    assert_eq!(run(c).code, 1);
    let mut c = gate(dir);
    c.args(["--min-licenses", "90", "check", "good.json"]);
    assert_eq!(run(c).code, 1);

    for (f, want) in [
        ("spdx.json", "SPDX document"),
        ("trunc.json", "trunc.json:1"),
        ("missing.json", "missing.json"),
    ] {
        let mut c = gate(dir);
        c.args(["check", f]);
        let r = run(c);
        assert_eq!(r.code, 4, "{f}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{f}: {}", r.stderr);
    }
    let mut c = gate(dir);
    c.args(["check"]);
    assert_eq!(run(c).code, 2);
}

/// `diff` between the SBOMs of two real axios releases, against the same
/// comparison done here on the two lockfiles directly.
#[test]
fn diff_between_two_releases() {
    testkit::fixture!("schemas");
    use std::collections::{BTreeMap, BTreeSet};
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (v, out) in [("v0.26.0", "base.json"), ("v1.0.0", "head.json")] {
        let mut c = gate(d);
        c.arg("--input")
            .arg(lockfile(&format!("axios-{v}.package-lock.json")))
            .args(["--sbom-path", out]);
        assert_eq!(run(c).code, 0);
    }
    let versions = |v: &str| -> BTreeMap<String, BTreeSet<String>> {
        let lock: Value = serde_json::from_str(
            &std::fs::read_to_string(lockfile(&format!("axios-{v}.package-lock.json"))).unwrap(),
        )
        .unwrap();
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (k, e) in lock["packages"].as_object().unwrap() {
            if k.is_empty() || e.get("link").is_some() {
                continue;
            }
            let n = e
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_else(|| k.rsplit("node_modules/").next().unwrap());
            m.entry(format!("pkg:npm/{}", n.replace('@', "%40")))
                .or_default()
                .insert(e["version"].as_str().unwrap().to_string());
        }
        m
    };
    let (b, h) = (versions("v0.26.0"), versions("v1.0.0"));
    let added: BTreeSet<&String> = h.keys().filter(|k| !b.contains_key(*k)).collect();
    let removed: BTreeSet<&String> = b.keys().filter(|k| !h.contains_key(*k)).collect();
    let changed: BTreeSet<&String> = h
        .keys()
        .filter(|k| b.get(*k).is_some_and(|v| v != &h[*k]))
        .collect();
    assert!(!added.is_empty() && !removed.is_empty() && !changed.is_empty());

    let mut c = gate(d);
    c.args(["diff", "base.json", "head.json", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rep = report(&r);
    assert!(
        rep["summary"]
            .as_str()
            .unwrap()
            .starts_with("compared head.json"),
        "{}",
        rep["summary"]
    );
    let keys = |rule: &str| -> BTreeSet<String> {
        rep["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        keys("component-added"),
        added.into_iter().cloned().collect()
    );
    assert_eq!(
        keys("component-removed"),
        removed.into_iter().cloned().collect()
    );
    assert_eq!(
        keys("version-changed"),
        changed.into_iter().cloned().collect()
    );
    // The same SBOM against itself: no change.
    let mut c = gate(d);
    c.args(["diff", "head.json", "head.json", "--format", "json"]);
    let rep = report(&run(c));
    assert!(rep["findings"].as_array().unwrap().is_empty(), "{rep}");
}

/// The embedded schemas are the official ones, unchanged.
#[test]
fn embedded_schemas_are_the_official_copies() {
    testkit::fixture!("schemas");
    let mine = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for f in [
        "bom-1.5.schema.json",
        "bom-1.6.schema.json",
        "bom-1.7.schema.json",
        "spdx.schema.json",
        "jsf-0.82.schema.json",
        "cryptography-defs.schema.json",
    ] {
        assert_eq!(
            std::fs::read(mine.join(f)).unwrap(),
            std::fs::read(testkit::fixtures_root().join("schemas").join(f)).unwrap(),
            "{f}"
        );
    }
}

/// cyclonedx-py 7.5.0's `environment` SBOM (tests/data/SOURCES): no
/// `metadata.component`, every package in `dependencies`. Valid, so it
/// passes: reachability needs a root, and a note says it was not checked.
#[test]
fn an_environment_sbom_without_a_root_passes() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut c = gate(&data);
    c.arg("check")
        .arg(data.join("cyclonedx-py-environment.cdx.json"))
        .args(["--format", "json"]);
    let run = run(c);
    let rep = report(&run);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let rules: Vec<&str> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"unreachable-component"), "{rules:?}");
    assert!(rules.contains(&"reachability-unchecked"), "{rules:?}");
}

fn environment() -> Value {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cyclonedx-py-environment.cdx.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn unreachable(r: &Report) -> usize {
    r.findings
        .iter()
        .filter(|f| f.rule == "unreachable-component")
        .count()
}

/// The shapes other tools write, on the same real components:
/// cyclonedx-npm and cargo-cyclonedx put the root in `dependencies`
/// (reachability checked), syft describes its source as a root no
/// `dependencies` entry names (not checked), a root without `bom-ref`
/// cannot be named by an edge (not checked).
#[test]
fn reachability_applies_from_a_root_the_graph_starts_at() {
    let n = environment()["components"].as_array().unwrap().len();
    let none = judge(&environment(), &SbomConfig::default());
    assert_eq!(unreachable(&none), 0);
    assert_eq!(none.verdict, Verdict::Pass, "{:?}", none.findings);

    // cyclonedx-npm / cargo-cyclonedx: a root with its own entry. It
    // depends on nothing here, so every component is unreachable.
    let mut rooted = environment();
    rooted["metadata"]["component"] =
        json!({"type": "application", "name": "app", "bom-ref": "app"});
    rooted["dependencies"]
        .as_array_mut()
        .unwrap()
        .push(json!({"ref": "app"}));
    let r = judge(&rooted, &SbomConfig::default());
    assert_eq!(unreachable(&r), n.min(50), "{:?}", r.findings);
    assert_eq!(r.verdict, Verdict::Fail);
    // ... and once it depends on every top-level package, none is.
    let all: Vec<Value> = environment()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].clone())
        .collect();
    rooted["dependencies"]
        .as_array_mut()
        .unwrap()
        .last_mut()
        .unwrap()["dependsOn"] = json!(all);
    let r = judge(&rooted, &SbomConfig::default());
    assert_eq!(unreachable(&r), 0, "{:?}", r.findings);
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule == "reachability-unchecked")
    );

    // syft: the scanned source is `metadata.component`, absent from the graph.
    let mut syft = environment();
    syft["metadata"]["component"] =
        json!({"type": "file", "name": "/project", "bom-ref": "af63bd4c8601b7f1"});
    let r = judge(&syft, &SbomConfig::default());
    assert_eq!(unreachable(&r), 0, "{:?}", r.findings);
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.findings);
    let note = r
        .findings
        .iter()
        .find(|f| f.rule == "reachability-unchecked")
        .unwrap();
    assert!(
        note.message.contains("af63bd4c8601b7f1"),
        "{}",
        note.message
    );

    // A root without bom-ref.
    let mut anonymous = environment();
    anonymous["metadata"]["component"] = json!({"type": "application", "name": "app"});
    let r = judge(&anonymous, &SbomConfig::default());
    assert_eq!(unreachable(&r), 0, "{:?}", r.findings);
    assert_eq!(r.verdict, Verdict::Pass, "{:?}", r.findings);
}

/// A real cargo-cyclonedx 0.5.9 SBOM (tests/data/SOURCES): its root is in
/// `dependencies`, so reachability is checked, and every component is
/// reached; cutting the root's edges makes them unreachable.
#[test]
fn a_cargo_cyclonedx_sbom_is_checked_from_its_root() {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/testkit.cargo-cyclonedx.cdx.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    let r = judge(&doc, &SbomConfig::default());
    assert_eq!(unreachable(&r), 0, "{:?}", r.findings);
    assert!(
        !r.findings
            .iter()
            .any(|f| f.rule == "reachability-unchecked"),
        "{:?}",
        r.findings
    );
    assert_ne!(r.verdict, Verdict::Fail, "{:?}", r.findings);
    let root = doc["metadata"]["component"]["bom-ref"]
        .as_str()
        .unwrap()
        .to_string();
    let mut cut = doc.clone();
    for d in cut["dependencies"].as_array_mut().unwrap() {
        if d["ref"] == root.as_str() {
            d["dependsOn"] = json!([]);
        }
    }
    let r = judge(&cut, &SbomConfig::default());
    assert!(unreachable(&r) > 0, "{:?}", r.findings);
    assert_eq!(r.verdict, Verdict::Fail);
}
