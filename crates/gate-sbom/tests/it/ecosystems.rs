//! Every real lockfile of the other ecosystems (the ones gate-core's
//! lockfile tests keep under `crates/gates-lockfile/tests/data/lockfiles/`, read
//! in place): the SBOM is valid against the official 1.5 and 1.6 schemas,
//! every component is reachable from the root, every purl parses and has the
//! ecosystem's type, and the packages match the lockfile's own entries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use common::*;
use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../gates-lockfile/tests/data/lockfiles")
}

/// The name a fixture stands for: `T.Gemfile.lock` → `Gemfile.lock`.
fn canonical(name: &str) -> Option<String> {
    if gate_sbom::lockfiles::kind_of(Path::new(name)).is_some() {
        return Some(name.to_string());
    }
    let rest = name.split_once('.')?.1;
    gate_sbom::lockfiles::kind_of(Path::new(rest)).map(|_| rest.to_string())
}

/// Each fixture as a project directory under `tmp`: a lockfile under its
/// canonical name, or a folder (go.mod + go.sum) copied as it is. With the
/// fixture's name and ecosystem.
fn projects(tmp: &Path) -> Vec<(String, PathBuf, gate_sbom::lockfiles::Ecosystem)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(data()) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for p in rd.flatten().map(|e| e.path()) {
        let is_project = p.is_dir()
            && std::fs::read_dir(&p)
                .unwrap()
                .flatten()
                .any(|e| gate_sbom::lockfiles::kind_of(&e.path()).is_some());
        if p.is_dir() && !is_project {
            // A folder of single-file fixtures (e.g. hand-written edge cases).
            paths.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        } else {
            paths.push(p);
        }
    }
    paths.sort();
    for p in paths {
        let name = p
            .strip_prefix(data())
            .unwrap()
            .to_string_lossy()
            .replace('/', "_");
        let dir = tmp.join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        let lock = if p.is_dir() {
            let mut lock = None;
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                let f = e.file_name().to_string_lossy().into_owned();
                std::fs::copy(e.path(), dir.join(&f)).unwrap();
                if gate_sbom::lockfiles::kind_of(Path::new(&f)).is_some() {
                    lock = Some(dir.join(f));
                }
            }
            lock
        } else {
            let file = p.file_name().unwrap().to_string_lossy().into_owned();
            canonical(&file).map(|c| {
                std::fs::copy(&p, dir.join(&c)).unwrap();
                dir.join(c)
            })
        };
        let Some(lock) = lock else { continue };
        let kind = gate_sbom::lockfiles::kind_of(&lock).unwrap();
        let bytes = std::fs::read(&lock).unwrap();
        let parsed = gate_sbom::lockfiles::parse_file(kind, &lock, &name, &bytes)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        out.push((name, dir, parsed.ecosystem));
    }
    out
}

fn generate(dir: &Path, input: &Path, version: &str) -> (Run, Value) {
    let out = dir.join(format!("out-{version}.cdx.json"));
    let mut c = gate(dir);
    c.arg("--input")
        .arg(input)
        .arg("--sbom-path")
        .arg(&out)
        .args(["--spec-version", version, "--format", "json"]);
    let r = run(c);
    let doc = std::fs::read_to_string(&out)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (r, doc)
}

