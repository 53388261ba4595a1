//! `cargo xtask new-gate NAME "ABOUT"`: scaffolds a gate in the house shape
//! (crate with config, rules, collect, evaluate and gate modules, a first
//! test, the docs test, its docs page and action) and registers it where
//! gates are listed, at the `new-gate:` marker lines. Then `cargo xtask
//! schema` generates the rest (schema, action inputs, key tables, rule ids).

use std::path::Path;

/// A template file: its path under the new crate (or repo, for `@`), its text.
const CRATE_FILES: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../templates/new-gate/Cargo.toml.tmpl"),
    ),
    (
        "src/main.rs",
        include_str!("../templates/new-gate/src/main.rs.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../templates/new-gate/src/lib.rs.tmpl"),
    ),
    (
        "src/config.rs",
        include_str!("../templates/new-gate/src/config.rs.tmpl"),
    ),
    (
        "src/rules.rs",
        include_str!("../templates/new-gate/src/rules.rs.tmpl"),
    ),
    (
        "src/collect.rs",
        include_str!("../templates/new-gate/src/collect.rs.tmpl"),
    ),
    (
        "src/evaluate/mod.rs",
        include_str!("../templates/new-gate/src/evaluate/mod.rs.tmpl"),
    ),
    (
        "src/evaluate/files.rs",
        include_str!("../templates/new-gate/src/evaluate/files.rs.tmpl"),
    ),
    (
        "src/gate.rs",
        include_str!("../templates/new-gate/src/gate.rs.tmpl"),
    ),
    (
        "tests/it/main.rs",
        include_str!("../templates/new-gate/tests/it/main.rs.tmpl"),
    ),
    (
        "tests/it/cli.rs",
        include_str!("../templates/new-gate/tests/it/cli.rs.tmpl"),
    ),
    (
        "tests/it/docs.rs",
        include_str!("../templates/new-gate/tests/it/docs.rs.tmpl"),
    ),
];

const DOC: &str = include_str!("../templates/new-gate/doc.md.tmpl");

/// Lines inserted before a marker (`new-gate: <what>`) in a file of the
/// repository: where the gates are listed.
const REGISTRATIONS: &[(&str, &str, &str)] = &[
    (
        "xtask/Cargo.toml",
        "# new-gate: dependency",
        "gate-{{name}} = { path = \"../crates/gate-{{name}}\" }",
    ),
    (
        "xtask/src/gates.rs",
        "// new-gate: gate",
        "        info::<gate_{{snake}}::{{Camel}}Gate>(),",
    ),
    (
        "crates/gate-core/src/config.rs",
        "// new-gate: section",
        "    \"{{name}}\",",
    ),
    (
        "README.md",
        "<!-- new-gate: row -->",
        "| `gate-{{name}}` | {{about}} | [{{name}}](docs/gates/{{name}}.md) |",
    ),
];

/// The names a gate id is written as.
#[derive(Debug)]
struct Names {
    name: String,
    snake: String,
    camel: String,
    upper: String,
    about: String,
}

