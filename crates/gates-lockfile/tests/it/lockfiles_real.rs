//! Real lockfiles of every format (tests/data/lockfiles, see SOURCES there)
//! against expectations computed independently by `gen_expected.py` (Python's
//! json/tomllib/PyYAML, not this code): the locked packages with their dev
//! flags, the direct dependencies, and lines that point at the package. Then
//! a malformed variant of each file, which must fail on the right line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use gates_lockfile::{self as lockfile, Kind, Lockfile};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lockfiles")
}

/// Kind from the fixture's name (`<project>.<lockfile name>`).
fn kind(name: &str) -> Kind {
    let base = name.rsplit('/').next().unwrap();
    let base = base
        .split_once('.')
        .filter(|(_, r)| r.contains('.') || *r == "lock")
        .map_or(base, |(_, r)| r);
    let base = if name.ends_with("go.mod") {
        "go.mod"
    } else {
        base
    };
    lockfile::kind_of(Path::new(base)).unwrap_or_else(|| panic!("no kind for {name}"))
}

fn read(name: &str) -> Lockfile {
    let path = dir().join(name);
    let bytes = std::fs::read(&path).unwrap();
    lockfile::parse_file(kind(name), &path, name, &bytes)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

#[test]
fn real_lockfiles_match_independent_expectations() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap())
            .unwrap();
    let files = expected.as_object().unwrap();
    assert_eq!(
        files.len(),
        12,
        "one real file per format and version, see SOURCES"
    );
    for (name, want) in files {
        let l = read(name);
        let mut got: Vec<(String, String, bool)> = l
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone(), p.dev))
            .collect();
        got.sort();
        let want_pkgs: Vec<(String, String, bool)> = want["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                    p[2].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want_pkgs, "{name}: packages (name, version, dev)");
        if let Some(direct) = want["direct"].as_array() {
            let mut got: Vec<String> = l
                .direct
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: no direct list"))
                .iter()
                .map(|d| d.name.clone())
                .collect();
            got.sort();
            got.dedup();
            let mut want: Vec<String> = direct
                .iter()
                .map(|d| d.as_str().unwrap().to_string())
                .collect();
            want.dedup();
            assert_eq!(got, want, "{name}: direct dependencies");
        }
        // every package's line names it
        let text = std::fs::read_to_string(dir().join(name)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for p in &l.packages {
            let line = lines[p.line as usize - 1];
            assert!(
                line.contains(&p.name),
                "{name}: line {} `{line}` is not {}",
                p.line,
                p.name
            );
        }
    }
}

#[test]
fn hashes_licenses_and_edges_as_recorded() {
    // yarn classic: SRI from `integrity`; edges resolved through the specs
    let l = read("bifrost.yarn.lock");
    let glob = l.packages.iter().find(|p| p.name == "glob").unwrap();
    assert_eq!(glob.hashes[0].algorithm, "sha512");
    assert!(
        glob.hashes[0]
            .value
            .starts_with("nFR0zLpU2YCaRxwoCJvL6UvCH2JFyFVIvwTLsIf21AuHlMskA1hhTdk")
    );
    assert_eq!(glob.dependencies.len(), 6);
    assert!(
        glob.dependencies.iter().all(|d| d.index.is_some()),
        "{:?}",
        glob.dependencies
    );
    // Berry: the patch: copy is not a second package; edges use npm: descriptors
    let l = read("amdlite.yarn.lock");
    assert_eq!(l.packages.len(), 1);
    assert_eq!(l.roots, ["@000alen/amdlite"]);
    let l = read("toposort.yarn.lock");
    let vows = l.packages.iter().find(|p| p.name == "vows").unwrap();
    assert_eq!(vows.hashes[0].algorithm, "yarn-zip-sha512");
    let dep_versions: Vec<_> = vows
        .dependencies
        .iter()
        .map(|d| d.version.clone().unwrap())
        .collect();
    assert_eq!(dep_versions, ["1.0.8", "0.1.8"]);
    // pnpm 9: the transitive @types/lodash is dev-only through the importer
    let l = read("kp-websocket.pnpm-lock.yaml");
    assert!(
        l.packages
            .iter()
            .all(|p| p.dev && p.hashes[0].algorithm == "sha512")
    );
    // Pipfile: every listed hash
    let l = read("azfunc.Pipfile.lock");
    let n: usize = l.packages.iter().map(|p| p.hashes.len()).sum();
    let text = std::fs::read_to_string(dir().join("azfunc.Pipfile.lock")).unwrap();
    assert_eq!(n, text.matches("\"sha256:").count());
    // uv: sdist + wheel hashes; the editable project is a root, not a package
    let l = read("pyspark.uv.lock");
    assert_eq!(l.roots, ["project-pyspark"]);
    let n: usize = l.packages.iter().map(|p| p.hashes.len()).sum();
    let text = std::fs::read_to_string(dir().join("pyspark.uv.lock")).unwrap();
    assert_eq!(n, text.matches("hash = \"sha256:").count());
    // poetry 0.12: bare SHA-256 digests from [metadata.hashes]
    let l = read("tefy.poetry.lock");
    let lxml = l.packages.iter().find(|p| p.name == "lxml").unwrap();
    assert_eq!(lxml.hashes.len(), 24);
    assert_eq!(lxml.hashes[0].algorithm, "sha256");
    let requests = l.packages.iter().find(|p| p.name == "requests").unwrap();
    let deps: Vec<_> = requests
        .dependencies
        .iter()
        .map(|d| (d.name.as_str(), d.version.as_deref()))
        .collect();
    assert_eq!(
        deps,
        [
            ("certifi", Some("2019.6.16")),
            ("chardet", Some("3.0.4")),
            ("idna", Some("2.8")),
            ("urllib3", Some("1.25.3"))
        ]
    );
    // go.sum: content hashes only (not the /go.mod ones), labelled go-h1
    let l = read("packed/go.mod");
    let tools = l
        .packages
        .iter()
        .find(|p| p.name == "golang.org/x/tools")
        .unwrap();
    assert_eq!(tools.hashes[0].algorithm, "go-h1");
    assert_eq!(
        tools.hashes[0].value,
        "kWS0uv/zsvHEle1LbV5LE8QujrxB3wfQyxHfhOk0Qkg="
    );
    // composer: licenses; empty and null shasums give no hash; platform reqs are not edges
    let l = read("tickets.composer.lock");
    let twig = l.packages.iter().find(|p| p.name == "twig/twig").unwrap();
    assert_eq!(twig.license.as_deref(), Some("BSD-3-Clause"));
    assert!(twig.hashes.is_empty());
    assert_eq!(twig.dependencies.len(), 1);
    assert_eq!(twig.dependencies[0].version.as_deref(), Some("v1.8.0"));
    // Gemfile: the GIT gem is unchecked, not a package
    let l = read("T.Gemfile.lock");
    assert_eq!(l.unchecked.len(), 1);
    assert!(l.unchecked[0].1.contains("nested_form"));
    let rails = l.packages.iter().find(|p| p.name == "rails").unwrap();
    assert_eq!(rails.dependencies.len(), 7);
}