#[test]
fn every_ecosystem_gives_a_valid_complete_sbom() {
    testkit::fixture!("lockfiles");
    let work = tempfile::tempdir().unwrap();
    let all = projects(work.path());
    assert!(
        !all.is_empty(),
        "no lockfiles in {} (gate-core's lockfile tests keep them there)",
        data().display()
    );
    let mut seen_types = BTreeSet::new();
    for (name, path, eco) in &all {
        let tmp = tempfile::tempdir().unwrap();
        let ty = eco.purl_type();
        seen_types.insert(ty);
        for version in ["1.5", "1.6"] {
            let (r, doc) = generate(tmp.path(), path, version);
            assert_eq!(r.code, 0, "{name} {version}: {}{}", r.stdout, r.stderr);
            let errs = schema_errors(&doc, version);
            assert!(
                errs.is_empty(),
                "{name} {version}: {:?}",
                &errs[..errs.len().min(3)]
            );
            let rep = report(&r);
            let metric = |m: &str| {
                rep["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["name"] == m)
                    .map(|x| x["value"].as_f64().unwrap())
            };
            assert_eq!(metric("unreachable-components"), Some(0.0), "{name}");
            assert_eq!(metric("invalid-sboms"), Some(0.0), "{name}");
            assert_eq!(metric("purl-coverage"), Some(100.0), "{name}");
        }
        let (_, doc) = generate(tmp.path(), path, "1.5");
        let comps = doc["components"].as_array().unwrap();
        assert!(!comps.is_empty(), "{name}: no components");
        // Every purl parses, has the ecosystem's type and is the bom-ref.
        for c in comps {
            let p = c["purl"].as_str().unwrap();
            let parsed =
                packageurl::PackageUrl::from_str(p).unwrap_or_else(|e| panic!("{name}: {p}: {e}"));
            assert_eq!(parsed.ty(), ty, "{name}: {p}");
            assert_eq!(c["bom-ref"].as_str(), Some(p), "{name}");
            assert!(
                c["name"].as_str().is_some_and(|n| !n.is_empty()),
                "{name}: {p}"
            );
            for h in c
                .get("hashes")
                .and_then(|h| h.as_array())
                .into_iter()
                .flatten()
            {
                let alg = h["alg"].as_str().unwrap();
                let len = h["content"].as_str().unwrap().len();
                let want = match alg {
                    "MD5" => 32,
                    "SHA-1" => 40,
                    "SHA-256" => 64,
                    "SHA-384" => 96,
                    "SHA-512" => 128,
                    other => panic!("{name}: unexpected alg {other}"),
                };
                assert_eq!(len, want, "{name}: {p}");
            }
        }
        // The root reaches everything (checked independently of the gate).
        let root = doc["metadata"]["component"]["bom-ref"].as_str().unwrap();
        let mut edges: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for d in doc["dependencies"].as_array().unwrap() {
            edges.insert(
                d["ref"].as_str().unwrap(),
                d["dependsOn"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect(),
            );
        }
        let mut seen = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(edges.get(n).into_iter().flatten().copied());
            }
        }
        for c in comps {
            assert!(
                seen.contains(c["bom-ref"].as_str().unwrap()),
                "{name}: {} unreachable",
                c["bom-ref"]
            );
        }
    }
    for ty in ["npm", "pypi", "golang", "gem", "composer"] {
        assert!(
            seen_types.contains(ty),
            "no {ty} lockfile among the fixtures: {seen_types:?}"
        );
    }
}

fn recorded(name: &str) -> BTreeSet<String> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
    .lines()
    .map(str::to_string)
    .collect()
}

fn purls_of(doc: &Value) -> BTreeSet<String> {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap().to_string())
        .collect()
}

/// The same purls as cyclonedx-py (recorded output, see tests/data/SOURCES)
/// on a pinned requirements file and on a Pipfile.lock.
#[test]
fn python_purls_match_cyclonedx_py() {
    testkit::fixture!("lockfiles/djangoproject-2019.requirements.txt");
    let tmp = tempfile::tempdir().unwrap();
    let (r, doc) = generate(
        tmp.path(),
        &lockfile("djangoproject-2019.requirements.txt"),
        "1.5",
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        purls_of(&doc),
        recorded("djangoproject-2019.requirements.cyclonedx-py.purls.txt")
    );

    let pipfile = data().join("azfunc.Pipfile.lock");
    if !pipfile.is_file() {
        panic!("{} is missing", pipfile.display());
    }
    let d = tmp.path().join("pipenv");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(&pipfile, d.join("Pipfile.lock")).unwrap();
    let (r, doc) = generate(&d, &d, "1.5");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        purls_of(&doc),
        recorded("azfunc.Pipfile.cyclonedx-py.purls.txt")
    );
    // Pipfile.lock's develop packages are excluded, the default ones required.
    let lock: Value = serde_json::from_str(&std::fs::read_to_string(&pipfile).unwrap()).unwrap();
    for c in doc["components"].as_array().unwrap() {
        let n = c["name"].as_str().unwrap();
        let dev = lock["develop"].get(n).is_some() && lock["default"].get(n).is_none();
        assert_eq!(
            c["scope"].as_str(),
            Some(if dev { "excluded" } else { "required" }),
            "{n}"
        );
    }
}

