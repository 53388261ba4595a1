//! `gates.yml`: one file, one section per gate.
//!
//! The file is read raw (a located YAML tree), then each layer is applied in
//! order of precedence, lowest first:
//!
//! 1. the gate's defaults (its `Config::default()` through serde defaults),
//! 2. the gate's section of `gates.yml`,
//! 3. `GATES_<GATE>_<KEY>` environment variables (how action inputs arrive),
//! 4. command-line flags whose name is a config key.
//!
//! The merged section is validated against the JSON Schema generated from the
//! gate's `Config` type, and *every* problem is reported at once, each with
//! `file:line`, the key path, and for unknown keys a "did you mean". Only a
//! valid section is deserialized, so serde never sees bad input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use crate::error::{GateError, Result};

/// Top-level sections `gates.yml` may have, besides `version`: the one
/// registry of gates. `cargo xtask schema` generates a section of
/// `docs/gates.schema.json`, an action's inputs and a docs key table for
/// each, in this order, and fails when a gate is missing here or there.
/// A gate is listed once it exists (no section for a gate to come).
pub const SECTIONS: &[&str] = &[
    "coverage", "audit", "sbom", "health", "load", "deploy", "rollback", "score", "tests",
    "sarif",
    // new-gate: section
];

/// The only `version:` the file format has so far.
pub const FILE_VERSION: i64 = 1;

/// Where a value came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File {
        path: PathBuf,
        line: u64,
        column: u64,
    },
    Env(String),
    Flag(String),
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File { path, line, column } => {
                write!(f, "{}:{line}:{column}", path.display())
            }
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Flag(name) => write!(f, "flag --{name}"),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// A raw override: a key of the gate's section set from outside the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// kebab-case key, e.g. `min-total`.
    pub key: String,
    /// Raw values as typed (several for a repeated flag).
    pub values: Vec<String>,
    pub origin: Origin,
}

/// The loaded file, before any gate picks its section.
#[derive(Debug, Default)]
pub struct ConfigFile {
    pub path: Option<PathBuf>,
    root: Map<String, Value>,
    origins: BTreeMap<String, Origin>,
}

/// YAML node with locations, as serde-saphyr gives them.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Node, D::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Node, E> {
                match i64::try_from(v) {
                    Ok(i) => Ok(Node::Int(i)),
                    Err(_) => Ok(Node::Float(v as f64)),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Node, E> {
                Ok(Node::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Node::Seq(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<Node, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = a.next_key()? {
                    let val = a.next_value()?;
                    v.push((k, val));
                }
                Ok(Node::Map(v))
            }
        }
        d.deserialize_any(V)
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape_pointer(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// Renders a JSON pointer as a dotted key path: `/coverage/groups/0/min` →
/// `coverage.groups[0].min`.
pub fn key_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&unescape_pointer(seg));
        }
    }
    if out.is_empty() {
        "(top level)".into()
    } else {
        out
    }
}

/// The YAML library's message for people: its first line, without the
/// location it repeats (ours comes first) and without hints about the
/// library's own options, which a user cannot set.
fn yaml_message(raw: &str) -> String {
    let mut m = raw.lines().next().unwrap_or("invalid YAML").trim();
    m = m.strip_prefix("error: ").unwrap_or(m);
    if let Some(rest) = m.strip_prefix("line ")
        && let Some((_, after)) = rest.split_once(": ")
        && rest
            .split(':')
            .next()
            .is_some_and(|loc| loc.contains(" column "))
    {
        m = after;
    }
    let mut out = m.to_string();
    if let Some(i) = out
        .find(", set ")
        .filter(|i| out[*i..].contains(" in Options"))
    {
        out.truncate(i);
    }
    if out.starts_with("duplicate mapping key") {
        out.push_str("; keep one of them");
    }
    if out.is_empty() {
        "invalid YAML".into()
    } else {
        out
    }
}