/// One line of the file, 1-based, that contains `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

#[test]
fn malformed_variants_fail_on_the_right_line() {
    // (file, find, replace with, line expected: the line of this text in the *original*)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "bifrost.yarn.lock",
            "  version \"1.0.2\"\n",
            "",
            "balanced-match@^1.0.0:",
        ),
        (
            "toposort.yarn.lock",
            "  version: 8\n",
            "  version: 99\n",
            "  version: 8",
        ),
        (
            "kp-websocket.pnpm-lock.yaml",
            "lockfileVersion: '9.0'",
            "lockfileVersion: '7.0'",
            "lockfileVersion",
        ),
        (
            "tefy.poetry.lock",
            "version = \"19.1.0\"",
            "version = \"19.1.0 beta\"",
            "name = \"attrs\"",
        ),
        (
            "pyspark.uv.lock",
            "version = 1\n",
            "version = 2\n",
            "version = 1",
        ),
        (
            "azfunc.Pipfile.lock",
            "\"==0.3\"",
            "\"==0.3!!\"",
            "\"entrypoints\"",
        ),
        (
            "packed/go.mod",
            "golang.org/x/mod v0.27.0",
            "golang.org/x/mod 0.27.0",
            "golang.org/x/mod",
        ),
        (
            "T.Gemfile.lock",
            "    rack (1.5.2)\n",
            "    rack (1.5.2\n",
            "    rack (1.5.2)",
        ),
        (
            "tickets.composer.lock",
            "            \"version\": \"v2.4.8\",\n",
            "",
            "\"name\": \"twig/twig\"",
        ),
    ];
    for (name, from, to, at) in cases {
        let text = std::fs::read_to_string(dir().join(name)).unwrap();
        assert!(text.contains(from), "{name}: fixture lacks `{from}`");
        let bad = text.replacen(from, to, 1);
        let e = lockfile::parse(kind(name), name, bad.as_bytes())
            .expect_err(&format!("{name}: the malformed variant parsed"));
        assert_eq!(e.line, Some(line_of(&text, at)), "{name}: {e:?}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn a_bad_go_sum_is_named_as_the_file() {
    let t = tempfile::tempdir().unwrap();
    std::fs::copy(dir().join("packed/go.mod"), t.path().join("go.mod")).unwrap();
    std::fs::write(t.path().join("go.sum"), "golang.org/x/mod v0.27.0\n").unwrap();
    let bytes = std::fs::read(t.path().join("go.mod")).unwrap();
    let e =
        lockfile::parse_file(Kind::GoMod, &t.path().join("go.mod"), "go.mod", &bytes).unwrap_err();
    assert_eq!(e.file.as_deref(), Some(t.path().join("go.sum").as_path()));
    assert_eq!(e.line, Some(1));
}
