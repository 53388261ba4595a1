//! CycloneDX XML output: valid against the official XSD (xmllint, from
//! Debian's libxml2-utils), the same components, purls, edges and serial
//! number as the JSON written beside it, and reproducible.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

fn xsd(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/xsd")
        .join(format!("bom-{version}.SNAPSHOT.xsd"))
}

/// xmllint, or None (skipped, saying why) off CI; under CI its absence is a
/// failure (`.ci/run` installs libxml2-utils).
fn xmllint() -> Option<&'static str> {
    if testkit::which("xmllint").is_none() {
        testkit::skip("xmllint is not installed (apt-get install libxml2-utils)");
        return None;
    }
    Some("xmllint")
}

fn validate(xml: &Path, version: &str) -> Result<(), String> {
    let o = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(xsd(version))
        .arg(xml)
        .output()
        .unwrap();
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

fn xpath(xml: &Path, expr: &str) -> Vec<String> {
    let o = Command::new("xmllint")
        .args(["--xpath", expr])
        .arg(xml)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    let o = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(bytes)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn local(name: &str) -> String {
    format!("*[local-name()='{name}']")
}

fn write_both(dir: &Path, input: &Path, version: &str, extra: &[&str]) -> (PathBuf, Value) {
    let (json, xml) = (dir.join("sbom.cdx.json"), dir.join("sbom.cdx.xml"));
    let mut c = gate(dir);
    c.arg("--input")
        .arg(input)
        .arg("--sbom-path")
        .arg(&json)
        .arg("--xml-path")
        .arg(&xml)
        .args(["--spec-version", version, "--format", "json"])
        .args(extra);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let rep = report(&r);
    let shown = rep["details"]["sboms"][0]["xml_path"].as_str().unwrap();
    assert!(shown.ends_with("sbom.cdx.xml"), "{shown}");
    let digest = rep["details"]["sboms"][0]["xml_sha256"].as_str().unwrap();
    let bytes = std::fs::read(&xml).unwrap();
    assert_eq!(digest, sha256_hex(&bytes));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (xml, doc)
}

#[test]
fn xml_is_valid_against_the_official_xsd_and_says_what_the_json_says() {
    if !have_fixtures() || xmllint().is_none() {
        return;
    }
    let this = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let inputs: Vec<(PathBuf, Vec<&str>)> = vec![
        (lockfile("axios-v1.0.0.package-lock.json"), vec![]),
        (lockfile("bat-v0.24.0.Cargo.lock"), vec![]),
        // cargo metadata: licenses, descriptions, external references, scopes.
        (this.join("Cargo.toml"), vec!["--cargo-metadata", "always"]),
    ];
    for version in ["1.5", "1.6"] {
        for (input, extra) in &inputs {
            let tmp = tempfile::tempdir().unwrap();
            let d = tmp.path();
            std::fs::write(d.join("app.tar.gz"), b"release <&> bytes\n").unwrap();
            let mut args = extra.clone();
            args.extend(["--artifact", "app.tar.gz"]);
            let (xml, doc) = write_both(d, input, version, &args);
            let what = format!("{} {version}", input.display());
            validate(&xml, version).unwrap_or_else(|e| panic!("{what}: {e}"));

            // The other version's XSD refuses it (the namespace is the version's).
            let other = if version == "1.5" { "1.6" } else { "1.5" };
            assert!(validate(&xml, other).is_err(), "{what}");

            // Same serial number, same components, purls, licenses and edges.
            let serial = xpath(&xml, "string(/*/@serialNumber)");
            assert_eq!(
                serial,
                vec![doc["serialNumber"].as_str().unwrap().to_string()]
            );
            let comps = doc["components"].as_array().unwrap();
            let json_purls: BTreeSet<String> = comps
                .iter()
                .filter_map(|c| c["purl"].as_str().map(String::from))
                .collect();
            let xml_purls: BTreeSet<String> = xpath(
                &xml,
                &format!(
                    "/{}/{}/{}/{}/text()",
                    local("bom"),
                    local("components"),
                    local("component"),
                    local("purl")
                ),
            )
            .into_iter()
            .collect();
            assert_eq!(xml_purls.len(), comps.len(), "{what}");
            assert_eq!(xml_purls, json_purls, "{what}");
            let edges: usize = doc["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["dependsOn"].as_array().unwrap().len())
                .sum();
            let xml_edges = xpath(
                &xml,
                &format!(
                    "count(//{}/{}/{})",
                    local("dependencies"),
                    local("dependency"),
                    local("dependency")
                ),
            );
            assert_eq!(xml_edges, vec![edges.to_string()], "{what}");
            let licensed = comps.iter().filter(|c| c.get("licenses").is_some()).count();
            let xml_licensed = xpath(
                &xml,
                &format!(
                    "count(/{}/{}/{}[{}])",
                    local("bom"),
                    local("components"),
                    local("component"),
                    local("licenses")
                ),
            );
            assert_eq!(xml_licensed, vec![licensed.to_string()], "{what}");
            // The artifact, escaped text included, is there with its digest.
            let digest = xpath(
                &xml,
                &format!(
                    "string(//{}[@bom-ref='file:app.tar.gz']//{})",
                    local("component"),
                    local("hash")
                ),
            );
            assert_eq!(
                digest[0],
                doc["metadata"]["component"]["components"][0]["hashes"][0]["content"]
                    .as_str()
                    .unwrap()
            );
        }
    }
}

#[test]
fn xml_is_reproducible_and_needs_product_with_several_inputs() {
    if !have_fixtures() || xmllint().is_none() {
        return;
    }
    let input = lockfile("axios-v0.26.0.package-lock.json");
    let bytes = |dir: &Path| {
        let mut c = gate(dir);
        c.arg("--input")
            .arg(&input)
            .args(["--sbom-path", "s.json", "--xml-path", "out/s.xml"])
            .env("SOURCE_DATE_EPOCH", "1000000000");
        assert_eq!(run(c).code, 0);
        std::fs::read(dir.join("out/s.xml")).unwrap()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = bytes(a.path());
    assert_eq!(first, bytes(b.path()));
    assert!(
        String::from_utf8_lossy(&first).contains("<timestamp>2001-09-09T01:46:40Z</timestamp>")
    );
    validate(&a.path().join("out/s.xml"), "1.5").unwrap();

    // Two inputs, one XML path: a configuration error before anything is written.
    let d = a.path();
    let mut c = gate(d);
    c.arg("--input")
        .arg(&input)
        .arg("--input")
        .arg(lockfile("bat-v0.24.0.Cargo.lock"))
        .args(["--sbom-path", "{product}.json", "--xml-path", "one.xml"]);
    let r = run(c);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("xml-path") && r.stderr.contains("{product}"),
        "{}",
        r.stderr
    );
    assert!(!d.join("one.xml").exists());
}
