//! The same document as CycloneDX XML (1.5 / 1.6 XSD), byte for byte
//! reproducible like the JSON: elements in the XSD's sequence order, two-space
//! indentation, `\n` line ends, and the JSON's serial number (one BOM, two
//! encodings). And back: [`read`] turns a CycloneDX XML document into the
//! JSON form the checks and `diff` read.

use serde_json::{Map, Value};

use crate::model::{Bom, Component, Dependency, Property};

/// Escapes text for element content and attribute values. Characters XML 1.0
/// forbids (C0 controls other than tab, newline, carriage return) become
/// U+FFFD.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct W {
    out: String,
    depth: usize,
}

impl W {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
    fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        for (k, v) in attrs {
            self.out.push_str(&format!(" {k}=\"{}\"", esc(v)));
        }
        self.out.push_str(">\n");
        self.depth += 1;
    }
    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        self.out.push_str(&format!("</{tag}>\n"));
    }
    fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        for (k, v) in attrs {
            self.out.push_str(&format!(" {k}=\"{}\"", esc(v)));
        }
        self.out.push_str("/>\n");
    }
    fn text(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        for (k, v) in attrs {
            self.out.push_str(&format!(" {k}=\"{}\"", esc(v)));
        }
        self.out.push_str(&format!(">{}</{tag}>\n", esc(text)));
    }
    fn opt(&mut self, tag: &str, v: Option<&String>) {
        if let Some(v) = v {
            self.text(tag, &[], v);
        }
    }

    fn properties(&mut self, ps: &[Property]) {
        if ps.is_empty() {
            return;
        }
        self.open("properties", &[]);
        for p in ps {
            self.text("property", &[("name", &p.name)], &p.value);
        }
        self.close("properties");
    }

    /// `componentType`, in the XSD's order.
    fn component(&mut self, c: &Component) {
        let mut attrs = vec![("type", c.kind)];
        if !c.bom_ref.is_empty() {
            attrs.push(("bom-ref", c.bom_ref.as_str()));
        }
        self.open("component", &attrs);
        self.opt("author", c.author.as_ref());
        self.opt("group", c.group.as_ref());
        self.text("name", &[], &c.name);
        self.opt("version", c.version.as_ref());
        self.opt("description", c.description.as_ref());
        if let Some(s) = c.scope {
            let s = match s {
                crate::model::Scope::Required => "required",
                crate::model::Scope::Optional => "optional",
                crate::model::Scope::Excluded => "excluded",
            };
            self.text("scope", &[], s);
        }
        if !c.hashes.is_empty() {
            self.open("hashes", &[]);
            for h in &c.hashes {
                self.text("hash", &[("alg", h.alg)], &h.content);
            }
            self.close("hashes");
        }
        if !c.licenses.is_empty() {
            self.open("licenses", &[]);
            for l in &c.licenses {
                self.text("expression", &[], &l.expression);
            }
            self.close("licenses");
        }
        self.opt("purl", c.purl.as_ref());
        if !c.external_references.is_empty() {
            self.open("externalReferences", &[]);
            for r in &c.external_references {
                self.open("reference", &[("type", r.kind)]);
                self.text("url", &[], &r.url);
                self.close("reference");
            }
            self.close("externalReferences");
        }
        self.properties(&c.properties);
        if !c.components.is_empty() {
            self.open("components", &[]);
            for sub in &c.components {
                self.component(sub);
            }
            self.close("components");
        }
        self.close("component");
    }

    fn dependency(&mut self, d: &Dependency) {
        if d.depends_on.is_empty() {
            self.empty("dependency", &[("ref", &d.bom_ref)]);
            return;
        }
        self.open("dependency", &[("ref", &d.bom_ref)]);
        for r in &d.depends_on {
            self.empty("dependency", &[("ref", r)]);
        }
        self.close("dependency");
    }
}

/// The document as CycloneDX XML; `serial` is the JSON's serial number.
pub fn to_xml(bom: &Bom, serial: &str) -> String {
    let mut w = W {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 0,
    };
    let ns = format!("http://cyclonedx.org/schema/bom/{}", bom.spec_version);
    let version = bom.version.to_string();
    w.open(
        "bom",
        &[
            ("xmlns", &ns),
            ("serialNumber", serial),
            ("version", &version),
        ],
    );
    let m = &bom.metadata;
    w.open("metadata", &[]);
    w.opt("timestamp", m.timestamp.as_ref());
    if !m.lifecycles.is_empty() {
        w.open("lifecycles", &[]);
        for l in &m.lifecycles {
            w.open("lifecycle", &[]);
            w.text("phase", &[], l.phase);
            w.close("lifecycle");
        }
        w.close("lifecycles");
    }
    w.open("tools", &[]);
    w.open("components", &[]);
    for t in &m.tools.components {
        w.component(t);
    }
    w.close("components");
    w.close("tools");
    w.component(&m.component);
    w.properties(&m.properties);
    w.close("metadata");
    if bom.components.is_empty() {
        w.empty("components", &[]);
    } else {
        w.open("components", &[]);
        for c in &bom.components {
            w.component(c);
        }
        w.close("components");
    }
    if bom.dependencies.is_empty() {
        w.empty("dependencies", &[]);
    } else {
        w.open("dependencies", &[]);
        for d in &bom.dependencies {
            w.dependency(d);
        }
        w.close("dependencies");
    }
    w.close("bom");
    w.out
}

