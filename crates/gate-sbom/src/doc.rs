//! One CycloneDX document read and validated ([`check_bytes`]): a [`Doc`],
//! what `collect` gathers for `evaluate` to judge.

use std::path::Path;

use gate_core::GateError;

use crate::validate::{self, Analysis, Issue};
use crate::xml;

/// One SBOM read back (generated) or handed in (`check`).
#[derive(Debug, Clone)]
pub struct Doc {
    /// Path as shown (relative to the repository when inside it).
    pub path: String,
    pub sha256: String,
    pub analysis: Analysis,
    /// Schema errors, or why the schema could not be applied.
    pub schema: Result<Vec<Issue>, String>,
    /// How the SBOM was generated (empty for `check`).
    pub method: String,
    pub notes: Vec<String>,
    /// Fallbacks taken while generating it (warnings).
    pub warnings: Vec<String>,
    /// `diff` between commits: the lockfile does not exist on this side, so
    /// every component of the other side is added (or removed).
    pub absent: bool,
    /// The XML encoding written beside it: (path, sha256).
    pub xml: Option<(String, String)>,
}

impl Doc {
    /// The side of a `diff` where a lockfile does not exist.
    pub fn absent(path: String) -> Doc {
        Doc {
            path,
            sha256: String::new(),
            analysis: Analysis::default(),
            schema: Ok(Vec::new()),
            method: String::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            absent: true,
            xml: None,
        }
    }
}

/// Whether `bytes` look like XML (a `<` first, after a byte-order mark and
/// white space) rather than JSON.
fn looks_like_xml(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'<')
}

/// Reads a CycloneDX document, JSON or XML, and validates it: JSON against
/// the official JSON Schema of its specVersion and semantically; XML
/// semantically (read into the same form, see [`crate::xml::read`]), its XSD
/// validation left to `xmllint` and said so in a `schema-unavailable`
/// warning.
pub fn check_bytes(display: &str, path: &Path, bytes: &[u8]) -> gate_core::Result<Doc> {
    let xml = looks_like_xml(bytes);
    let doc: serde_json::Value = if xml {
        xml::read(bytes).map_err(|(line, m)| {
            GateError::malformed(
                path,
                line,
                format!("{m}; gate-sbom checks CycloneDX documents (JSON or XML)"),
            )
        })?
    } else {
        serde_json::from_slice(bytes).map_err(|e| {
            GateError::malformed(
                path,
                Some(e.line() as u64),
                format!("not JSON: {e}; gate-sbom checks CycloneDX documents (JSON or XML)"),
            )
        })?
    };
    match doc.get("bomFormat").and_then(|v| v.as_str()) {
        Some("CycloneDX") => {}
        other => {
            let hint = if doc.get("spdxVersion").is_some() {
                " (this is an SPDX document)"
            } else {
                ""
            };
            return Err(GateError::malformed(
                path,
                None,
                format!(
                    "not a CycloneDX document{hint}: bomFormat is {}, expected \"CycloneDX\"",
                    other
                        .map(|s| format!("\"{s}\""))
                        .unwrap_or_else(|| "absent".into())
                ),
            ));
        }
    }
    let analysis = validate::analyse(&doc);
    let schema = if xml {
        Err(format!(
            "CycloneDX {v} XML is not validated against the XSD here (run `xmllint --noout --schema bom-{v}.xsd`)",
            v = analysis.spec_version
        ))
    } else {
        validate::schema_issues(&doc, &analysis.spec_version, 50)
    };
    Ok(Doc {
        path: display.to_string(),
        sha256: sha256_hex(bytes),
        analysis,
        schema,
        method: String::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
        absent: false,
        xml: None,
    })
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    gate_core::text::hex(&sha2::Sha256::digest(bytes))
}