impl Names {
    fn new(name: &str, about: &str) -> Result<Self, String> {
        let ok = !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.split('-').all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if !ok {
            return Err(format!(
                "`{name}` is not a gate id: use kebab-case letters and digits, e.g. `score` or `image-scan`"
            ));
        }
        if about.trim().is_empty() || about.contains(['"', '\n', '|']) {
            return Err("give a one-line description without quotes or `|`, e.g. \"Judge a commit's evidence\"".into());
        }
        Ok(Names {
            name: name.to_owned(),
            snake: name.replace('-', "_"),
            camel: name
                .split('-')
                .map(|p| {
                    let mut c = p.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect(),
            upper: name.replace('-', "_").to_ascii_uppercase(),
            about: about.trim().trim_end_matches('.').to_owned(),
        })
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("{{name}}", &self.name)
            .replace("{{snake}}", &self.snake)
            .replace("{{Camel}}", &self.camel)
            .replace("{{UPPER}}", &self.upper)
            .replace("{{about}}", &self.about)
    }
}

/// Cuts `text` between the line holding `begin` and the line holding `end`
/// (both kept), replacing what is between with `body`.
fn between(text: &str, begin: &str, end: &str, body: &str) -> Option<String> {
    let b = text.find(begin)?;
    let b = b + text[b..].find('\n')? + 1;
    let e = b + text[b..].find(end)?;
    let e = text[..e].rfind('\n').map_or(e, |i| i + 1);
    Some(format!("{}{body}{}", &text[..b], &text[e..]))
}

/// The new gate's action, from coverage's: the same shared steps and common
/// inputs, its own name, no gate-specific inputs or env lines yet (`cargo
/// xtask schema` writes them from the config schema) and only the
/// `verdict` output.
fn action_from(coverage: &str, n: &Names) -> Result<String, String> {
    let missing =
        |what: &str| format!("actions/coverage/action.yml: cannot find {what} to copy from");
    let body = coverage
        .find("\ninputs:\n")
        .map(|i| &coverage[i + 1..])
        .ok_or_else(|| missing("`inputs:`"))?;
    let header = format!(
        "# gates/{name}: the {name} gate as a composite action.\n\
         # Made by `cargo xtask new-gate` from actions/coverage/action.yml; only\n\
         # what is marked GATE-SPECIFIC differs (see actions/README.md).\n\
         name: gates {name}\n\
         description: >-\n  {about}.\n\
         author: gates\n\
         branding:\n  icon: check-circle\n  color: green\n\n",
        name = n.name,
        about = n.about
    );
    let text = between(
        body,
        "# BEGIN GENERATED: inputs",
        "# END GENERATED: inputs",
        "",
    )
    .ok_or_else(|| missing("the generated inputs"))?;
    let text = between(
        &text,
        "# BEGIN GENERATED: one GATES_",
        "# END GENERATED: env",
        "",
    )
    .ok_or_else(|| missing("the generated env lines"))?;
    let text = between(&text, "# --- GATE-SPECIFIC outputs", "  verdict:", "")
        .ok_or_else(|| missing("the outputs"))?;
    Ok(header
        + &text
            .replace("COVERAGE", &n.upper)
            .replace("gate-coverage", &format!("gate-{}", n.name))
            .replace("gates/coverage", &format!("gates/{}", n.name))
            .replace(": coverage\n", &format!(": {}\n", n.name)))
}

/// Inserts `line` before the line holding `marker` in `text`.
fn insert_before_marker(text: &str, marker: &str, line: &str) -> Option<String> {
    let at = text.find(marker)?;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    Some(format!("{}{line}\n{}", &text[..start], &text[start..]))
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let (Some(name), Some(about)) = (args.first(), args.get(1)) else {
        return Err("usage: cargo xtask new-gate NAME \"one-line description\"".into());
    };
    let n = Names::new(name, about)?;
    let dir = root.join("crates").join(format!("gate-{}", n.name));
    if dir.exists() {
        return Err(format!("{} already exists", dir.display()));
    }
    // Check every marker first: change nothing unless all are there.
    let mut edits = Vec::new();
    for (file, marker, line) in REGISTRATIONS {
        let path = root.join(file);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let new = insert_before_marker(&text, marker, &n.fill(line)).ok_or_else(|| {
            format!("{file}: the marker `{marker}` is missing; put it back where gates are listed")
        })?;
        edits.push((path, new));
    }
    let mut files: Vec<(std::path::PathBuf, String)> = CRATE_FILES
        .iter()
        .map(|(p, t)| (dir.join(p), n.fill(t)))
        .collect();
    files.push((root.join(format!("docs/gates/{}.md", n.name)), n.fill(DOC)));
    let coverage = std::fs::read_to_string(root.join("actions/coverage/action.yml"))
        .map_err(|e| format!("actions/coverage/action.yml: {e}"))?;
    files.push((
        root.join(format!("actions/{}/action.yml", n.name)),
        action_from(&coverage, &n)?,
    ));
    for (path, text) in files.iter().chain(edits.iter()) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    gate_core::out::stdout(&format!(
        "created crates/gate-{0}, docs/gates/{0}.md and actions/{0}/action.yml, and registered the gate.\n\
         Next: `cargo xtask schema` (schema, action inputs, key tables, rule ids), then\n\
         `cargo nextest run -p gate-{0}`. What is left to decide is in CONTRIBUTING.md.\n",
        n.name
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_derived_and_checked() {
        let n = Names::new("image-scan", "Scan images.").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                n.snake.as_str(),
                n.camel.as_str(),
                n.upper.as_str(),
                n.about.as_str()
            ),
            ("image_scan", "ImageScan", "IMAGE_SCAN", "Scan images")
        );
        for bad in ["", "Image", "image_scan", "-x", "x-", "x--y", "ünï"] {
            assert!(Names::new(bad, "ok").is_err(), "{bad}");
        }
        assert!(Names::new("x", "a | b").is_err());
    }

    #[test]
    fn inserts_before_the_marker_line() {
        let t = "a\n    // new-gate: gate\nb\n";
        assert_eq!(
            insert_before_marker(t, "// new-gate: gate", "    x,").as_deref(),
            Some("a\n    x,\n    // new-gate: gate\nb\n")
        );
        assert_eq!(insert_before_marker(t, "nope", "x"), None);
    }

    #[test]
    fn the_action_is_coverage_s_without_its_own_keys() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let coverage = std::fs::read_to_string(root.join("actions/coverage/action.yml"))
            .unwrap_or_else(|e| panic!("{e}"));
        let n = Names::new("demo-gate", "Demo things").unwrap_or_else(|e| panic!("{e}"));
        let a = action_from(&coverage, &n).unwrap_or_else(|e| panic!("{e}"));
        let body = a.split_once("\nname:").map_or("", |(_, b)| b);
        assert!(!body.to_lowercase().contains("coverage"), "{a}");
        assert!(a.contains("name: gates demo-gate\n"));
        assert!(a.contains("GATES_RUN_GATE: demo-gate\n"));
        assert!(a.contains("# BEGIN GENERATED: inputs"));
        assert!(a.contains("  verdict:\n"));
        assert!(!a.contains("GATES_DEMO_GATE_REPORTS"));
    }

    #[test]
    fn every_template_placeholder_is_filled() {
        let n = Names::new("demo-gate", "Demo").unwrap_or_else(|e| panic!("{e}"));
        for (path, t) in CRATE_FILES.iter().chain([&("doc", DOC)]) {
            let filled = n.fill(t);
            assert!(!filled.contains("{{"), "{path}: {filled}");
        }
    }
}