impl ConfigFile {
    /// Reads `path`. A missing file is fine unless `required` (given
    /// explicitly by `--config`/`GATES_CONFIG`).
    pub fn load(path: &Path, required: bool, gate: &str) -> Result<Self> {
        let bytes = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(ConfigFile::default());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(GateError::Config(vec![format!(
                    "{}: config file not found; create it or drop --config",
                    path.display()
                )]));
            }
            Err(e) => return Err(GateError::read(path, e)),
        };
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = good.iter().filter(|b| **b == b'\n').count() + 1;
                let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                let col = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
                let byte = e.as_bytes()[good.len()];
                return Err(GateError::Config(vec![format!(
                    "{}:{line}:{col}: not UTF-8 text (byte 0x{byte:02X}); save the file as UTF-8",
                    path.display()
                )]));
            }
        };
        Self::parse(path, &text, gate)
    }

    /// Parses `text` as the contents of `path` and checks the top level
    /// (known sections are [`SECTIONS`] and the running gate's own).
    pub fn parse(path: &Path, text: &str, gate: &str) -> Result<Self> {
        let mut file = ConfigFile {
            path: Some(path.to_path_buf()),
            ..ConfigFile::default()
        };
        if text.trim().is_empty() {
            return Ok(file);
        }
        let node: Spanned<Node> = serde_saphyr::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!("{}:{}:{}", path.display(), l.line(), l.column()))
                .unwrap_or_else(|| path.display().to_string());
            GateError::Config(vec![format!("{at}: {}", yaml_message(&e.to_string()))])
        })?;
        let value = file.convert(&node, String::new());
        let mut problems = Vec::new();
        match value {
            Value::Null => {}
            Value::Object(map) => {
                for (key, v) in &map {
                    let ptr = format!("/{}", escape_pointer(key));
                    if key == "version" {
                        if v.as_i64() != Some(FILE_VERSION) {
                            problems.push(format!(
                                "{}: `version` must be {FILE_VERSION}, found {v}",
                                file.key_origin(&ptr)
                            ));
                        }
                    } else if !SECTIONS.contains(&key.as_str()) && key != gate {
                        problems.push(format!(
                            "{}: unknown section `{key}`{}; sections are: version, {}",
                            file.key_origin(&ptr),
                            did_you_mean(key, SECTIONS.iter().copied()),
                            SECTIONS.join(", ")
                        ));
                    } else if !v.is_object() && !v.is_null() {
                        problems.push(format!(
                            "{}: section `{key}` must be a mapping of keys, found {}",
                            file.key_origin(&ptr),
                            type_name(v)
                        ));
                    }
                }
                file.root = map;
            }
            other => problems.push(format!(
                "{}: the top level must be a mapping (`version: 1`, then one section per gate), found {}",
                path.display(),
                type_name(&other)
            )),
        }
        if problems.is_empty() {
            Ok(file)
        } else {
            Err(GateError::Config(problems))
        }
    }

    /// The JSON value of a located YAML node, recording where each value
    /// (the node at `ptr` and everything under it) is written in the file,
    /// for the messages.
    fn convert(&mut self, node: &Spanned<Node>, ptr: String) -> Value {
        if let Some(path) = &self.path {
            self.origins.insert(
                ptr.clone(),
                Origin::File {
                    path: path.clone(),
                    line: node.referenced.line(),
                    column: node.referenced.column(),
                },
            );
        }
        match &node.value {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Node::Str(s) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, n)| self.convert(n, format!("{ptr}/{i}")))
                    .collect(),
            ),
            Node::Map(entries) => {
                let mut map = Map::new();
                for (k, v) in entries {
                    let child = format!("{ptr}/{}", escape_pointer(&k.value));
                    // The key's own position, for "unknown key" messages.
                    if let Some(path) = &self.path {
                        self.origins.insert(
                            format!("{child}#key"),
                            Origin::File {
                                path: path.clone(),
                                line: k.referenced.line(),
                                column: k.referenced.column(),
                            },
                        );
                    }
                    let value = self.convert(v, child);
                    map.insert(k.value.clone(), value);
                }
                Value::Object(map)
            }
        }
    }

    /// The nearest known origin of a JSON pointer (walking up to parents).
    /// Where the key of a JSON pointer is written (for "unknown key").
    pub fn key_origin(&self, pointer: &str) -> Origin {
        match self.origins.get(&format!("{pointer}#key")) {
            Some(o) => o.clone(),
            None => self.origin_of(pointer),
        }
    }

    pub fn origin_of(&self, pointer: &str) -> Origin {
        let mut p = pointer.to_string();
        loop {
            if let Some(o) = self.origins.get(&p) {
                return o.clone();
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => break,
            }
        }
        match &self.path {
            Some(path) => Origin::File {
                path: path.clone(),
                line: 1,
                column: 1,
            },
            None => Origin::Default,
        }
    }

    /// Builds gate `gate`'s configuration: the file's section, then the
    /// overrides, validated against `C`'s schema, then deserialized.
    pub fn section<C: DeserializeOwned + JsonSchema>(
        &mut self,
        gate: &str,
        overrides: &[Override],
    ) -> Result<C> {
        self.section_over(gate, None, overrides)
    }

    /// As [`ConfigFile::section`], over the keys of section `parent` when
    /// given ([`crate::Gate::BASE_SECTION`]): `parent:`'s keys, then
    /// `gate:`'s key by key, then the overrides (`GATES_<GATE>_*`, flags;
    /// `parent`'s variables are not read). A problem in an inherited key is
    /// reported as `parent.<key>` with its line.
    pub fn section_over<C: DeserializeOwned + JsonSchema>(
        &mut self,
        gate: &str,
        parent: Option<&str>,
        overrides: &[Override],
    ) -> Result<C> {
        let schema = serde_json::to_value(schemars::schema_for!(C))
            .map_err(|e| GateError::Internal(format!("schema of {gate} config: {e}")))?;
        let mut section = Map::new();
        // Keys that come from `parent:` alone, and where they are written.
        let mut inherited = BTreeSet::new();
        if let Some(Value::Object(m)) = parent.and_then(|p| self.root.get(p)) {
            section.extend(m.clone());
            inherited.extend(m.keys().cloned());
        }
        if let Some(Value::Object(m)) = self.root.get(gate) {
            for (k, v) in m {
                inherited.remove(k);
                section.insert(k.clone(), v.clone());
            }
        }
        for o in overrides {
            inherited.remove(&o.key);
        }
        let parent_ptr = format!("/{}", escape_pointer(parent.unwrap_or(gate)));
        let base = format!("/{}", escape_pointer(gate));
        // The section a pointer inside the merged section is written in.
        let written_in = |ptr: &str| -> String {
            let top = ptr.split('/').nth(1).map(unescape_pointer);
            if top.is_some_and(|k| inherited.contains(&k)) {
                format!("{parent_ptr}{ptr}")
            } else {
                format!("{base}{ptr}")
            }
        };
        let mut problems = Vec::new();
        // A bad flag value is a usage error (exit 2), a bad file or
        // environment value a configuration error (exit 3).
        let mut usage = false;
        let props = schema_properties(&schema, &schema);
        for o in overrides {
            let Some(prop) = props.get(&o.key) else {
                // A flag that is not a config key is for the gate's `collect`
                // alone; an unknown `GATES_*` variable is a typo.
                if matches!(o.origin, Origin::Flag(_)) {
                    continue;
                }
                problems.push(format!(
                    "{}: `{gate}` has no key `{}`{}",
                    o.origin,
                    o.key,
                    did_you_mean(&o.key, props.keys().map(String::as_str))
                ));
                continue;
            };
            let split = if matches!(o.origin, Origin::Flag(_)) {
                Split::None
            } else {
                Split::declared(prop)
            };
            match coerce(prop, &schema, &o.values, split) {
                Ok(v) => {
                    self.origins.insert(
                        format!("{base}/{}", escape_pointer(&o.key)),
                        o.origin.clone(),
                    );
                    section.insert(o.key.clone(), v);
                }
                Err(msg) => {
                    usage |= matches!(o.origin, Origin::Flag(_));
                    problems.push(format!("{}: `{gate}.{}`: {msg}", o.origin, o.key));
                }
            }
        }
        self.refuse_not_in_file(&props, &section, overrides, &written_in, &mut problems);
        let instance = Value::Object(section);
        // Nothing set (no section in the file, no override), or only values
        // that `surely_valid` can vouch for (plain strings, enum members,
        // numbers in range…): no validator is compiled. Compiling one costs
        // ~1 ms (the jsonschema crate builds its draft 2020-12 meta-schema
        // validator on first use; our schema itself compiles in under
        // 0.1 ms). Anything else, and every invalid value, goes through
        // jsonschema, which finds and words the errors.
        let nothing_set = instance.as_object().is_some_and(Map::is_empty);
        let errors = if (nothing_set && accepts_empty_object(&schema))
            || surely_valid(&schema, &schema, &instance) == Some(true)
        {
            Vec::new()
        } else {
            let validator = jsonschema::validator_for(&schema)
                .map_err(|e| GateError::Internal(format!("schema of {gate} config: {e}")))?;
            validator
                .iter_errors(&instance)
                .map(jsonschema::ValidationError::to_owned)
                .collect()
        };
        usage |= self.word_errors(&errors, &schema, &instance, &written_in, &mut problems);
        if !problems.is_empty() {
            problems.sort();
            problems.dedup();
            if usage {
                return Err(GateError::Usage(problems.join("\n")));
            }
            return Err(GateError::Config(problems));
        }
        serde_json::from_value(instance).map_err(|e| {
            GateError::Config(vec![format!(
                "{}: section `{gate}`: {e}",
                self.origin_of(&base)
            )])
        })
    }
    /// Keys a gate takes from the command line or the environment only
    /// (`x-gates-not-in-file`: a value that must not live in the
    /// repository, e.g. a one-off ignore without an expiry), when the file
    /// sets them: a located problem with the schema's fix.
    fn refuse_not_in_file(
        &self,
        props: &BTreeMap<String, &Value>,
        section: &Map<String, Value>,
        overrides: &[Override],
        written_in: &dyn Fn(&str) -> String,
        problems: &mut Vec<String>,
    ) {
        for (key, prop) in props {
            let Some(fix) = prop.get("x-gates-not-in-file").and_then(Value::as_str) else {
                continue;
            };
            let from_override = overrides.iter().any(|o| &o.key == key);
            if section.contains_key(key) && !from_override {
                let at = written_in(&format!("/{}", escape_pointer(key)));
                problems.push(format!(
                    "{}: `{}` cannot be set in the configuration file: {fix}",
                    self.origin_of(&at),
                    key_path(&at)
                ));
            }
        }
    }

    /// Words the validator's errors as located problems; whether one of
    /// them is a flag's value (a usage error).
    fn word_errors(
        &self,
        errors: &[jsonschema::ValidationError<'static>],
        schema: &Value,
        instance: &Value,
        written_in: &dyn Fn(&str) -> String,
        problems: &mut Vec<String>,
    ) -> bool {
        let mut usage = false;
        for err in errors {
            let ptr = err.instance_path().as_str().to_string();
            let full = written_in(&ptr);
            usage |= matches!(self.origin_of(&full), Origin::Flag(_));
            let hint = schema_at(schema, schema, instance, &ptr)
                .and_then(|s| s.get("x-gates-hint"))
                .and_then(Value::as_str);
            match err.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { .. } => {}
                _ if let Some(hint) = hint => {
                    problems.push(format!(
                        "{}: `{}`: {} is not accepted: {hint}",
                        self.origin_of(&full),
                        key_path(&full),
                        err.instance()
                    ));
                    continue;
                }
                _ => {}
            }
            match err.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    let parent_schema = schema_at(schema, schema, instance, &ptr);
                    let known = parent_schema
                        .map(|s| schema_properties(s, schema))
                        .unwrap_or_default();
                    for key in unexpected {
                        let kptr = written_in(&format!("{ptr}/{}", escape_pointer(key)));
                        problems.push(format!(
                            "{}: unknown key `{}`{}",
                            self.key_origin(&kptr),
                            key_path(&kptr),
                            did_you_mean(key, known.keys().map(String::as_str))
                        ));
                    }
                }
                jsonschema::error::ValidationErrorKind::AnyOf { .. }
                | jsonschema::error::ValidationErrorKind::OneOfNotValid { .. }
                    if let Some(words) = alternatives(schema, instance, &ptr) =>
                {
                    problems.push(format!(
                        "{}: `{}`: {} is not accepted: {words}",
                        self.origin_of(&full),
                        key_path(&full),
                        err.instance()
                    ));
                }
                _ => problems.push(format!(
                    "{}: `{}`: {}",
                    self.origin_of(&full),
                    key_path(&full),
                    describe(err)
                )),
            }
        }
        usage
    }
}

