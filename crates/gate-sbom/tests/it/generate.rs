//! Generation from real lockfiles, compared with what the lockfiles say
//! (read independently here), validated against the official schemas.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use serde_json::Value;

fn generate(dir: &Path, input: &Path, extra: &[&str]) -> (Run, Value) {
    let out = dir.join("out.cdx.json");
    let mut c = gate(dir);
    c.arg("--input")
        .arg(input)
        .arg("--sbom-path")
        .arg(&out)
        .args(["--format", "json"])
        .args(extra);
    let r = run(c);
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    let doc = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    (r, doc)
}

fn purls(doc: &Value) -> BTreeSet<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn npm_lockfiles_components_scopes_hashes_edges() {
    testkit::fixture!("lockfiles");
    for name in [
        "axios-v1.0.0.package-lock.json",
        "axios-v0.26.0.package-lock.json",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let path = lockfile(name);
        let (r, doc) = generate(tmp.path(), &path, &[]);
        assert_eq!(r.code, 0, "{name}: {}", r.stdout);
        assert!(
            schema_errors(&doc, "1.5").is_empty(),
            "{name}: {:?}",
            &schema_errors(&doc, "1.5")[..3]
        );

        // Independent reading of the lockfile.
        let lock: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let pkgs = lock["packages"].as_object().unwrap();
        let mut expected: BTreeMap<String, (bool, Option<String>)> = BTreeMap::new(); // purl -> (all dev, integrity)
        for (k, v) in pkgs {
            if k.is_empty() || v.get("link").is_some() {
                continue;
            }
            let n = v
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_else(|| k.rsplit("node_modules/").next().unwrap());
            let purl = format!(
                "pkg:npm/{}@{}",
                n.replace('@', "%40"),
                v["version"].as_str().unwrap()
            );
            let dev = v.get("dev").and_then(|d| d.as_bool()).unwrap_or(false)
                || v.get("devOptional")
                    .and_then(|d| d.as_bool())
                    .unwrap_or(false);
            let e = expected.entry(purl).or_insert((true, None));
            e.0 &= dev;
            if e.1.is_none() {
                e.1 = v
                    .get("integrity")
                    .and_then(|i| i.as_str())
                    .map(String::from);
            }
        }
        let want: BTreeSet<String> = expected.keys().cloned().collect();
        let got = purls(&doc);
        assert!(
            got == want,
            "{name}: only ours {:?}, only the lockfile's {:?}",
            got.difference(&want).collect::<Vec<_>>(),
            want.difference(&got).collect::<Vec<_>>()
        );
        let root_name = pkgs[""]
            .get("name")
            .unwrap_or(&lock["name"])
            .as_str()
            .unwrap();
        assert_eq!(doc["metadata"]["component"]["name"], root_name);
        for c in doc["components"].as_array().unwrap() {
            let (dev, integrity) = &expected[c["purl"].as_str().unwrap()];
            let scope = c["scope"].as_str().unwrap();
            assert_eq!(
                scope == "excluded",
                *dev,
                "{name}: {} scope {scope}",
                c["purl"]
            );
            // sha512 integrity → hex, checked with an independent base64 decoder.
            if let Some(i) = integrity.as_deref().and_then(|i| i.strip_prefix("sha512-")) {
                let hex = c["hashes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h["alg"] == "SHA-512")
                    .unwrap()["content"]
                    .as_str()
                    .unwrap()
                    .to_string();
                assert_eq!(hex, b64_to_hex(i), "{}", c["purl"]);
            }
        }
        // Every `dependencies` name of every entry is an edge to a component of that name.
        let by_ref: BTreeMap<&str, &Value> = doc["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["ref"].as_str().unwrap(), &d["dependsOn"]))
            .collect();
        let names: BTreeMap<&str, String> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let full = match c.get("group").and_then(|g| g.as_str()) {
                    Some(g) => format!("{g}/{}", c["name"].as_str().unwrap()),
                    None => c["name"].as_str().unwrap().to_string(),
                };
                (c["bom-ref"].as_str().unwrap(), full)
            })
            .collect();
        let mut checked = 0;
        for (k, v) in pkgs {
            if k.is_empty() {
                continue;
            }
            let n = v
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_else(|| k.rsplit("node_modules/").next().unwrap());
            let purl = format!(
                "pkg:npm/{}@{}",
                n.replace('@', "%40"),
                v["version"].as_str().unwrap()
            );
            let on: BTreeSet<&String> = by_ref[purl.as_str()]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| &names[r.as_str().unwrap()])
                .collect();
            for dep in v
                .get("dependencies")
                .and_then(|d| d.as_object())
                .into_iter()
                .flatten()
                .map(|(d, _)| d)
            {
                assert!(on.contains(dep), "{name}: {purl} lacks the edge to {dep}");
                checked += 1;
            }
        }
        assert!(checked > 1000, "{name}: only {checked} edges checked");
        let rep = report(&r);
        let unreachable = rep["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "unreachable-components")
            .unwrap();
        assert_eq!(unreachable["value"], 0.0);
    }
}

