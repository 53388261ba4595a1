//! Validation of a CycloneDX JSON document: the official JSON Schema of its
//! `specVersion` (embedded, `$ref`s resolved to the embedded copies, no
//! network) and semantic checks the schema cannot express.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::str::FromStr;
use std::sync::OnceLock;

use gate_core::report::Rules;
use serde_json::Value;

use crate::model::hash_hex_len;
use crate::rules::SbomRule;

const BOM_1_5: &str = include_str!("../schemas/bom-1.5.schema.json");
const BOM_1_6: &str = include_str!("../schemas/bom-1.6.schema.json");
const BOM_1_7: &str = include_str!("../schemas/bom-1.7.schema.json");
const SPDX: &str = include_str!("../schemas/spdx.schema.json");
const JSF: &str = include_str!("../schemas/jsf-0.82.schema.json");
const CRYPTO: &str = include_str!("../schemas/cryptography-defs.schema.json");

/// Spec versions with an embedded schema.
pub const SCHEMA_VERSIONS: [&str; 3] = ["1.5", "1.6", "1.7"];

/// Serves the embedded schemas to the validator; refuses everything else.
struct Embedded;

fn embedded(uri: &str) -> Option<&'static str> {
    let file = uri.rsplit('/').next()?;
    let file = file.split('#').next()?;
    Some(match file {
        "spdx.schema.json" => SPDX,
        "jsf-0.82.schema.json" => JSF,
        "cryptography-defs.schema.json" => CRYPTO,
        "bom-1.5.schema.json" => BOM_1_5,
        "bom-1.6.schema.json" => BOM_1_6,
        "bom-1.7.schema.json" => BOM_1_7,
        _ => return None,
    })
}

impl jsonschema::Retrieve for Embedded {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let s = uri.as_str();
        let text =
            embedded(s).ok_or_else(|| format!("{s} is not an embedded schema (no network)"))?;
        Ok(serde_json::from_str(text)?)
    }
}

type Compiled = Result<jsonschema::Validator, String>;

fn compile(text: &str) -> Compiled {
    let schema: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_retriever(Embedded)
        .build(&schema)
        .map_err(|e| e.to_string())
}

/// The compiled validator of a spec version (compiled once per process).
pub fn validator(spec: &str) -> Option<&'static Compiled> {
    static V15: OnceLock<Compiled> = OnceLock::new();
    static V16: OnceLock<Compiled> = OnceLock::new();
    static V17: OnceLock<Compiled> = OnceLock::new();
    Some(match spec {
        "1.5" => V15.get_or_init(|| compile(BOM_1_5)),
        "1.6" => V16.get_or_init(|| compile(BOM_1_6)),
        "1.7" => V17.get_or_init(|| compile(BOM_1_7)),
        _ => return None,
    })
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub rule: SbomRule,
    /// JSON pointer of the offending value.
    pub pointer: String,
    /// Component it concerns (bom-ref or name), when one.
    pub component: Option<String>,
    pub message: String,
}

/// Issues sort by rule id, then pointer, component and message.
impl Ord for Issue {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (
            self.rule.id(),
            &self.pointer,
            &self.component,
            &self.message,
        )
            .cmp(&(
                other.rule.id(),
                &other.pointer,
                &other.component,
                &other.message,
            ))
    }
}

