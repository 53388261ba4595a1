//! `gate-sbom diff BASE HEAD`: what changed between two SBOMs.
//!
//! Components are matched by package identity (the purl without version,
//! qualifiers and subpath; else group/name), so an upgrade is one
//! `version-changed`, not a removal and an addition.

use std::collections::{BTreeMap, BTreeSet};

use gate_core::report::{Finding, Severity};

use crate::rules::SbomRule;
use crate::validate::{Analysis, Comp};

/// One package identity's versions and licenses in a document.
#[derive(Debug, Clone, Default, PartialEq)]
struct Entry {
    versions: BTreeSet<String>,
    licenses: BTreeSet<String>,
}

/// The differences, each list sorted by package identity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// (identity, versions)
    pub added: Vec<(String, String)>,
    pub removed: Vec<(String, String)>,
    /// (identity, before, after)
    pub version_changed: Vec<(String, String, String)>,
    pub license_changed: Vec<(String, String, String)>,
}

/// `pkg:cargo/serde@1.0?x=y` → `pkg:cargo/serde`.
pub fn identity(c: &Comp) -> String {
    if let Some(p) = &c.purl {
        let p = p.split(['?', '#']).next().unwrap_or(p);
        // The version starts at the last `@` after the type's `/`.
        let cut = match (p.find('/'), p.rfind('@')) {
            (Some(slash), Some(at)) if at > slash => &p[..at],
            _ => p,
        };
        return cut.to_string();
    }
    c.name.clone()
}

fn index(a: &Analysis) -> BTreeMap<String, Entry> {
    let mut m: BTreeMap<String, Entry> = BTreeMap::new();
    for c in a.components.iter().filter(|c| !c.in_root) {
        let e = m.entry(identity(c)).or_default();
        if let Some(v) = &c.version {
            e.versions.insert(v.clone());
        }
        e.licenses.extend(c.licenses.iter().cloned());
    }
    m
}

fn join(s: &BTreeSet<String>) -> String {
    if s.is_empty() {
        "(none)".into()
    } else {
        s.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

pub fn diff(base: &Analysis, head: &Analysis) -> Changes {
    let (b, h) = (index(base), index(head));
    let mut c = Changes::default();
    for (k, he) in &h {
        match b.get(k) {
            None => c.added.push((k.clone(), join(&he.versions))),
            Some(be) => {
                if be.versions != he.versions {
                    c.version_changed
                        .push((k.clone(), join(&be.versions), join(&he.versions)));
                }
                if be.licenses != he.licenses {
                    c.license_changed
                        .push((k.clone(), join(&be.licenses), join(&he.licenses)));
                }
            }
        }
    }
    for (k, be) in &b {
        if !h.contains_key(k) {
            c.removed.push((k.clone(), join(&be.versions)));
        }
    }
    c
}

impl Changes {
    /// One note per change, keyed by the package identity.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for (k, v) in &self.added {
            out.push(
                Finding::new(
                    SbomRule::ComponentAdded,
                    Severity::Note,
                    format!("added {k} {v}"),
                )
                .with_key(k.clone()),
            );
        }
        for (k, v) in &self.removed {
            out.push(
                Finding::new(
                    SbomRule::ComponentRemoved,
                    Severity::Note,
                    format!("removed {k} {v}"),
                )
                .with_key(k.clone()),
            );
        }
        for (k, a, b) in &self.version_changed {
            out.push(
                Finding::new(
                    SbomRule::VersionChanged,
                    Severity::Note,
                    format!("{k}: {a} → {b}"),
                )
                .with_key(k.clone()),
            );
        }
        for (k, a, b) in &self.license_changed {
            out.push(
                Finding::new(
                    SbomRule::LicenseChanged,
                    Severity::Note,
                    format!("{k}: license {a} → {b}"),
                )
                .with_key(k.clone()),
            );
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "added": self.added.iter().map(|(k, v)| serde_json::json!({"component": k, "versions": v})).collect::<Vec<_>>(),
            "removed": self.removed.iter().map(|(k, v)| serde_json::json!({"component": k, "versions": v})).collect::<Vec<_>>(),
            "version_changed": self.version_changed.iter().map(|(k, a, b)| serde_json::json!({"component": k, "before": a, "after": b})).collect::<Vec<_>>(),
            "license_changed": self.license_changed.iter().map(|(k, a, b)| serde_json::json!({"component": k, "before": a, "after": b})).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(purl: Option<&str>, name: &str) -> Comp {
        Comp {
            pointer: String::new(),
            bom_ref: None,
            name: name.into(),
            version: None,
            purl: purl.map(String::from),
            has_hash: false,
            licenses: vec![],
            scope: None,
            in_root: false,
            kind: "library".into(),
        }
    }

    #[test]
    fn identity_drops_version_qualifiers_and_subpath() {
        assert_eq!(
            identity(&comp(Some("pkg:cargo/serde@1.0.1"), "serde")),
            "pkg:cargo/serde"
        );
        assert_eq!(
            identity(&comp(Some("pkg:npm/%40babel/core@7.1.0?x=y#sub"), "core")),
            "pkg:npm/%40babel/core"
        );
        assert_eq!(
            identity(&comp(Some("pkg:cargo/x@1?download_url=file:%2F%2F."), "x")),
            "pkg:cargo/x"
        );
        assert_eq!(identity(&comp(None, "thing")), "thing");
    }
}