fn b64_to_hex(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = String::new();
    for ch in s.bytes().take_while(|&c| c != b'=') {
        let v = A.iter().position(|&a| a == ch).unwrap() as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push_str(&format!("{:02x}", (bits >> n) & 0xff));
        }
    }
    out
}

#[test]
fn cargo_lockfiles_v1_to_v4_packages_checksums_edges() {
    testkit::fixture!("lockfiles");
    let mut names: Vec<_> = std::fs::read_dir(testkit::fixtures_root().join("lockfiles"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".Cargo.lock"))
        .collect();
    names.sort();
    assert!(names.len() >= 9);
    for name in names {
        let tmp = tempfile::tempdir().unwrap();
        let path = lockfile(&name);
        let (r, doc) = generate(tmp.path(), &path, &["--cargo-metadata", "never"]);
        assert!(schema_errors(&doc, "1.5").is_empty(), "{name}");
        let lock: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let pkgs = lock["package"].as_array().unwrap();
        let mut expected = BTreeSet::new();
        let mut edges = 0;
        let mut with_checksum = BTreeSet::new();
        let meta = lock.get("metadata").and_then(|m| m.as_table());
        for p in pkgs {
            let (n, v) = (p["name"].as_str().unwrap(), p["version"].as_str().unwrap());
            let src = p.get("source").and_then(|s| s.as_str());
            edges += p
                .get("dependencies")
                .and_then(|d| d.as_array())
                .map_or(0, |d| d.len());
            let has = p.get("checksum").is_some()
                || meta.is_some_and(|m| {
                    m.keys()
                        .any(|k| k.starts_with(&format!("checksum {n} {v} ")))
                });
            // purl spec: `+` in a version is percent-encoded.
            let purl = format!("pkg:cargo/{n}@{}", v.replace('+', "%2B"));
            // crates.io and path packages: no qualifier (Cargo.lock does not say where a path package is).
            if src.is_none_or(|s| s.contains("crates.io-index")) {
                expected.insert(purl.clone());
                if has {
                    with_checksum.insert(purl);
                }
            }
        }
        let got = purls(&doc);
        let root = doc["metadata"]["component"]["purl"]
            .as_str()
            .map(String::from);
        let got_registry: BTreeSet<String> =
            got.iter().filter(|p| !p.contains('?')).cloned().collect();
        let mut expected_wo_root = expected.clone();
        if let Some(r) = &root {
            expected_wo_root.remove(r);
        }
        assert!(
            got_registry == expected_wo_root,
            "{name}: only ours {:?}, only the lockfile's {:?}",
            got_registry
                .difference(&expected_wo_root)
                .collect::<Vec<_>>(),
            expected_wo_root
                .difference(&got_registry)
                .collect::<Vec<_>>()
        );
        let hashed: BTreeSet<String> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c.get("hashes").is_some())
            .map(|c| c["purl"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(hashed, with_checksum, "{name}");
        let rep = report(&r);
        let m = |k: &str| {
            rep["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["name"] == k)
                .unwrap()["value"]
                .as_f64()
                .unwrap()
        };
        // Every lockfile dependency entry is one edge (the synthetic root adds its own).
        let root_edges = doc["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"] == doc["metadata"]["component"]["bom-ref"])
            .map_or(0, |d| d["dependsOn"].as_array().unwrap().len());
        let root_is_pkg = pkgs.iter().any(|p| {
            Some(format!(
                "pkg:cargo/{}@{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap().replace('+', "%2B")
            )) == doc["metadata"]["component"]["bom-ref"]
                .as_str()
                .map(|s| s.split('?').next().unwrap().to_string())
                && p.get("source").is_none()
        });
        let extra = if root_is_pkg { 0 } else { root_edges };
        assert_eq!(m("dependency-edges") as usize, edges + extra, "{name}");
        assert_eq!(m("unreachable-components"), 0.0, "{name}");
    }
}

#[test]
fn spec_1_6_is_valid_against_the_official_1_6_schema() {
    testkit::fixture!("lockfiles/axios-v0.26.0.package-lock.json");
    let tmp = tempfile::tempdir().unwrap();
    let (r, doc) = generate(
        tmp.path(),
        &lockfile("axios-v0.26.0.package-lock.json"),
        &["--spec-version", "1.6"],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(doc["specVersion"], "1.6");
    assert!(schema_errors(&doc, "1.6").is_empty());
}

/// A workspace with a path dependency, a normal, a build and a dev
/// dependency: `cargo metadata` gives licenses and kinds → scope.
#[test]
fn cargo_metadata_gives_licenses_and_scopes() {
    testkit::fixture!("schemas");
    // Versions already in this workspace's lockfile, so `--offline` finds them.
    let ws_lock: toml::Table = toml::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"))
            .unwrap(),
    )
    .unwrap();
    let version = |n: &str| {
        ws_lock["package"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"].as_str() == Some(n))
            .map(|p| p["version"].as_str().unwrap().to_string())
            .unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("helper/src")).unwrap();
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::write(
        d.join("Cargo.toml"),
        format!(
            "[package]\nname = \"demo\"\nversion = \"1.2.3\"\nedition = \"2021\"\nlicense = \"MIT\"\n\n[dependencies]\nhelper = {{ path = \"helper\" }}\nmemchr = \"={}\"\n\n[build-dependencies]\ncfg-if = \"={}\"\n\n[dev-dependencies]\nitoa = \"={}\"\n",
            version("memchr"),
            version("cfg-if"),
            version("itoa")
        ),
    )
    .unwrap();
    std::fs::write(d.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(
        d.join("helper/Cargo.toml"),
        "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"Apache-2.0\"\n",
    )
    .unwrap();
    std::fs::write(d.join("helper/src/lib.rs"), "").unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = std::process::Command::new(&cargo)
        .current_dir(d)
        .args(["generate-lockfile", "--offline"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut c = gate(d);
    c.args([
        "--format",
        "json",
        "--cargo-metadata",
        "always",
        "--min-licenses",
        "100",
    ]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("sbom.cdx.json")).unwrap()).unwrap();
    assert!(schema_errors(&doc, "1.5").is_empty());
    assert_eq!(doc["metadata"]["component"]["name"], "demo");
    assert_eq!(
        doc["metadata"]["component"]["licenses"][0]["expression"],
        "MIT"
    );
    assert_eq!(doc["metadata"]["properties"][0]["value"], "cargo metadata");
    let comp = |n: &str| {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap_or_else(|| panic!("{n}"))
            .clone()
    };
    assert_eq!(comp("memchr")["scope"], "required");
    assert_eq!(comp("helper")["scope"], "required");
    assert_eq!(comp("cfg-if")["scope"], "excluded");
    assert_eq!(comp("itoa")["scope"], "excluded");
    assert_eq!(
        comp("helper")["purl"],
        "pkg:cargo/helper@0.1.0?download_url=file:%2F%2Fhelper"
    );
    assert_eq!(comp("helper")["licenses"][0]["expression"], "Apache-2.0");
    // Licenses as cargo metadata reports them (independently asked here).
    let meta = std::process::Command::new(&cargo)
        .current_dir(d)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .output()
        .unwrap();
    let meta: Value = serde_json::from_slice(&meta.stdout).unwrap();
    for p in meta["packages"].as_array().unwrap() {
        if p["name"] == "demo" {
            continue;
        }
        let c = comp(p["name"].as_str().unwrap());
        assert_eq!(c["version"], p["version"]);
        assert_eq!(
            c["licenses"][0]["expression"]
                .as_str()
                .unwrap()
                .replace('/', " OR "),
            p["license"].as_str().unwrap().replace('/', " OR ")
        );
    }
    // The checksum comes from Cargo.lock.
    let lock: toml::Table =
        toml::from_str(&std::fs::read_to_string(d.join("Cargo.lock")).unwrap()).unwrap();
    let memchr = lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str() == Some("memchr"))
        .unwrap();
    assert_eq!(
        comp("memchr")["hashes"][0]["content"],
        memchr["checksum"].as_str().unwrap()
    );
    // Graph: demo → helper, memchr, cfg-if, itoa.
    let root_deps = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["ref"] == doc["metadata"]["component"]["bom-ref"])
        .unwrap();
    assert_eq!(root_deps["dependsOn"].as_array().unwrap().len(), 4);
}

/// Two copies of one repository at different paths, runs at different
/// times: the same bytes, the commit's time as timestamp.
#[test]
fn reproducible_across_checkouts_and_clocks() {
    testkit::fixture!("lockfiles/bat-v0.24.0.Cargo.lock");
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("first/checkout");
    std::fs::create_dir_all(a.join("web")).unwrap();
    std::fs::copy(lockfile("bat-v0.24.0.Cargo.lock"), a.join("Cargo.lock")).unwrap();
    std::fs::copy(
        lockfile("axios-v1.0.0.package-lock.json"),
        a.join("web/package-lock.json"),
    )
    .unwrap();
    std::fs::write(a.join("release.bin"), b"the release\n").unwrap();
    git(&a, &["init", "-q"]);
    git(&a, &["add", "."]);
    git(&a, &["commit", "-qm", "x"]);
    let b = tmp.path().join("elsewhere-entirely");
    git(
        tmp.path(),
        &["clone", "-q", a.to_str().unwrap(), b.to_str().unwrap()],
    );

    let gen_in = |dir: &Path, tz: &str| {
        let mut c = gate(dir);
        c.env("TZ", tz).args([
            "--input",
            ".",
            "--input",
            "web",
            "--sbom-path",
            "sbom/{product}.cdx.json",
            "--artifact",
            "release.bin",
        ]);
        let r = run(c);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        (
            std::fs::read(dir.join("sbom/bat.cdx.json")).unwrap(),
            std::fs::read(dir.join("sbom/axios.cdx.json")).unwrap(),
        )
    };
    let first = gen_in(&a, "UTC");
    let second = gen_in(&b, "Asia/Tokyo");
    assert_eq!(first.0, second.0, "bat SBOM differs between checkouts");
    assert_eq!(first.1, second.1, "axios SBOM differs between checkouts");
    let doc: Value = serde_json::from_slice(&first.0).unwrap();
    assert_eq!(
        doc["metadata"]["timestamp"], "2001-09-09T01:46:40Z",
        "commit time, not the clock"
    );
    // The serial number is a UUIDv5 (version nibble 5).
    let serial = doc["serialNumber"].as_str().unwrap();
    assert_eq!(serial.as_bytes()["urn:uuid:".len() + 14], b'5', "{serial}");
    assert!(!String::from_utf8_lossy(&first.0).contains(tmp.path().to_str().unwrap()));

    // SOURCE_DATE_EPOCH wins; the content changes, so does the serial.
    let mut c = gate(&b);
    c.env("SOURCE_DATE_EPOCH", "1700000000").args([
        "--input",
        "Cargo.lock",
        "--sbom-path",
        "s.json",
    ]);
    assert_eq!(run(c).code, 0);
    let doc2: Value = serde_json::from_slice(&std::fs::read(b.join("s.json")).unwrap()).unwrap();
    assert_eq!(doc2["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    assert_ne!(doc2["serialNumber"], doc["serialNumber"]);
}

#[test]
fn artifacts_subjects_file_statement_and_step_outputs() {
    testkit::fixture!("lockfiles/bat-v0.22.1.Cargo.lock");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("dist")).unwrap();
    std::fs::copy(lockfile("bat-v0.22.1.Cargo.lock"), d.join("Cargo.lock")).unwrap();
    std::fs::write(d.join("dist/app-linux.tar.gz"), vec![7u8; 300_000]).unwrap();
    std::fs::write(d.join("dist/app.zip"), b"zip").unwrap();
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "x"]);
    let head = git(d, &["rev-parse", "HEAD"]);
    let out_file = d.join("gh-output");
    std::fs::write(&out_file, "").unwrap();
    let mut c = gate(d);
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &out_file)
        .env("GITHUB_REPOSITORY", "octo/app")
        .env("GITHUB_SHA", &head)
        .env("GITHUB_REF", "refs/tags/v1.0.0")
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_RUN_ATTEMPT", "2")
        .env("GITHUB_EVENT_NAME", "push")
        .env(
            "GITHUB_WORKFLOW_REF",
            "octo/app/.github/workflows/release.yml@refs/tags/v1.0.0",
        )
        .args(["--ledger", "local", "--format", "json"])
        .args([
            "--artifact",
            "dist/app.zip",
            "--artifact",
            "dist/app-linux.tar.gz",
        ])
        .args([
            "--subjects-path",
            "dist/subjects.sha256",
            "--provenance-path",
            "dist/provenance.intoto.json",
        ]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // sha256sum, run independently, writes the same subjects file.
    let o = std::process::Command::new("sha256sum")
        .current_dir(d)
        .args(["dist/app-linux.tar.gz", "dist/app.zip"])
        .output()
        .unwrap();
    let expected = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("dist/subjects.sha256")).unwrap(),
        expected
    );

    let sums: BTreeMap<String, String> = expected
        .lines()
        .map(|l| {
            let (h, n) = l.split_once("  ").unwrap();
            (n.to_string(), h.to_string())
        })
        .collect();
    let st: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("dist/provenance.intoto.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(st["predicateType"], "https://slsa.dev/provenance/v1");
    for s in st["subject"].as_array().unwrap() {
        assert_eq!(
            s["digest"]["sha256"].as_str().unwrap(),
            sums[s["name"].as_str().unwrap()]
        );
    }
    let p = &st["predicate"];
    assert_eq!(
        p["buildDefinition"]["buildType"],
        "https://actions.github.io/buildtypes/workflow/v1"
    );
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["workflow"]["path"],
        ".github/workflows/release.yml"
    );
    assert_eq!(
        p["buildDefinition"]["externalParameters"]["workflow"]["repository"],
        "https://github.com/octo/app"
    );
    assert_eq!(
        p["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
        head.as_str()
    );
    assert_eq!(
        p["buildDefinition"]["resolvedDependencies"][0]["uri"],
        "git+https://github.com/octo/app@refs/tags/v1.0.0"
    );
    assert_eq!(
        p["runDetails"]["builder"]["id"],
        "https://github.com/octo/app/.github/workflows/release.yml@refs/tags/v1.0.0"
    );
    assert_eq!(
        p["runDetails"]["metadata"]["invocationId"],
        "https://github.com/octo/app/actions/runs/4242/attempts/2"
    );

    // The artifacts are components of the root, with the same digests.
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("sbom.cdx.json")).unwrap()).unwrap();
    assert!(schema_errors(&doc, "1.5").is_empty());
    let files = doc["metadata"]["component"]["components"]
        .as_array()
        .unwrap();
    assert_eq!(files.len(), 2);
    for f in files {
        assert_eq!(f["type"], "file");
        assert_eq!(
            f["hashes"][0]["content"].as_str().unwrap(),
            sums[f["name"].as_str().unwrap()]
        );
    }
    // Step outputs.
    let outputs = std::fs::read_to_string(&out_file).unwrap();
    for want in [
        "sbom-path",
        "subjects-path",
        "components",
        "verdict",
        "sbom-sha256",
    ] {
        assert!(outputs.contains(want), "{want} missing from {outputs}");
    }
    assert!(outputs.contains("dist/subjects.sha256"));
    let rep = report(&r);
    let n = rep["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "components")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert_eq!(n as usize, doc["components"].as_array().unwrap().len());
    let sha = rep["details"]["sboms"][0]["sha256"].as_str().unwrap();
    let o = std::process::Command::new("sha256sum")
        .arg(d.join("sbom.cdx.json"))
        .output()
        .unwrap();
    assert!(String::from_utf8(o.stdout).unwrap().starts_with(sha));
}

