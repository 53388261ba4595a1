//! CycloneDX XML output: valid against the official XSD (xmllint, from
//! Debian's libxml2-utils), the same components, purls, edges and serial
//! number as the JSON written beside it, and reproducible.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

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
    testkit::require("xmllint", "apt-get install libxml2-utils").map(|_| "xmllint")
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

/// Three real inputs (npm, Cargo.lock, this workspace through `cargo
/// metadata`: licenses, descriptions, external references, scopes), each
/// with an artifact (`app.tar.gz`, written by each test), and their flags.
fn real_inputs() -> Vec<(PathBuf, Vec<&'static str>)> {
    let this = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifact = ["--artifact", "app.tar.gz"];
    vec![
        (
            lockfile("axios-v1.0.0.package-lock.json"),
            artifact.to_vec(),
        ),
        (lockfile("bat-v0.24.0.Cargo.lock"), artifact.to_vec()),
        (
            this.join("Cargo.toml"),
            [&["--cargo-metadata", "always"][..], &artifact].concat(),
        ),
    ]
}

#[test]
fn xml_is_valid_against_the_official_xsd_and_says_what_the_json_says() {
    testkit::fixture!("lockfiles");
    if xmllint().is_none() {
        return;
    }
    for version in ["1.5", "1.6"] {
        for (input, args) in real_inputs() {
            let tmp = tempfile::tempdir().unwrap();
            let d = tmp.path();
            std::fs::write(d.join("app.tar.gz"), b"release <&> bytes\n").unwrap();
            let (xml, doc) = write_both(d, &input, version, &args);
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
    testkit::fixture!("lockfiles");
    if xmllint().is_none() {
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

/// `check` and `diff` read XML: a document read back gives exactly the
/// analysis of the JSON written beside it (components, purls, hashes,
/// licenses, scopes, bom-refs, edges, reachability, issues), and `diff`
/// between the two finds nothing.
#[test]
fn xml_reads_back_as_the_json_written_beside_it() {
    testkit::fixture!("lockfiles");
    for version in ["1.5", "1.6"] {
        for (input, args) in real_inputs() {
            let tmp = tempfile::tempdir().unwrap();
            let d = tmp.path();
            std::fs::write(d.join("app.tar.gz"), b"release <&> bytes\n").unwrap();
            let (xml, _) = write_both(d, &input, version, &args);
            let what = format!("{} {version}", input.display());
            let json = d.join("sbom.cdx.json");
            let read =
                |p: &Path| gate_sbom::doc::check_bytes("x", p, &std::fs::read(p).unwrap()).unwrap();
            let (j, x) = (read(&json), read(&xml));
            assert!(j.analysis.components.len() > 5, "{what}");
            assert_eq!(x.analysis, j.analysis, "{what}");
            let changes = gate_sbom::diff::diff(&j.analysis, &x.analysis);
            assert!(
                changes.added.is_empty() && changes.removed.is_empty(),
                "{what}"
            );
            assert!(changes.version_changed.is_empty(), "{what}");
            assert!(changes.license_changed.is_empty(), "{what}");
            // The JSON passes the JSON Schema; the XML says its XSD was not applied.
            assert_eq!(j.schema, Ok(Vec::new()), "{what}");
            assert!(
                x.schema.as_ref().is_err_and(|e| e.contains("xmllint")),
                "{what}"
            );

            // Through the binary: `check` passes with that one warning, and
            // `diff` of the two files reports no change.
            let mut c = gate(d);
            c.args(["--format", "json", "check", "sbom.cdx.xml"]);
            let r = run(c);
            assert_eq!(r.code, 0, "{what}: {}{}", r.stdout, r.stderr);
            let rules: Vec<String> = report(&r)["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(rules, ["schema-unavailable"], "{what}");
            let mut c = gate(d);
            c.args(["--format", "json", "diff", "sbom.cdx.json", "sbom.cdx.xml"]);
            let r = run(c);
            assert_eq!(r.code, 0, "{what}: {}{}", r.stdout, r.stderr);
        }
    }
}

/// Broken XML is exit 4 with the file and the line, never a panic: a
/// truncated document, another root element, no CycloneDX namespace, an
/// unknown entity, mismatched tags.
#[test]
fn broken_xml_is_exit_4_with_a_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" serialNumber=\"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\" version=\"1\">\n  <components>\n    <component type=\"library\" bom-ref=\"a\">\n      <name>a &amp; b</name>\n    </component>\n  </components>\n</bom>\n";
    std::fs::write(d.join("good.xml"), good).unwrap();
    let mut c = gate(d);
    c.args(["--format", "json", "check", "good.xml"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let cases = [
        (
            "truncated.xml",
            good[..good.len() / 2].to_string(),
            "truncated",
        ),
        (
            "root.xml",
            good.replace("<bom ", "<sbom ").replace("</bom>", "</sbom>"),
            "root element is <sbom>",
        ),
        (
            "ns.xml",
            good.replace("http://cyclonedx.org/schema/bom/1.6", "urn:other"),
            "namespace",
        ),
        (
            "entity.xml",
            good.replace("&amp;", "&nbsp;"),
            "unknown entity",
        ),
        (
            "tags.xml",
            good.replace("</name>", "</nam>"),
            "not well-formed",
        ),
    ];
    for (name, text, says) in cases {
        std::fs::write(d.join(name), &text).unwrap();
        let mut c = gate(d);
        c.args(["check", name]);
        let r = run(c);
        assert_eq!(r.code, 4, "{name}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(says), "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{name}:")),
            "{name}: {}",
            r.stderr
        );
    }
}

/// Another tool's XML (cyclonedx-py 7.5.0, tests/data/SOURCES) reads as its
/// JSON twin does: the same analysis, so the same findings but the XSD note.
#[test]
fn third_party_xml_reads_as_its_json_twin() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let read = |name: &str| {
        let p = data.join(name);
        gate_sbom::doc::check_bytes(name, &p, &std::fs::read(&p).unwrap()).unwrap()
    };
    let j = read("djangoproject-2019.cyclonedx-py.cdx.json");
    let x = read("djangoproject-2019.cyclonedx-py.cdx.xml");
    assert_eq!(j.analysis.components.len(), 19);
    assert_eq!(x.analysis, j.analysis);
    assert!(j.schema.is_ok() && x.schema.is_err());
}

/// Untrusted input: every truncation of a real XML SBOM, and every single
/// byte of it replaced by `<`, `&` or `"`, is read or refused with a line
/// inside the text; never a panic.
#[test]
fn every_truncation_and_poked_byte_is_read_or_refused() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/djangoproject-2019.cyclonedx-py.cdx.xml");
    let text = std::fs::read(&p).unwrap();
    let lines = text.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let mut refused = 0;
    let mut check = |bytes: &[u8]| match gate_sbom::xml::read(bytes) {
        Ok(_) => {}
        Err((line, _)) => {
            refused += 1;
            assert!(line.is_some_and(|l| (1..=lines).contains(&l)), "{line:?}");
        }
    };
    for cut in 0..text.len() {
        check(&text[..cut]);
    }
    for i in (0..text.len()).step_by(7) {
        for b in [b'<', b'&', b'"'] {
            let mut poked = text.clone();
            poked[i] = b;
            check(&poked);
        }
    }
    assert!(refused > text.len() / 2, "{refused}");
}

/// A CycloneDX XML document whose one component (line 4) carries `type`,
/// `bom-ref` and `extra` more attributes.
fn with_attributes(extra: usize) -> String {
    let attrs: String = (0..extra).map(|i| format!(" a{i}=\"x\"")).collect();
    format!(
        "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" serialNumber=\"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\" version=\"1\">\n  <components>\n    <component type=\"library\" bom-ref=\"a\"{attrs}>\n      <name>a</name>\n    </component>\n  </components>\n</bom>\n"
    )
}

/// RUSTSEC-2026-0194: quick-xml before 0.41 checked a start tag's
/// attributes for duplicates in quadratic time, and `check` read every
/// attribute: a 429 KB document with 40,000 attributes on one component
/// kept a core busy for seconds (growing with the square of the count) and
/// was then accepted. An element with more than `MAX_ATTRIBUTES` is now
/// refused as soon as the limit is passed: exit 4 naming the file, the
/// line and the element. At the limit the document reads as before.
#[test]
fn an_element_with_too_many_attributes_is_exit_4_with_its_line() {
    use gate_sbom::xml::MAX_ATTRIBUTES;
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (extra, code) in [
        (MAX_ATTRIBUTES - 2, 0),
        (MAX_ATTRIBUTES - 1, 4),
        (40_000, 4),
    ] {
        let name = format!("attrs-{extra}.xml");
        std::fs::write(d.join(&name), with_attributes(extra)).unwrap();
        let mut c = gate(d);
        c.args(["check", &name]);
        let r = run(c);
        assert_eq!(r.code, code, "{extra}: {}{}", r.stdout, r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        if code == 4 {
            assert!(r.stderr.contains(&format!("{name}:4")), "{}", r.stderr);
            assert!(
                r.stderr.contains(&format!(
                    "<component> has more than {MAX_ATTRIBUTES} attributes"
                )),
                "{}",
                r.stderr
            );
        }
    }
}

/// Many elements at the attribute limit: every one is read (the bound is
/// per element, not per document).
#[test]
fn many_elements_at_the_attribute_limit_are_read() {
    use gate_sbom::xml::MAX_ATTRIBUTES;
    let extra: String = (0..MAX_ATTRIBUTES - 2)
        .map(|i| format!(" a{i}=\"x\""))
        .collect();
    let comps: String = (0..500)
        .map(|i| {
            format!(
                "    <component type=\"library\" bom-ref=\"c{i}\"{extra}><name>c{i}</name><version>1.0.{i}</version></component>\n"
            )
        })
        .collect();
    let doc = format!(
        "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" serialNumber=\"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79\" version=\"1\">\n  <components>\n{comps}  </components>\n</bom>\n"
    );
    let v = gate_sbom::xml::read(doc.as_bytes()).unwrap();
    let list = v["components"].as_array().unwrap();
    assert_eq!(list.len(), 500);
    assert_eq!(list[499]["bom-ref"], "c499");
    assert_eq!(list[499]["version"], "1.0.499");
}