/// Whether `schema` accepts `{}` whatever its properties say: an object
/// schema made only of properties, `additionalProperties`, definitions and
/// annotations (nothing that looks at absent keys, such as `required` or
/// `minProperties`), as schemars writes a `#[serde(default)]` struct.
fn accepts_empty_object(schema: &Value) -> bool {
    const PLAIN: [&str; 9] = [
        "$schema",
        "$id",
        "title",
        "description",
        "type",
        "properties",
        "additionalProperties",
        "$defs",
        "default",
    ];
    schema.as_object().is_some_and(|s| {
        s.get("type") == Some(&Value::String("object".into()))
            && s.keys().all(|k| PLAIN.contains(&k.as_str()))
    })
}

/// Keywords that constrain nothing (`format` is an annotation in 2020-12, as
/// jsonschema applies it by default).
const ANNOTATIONS: [&str; 9] = [
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "$comment",
    "format",
];

/// A conservative, partial JSON Schema (2020-12) check, to skip compiling a
/// validator for configurations it can vouch for: `Some(true)` only when
/// `value` is valid against `schema`, `Some(false)` only when it is not,
/// `None` when it cannot tell (a keyword it does not know, an object,
/// a float where an integer is asked…). Covers `type`, `const`/`enum` of
/// strings, booleans and null, `anyOf`/`oneOf`, local `$ref`, `items`,
/// numeric bounds, and objects of the section's own shape (`properties`,
/// `additionalProperties: false`); annotations (and `format`, an
/// annotation in 2020-12) are ignored. `tests::surely_valid_agrees_with_jsonschema`
/// checks every answer it gives against the jsonschema crate.
fn surely_valid(schema: &Value, root: &Value, value: &Value) -> Option<bool> {
    let s = match schema {
        Value::Bool(b) => return Some(*b),
        Value::Object(s) => s,
        _ => return None,
    };
    let mut all = Some(true);
    let mut and = |r: Option<bool>| {
        all = match (all, r) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        };
    };
    for (k, v) in s {
        let k = k.as_str();
        match k {
            k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => {}
            "$defs" if std::ptr::eq(schema, root) => {}
            "type" => and(match v {
                Value::String(t) => type_matches(t, value),
                Value::Array(ts) => ts.iter().try_fold(Some(false), |acc, t| {
                    let r = type_matches(t.as_str()?, value);
                    Some(match (acc, r) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    })
                })?,
                _ => None,
            }),
            "const" => and(scalar_eq(v, value)),
            "enum" => and(v.as_array().and_then(|opts| {
                opts.iter()
                    .try_fold(false, |hit, o| Some(hit || scalar_eq(o, value)?))
            })),
            "anyOf" | "oneOf" => and(v.as_array().and_then(|subs| {
                let rs: Vec<Option<bool>> =
                    subs.iter().map(|b| surely_valid(b, root, value)).collect();
                let yes = rs.iter().filter(|r| **r == Some(true)).count();
                let undecided = rs.iter().any(Option::is_none);
                match (k, yes, undecided) {
                    ("anyOf", 1.., _) => Some(true),
                    (_, 0, false) => Some(false),
                    ("oneOf", 1, false) => Some(true),
                    ("oneOf", 2.., _) => Some(false),
                    _ => None,
                }
            })),
            "$ref" => and(v
                .as_str()
                .and_then(|r| r.strip_prefix("#/$defs/"))
                .filter(|name| !name.contains(['/', '~', '%']))
                .and_then(|name| root.get("$defs")?.get(name))
                .and_then(|target| surely_valid(target, root, value))),
            "items" => and(match value {
                Value::Array(xs) => xs
                    .iter()
                    .try_fold(true, |ok, x| Some(ok && surely_valid(v, root, x)?)),
                _ => Some(true),
            }),
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                and(match (value, v.as_f64()) {
                    (Value::Number(n), Some(bound)) => exact_f64(n).map(|x| match k {
                        "minimum" => x >= bound,
                        "maximum" => x <= bound,
                        "exclusiveMinimum" => x > bound,
                        _ => x < bound,
                    }),
                    (Value::Number(_), None) => None,
                    _ => Some(true),
                })
            }
            "additionalProperties" if v == &Value::Bool(false) => and(match value {
                Value::Object(m) => {
                    let props = s.get("properties").and_then(Value::as_object);
                    Some(
                        m.keys()
                            .all(|key| props.is_some_and(|p| p.contains_key(key))),
                    )
                }
                _ => Some(true),
            }),
            "properties" => and(match (value, v.as_object()) {
                (Value::Object(m), Some(props)) => m.iter().try_fold(true, |ok, (key, x)| {
                    Some(
                        ok && props
                            .get(key)
                            .map_or(Some(true), |p| surely_valid(p, root, x))?,
                    )
                }),
                (Value::Object(_), None) => None,
                _ => Some(true),
            }),
            _ => and(None),
        }
    }
    all
}

