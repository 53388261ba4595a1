//! Graph → CycloneDX JSON, byte for byte reproducible.
//!
//! Everything is sorted; no path, clock or random value enters the document
//! except the timestamp, which the caller takes from `SOURCE_DATE_EPOCH` or
//! the commit time. The serial number is a UUIDv5 of what the document
//! describes (root, components, graph), not of its timestamp or tool.

use std::collections::BTreeSet;

use crate::graph::{Graph, Package};
use crate::model::{
    Bom, Component, Dependency, Hash, LicenseChoice, Lifecycle, Metadata, Property, Tools,
};

/// CycloneDX versions gate-sbom writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpecVersion {
    #[default]
    V1_5,
    V1_6,
}

/// `"1.5"` or `1.5` (YAML reads an unquoted `1.6` as a number).
impl<'de> serde::Deserialize<'de> for SpecVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SpecVersion;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("1.5 or 1.6")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SpecVersion, E> {
                match v.trim() {
                    "1.5" => Ok(SpecVersion::V1_5),
                    "1.6" => Ok(SpecVersion::V1_6),
                    other => Err(E::custom(format!(
                        "spec-version `{other}`: gate-sbom writes 1.5 or 1.6"
                    ))),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<SpecVersion, E> {
                self.visit_str(&format!("{v}"))
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for SpecVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SpecVersion".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "CycloneDX version: 1.5 or 1.6 (string or number).",
            "enum": ["1.5", "1.6", 1.5, 1.6]
        })
    }
}

impl SpecVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_5 => "1.5",
            SpecVersion::V1_6 => "1.6",
        }
    }
}

/// Namespace of gate-sbom's serial numbers (UUIDv5 of the URL below).
pub fn serial_namespace() -> uuid::Uuid {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        b"https://github.com/gates-dev/gates/gate-sbom/serial",
    )
}

/// An artifact of the release: a file and its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Name as written in the SBOM and the subjects file (path relative to the repository).
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// What goes into one SBOM besides the graph.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub spec: SpecVersion,
    /// RFC 3339 UTC timestamp, or none.
    pub timestamp: Option<String>,
    pub artifacts: Vec<Artifact>,
    pub tool_version: String,
}

fn component(p: &Package, bom_ref: &str) -> Component {
    let mut hashes: Vec<Hash> = p.hashes.clone();
    hashes.sort();
    let mut properties: Vec<Property> = p
        .properties
        .iter()
        .map(|(n, v)| Property {
            name: n.clone(),
            value: v.clone(),
        })
        .collect();
    properties.sort();
    Component {
        kind: p.kind,
        bom_ref: bom_ref.to_string(),
        group: p.group.clone(),
        name: p.name.clone(),
        version: p.version.clone(),
        description: p.description.clone().filter(|d| !d.is_empty()),
        scope: p.scope,
        hashes,
        licenses: p
            .license
            .as_ref()
            .map(|l| {
                vec![LicenseChoice {
                    expression: normalize_license(l),
                }]
            })
            .unwrap_or_default(),
        purl: p.purl.clone(),
        external_references: p
            .external
            .iter()
            .map(|(kind, url)| crate::model::ExternalReference {
                kind,
                url: url.clone(),
            })
            .collect(),
        properties,
        ..Component::default()
    }
}

/// Cargo's old `/`-separated alternatives (`MIT/Apache-2.0`) as SPDX `OR`.
pub fn normalize_license(l: &str) -> String {
    let l = l.trim();
    if l.contains('/') && !l.contains(" OR ") && !l.contains(" AND ") {
        l.split('/').map(str::trim).collect::<Vec<_>>().join(" OR ")
    } else {
        l.to_string()
    }
}