/// A real 1,331-package pnpm 9 lockfile (written by `pnpm import` from
/// axios 1.0.0's package-lock.json, see tests/data/SOURCES): one component
/// per key of its `packages:` map (read here line by line, not by the
/// parser), every one with its SHA-512, and the same scope as the
/// package-lock.json's SBOM gives the same package.
#[test]
fn pnpm_lockfile_of_1331_packages() {
    testkit::fixture!("lockfiles/axios-v1.0.0.package-lock.json");
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("pnpm");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(
        here.join("axios-v1.0.0.pnpm-lock.yaml"),
        d.join("pnpm-lock.yaml"),
    )
    .unwrap();
    std::fs::copy(
        here.join("axios-v1.0.0.package.json"),
        d.join("package.json"),
    )
    .unwrap();
    let (r, doc) = generate(&d, &d, "1.6");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let text = std::fs::read_to_string(d.join("pnpm-lock.yaml")).unwrap();
    let mut want = BTreeSet::new();
    let mut in_packages = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_packages = line == "packages:";
            continue;
        }
        if in_packages && line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':')
        {
            let key = line.trim().trim_end_matches(':').trim_matches('\'');
            let (name, version) = key.rsplit_once('@').unwrap();
            want.insert(format!("pkg:npm/{}@{version}", name.replace('@', "%40")));
        }
    }
    assert_eq!(want.len(), 1331);
    assert_eq!(purls_of(&doc), want);
    let comps = doc["components"].as_array().unwrap();
    assert!(comps.iter().all(|c| c["hashes"][0]["alg"] == "SHA-512"));
    // Root from package.json.
    assert_eq!(doc["metadata"]["component"]["name"], "axios");
    assert_eq!(doc["metadata"]["component"]["version"], "1.0.0");

    // Scopes agree with the package-lock.json's SBOM on the shared packages.
    let (r, npm) = generate(
        tmp.path(),
        &lockfile("axios-v1.0.0.package-lock.json"),
        "1.6",
    );
    assert_eq!(r.code, 0);
    let scope = |doc: &Value| -> std::collections::BTreeMap<String, String> {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["purl"].as_str().unwrap().to_string(),
                    c["scope"].as_str().unwrap_or("required").to_string(),
                )
            })
            .collect()
    };
    let (a, b) = (scope(&doc), scope(&npm));
    let shared: Vec<&String> = a.keys().filter(|k| b.contains_key(*k)).collect();
    assert!(shared.len() > 1000, "{}", shared.len());
    for k in shared {
        assert_eq!(a[k], b[k], "{k}");
    }
    assert!(a.values().any(|s| s == "excluded") && a.values().any(|s| s == "required"));
}

/// The same project at two paths gives the same bytes (the root's
/// `download_url` and the source are relative to the repository).
#[test]
fn reproducible_at_two_paths() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let write = |root: &Path| -> Vec<u8> {
        let d = root.join("web");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(
            here.join("axios-v1.0.0.pnpm-lock.yaml"),
            d.join("pnpm-lock.yaml"),
        )
        .unwrap();
        let mut c = gate(root);
        c.args(["--input", "web", "--sbom-path", "out.json"])
            .env("SOURCE_DATE_EPOCH", "1000000000");
        let r = run(c);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        std::fs::read(root.join("out.json")).unwrap()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = write(a.path());
    assert_eq!(first, write(b.path()));
    let doc: Value = serde_json::from_slice(&first).unwrap();
    // No package.json: the root is named after the lockfile's folder.
    assert_eq!(doc["metadata"]["component"]["name"], "web");
    assert_eq!(
        doc["metadata"]["component"]["bom-ref"],
        "pkg:npm/web?download_url=file:%2F%2Fweb"
    );
}

/// A malformed lockfile of another ecosystem: exit 4, the file and line named.
#[test]
fn malformed_lockfiles_name_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for (file, text) in [
        ("poetry.lock", "[[package]]\nname = \"a\"\nversion = \n"),
        (
            "pnpm-lock.yaml",
            "lockfileVersion: '9.0'\npackages:\n  - [unclosed\n",
        ),
        ("composer.lock", "{\"packages\": [\n"),
    ] {
        let sub = d.join(file.replace('.', "_"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(file), text).unwrap();
        let mut c = gate(d);
        c.arg("--input").arg(sub.join(file));
        let r = run(c);
        assert_eq!(r.code, 4, "{file}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(file), "{file}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{file}:")),
            "{file}: no line: {}",
            r.stderr
        );
    }
    // A file that is no lockfile: usage error listing what is read.
    std::fs::write(d.join("notes.txt"), "x").unwrap();
    let mut c = gate(d);
    c.args(["--input", "notes.txt"]);
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("pnpm-lock.yaml") && r.stderr.contains("go.mod"),
        "{}",
        r.stderr
    );
}