#[test]
fn bad_inputs_exit_4_with_the_file_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Missing lockfile.
    let mut c = gate(d);
    c.args(["--input", "nope/Cargo.lock"]);
    let r = run(c);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("nope/Cargo.lock") && r.stderr.contains("no such file"),
        "{}",
        r.stderr
    );
    // Nothing to describe.
    let r = run(gate(d));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("no lockfile in") && r.stderr.contains("poetry.lock"),
        "{}",
        r.stderr
    );
    // Malformed Cargo.lock: line named.
    std::fs::write(
        d.join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"x\"\nversion = \n",
    )
    .unwrap();
    let mut c = gate(d);
    c.args(["--cargo-metadata", "never"]);
    let r = run(c);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("Cargo.lock:5"), "{}", r.stderr);
    // Truncated package-lock.json.
    std::fs::remove_file(d.join("Cargo.lock")).unwrap();
    std::fs::write(
        d.join("package-lock.json"),
        "{\"name\": \"x\", \"lockfileVersion\": 3, \"packages\": {",
    )
    .unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("package-lock.json:1")
            && r.stderr.contains("not a valid package-lock.json"),
        "{}",
        r.stderr
    );
    // Lockfile v1.
    std::fs::write(
        d.join("package-lock.json"),
        "{\"name\": \"x\", \"lockfileVersion\": 1, \"dependencies\": {}}",
    )
    .unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 4);
    assert!(r.stderr.contains("lockfile-version 3"), "{}", r.stderr);
    // Binary garbage.
    std::fs::write(d.join("package-lock.json"), [0xffu8, 0xfe, 0, 1, 2]).unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 4, "{}", r.stderr);
    // Unreadable artifact.
    std::fs::write(d.join("package-lock.json"), "{\"name\": \"x\", \"version\": \"1.0.0\", \"lockfileVersion\": 3, \"packages\": {\"\": {\"name\": \"x\", \"version\": \"1.0.0\"}}}").unwrap();
    let mut c = gate(d);
    c.args(["--artifact", "dist/missing.tar.gz"]);
    let r = run(c);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("dist/missing.tar.gz"), "{}", r.stderr);
    // Several inputs without {product}.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"),
        d.join("Cargo.lock"),
    )
    .unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("{product}"), "{}", r.stderr);
}