/// The document (without serial number) for a graph.
pub fn bom(graph: &Graph, opts: &Options) -> Bom {
    let reachable = graph.reachable();
    let mut root = graph
        .packages
        .get(&graph.root)
        .map(|p| component(p, &graph.root))
        .unwrap_or_else(|| Component {
            kind: "application",
            bom_ref: graph.root.clone(),
            name: graph.root.clone(),
            ..Component::default()
        });
    root.scope = None;
    for a in &opts.artifacts {
        root.components.push(Component {
            kind: "file",
            bom_ref: format!("file:{}", a.name),
            name: a.name.clone(),
            hashes: vec![Hash {
                alg: "SHA-256",
                content: a.sha256.clone(),
            }],
            properties: vec![Property {
                name: "gates:artifact:size".into(),
                value: a.size.to_string(),
            }],
            ..Component::default()
        });
    }
    root.components.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));

    let components: Vec<Component> = graph
        .packages
        .iter()
        .filter(|(id, _)| *id != &graph.root)
        .map(|(id, p)| component(p, id))
        .collect();
    let dependencies: Vec<Dependency> = graph
        .packages
        .iter()
        .map(|(id, p)| Dependency {
            bom_ref: id.clone(),
            depends_on: p
                .deps
                .iter()
                .filter(|d| graph.packages.contains_key(*d))
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        })
        .collect();
    let _ = reachable;
    let mut properties = vec![
        Property {
            name: "gates:sbom:source".into(),
            value: graph.source.clone(),
        },
        Property {
            name: "gates:sbom:method".into(),
            value: graph.method.clone(),
        },
    ];
    properties.sort();
    Bom {
        schema: format!(
            "http://cyclonedx.org/schema/bom-{}.schema.json",
            opts.spec.as_str()
        ),
        bom_format: "CycloneDX",
        spec_version: opts.spec.as_str().to_string(),
        serial_number: None,
        version: 1,
        metadata: Metadata {
            timestamp: opts.timestamp.clone(),
            lifecycles: vec![Lifecycle { phase: "build" }],
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    author: Some("gates".into()),
                    name: "gate-sbom".into(),
                    version: Some(opts.tool_version.clone()),
                    ..Component::default()
                }],
            },
            component: root,
            properties,
        },
        components,
        dependencies,
    }
}

/// The content-derived serial number: a UUIDv5 of the compact JSON of what
/// the document describes: the root component (with its artifact files),
/// the components and the dependency graph. Not of how or when it was
/// written (timestamp, tool version, method, spec version): the same
/// software has the same serial.
pub fn serial(bom: &Bom) -> Result<String, serde_json::Error> {
    #[derive(serde::Serialize)]
    struct Content<'a> {
        root: &'a Component,
        components: &'a [Component],
        dependencies: &'a [Dependency],
    }
    let bytes = serde_json::to_vec(&Content {
        root: &bom.metadata.component,
        components: &bom.components,
        dependencies: &bom.dependencies,
    })?;
    let id = uuid::Uuid::new_v5(&serial_namespace(), &bytes);
    Ok(format!("urn:uuid:{id}"))
}

/// Serializes with a content-derived serial number: pretty JSON, `\n` at the end.
pub fn to_bytes(mut bom: Bom) -> Result<Vec<u8>, serde_json::Error> {
    bom.serial_number = Some(serial(&bom)?);
    let mut out = serde_json::to_vec_pretty(&bom)?;
    out.push(b'\n');
    Ok(out)
}

/// The same document as CycloneDX XML, with the JSON's serial number.
pub fn to_xml_bytes(bom: &Bom) -> Result<Vec<u8>, serde_json::Error> {
    Ok(crate::xml::to_xml(bom, &serial(bom)?).into_bytes())
}

/// `SOURCE_DATE_EPOCH` seconds → RFC 3339 UTC.
pub fn timestamp(epoch: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch, 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_slash_licenses_become_spdx_or() {
        assert_eq!(normalize_license("MIT/Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(normalize_license(" MIT / Apache-2.0 "), "MIT OR Apache-2.0");
        assert_eq!(normalize_license("MIT OR Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(
            normalize_license("Apache-2.0 WITH LLVM-exception"),
            "Apache-2.0 WITH LLVM-exception"
        );
        for l in ["MIT/Apache-2.0", "Unlicense/MIT"] {
            assert!(spdx::Expression::parse(&normalize_license(l)).is_ok());
        }
    }

    #[test]
    fn timestamps_are_utc_rfc3339() {
        assert_eq!(timestamp(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            timestamp(1_000_000_000).as_deref(),
            Some("2001-09-09T01:46:40Z")
        );
    }

    #[test]
    fn the_serial_depends_on_the_content_only() {
        let g = crate::graph::Graph {
            ecosystem: "npm",
            source: "package-lock.json".into(),
            method: "m".into(),
            root: "pkg:npm/a@1".into(),
            packages: [(
                "pkg:npm/a@1".to_string(),
                crate::graph::Package {
                    name: "a".into(),
                    kind: "application",
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect(),
            notes: vec![],
            warnings: vec![],
        };
        let opts = Options::default();
        let a = to_bytes(bom(&g, &opts)).ok();
        let b = to_bytes(bom(&g, &opts)).ok();
        assert_eq!(a, b);
        let later = Options {
            timestamp: Some("2020-01-01T00:00:00Z".into()),
            ..Options::default()
        };
        assert_ne!(a, to_bytes(bom(&g, &later)).ok());
    }
}