impl PartialOrd for Issue {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Schema errors (at most `limit`, then a count).
pub fn schema_issues(doc: &Value, spec: &str, limit: usize) -> Result<Vec<Issue>, String> {
    let Some(v) = validator(spec) else {
        return Err(format!("no embedded schema for specVersion {spec}"));
    };
    let v = v
        .as_ref()
        .map_err(|e| format!("embedded schema {spec} does not compile: {e}"))?;
    let mut out = Vec::new();
    let mut total = 0usize;
    for e in v.iter_errors(doc) {
        total += 1;
        if out.len() < limit {
            let ptr = e.instance_path().to_string();
            out.push(Issue {
                rule: SbomRule::SchemaInvalid,
                pointer: ptr.clone(),
                component: component_at(doc, &ptr),
                message: format!(
                    "{}: {}",
                    if ptr.is_empty() { "/" } else { &ptr },
                    short(&e.to_string())
                ),
            });
        }
    }
    if total > out.len() {
        out.push(Issue {
            rule: SbomRule::SchemaInvalid,
            pointer: String::new(),
            component: None,
            message: format!("... and {} more schema errors", total - out.len()),
        });
    }
    Ok(out)
}

/// Keeps a schema message short (the validator quotes whole values).
fn short(s: &str) -> String {
    if s.chars().count() > 300 {
        let cut: String = s.chars().take(300).collect();
        format!("{cut}...")
    } else {
        s.to_string()
    }
}

/// The component a JSON pointer points into, by bom-ref or name.
fn component_at(doc: &Value, ptr: &str) -> Option<String> {
    let parts: Vec<&str> = ptr.split('/').collect();
    // /components/3/... or /metadata/component/...
    let mut best = None;
    for end in 2..=parts.len() {
        let p = parts[..end].join("/");
        if let Some(v) = doc.pointer(&p)
            && v.is_object()
            && (v.get("bom-ref").is_some() || v.get("name").is_some())
            && (p.contains("components") || p.ends_with("/component"))
        {
            best = v
                .get("bom-ref")
                .or_else(|| v.get("name"))
                .and_then(|s| s.as_str())
                .map(String::from);
        }
    }
    best
}

/// A component flattened out of the tree, for checks and policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Comp {
    pub pointer: String,
    pub bom_ref: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub has_hash: bool,
    /// License expressions / ids / names as written.
    pub licenses: Vec<String>,
    pub scope: Option<String>,
    /// Nested under metadata.component (part of the root).
    pub in_root: bool,
    pub kind: String,
}

impl Comp {
    /// `name@version (bom-ref)` for messages.
    pub fn label(&self) -> String {
        let nv = match &self.version {
            Some(v) => format!("{}@{v}", self.name),
            None => self.name.clone(),
        };
        match &self.purl {
            Some(p) => format!("{nv} ({p})"),
            None => nv,
        }
    }
}

/// What the semantic pass learned about a document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    pub spec_version: String,
    pub serial_number: Option<String>,
    pub root: Option<Comp>,
    pub components: Vec<Comp>,
    /// bom-refs reachable from the root through `dependencies`.
    pub reachable: BTreeSet<String>,
    /// Whether the document has a `dependencies` graph at all.
    pub has_graph: bool,
    /// Why reachability from the root cannot be judged, when it cannot:
    /// no root component, a root without a `bom-ref`, or a root the graph
    /// does not mention (syft's shape). `None`: `reachable` is meaningful.
    pub unrooted: Option<String>,
    pub edges: usize,
    pub issues: Vec<Issue>,
}

fn collect_components(v: &Value, ptr: String, in_root: bool, out: &mut Vec<Comp>) {
    let Some(arr) = v.as_array() else { return };
    for (i, c) in arr.iter().enumerate() {
        let p = format!("{ptr}/{i}");
        out.push(comp(c, p.clone(), in_root));
        if let Some(sub) = c.get("components") {
            collect_components(sub, format!("{p}/components"), in_root, out);
        }
    }
}

fn comp(c: &Value, pointer: String, in_root: bool) -> Comp {
    let s = |k: &str| c.get(k).and_then(|v| v.as_str()).map(String::from);
    let mut licenses = Vec::new();
    if let Some(ls) = c.get("licenses").and_then(|l| l.as_array()) {
        for l in ls {
            if let Some(e) = l.get("expression").and_then(|e| e.as_str()) {
                licenses.push(e.to_string());
            } else if let Some(lic) = l.get("license") {
                if let Some(id) = lic.get("id").and_then(|v| v.as_str()) {
                    licenses.push(id.to_string());
                } else if let Some(n) = lic.get("name").and_then(|v| v.as_str()) {
                    licenses.push(n.to_string());
                }
            }
        }
    }
    Comp {
        pointer,
        bom_ref: s("bom-ref"),
        name: s("name").unwrap_or_default(),
        version: s("version"),
        purl: s("purl"),
        has_hash: c
            .get("hashes")
            .and_then(|h| h.as_array())
            .is_some_and(|h| !h.is_empty()),
        licenses,
        scope: s("scope"),
        in_root,
        kind: s("type").unwrap_or_default(),
    }
}