/// Whether `value` is of JSON Schema type `t` (`None`: a float with no
/// fraction asked to be an integer, which drafts answer differently).
fn type_matches(t: &str, value: &Value) -> Option<bool> {
    Some(match (t, value) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            if n.is_i64() || n.is_u64() {
                true
            } else if n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                return None;
            } else {
                false
            }
        }
        ("null" | "boolean" | "string" | "array" | "object" | "number" | "integer", _) => false,
        _ => return None,
    })
}

/// Equality of a `const`/`enum` member with `value`, decided for strings,
/// booleans and null only (number equality is left to jsonschema).
fn scalar_eq(member: &Value, value: &Value) -> Option<bool> {
    match (member, value) {
        (Value::Number(_) | Value::Array(_) | Value::Object(_), _) => None,
        (_, Value::Number(_)) => None,
        _ => Some(member == value),
    }
}

/// A number as `f64` when that is exact (integers beyond 2^53 are not).
fn exact_f64(n: &serde_json::Number) -> Option<f64> {
    const EXACT: u64 = 1 << 53;
    if let Some(u) = n.as_u64() {
        return (u <= EXACT).then_some(u as f64);
    }
    if let Some(i) = n.as_i64() {
        return (i.unsigned_abs() <= EXACT).then_some(i as f64);
    }
    n.as_f64()
}

/// What the `oneOf`/`anyOf` at `ptr` accepts, in words (`must be one of
/// "fail", "warn"`, `must be a string or a boolean`), when each of its
/// branches is a plain constant, enumeration or type; else `None` (and
/// jsonschema's own message is used).
fn alternatives(root: &Value, instance: &Value, ptr: &str) -> Option<String> {
    let (parent, last) = ptr.rsplit_once('/')?;
    let parent_schema = schema_at(root, root, instance, parent)?;
    let sub = match instance.pointer(parent)? {
        Value::Object(_) => *schema_properties(parent_schema, root).get(&unescape_pointer(last))?,
        Value::Array(_) => parent_schema.get("items")?,
        _ => return None,
    };
    let (mut values, mut types) = (Vec::new(), Vec::new());
    collect_alternatives(resolve(sub, root), root, 0, &mut values, &mut types)?;
    // A misspelt constant: the closest one.
    let hint = match instance.pointer(ptr) {
        Some(Value::String(given)) => {
            let names: Vec<String> = values
                .iter()
                .filter_map(|v| serde_json::from_str::<String>(v).ok())
                .collect();
            did_you_mean(given, names.iter().map(String::as_str))
        }
        _ => String::new(),
    };
    let mut parts = Vec::new();
    match values.len() {
        0 => {}
        1 => parts.extend(values),
        _ => parts.push(format!("one of {}", values.join(", "))),
    }
    parts.extend(types);
    (!parts.is_empty()).then(|| format!("must be {}{hint}", parts.join(" or ")))
}

/// The constants and types a `oneOf`/`anyOf` (nested ones flattened, as
/// schemars writes an optional enum) accepts; `None` when a branch is
/// anything else. `null` is left out: in `gates.yml` it means "unset".
fn collect_alternatives(
    sub: &Value,
    root: &Value,
    depth: usize,
    values: &mut Vec<String>,
    types: &mut Vec<String>,
) -> Option<()> {
    let branches = sub
        .get("oneOf")
        .or_else(|| sub.get("anyOf"))
        .and_then(Value::as_array)?;
    for b in branches {
        let b = resolve(b, root);
        if depth < 4 && (b.get("oneOf").is_some() || b.get("anyOf").is_some()) {
            collect_alternatives(b, root, depth + 1, values, types)?;
            continue;
        }
        let b = b.as_object()?;
        let plain = |k: &str| {
            matches!(k, "type" | "const" | "enum")
                || ANNOTATIONS.contains(&k)
                || k.starts_with("x-")
        };
        if !b.keys().all(|k| plain(k)) {
            return None;
        }
        if let Some(c) = b.get("const") {
            values.push(c.to_string());
        } else if let Some(e) = b.get("enum").and_then(Value::as_array) {
            values.extend(e.iter().map(Value::to_string));
        } else {
            let word = match b.get("type")?.as_str()? {
                "string" => "a string",
                "boolean" => "a boolean (true or false)",
                "number" => "a number",
                "integer" => "a whole number",
                "array" => "a list",
                "object" => "a mapping",
                "null" => continue,
                _ => return None,
            };
            types.push(word.to_string());
        }
    }
    Some(())
}

fn describe(err: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    match err.kind() {
        K::Type { .. } => format!("{err}; fix the value's type"),
        K::Enum { options } => format!("must be one of {options}"),
        _ => err.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// ` (did you mean `x`?)` when a candidate is close enough, else empty.
pub fn did_you_mean<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    // Close by spelling (jaro-winkler) or by a typo or two (edit distance).
    let best = candidates
        .map(|c| {
            let edits = strsim::damerau_levenshtein(key, c);
            let score = if edits <= (key.len().max(c.len()) / 3).max(1) {
                1.0 + 1.0 / (1.0 + edits as f64)
            } else {
                strsim::jaro_winkler(key, c)
            };
            (score, c)
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

fn resolve<'s>(schema: &'s Value, root: &'s Value) -> &'s Value {
    let mut s = schema;
    for _ in 0..8 {
        let Some(r) = s.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(ptr) = r.strip_prefix('#') else {
            break;
        };
        match root.pointer(ptr) {
            Some(t) => s = t,
            None => break,
        }
    }
    s
}

/// Property schemas of an object schema (following `$ref`, `allOf`).
fn schema_properties<'s>(schema: &'s Value, root: &'s Value) -> BTreeMap<String, &'s Value> {
    let s = resolve(schema, root);
    let mut out = BTreeMap::new();
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            out.insert(k.clone(), v);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            for sub in list {
                out.extend(schema_properties(sub, root));
            }
        }
    }
    out
}

/// The (object) schema that applies at `ptr` inside `instance`, best effort.
fn schema_at<'s>(
    schema: &'s Value,
    root: &'s Value,
    instance: &Value,
    ptr: &str,
) -> Option<&'s Value> {
    let mut s = resolve(schema, root);
    let mut v = instance;
    for seg in ptr.split('/').skip(1) {
        let seg = unescape_pointer(seg);
        match v {
            Value::Object(m) => {
                let props = schema_properties(s, root);
                s = resolve(props.get(&seg)?, root);
                s = non_null_variant(s, root);
                v = m.get(&seg)?;
            }
            Value::Array(a) => {
                let idx: usize = seg.parse().ok()?;
                s = resolve(s.get("items")?, root);
                s = non_null_variant(s, root);
                v = a.get(idx)?;
            }
            _ => return None,
        }
    }
    Some(non_null_variant(s, root))
}