/// The same set of purls as @cyclonedx/cyclonedx-npm 6.0.1 (its recorded
/// output) on the same lockfile.
#[test]
fn npm_purls_match_cyclonedx_npm() {
    testkit::fixture!("lockfiles/axios-v1.0.0.package-lock.json");
    let theirs: BTreeSet<String> = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/axios-v1.0.0.cyclonedx-npm.purls.txt"),
    )
    .unwrap()
    .lines()
    .filter(|l| !l.starts_with('#') && !l.is_empty())
    .map(String::from)
    .collect();
    let tmp = tempfile::tempdir().unwrap();
    let (_, doc) = generate(tmp.path(), &lockfile("axios-v1.0.0.package-lock.json"), &[]);
    let ours = purls(&doc);
    assert!(
        ours == theirs,
        "only ours {:?}, only theirs {:?}",
        ours.difference(&theirs).take(5).collect::<Vec<_>>(),
        theirs.difference(&ours).take(5).collect::<Vec<_>>()
    );
}

/// This workspace, through `cargo metadata` (the CI checkout is consistent):
/// every workspace crate is there, schema-valid, every component reachable.
#[test]
fn this_workspace() {
    testkit::fixture!("schemas");
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("self.cdx.json");
    let mut c = gate(&ws);
    c.arg("--sbom-path")
        .arg(&out)
        .args(["--input", "Cargo.toml", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    if doc["metadata"]["properties"][0]["value"] != "cargo metadata" {
        // Someone's half-made crate in a shared checkout: cargo metadata fails, Cargo.lock is read.
        assert!(
            report(&r)["findings"]
                .to_string()
                .contains("cargo metadata")
        );
    } else {
        let gate = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "gate-sbom")
            .unwrap();
        assert_eq!(gate["licenses"][0]["expression"], "MIT OR Apache-2.0");
        assert_eq!(
            gate["purl"],
            "pkg:cargo/gate-sbom@0.1.0?download_url=file:%2F%2Fcrates%2Fgate-sbom"
        );
        let uuid = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "uuid")
            .unwrap();
        assert_eq!(uuid["scope"], "required");
        let insta = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "insta")
            .unwrap();
        assert_eq!(insta["scope"], "excluded", "a dev-dependency only");
    }
    assert!(schema_errors(&doc, "1.5").is_empty());
    let rep = report(&r);
    assert_eq!(rep["verdict"], "pass");

    // Workspace members have no checksum; they do not count against min-hashes.
    let mut c = gate(&ws);
    c.arg("--sbom-path").arg(&out).args([
        "--input",
        "Cargo.toml",
        "--format",
        "json",
        "--min-hashes",
        "100",
    ]);
    let r = run(c);
    let hashless: Vec<&Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("hashes").is_none())
        .collect();
    let all_local = hashless
        .iter()
        .all(|c| c["purl"].as_str().unwrap().contains("download_url=file"));
    assert_eq!(r.code == 0, all_local, "{}", r.stdout);
}