/// Semantic checks: serial number, unique bom-refs, dangling dependency
/// refs, purls, SPDX expressions, hash lengths; plus reachability.
pub fn analyse(doc: &Value) -> Analysis {
    let mut a = Analysis {
        spec_version: doc
            .get("specVersion")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
        serial_number: doc
            .get("serialNumber")
            .and_then(|v| v.as_str())
            .map(String::from),
        ..Analysis::default()
    };
    serial_issues(&mut a);

    let mut all: Vec<Comp> = Vec::new();
    if let Some(root) = doc.pointer("/metadata/component") {
        a.root = Some(comp(root, "/metadata/component".into(), true));
        if let Some(sub) = root.get("components") {
            collect_components(sub, "/metadata/component/components".into(), true, &mut all);
        }
    }
    if let Some(cs) = doc.get("components") {
        collect_components(cs, "/components".into(), false, &mut all);
    }
    // Hashes and licenses are checked on every component, the root included.
    let mut every: Vec<(&Comp, &Value)> = Vec::new();
    if let Some(r) = &a.root
        && let Some(v) = doc.pointer(&r.pointer)
    {
        every.push((r, v));
    }
    for c in &all {
        if let Some(v) = doc.pointer(&c.pointer) {
            every.push((c, v));
        }
    }
    let refs = unique_refs(doc, &every, &mut a.issues);
    for (c, v) in &every {
        component_issues(c, v, &mut a.issues);
    }
    let graph = dependency_graph(doc, &refs, &mut a);
    reachability(&mut a, &graph);
    a.components = all;
    a.issues.sort();
    a
}

/// A missing or malformed serial number.
fn serial_issues(a: &mut Analysis) {
    match &a.serial_number {
        None => a.issues.push(Issue {
            rule: SbomRule::MissingSerialNumber,
            pointer: "/serialNumber".into(),
            component: None,
            message: "no serialNumber: attestation tools (actions/attest) and SBOM stores need one; set it to urn:uuid:<uuid>".into(),
        }),
        Some(s) if uuid::Uuid::parse_str(s.strip_prefix("urn:uuid:").unwrap_or("")).is_err() => {
            a.issues.push(Issue {
                rule: SbomRule::MissingSerialNumber,
                pointer: "/serialNumber".into(),
                component: None,
                message: format!("serialNumber `{s}` is not urn:uuid:<RFC 4122 UUID>"),
            });
        }
        Some(_) => {}
    }
}

/// Every bom-ref (components and services) with where it first appears; a
/// second use is an issue.
fn unique_refs(
    doc: &Value,
    every: &[(&Comp, &Value)],
    issues: &mut Vec<Issue>,
) -> HashMap<String, String> {
    let mut refs: HashMap<String, String> = HashMap::new();
    let mut note_ref = |r: &str, ptr: &str, label: String, found: &mut Vec<Issue>| {
        if let Some(first) = refs.get(r) {
            found.push(Issue {
                rule: SbomRule::DuplicateBomRef,
                pointer: ptr.to_string(),
                component: Some(label),
                message: format!("bom-ref `{r}` at {ptr} is also used at {first}; bom-refs must be unique in the document"),
            });
        } else {
            refs.insert(r.to_string(), ptr.to_string());
        }
    };
    for (c, _) in every {
        if let Some(r) = &c.bom_ref {
            note_ref(r, &c.pointer, c.label(), issues);
        }
    }
    if let Some(svcs) = doc.get("services").and_then(|s| s.as_array()) {
        for (i, s) in svcs.iter().enumerate() {
            if let Some(r) = s.get("bom-ref").and_then(|r| r.as_str()) {
                let name = s
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("")
                    .to_string();
                note_ref(r, &format!("/services/{i}"), name, issues);
            }
        }
    }
    refs
}