fn non_null_variant<'s>(s: &'s Value, root: &'s Value) -> &'s Value {
    for key in ["anyOf", "oneOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array)
            && let Some(v) = list
                .iter()
                .find(|v| resolve(v, root).get("type") != Some(&Value::from("null")))
        {
            return resolve(v, root);
        }
    }
    s
}

fn schema_types(s: &Value, root: &Value) -> Vec<String> {
    let s = resolve(s, root);
    let mut out = Vec::new();
    match s.get("type") {
        Some(Value::String(t)) => out.push(t.clone()),
        Some(Value::Array(ts)) => {
            out.extend(ts.iter().filter_map(|t| t.as_str().map(String::from)))
        }
        _ => {}
    }
    if s.get("enum").is_some() && out.is_empty() {
        out.push("string".into());
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            for sub in list {
                out.extend(schema_types(sub, root));
            }
        }
    }
    out
}

/// How one raw string of an array key is cut into items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Not at all: a flag's values (a list is the flag repeated; clap
    /// splits where the key declares `,`).
    None,
    /// One item per line (`x-gates-separator: newline`): for items that
    /// may hold commas (expressions, headers, URLs).
    Newline,
    /// Commas and newlines (`x-gates-separator: ","`): for simple lists.
    Comma,
    /// No declaration: per line when the value has a line break, else
    /// per comma, as `GATES_*` values were always read.
    Either,
}

impl Split {
    /// The separator an array key's schema declares (`x-gates-separator`).
    pub fn declared(prop: &Value) -> Split {
        match separator(prop) {
            Some("newline") => Split::Newline,
            Some(",") => Split::Comma,
            _ => Split::Either,
        }
    }

    fn cut(self, raw: &str) -> Vec<&str> {
        match self {
            Split::None => vec![raw],
            Split::Newline => raw.lines().collect(),
            Split::Comma => raw.split([',', '\n']).collect(),
            Split::Either if raw.contains('\n') => raw.lines().collect(),
            Split::Either => raw.split(',').collect(),
        }
    }
}

/// `x-gates-separator` of a property's schema, looking through an
/// `Option`'s `anyOf`.
pub fn separator(prop: &Value) -> Option<&str> {
    if let Some(s) = prop.get("x-gates-separator").and_then(Value::as_str) {
        return Some(s);
    }
    ["anyOf", "oneOf"]
        .iter()
        .filter_map(|k| prop.get(k)?.as_array())
        .flatten()
        .find_map(separator)
}

/// Turns raw override strings into a JSON value of the type the schema asks.
///
/// `split`: how one string may hold a whole list, as environment variables
/// and action inputs do (see [`Split`]).
fn coerce(
    prop: &Value,
    root: &Value,
    raw: &[String],
    split: Split,
) -> std::result::Result<Value, String> {
    let types = schema_types(prop, root);
    let has = |t: &str| types.iter().any(|x| x == t);
    if has("array") {
        let items = resolve(prop, root)
            .get("items")
            .cloned()
            .or_else(|| {
                non_null_variant(resolve(prop, root), root)
                    .get("items")
                    .cloned()
            })
            .unwrap_or(Value::Null);
        let mut out = Vec::new();
        for r in raw {
            for p in split
                .cut(r)
                .into_iter()
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                out.push(coerce(&items, root, &[p.to_string()], Split::None)?);
            }
        }
        return Ok(Value::Array(out));
    }
    let r = raw.last().map(|s| s.trim()).unwrap_or("");
    if has("boolean") {
        match r.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => return Ok(Value::Bool(true)),
            "false" | "no" | "off" | "0" => return Ok(Value::Bool(false)),
            _ if !has("string") => return Err(format!("expected true or false, found `{r}`")),
            _ => {}
        }
    }
    if has("integer") {
        if let Ok(i) = r.parse::<i64>() {
            return Ok(Value::from(i));
        }
        if !has("number") && !has("string") {
            return Err(format!("expected a whole number, found `{r}`"));
        }
    }
    if has("number") {
        let trimmed = r.strip_suffix('%').unwrap_or(r);
        if let Some(n) = trimmed
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
        {
            return Ok(Value::Number(n));
        }
        if !has("string") {
            return Err(format!("expected a number, found `{r}`"));
        }
    }
    if has("null") && r.is_empty() {
        return Ok(Value::Null);
    }
    if has("object") && !has("string") {
        return Err("a mapping can only be set in gates.yml".into());
    }
    Ok(Value::String(r.to_string()))
}

/// `GATES_<GATE>_<KEY>` overrides from an environment listing.
pub fn env_overrides(gate: &str, vars: impl Iterator<Item = (String, String)>) -> Vec<Override> {
    let prefix = format!("GATES_{}_", gate.to_ascii_uppercase().replace('-', "_"));
    let mut out: Vec<Override> = vars
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(&prefix)?;
            if rest.is_empty() {
                return None;
            }
            // Empty action inputs arrive as empty strings: they mean "unset".
            if v.trim().is_empty() {
                return None;
            }
            Some(Override {
                key: rest.to_ascii_lowercase().replace('_', "-"),
                values: vec![v],
                origin: Origin::Env(k),
            })
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// JSON Schema of a gate's section, as generated from its `Config` type.
pub fn section_schema<C: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(C)).unwrap_or(Value::Null)
}

/// What a key's value is, for its flag and its action input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// `true`/`false`: `--key` alone means true.
    Bool,
    /// One value.
    Scalar,
    /// A list of scalars: the flag is repeatable.
    List,
    /// A mapping, or a list of mappings: set in `gates.yml` only.
    Mapping,
}

/// One top-level key of a gate's section, as its schema declares it: what
/// the generated flag, the action input and the docs' key table are made of.
#[derive(Clone, Debug, PartialEq)]
pub struct KeySpec {
    /// kebab-case key, e.g. `min-total`.
    pub key: String,
    /// The schema's description (the field's doc comment), whole.
    pub description: String,
    pub kind: KeyKind,
    /// The value's type for people: `duration`, `percent`, `url`, `header`,
    /// `level` (the domain types' `x-gates-type`), `boolean`, `number`,
    /// `integer`, `string`, `mapping`; `list of …` for lists.
    pub type_name: String,
    /// The accepted constants of an enumeration (empty otherwise).
    pub choices: Vec<String>,
    /// The flag's long name: `x-gates-flag`, else the key.
    pub flag: String,
    /// `x-gates-separator` of a list key (`newline` or `,`).
    pub separator: Option<String>,
    /// The schema's default, when it has one.
    pub default: Option<Value>,
    /// `x-gates-value-name`: the flag's value name when the type's is too
    /// vague (`GLOB`, `FROM=TO`, `ID=REASON`).
    pub value_name: Option<String>,
}