// Reading: CycloneDX XML into the JSON form `validate::analyse` reads.

/// An element of a read document: local name, attributes (as written,
/// prefixes kept), text content, children.
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
}

impl El {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn text_of(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.trim().to_string())
    }
}

/// A read error: the line when known, and what is wrong.
pub type ReadError = (Option<u64>, String);

fn line_at(bytes: &[u8], offset: u64) -> u64 {
    let end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    bytes
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()) as u64
        + 1
}

/// Most attributes an element may carry. CycloneDX elements have a few
/// (`<component>`: `type`, `mime-type`, `bom-ref`, `supplier`, `author`,
/// `isExternal`; `<bom>`: `serialNumber`, `version` and namespace
/// declarations); a tag with more is refused before its attributes are
/// read, so the work per tag stays bounded (RUSTSEC-2026-0194: quick-xml
/// before 0.41 checked duplicate attribute names in quadratic time).
pub const MAX_ATTRIBUTES: usize = 256;

fn element(e: &quick_xml::events::BytesStart<'_>) -> Result<El, String> {
    let name = e.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        if attrs.len() == MAX_ATTRIBUTES {
            return Err(format!(
                "<{name}> has more than {MAX_ATTRIBUTES} attributes: not a CycloneDX document (its elements have a few); regenerate the SBOM with a CycloneDX tool"
            ));
        }
        let a = a.map_err(|err| format!("<{name}>: bad attribute: {err}"))?;
        let key = a.key.as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("<{name} {key}>: {err}"))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(El {
        name,
        attrs,
        text: String::new(),
        children: Vec::new(),
    })
}

/// `&name;` as text: the five XML entities and character references.
fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

/// Parses a whole XML document into its root element.
fn tree(bytes: &[u8]) -> Result<El, ReadError> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_reader(bytes);
    r.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut stack: Vec<El> = Vec::new();
    let mut root: Option<El> = None;
    loop {
        let at = r.buffer_position();
        let ev = r.read_event_into(&mut buf).map_err(|e| {
            (
                Some(line_at(bytes, r.error_position())),
                format!("not well-formed XML: {e}"),
            )
        })?;
        let here = || Some(line_at(bytes, at));
        let mut done: Option<El> = None;
        match ev {
            Event::Start(e) => stack.push(element(&e).map_err(|m| (here(), m))?),
            Event::Empty(e) => done = Some(element(&e).map_err(|m| (here(), m))?),
            Event::End(_) => done = stack.pop(),
            Event::Text(t) => {
                let t: &str = &t;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(t),
                    None if t.trim().is_empty() => {}
                    None => return Err((here(), "text outside the root element".into())),
                }
            }
            Event::CData(t) => {
                let t: &str = &t;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(t);
                }
            }
            Event::GeneralRef(name) => {
                let c = entity(&name)
                    .ok_or_else(|| (here(), format!("unknown entity `&{};`", &*name)))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if let Some(el) = done {
            match stack.last_mut() {
                Some(parent) => parent.children.push(el),
                None if root.is_none() => root = Some(el),
                None => return Err((here(), "a second root element".into())),
            }
        }
        buf.clear();
    }
    if let Some(open) = stack.last() {
        return Err((
            Some(line_at(bytes, r.buffer_position())),
            format!("the document ends inside <{}>: it is truncated", open.name),
        ));
    }
    root.ok_or((Some(1), "no root element: an empty document".into()))
}

/// The CycloneDX namespace's version (`http://cyclonedx.org/schema/bom/1.6`
/// → `1.6`), with or without a prefix.
fn spec_version(root: &El) -> Option<String> {
    root.attrs
        .iter()
        .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
        .find_map(|(_, v)| v.strip_prefix("http://cyclonedx.org/schema/bom/"))
        .map(String::from)
}