/// `gates.yml` keys, with YAML's unquoted `1.6` read as the version.
#[test]
fn gates_yml_section() {
    testkit::fixture!("lockfiles/axios-v0.26.0.package-lock.json");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::copy(
        lockfile("axios-v0.26.0.package-lock.json"),
        d.join("package-lock.json"),
    )
    .unwrap();
    std::fs::write(
        d.join("gates.yml"),
        "sbom:\n  spec-version: 1.6\n  sbom-path: out/web.cdx.json\n  min-purls: 100\n  deny-licenses: [GPL-3.0-only]\n",
    )
    .unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/web.cdx.json")).unwrap())
            .unwrap();
    assert_eq!(doc["specVersion"], "1.6");
    std::fs::write(d.join("gates.yml"), "sbom:\n  spec-version: 1.4\n").unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("gates.yml:2"), "{}", r.stderr);
    std::fs::write(
        d.join("gates.yml"),
        "sbom:\n  deny-licenses: [NotALicense]\n",
    )
    .unwrap();
    let r = run(gate(d));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("NotALicense"), "{}", r.stderr);
}

/// A lockfile that locks nothing but the project itself gives an SBOM of 0
/// components: nothing was checked, so the gate fails, and no share of
/// nothing is reported as 100 %. `check` of that SBOM says the same.
#[test]
fn an_sbom_of_nothing_does_not_pass() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"alone\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    let mut c = gate(tmp.path());
    c.args(["--cargo-metadata", "never", "--format", "json"]);
    let r = run(c);
    let rep = report(&r);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(rep["checked"], 0);
    let summary = rep["summary"].as_str().unwrap();
    assert!(!summary.contains("100"), "{summary}");
    assert!(summary.contains("0 components"), "{summary}");
    let metrics: Vec<&str> = rep["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(!metrics.contains(&"hash-coverage"), "{metrics:?}");
    let f = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "nothing-checked")
        .unwrap();
    assert!(
        f["message"].as_str().unwrap().contains("sbom.cdx.json"),
        "{f}"
    );

    let mut c = gate(tmp.path());
    c.args(["check", "sbom.cdx.json", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(report(&r)["checked"], 0);
}

/// Without the crates downloaded (an empty `CARGO_HOME`), `cargo metadata
/// --offline` fails and the SBOM falls back to Cargo.lock alone: the report
/// says so in a warning (it was a note, and the gate passed quietly with
/// licenses 0 %). The serial depends on what is described only: the same
/// lockfile gives the same serial whatever the timestamp, and the fallback
/// gives the serial of `cargo-metadata: never` (the same content).
#[test]
fn cargo_metadata_fallback_is_a_warning_and_the_serial_is_the_contents() {
    let ws_lock: toml::Table = toml::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock"))
            .unwrap(),
    )
    .unwrap();
    let memchr = ws_lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str() == Some("memchr"))
        .map(|p| p["version"].as_str().unwrap().to_string())
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::write(
        d.join("Cargo.toml"),
        format!("[package]\nname = \"demo\"\nversion = \"1.2.3\"\nedition = \"2021\"\nlicense = \"MIT\"\n\n[dependencies]\nmemchr = \"={memchr}\"\n"),
    )
    .unwrap();
    std::fs::write(d.join("src/main.rs"), "fn main() {}\n").unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = std::process::Command::new(&cargo)
        .current_dir(d)
        .args(["generate-lockfile", "--offline"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let empty = tempfile::tempdir().unwrap();
    let sbom = |out: &str, extra: &[&str], epoch: &str| {
        let mut c = gate(d);
        c.env("CARGO_HOME", empty.path())
            .env("SOURCE_DATE_EPOCH", epoch)
            .args(["--format", "json", "--sbom-path", out])
            .args(extra);
        let r = run(c);
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(d.join(out)).unwrap()).unwrap();
        (r, doc)
    };
    let (r, fallback) = sbom("a.cdx.json", &[], "1");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let rep = report(&r);
    assert_eq!(rep["verdict"], "warn", "{}", r.stdout);
    let w = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "generation-fallback")
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert_eq!(w["severity"], "warning");
    let msg = w["message"].as_str().unwrap();
    assert!(
        msg.contains("cargo metadata") && msg.contains("Cargo.lock was read alone"),
        "{msg}"
    );
    // --fail-on warn makes it fail.
    let mut c = gate(d);
    c.env("CARGO_HOME", empty.path())
        .args(["--sbom-path", "b.cdx.json", "--fail-on", "warn"]);
    assert_eq!(run(c).code, 1);

    // Same content, other timestamp: same serial; `never` chooses the same
    // content: same serial, no warning.
    let (_, later) = sbom("c.cdx.json", &[], "1700000000");
    assert_ne!(
        later["metadata"]["timestamp"],
        fallback["metadata"]["timestamp"]
    );
    assert_eq!(later["serialNumber"], fallback["serialNumber"]);
    let (r, never) = sbom("d.cdx.json", &["--cargo-metadata", "never"], "2");
    assert_eq!(never["serialNumber"], fallback["serialNumber"]);
    assert!(!report(&r).to_string().contains("generation-fallback"));
}