impl KeySpec {
    /// The first sentence of the description, without its full stop (the
    /// flag's help line).
    pub fn summary(&self) -> String {
        let d = self.description.trim();
        let first = match d.find(". ") {
            Some(i) => &d[..i],
            None => d.lines().next().unwrap_or(""),
        };
        first.trim().trim_end_matches('.').to_string()
    }

    /// The flag's value name: `x-gates-value-name`, else the domain type's
    /// (`DURATION`), the choices when few (`error|warn`), else from the type
    /// or the key.
    pub fn value_name(&self) -> String {
        if let Some(name) = &self.value_name {
            return name.clone();
        }
        let base = self
            .type_name
            .strip_prefix("list of ")
            .unwrap_or(&self.type_name);
        if !self.choices.is_empty() {
            let joined = self.choices.join("|");
            return if joined.len() <= 30 {
                joined
            } else {
                "CHOICE".into()
            };
        }
        match base {
            "string" => {
                // A list's items are named in the singular: `--labels <LABEL>`,
                // `--statuses <STATUS>`; short words (`dns`) and words
                // that do not end in a plural `s` stay as they are.
                let key = if self.kind == KeyKind::List {
                    singular(&self.key)
                } else {
                    &self.key
                };
                key.to_ascii_uppercase().replace('-', "_")
            }
            "number" => "NUMBER".into(),
            "integer" => "N".into(),
            other => other.to_ascii_uppercase(),
        }
    }
}

/// The top-level keys of a section schema (as [`section_schema`] makes it),
/// in declaration order.
pub fn key_specs(schema: &Value) -> Vec<KeySpec> {
    let Some(props) = resolve(schema, schema)
        .get("properties")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(key, prop)| {
            let (kind, type_name, choices) = describe_type(prop, schema);
            let str_of = |k: &str| {
                let here = prop.get(k).and_then(Value::as_str);
                here.or_else(|| {
                    non_null_variant(resolve(prop, schema), schema)
                        .get(k)?
                        .as_str()
                })
                .map(String::from)
            };
            KeySpec {
                key: key.clone(),
                description: prop
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                kind,
                type_name,
                choices,
                flag: str_of("x-gates-flag").unwrap_or_else(|| key.clone()),
                separator: separator(prop).map(String::from),
                default: prop.get("default").cloned(),
                value_name: str_of("x-gates-value-name"),
            }
        })
        .collect()
}

/// The singular of a list key's last word, as far as English plurals of
/// config keys go: `reports` → `report`, `statuses` → `status`; `dns`,
/// `address`, `status` stay.
fn singular(key: &str) -> &str {
    let last = key.rsplit('-').next().unwrap_or(key);
    if last.len() <= 3 || last.ends_with("ss") || last.ends_with("us") || !last.ends_with('s') {
        key
    } else if last.ends_with("uses") || last.ends_with("sses") {
        &key[..key.len() - 2]
    } else {
        &key[..key.len() - 1]
    }
}