/// A component's purl, license and hash issues.
fn component_issues(c: &Comp, v: &Value, issues: &mut Vec<Issue>) {
    // purl
    if let Some(p) = &c.purl
        && let Err(e) = packageurl::PackageUrl::from_str(p)
    {
        issues.push(Issue {
            rule: SbomRule::InvalidPurl,
            pointer: format!("{}/purl", c.pointer),
            component: Some(c.label()),
            message: format!("{}: purl `{p}` is invalid: {e}", c.name),
        });
    }
    // licenses
    if let Some(ls) = v.get("licenses").and_then(|l| l.as_array()) {
        for (i, l) in ls.iter().enumerate() {
            if let Some(e) = l.get("expression").and_then(|e| e.as_str()) {
                if let Err(err) = spdx::Expression::parse(e) {
                    issues.push(Issue {
                        rule: SbomRule::InvalidLicenseExpression,
                        pointer: format!("{}/licenses/{i}/expression", c.pointer),
                        component: Some(c.label()),
                        message: format!(
                            "{}: `{e}` is not a valid SPDX expression: {}",
                            c.name, err.reason
                        ),
                    });
                }
            } else if let Some(id) = l.pointer("/license/id").and_then(|e| e.as_str())
                && spdx::license_id(id).is_none()
                && spdx::exception_id(id).is_none()
            {
                issues.push(Issue {
                    rule: SbomRule::InvalidLicenseExpression,
                    pointer: format!("{}/licenses/{i}/license/id", c.pointer),
                    component: Some(c.label()),
                    message: format!("{}: `{id}` is not an SPDX license id (use license.name for other licenses)", c.name),
                });
            }
        }
    }
    // hash lengths
    if let Some(hs) = v.get("hashes").and_then(|h| h.as_array()) {
        for (i, h) in hs.iter().enumerate() {
            let alg = h.get("alg").and_then(|x| x.as_str()).unwrap_or("");
            let content = h.get("content").and_then(|x| x.as_str()).unwrap_or("");
            if let Some(n) = hash_hex_len(alg)
                && (content.len() != n || !content.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                issues.push(Issue {
                    rule: SbomRule::HashLengthMismatch,
                    pointer: format!("{}/hashes/{i}", c.pointer),
                    component: Some(c.label()),
                    message: format!(
                        "{}: {alg} hash has {} characters, {alg} takes {n} hex digits",
                        c.name,
                        content.len()
                    ),
                });
            }
        }
    }
}

/// The `dependencies` graph, every ref checked against `refs`; counts the
/// edges into `a`.
fn dependency_graph(
    doc: &Value,
    refs: &HashMap<String, String>,
    a: &mut Analysis,
) -> BTreeMap<String, Vec<String>> {
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(deps) = doc.get("dependencies").and_then(|d| d.as_array()) {
        a.has_graph = true;
        for (i, d) in deps.iter().enumerate() {
            let r = d.get("ref").and_then(|r| r.as_str()).unwrap_or("");
            if !refs.contains_key(r) {
                a.issues.push(Issue {
                    rule: SbomRule::DanglingDependencyRef,
                    pointer: format!("/dependencies/{i}/ref"),
                    component: Some(r.to_string()),
                    message: format!("dependencies[{i}].ref `{r}` names no component or service"),
                });
            }
            let mut on = Vec::new();
            for (j, t) in d
                .get("dependsOn")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
                .enumerate()
            {
                let t = t.as_str().unwrap_or("");
                a.edges += 1;
                if !refs.contains_key(t) {
                    a.issues.push(Issue {
                        rule: SbomRule::DanglingDependencyRef,
                        pointer: format!("/dependencies/{i}/dependsOn/{j}"),
                        component: Some(r.to_string()),
                        message: format!(
                            "`{r}` depends on `{t}`, which names no component or service"
                        ),
                    });
                }
                on.push(t.to_string());
            }
            graph.entry(r.to_string()).or_default().extend(on);
        }
    }
    graph
}

/// Whether the graph starts at the root, and what it reaches from there.
fn reachability(a: &mut Analysis, graph: &BTreeMap<String, Vec<String>>) {
    // Reachability only means something from a root the graph starts at. An
    // SBOM of an environment (cyclonedx-py `environment`) has no root; syft
    // describes its source as a root no `dependencies` entry names.
    a.unrooted = match &a.root {
        None => Some("it has no root component (`metadata.component`)".to_string()),
        Some(r) => match &r.bom_ref {
            None => Some("its root component has no `bom-ref`".to_string()),
            Some(b) if !graph.contains_key(b) => Some(format!(
                "its root component `{b}` has no entry in `dependencies`"
            )),
            Some(_) => None,
        },
    };
    if let (None, Some(root_ref)) = (&a.unrooted, a.root.as_ref().and_then(|r| r.bom_ref.clone())) {
        let mut q = VecDeque::from([root_ref]);
        while let Some(r) = q.pop_front() {
            if !a.reachable.insert(r.clone()) {
                continue;
            }
            if let Some(next) = graph.get(&r) {
                q.extend(next.iter().filter(|n| !a.reachable.contains(*n)).cloned());
            }
        }
    }
}