/// The job summary's licence chart counts the components of the SBOM
/// written: on axios 1.0.0's lockfile, its bars add up to the components,
/// and each bar is the number of components with that licence.
#[test]
fn license_mix_chart_counts_the_components() {
    testkit::fixture!("lockfiles/axios-v1.0.0.package-lock.json");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        lockfile("axios-v1.0.0.package-lock.json"),
        tmp.path().join("package-lock.json"),
    )
    .unwrap();
    let mut c = gate(tmp.path());
    c.args(["--format", "json"]);
    let r = run(c);
    let rep = report(&r);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("sbom.cdx.json")).unwrap())
            .unwrap();
    let chart = rep["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "License mix (components)")
        .unwrap_or_else(|| panic!("{}", rep["charts"]));
    let x: Vec<&str> = chart["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let v: Vec<f64> = chart["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let comps = doc["components"].as_array().unwrap();
    assert_eq!(v.iter().sum::<f64>(), comps.len() as f64);
    for (l, n) in x.iter().zip(&v) {
        if *l == "other" {
            continue;
        }
        let count = comps
            .iter()
            .filter(|c| {
                let e = c["licenses"][0]["expression"]
                    .as_str()
                    .or_else(|| c["licenses"][0]["license"]["id"].as_str())
                    .or_else(|| c["licenses"][0]["license"]["name"].as_str());
                match e {
                    None => *l == "none",
                    Some(e) => e == *l,
                }
            })
            .count();
        assert_eq!(count as f64, *n, "{l}");
    }
    assert!(x.len() <= 12);
}

#[test]
fn generate_check_and_diff_keep_one_record_each() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b\"\n",
    )
    .unwrap();
    let sha = "6666666666666666666666666666666666666666";
    for args in [
        vec!["--cargo-metadata", "never"],
        vec!["check", "sbom.cdx.json"],
        vec!["diff", "sbom.cdx.json", "sbom.cdx.json"],
    ] {
        let out = testkit::GateCmd::new(env!("CARGO_BIN_EXE_gate-sbom"))
            .current_dir(tmp.path())
            .env("GITHUB_SHA", sha)
            .args(["--ledger", "local", "--color", "never"])
            .args(&args)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(tmp.path().join(".gates/results").join(sha))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["sbom.check.json", "sbom.diff.json", "sbom.json"]);
}