/// Kind, type name and choices of a property schema.
fn describe_type(prop: &Value, root: &Value) -> (KeyKind, String, Vec<String>) {
    let s = non_null_variant(resolve(prop, root), root);
    if let Some(t) = s.get("x-gates-type").and_then(Value::as_str) {
        return (KeyKind::Scalar, t.to_string(), Vec::new());
    }
    let types = schema_types(prop, root);
    let has = |t: &str| types.iter().any(|x| x == t);
    if has("array") {
        let items = s.get("items").unwrap_or(&Value::Null);
        let (kind, name, choices) = describe_type(items, root);
        let kind = if kind == KeyKind::Mapping {
            KeyKind::Mapping
        } else {
            KeyKind::List
        };
        return (kind, format!("list of {name}"), choices);
    }
    let (mut values, mut words) = (Vec::new(), Vec::new());
    if collect_alternatives(resolve(prop, root), root, 0, &mut values, &mut words).is_some()
        && !values.is_empty()
    {
        let choices = values
            .iter()
            .filter_map(|v| serde_json::from_str::<String>(v).ok())
            .collect();
        return (KeyKind::Scalar, "string".into(), choices);
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        let choices = e
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        return (KeyKind::Scalar, "string".into(), choices);
    }
    if has("object") && !has("string") || (types.is_empty() && s.get("properties").is_some()) {
        return (KeyKind::Mapping, "mapping".into(), Vec::new());
    }
    let mut names: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "null")
        .collect();
    names.dedup();
    if names.len() > 1 {
        return (KeyKind::Scalar, names.join(" or "), Vec::new());
    }
    for (t, kind) in [
        ("boolean", KeyKind::Bool),
        ("integer", KeyKind::Scalar),
        ("number", KeyKind::Scalar),
        ("string", KeyKind::Scalar),
    ] {
        if has(t) {
            return (kind, t.to_string(), Vec::new());
        }
    }
    (KeyKind::Scalar, "string".into(), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
    struct Demo {
        /// Minimum total line coverage, in percent.
        #[schemars(range(min = 0.0, max = 100.0))]
        min_total: Option<f64>,
        reports: Vec<String>,
        strict: bool,
        groups: Vec<Group>,
    }

    #[derive(Debug, Default, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct Group {
        paths: Vec<String>,
        min: f64,
    }

    /// Every answer of the fast path agrees with the jsonschema crate, for
    /// every key of every gate's section (the generated `gates.schema.json`)
    /// and a corpus of values around its enums and bounds; and the values a
    /// CI run typically sets are decided by it (else it would save nothing).
    #[test]
    fn surely_valid_agrees_with_jsonschema() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/gates.schema.json"),
        )
        .unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        let defs = file["$defs"].clone();
        let mut corpus: Vec<Value> = vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            serde_json::json!(""),
            serde_json::json!("x"),
            serde_json::json!("7d"),
            serde_json::json!("off"),
            serde_json::json!("2xx"),
            serde_json::json!("6xx"),
            serde_json::json!([]),
            serde_json::json!(["a", "b"]),
            serde_json::json!([1]),
            serde_json::json!({}),
            serde_json::json!({"id": "RUSTSEC-2020-0001", "reason": "r", "expires": "2030-01-01"}),
            serde_json::json!(-1),
            serde_json::json!(0),
            serde_json::json!(0.5),
            serde_json::json!(1.0),
            serde_json::json!(3),
            serde_json::json!(u64::MAX),
        ];
        // Every string const/enum member and every numeric bound, ± a bit.
        fn harvest(v: &Value, out: &mut Vec<Value>) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m {
                        match (k.as_str(), x) {
                            ("const", Value::String(_)) => out.push(x.clone()),
                            ("enum", Value::Array(xs)) => out.extend(xs.iter().cloned()),
                            (
                                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum",
                                _,
                            ) => {
                                if let Some(f) = x.as_f64() {
                                    for d in [-1.0, -0.01, 0.0, 0.01, 1.0] {
                                        out.push(serde_json::json!(f + d));
                                    }
                                    out.push(x.clone());
                                }
                            }
                            _ => harvest(x, out),
                        }
                    }
                }
                Value::Array(xs) => xs.iter().for_each(|x| harvest(x, out)),
                _ => {}
            }
        }
        harvest(&file, &mut corpus);
        let mut decided = 0;
        let mut checked = 0;
        for (gate, section) in file["properties"].as_object().unwrap() {
            let Some(props) = section.get("properties").and_then(Value::as_object) else {
                continue;
            };
            let mut schema = section.clone();
            schema["$defs"] = defs.clone();
            let validator = jsonschema::validator_for(&schema).unwrap();
            for key in props.keys() {
                for v in &corpus {
                    let instance = serde_json::json!({ key: v });
                    checked += 1;
                    if let Some(fast) = surely_valid(&schema, &schema, &instance) {
                        decided += 1;
                        assert_eq!(
                            fast,
                            validator.is_valid(&instance),
                            "{gate}.{key} = {v}: fast path says {fast}"
                        );
                    }
                }
            }
            // An unknown key is never vouched for.
            let unknown = serde_json::json!({ "no-such-key": 1 });
            assert_ne!(
                surely_valid(&schema, &schema, &unknown),
                Some(true),
                "{gate}"
            );
        }
        assert!(decided * 2 > checked, "decided {decided} of {checked}");
        // What the composite action and the benchmark set.
        let mut audit = file["properties"]["audit"].clone();
        audit["$defs"] = defs;
        for ok in [
            serde_json::json!({"rustsec-db": "db", "max-db-age": "off", "yanked": "ignore"}),
            serde_json::json!({"max-db-age": false, "fail-on-severity": "high", "osv-db": ["a"]}),
        ] {
            assert_eq!(surely_valid(&audit, &audit, &ok), Some(true), "{ok}");
        }
        let bad = serde_json::json!({"yanked": "sometimes"});
        assert_eq!(surely_valid(&audit, &audit, &bad), Some(false));
    }

    fn msgs(e: GateError) -> Vec<String> {
        match e {
            GateError::Config(m) => m,
            other => panic!("expected config error, got {other:?}"),
        }
    }

    /// A value outside a `oneOf` of constants or an `anyOf` of types is
    /// worded as what is accepted (with the closest constant), not as
    /// jsonschema's "not valid under any of the schemas".
    #[test]
    fn alternatives_are_spelled_out() {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(rename_all = "kebab-case")]
        enum Level {
            /// Fails.
            Fail,
            /// Warns.
            Warn,
        }
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(untagged)]
        #[allow(dead_code)] // only its schema is used
        enum Age {
            Text(String),
            Off(bool),
        }
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        #[allow(dead_code)] // only its schema is used
        struct Choices {
            level: Option<Level>,
            age: Option<Age>,
            levels: Option<Vec<Level>>,
        }
        let text = "version: 1\ncoverage:\n  level: wran\n  age: 3\n  levels: [fail, oops]\n";
        let mut f = ConfigFile::parse(Path::new("gates.yml"), text, "coverage").unwrap();
        let m = msgs(f.section::<Choices>("coverage", &[]).unwrap_err());
        let all = m.join("\n");
        assert!(
            all.contains(r#"gates.yml:3:10: `coverage.level`: "wran" is not accepted: must be one of "fail", "warn" (did you mean `warn`?)"#),
            "{all}"
        );
        assert!(
            all.contains("gates.yml:4:8: `coverage.age`: 3 is not accepted: must be a string or a boolean (true or false)"),
            "{all}"
        );
        assert!(
            all.contains(
                r#"`coverage.levels[1]`: "oops" is not accepted: must be one of "fail", "warn""#
            ),
            "{all}"
        );
        assert!(!all.contains("not valid under any"), "{all}");
    }

    #[test]
    fn valid_section_with_overrides() {
        let mut f = ConfigFile::parse(
            Path::new("gates.yml"),
            "version: 1\ncoverage:\n  min-total: 70\n  reports: [a.lcov]\n",
            "coverage",
        )
        .unwrap();
        let env = env_overrides(
            "coverage",
            [
                ("GATES_COVERAGE_STRICT".to_string(), "true".to_string()),
                (
                    "GATES_COVERAGE_REPORTS".to_string(),
                    "x.lcov\ny.xml\n".to_string(),
                ),
                ("GATES_AUDIT_X".to_string(), "1".to_string()),
            ]
            .into_iter(),
        );
        let mut all = env;
        all.push(Override {
            key: "min-total".into(),
            values: vec!["85".into()],
            origin: Origin::Flag("min-total".into()),
        });
        let d: Demo = f.section("coverage", &all).unwrap();
        assert_eq!(d.min_total, Some(85.0));
        assert_eq!(d.reports, ["x.lcov", "y.xml"]);
        assert!(d.strict);
    }

    /// Skipping the validator for an empty section is sound: the schemas
    /// it is skipped for accept `{}`, and it is not skipped for a schema
    /// that would reject it.
    #[test]
    fn empty_sections_skip_only_validators_that_accept_them() {
        let demo = section_schema::<Demo>();
        assert!(accepts_empty_object(&demo), "{demo}");
        let v = jsonschema::validator_for(&demo).unwrap();
        assert!(v.is_valid(&serde_json::json!({})));
        assert!(!v.is_valid(&serde_json::json!({"min-total": 170})));
        let group = section_schema::<Group>();
        assert!(
            !accepts_empty_object(&group),
            "Group has required keys: {group}"
        );
        assert!(
            !jsonschema::validator_for(&group)
                .unwrap()
                .is_valid(&serde_json::json!({}))
        );
        // No file, no override: the defaults.
        let mut f = ConfigFile::parse(Path::new("gates.yml"), "version: 1\n", "coverage").unwrap();
        assert_eq!(f.section::<Demo>("coverage", &[]).unwrap(), Demo::default());
        let mut f = ConfigFile::parse(Path::new("gates.yml"), "version: 1\n", "coverage").unwrap();
        let e = f.section::<Group>("coverage", &[]).unwrap_err();
        assert!(
            msgs(e).join("\n").contains("paths"),
            "required keys still reported"
        );
    }

    #[test]
    fn every_problem_is_reported_with_line_and_hint() {
        let text = "version: 1\ncoverage:\n  min-totl: 70\n  strict: maybe\n  groups:\n    - paths: [a]\n      min: 200\n      mn: 3\n";
        let mut f = ConfigFile::parse(Path::new("gates.yml"), text, "coverage").unwrap();
        let m = msgs(f.section::<Demo>("coverage", &[]).unwrap_err());
        let all = m.join("\n");
        assert!(
            all.contains(
                "gates.yml:3:3: unknown key `coverage.min-totl` (did you mean `min-total`?)"
            ),
            "{all}"
        );
        assert!(all.contains("gates.yml:4:11: `coverage.strict`"), "{all}");
        assert!(
            all.contains(
                "gates.yml:8:7: unknown key `coverage.groups[0].mn` (did you mean `min`?)"
            ),
            "{all}"
        );
        assert_eq!(m.len(), 3, "{all}");
    }

    #[test]
    fn range_violation_names_key_and_line() {
        let mut f = ConfigFile::parse(
            Path::new("g.yml"),
            "coverage:\n  min-total: 120\n",
            "coverage",
        )
        .unwrap();
        let m = msgs(f.section::<Demo>("coverage", &[]).unwrap_err());
        assert_eq!(m.len(), 1);
        assert!(
            m[0].starts_with("g.yml:2:14: `coverage.min-total`"),
            "{m:?}"
        );
        assert!(m[0].contains("100"), "{m:?}");
    }

    #[test]
    fn unknown_section_and_bad_version() {
        let m = msgs(
            ConfigFile::parse(
                Path::new("g.yml"),
                "version: 2\ncoverag: {}\nload: 3\n",
                "coverage",
            )
            .unwrap_err(),
        );
        let all = m.join("\n");
        assert!(all.contains("g.yml:1:1: `version` must be 1"), "{all}");
        assert!(
            all.contains("g.yml:2:1: unknown section `coverag` (did you mean `coverage`?)"),
            "{all}"
        );
        assert!(
            all.contains("g.yml:3:1: section `load` must be a mapping"),
            "{all}"
        );
    }

    #[test]
    fn yaml_syntax_error_is_located() {
        let m =
            msgs(ConfigFile::parse(Path::new("g.yml"), "coverage: [1\n", "coverage").unwrap_err());
        assert!(m[0].starts_with("g.yml:1:"), "{m:?}");
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let mut f = ConfigFile::default();
        let env = env_overrides(
            "coverage",
            [
                ("GATES_COVERAGE_MIN_TOTAL".to_string(), "eighty".to_string()),
                ("GATES_COVERAGE_REPRTS".to_string(), "a".to_string()),
            ]
            .into_iter(),
        );
        let m = msgs(f.section::<Demo>("coverage", &env).unwrap_err());
        let all = m.join("\n");
        assert!(all.contains("environment variable GATES_COVERAGE_MIN_TOTAL: `coverage.min-total`: expected a number, found `eighty`"), "{all}");
        assert!(all.contains("environment variable GATES_COVERAGE_REPRTS: `coverage` has no key `reprts` (did you mean `reports`?)"), "{all}");
    }

    #[test]
    fn missing_optional_file_is_empty_and_required_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gates.yml");
        let mut f = ConfigFile::load(&p, false, "coverage").unwrap();
        assert_eq!(f.section::<Demo>("coverage", &[]).unwrap(), Demo::default());
        let m = msgs(ConfigFile::load(&p, true, "coverage").unwrap_err());
        assert!(m[0].contains("config file not found"));
    }

    #[test]
    fn flags_are_not_split_and_non_key_flags_are_ignored() {
        let mut f = ConfigFile::default();
        let flags = vec![
            Override {
                key: "reports".into(),
                values: vec!["a,b.lcov".into(), "c.lcov".into()],
                origin: Origin::Flag("reports".into()),
            },
            Override {
                key: "wait".into(),
                values: vec!["true".into()],
                origin: Origin::Flag("wait".into()),
            },
        ];
        let d: Demo = f.section("coverage", &flags).unwrap();
        assert_eq!(d.reports, ["a,b.lcov", "c.lcov"]);
        // The same list from the environment is split.
        let env = env_overrides(
            "coverage",
            [("GATES_COVERAGE_REPORTS".to_string(), "a,b.lcov".to_string())].into_iter(),
        );
        let d: Demo = f.section("coverage", &env).unwrap();
        assert_eq!(d.reports, ["a", "b.lcov"]);
    }

    #[test]
    fn a_section_inherits_its_base_key_by_key() {
        let text = "version: 1\ncoverage:\n  min-total: 70\n  reports: [a.lcov]\naudit:\n  strict: true\n  min-total: 80\n";
        let mut f = ConfigFile::parse(Path::new("gates.yml"), text, "audit").unwrap();
        let d: Demo = f.section_over("audit", Some("coverage"), &[]).unwrap();
        assert_eq!(d.min_total, Some(80.0), "the section's own key wins");
        assert_eq!(d.reports, ["a.lcov"], "the base's key is inherited");
        assert!(d.strict);
        let env = env_overrides(
            "audit",
            [("GATES_AUDIT_MIN_TOTAL".to_string(), "90".to_string())].into_iter(),
        );
        let d: Demo = f.section_over("audit", Some("coverage"), &env).unwrap();
        assert_eq!(d.min_total, Some(90.0));
        // Without a section of its own, the base alone; without a base, the defaults.
        let mut f =
            ConfigFile::parse(Path::new("g.yml"), "coverage:\n  strict: true\n", "audit").unwrap();
        assert!(
            f.section_over::<Demo>("audit", Some("coverage"), &[])
                .unwrap()
                .strict
        );
        assert_eq!(
            f.section_over::<Demo>("audit", Some("sbom"), &[]).unwrap(),
            Demo::default()
        );
        // A problem in an inherited key is the base's, with its line.
        let text = "coverage:\n  min-total: 120\n  mn: 1\naudit:\n  strict: maybe\n";
        let mut f = ConfigFile::parse(Path::new("g.yml"), text, "audit").unwrap();
        let all = msgs(
            f.section_over::<Demo>("audit", Some("coverage"), &[])
                .unwrap_err(),
        )
        .join("\n");
        assert!(all.contains("g.yml:2:14: `coverage.min-total`"), "{all}");
        assert!(
            all.contains("g.yml:3:3: unknown key `coverage.mn`"),
            "{all}"
        );
        assert!(all.contains("g.yml:5:11: `audit.strict`"), "{all}");
    }

    #[test]
    fn key_paths_read_naturally() {
        assert_eq!(key_path("/coverage/groups/0/min"), "coverage.groups[0].min");
        assert_eq!(key_path(""), "(top level)");
    }

    #[test]
    fn list_value_names_are_singular() {
        for (key, one) in [
            ("reports", "report".to_string()),
            ("expected-statuses", "expected-status".to_string()),
            ("dns", "dns".to_string()),
            ("address", "address".to_string()),
            ("deny-licenses", "deny-license".to_string()),
            ("status", "status".to_string()),
        ] {
            assert_eq!(singular(key), one, "{key}");
        }
    }
}