fn component_json(c: &El) -> Value {
    let mut o = Map::new();
    for (k, key) in [("type", "type"), ("bom-ref", "bom-ref")] {
        if let Some(v) = c.attr(k) {
            o.insert(key.into(), v.into());
        }
    }
    if let Some(s) = c.child("supplier").and_then(|s| s.text_of("name")) {
        o.insert("supplier".into(), serde_json::json!({ "name": s }));
    }
    for field in [
        "author",
        "publisher",
        "group",
        "name",
        "version",
        "description",
        "scope",
        "copyright",
        "cpe",
        "purl",
        "mime-type",
    ] {
        if let Some(v) = c.text_of(field) {
            o.insert(field.into(), v.into());
        }
    }
    if let Some(hs) = c.child("hashes") {
        let list: Vec<Value> = hs
            .all("hash")
            .map(|h| serde_json::json!({ "alg": h.attr("alg").unwrap_or(""), "content": h.text.trim() }))
            .collect();
        o.insert("hashes".into(), list.into());
    }
    if let Some(ls) = c.child("licenses") {
        let mut list = Vec::new();
        for l in &ls.children {
            match l.name.as_str() {
                "expression" => list.push(serde_json::json!({ "expression": l.text.trim() })),
                "license" => {
                    let mut lic = Map::new();
                    for f in ["id", "name", "url"] {
                        if let Some(v) = l.text_of(f) {
                            lic.insert(f.into(), v.into());
                        }
                    }
                    list.push(serde_json::json!({ "license": lic }));
                }
                _ => {}
            }
        }
        o.insert("licenses".into(), list.into());
    }
    if let Some(rs) = c.child("externalReferences") {
        let list: Vec<Value> = rs
            .all("reference")
            .map(|r| {
                serde_json::json!({
                    "type": r.attr("type").unwrap_or(""),
                    "url": r.text_of("url").unwrap_or_default(),
                })
            })
            .collect();
        o.insert("externalReferences".into(), list.into());
    }
    if let Some(ps) = c.child("properties") {
        o.insert("properties".into(), properties_json(ps));
    }
    if let Some(cs) = c.child("components") {
        let list: Vec<Value> = cs.all("component").map(component_json).collect();
        o.insert("components".into(), list.into());
    }
    Value::Object(o)
}

fn properties_json(ps: &El) -> Value {
    ps.all("property")
        .map(
            |p| serde_json::json!({ "name": p.attr("name").unwrap_or(""), "value": p.text.trim() }),
        )
        .collect::<Vec<_>>()
        .into()
}

/// A CycloneDX XML document (any version of the
/// `http://cyclonedx.org/schema/bom/` namespace) in the JSON form: the
/// fields the semantic checks and `diff` read (serial number, version,
/// metadata component and timestamp, components with their hashes,
/// licenses, purls, scopes, properties and nested components, services,
/// the dependency graph). Elements it does not know are left out; the XML
/// is not validated against the XSD.
pub fn read(bytes: &[u8]) -> Result<Value, ReadError> {
    let root = tree(bytes)?;
    if root.name != "bom" {
        return Err((
            Some(1),
            format!(
                "not a CycloneDX document: the root element is <{}>, expected <bom>",
                root.name
            ),
        ));
    }
    let spec = spec_version(&root).ok_or((
        Some(1),
        "not a CycloneDX document: <bom> is not in the http://cyclonedx.org/schema/bom/<version> namespace".to_string(),
    ))?;
    let mut doc = Map::new();
    doc.insert("bomFormat".into(), "CycloneDX".into());
    doc.insert("specVersion".into(), spec.into());
    if let Some(s) = root.attr("serialNumber") {
        doc.insert("serialNumber".into(), s.into());
    }
    if let Some(v) = root.attr("version").and_then(|v| v.parse::<u64>().ok()) {
        doc.insert("version".into(), v.into());
    }
    if let Some(m) = root.child("metadata") {
        let mut meta = Map::new();
        if let Some(t) = m.text_of("timestamp") {
            meta.insert("timestamp".into(), t.into());
        }
        if let Some(c) = m.child("component") {
            meta.insert("component".into(), component_json(c));
        }
        if let Some(ps) = m.child("properties") {
            meta.insert("properties".into(), properties_json(ps));
        }
        doc.insert("metadata".into(), Value::Object(meta));
    }
    if let Some(cs) = root.child("components") {
        let list: Vec<Value> = cs.all("component").map(component_json).collect();
        doc.insert("components".into(), list.into());
    }
    if let Some(ss) = root.child("services") {
        let list: Vec<Value> = ss
            .all("service")
            .map(|s| {
                let mut o = Map::new();
                if let Some(r) = s.attr("bom-ref") {
                    o.insert("bom-ref".into(), r.into());
                }
                o.insert("name".into(), s.text_of("name").unwrap_or_default().into());
                Value::Object(o)
            })
            .collect();
        doc.insert("services".into(), list.into());
    }
    if let Some(ds) = root.child("dependencies") {
        let list: Vec<Value> = ds
            .all("dependency")
            .map(|d| {
                let on: Vec<Value> = d
                    .all("dependency")
                    .filter_map(|x| x.attr("ref"))
                    .map(Value::from)
                    .collect();
                serde_json::json!({ "ref": d.attr("ref").unwrap_or(""), "dependsOn": on })
            })
            .collect();
        doc.insert("dependencies".into(), list.into());
    }
    Ok(Value::Object(doc))
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn text_is_escaped_and_forbidden_characters_replaced() {
        assert_eq!(
            esc("a<b>&\"c'\u{1}\td"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}\td"
        );
        assert_eq!(esc("x\r\ny"), "x&#13;\ny");
    }
}
