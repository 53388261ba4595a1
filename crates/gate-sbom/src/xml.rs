//! The same document as CycloneDX XML (1.5 / 1.6 XSD), byte for byte
//! reproducible like the JSON: elements in the XSD's sequence order, two-space
//! indentation, `\n` line ends, and the JSON's serial number (one BOM, two
//! encodings).

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
