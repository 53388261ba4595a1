//! `go.mod` (`require` lines and blocks, `// indirect`, `replace`), with
//! the hashes of the `go.sum` beside it.
//!
//! Every `require` is a package (Go 1.17+ lists the whole module graph);
//! those without `// indirect` are [`Lockfile::direct`]. A `replace` by
//! another module (`=> other v1.2.3`) stands for the module it replaces
//! (name and version of the replacement, [`Package::source`] saying so);
//! a replacement by a local directory is unchecked. go.sum's `h1:` values
//! are Go's dirhash (SHA-256 over the list of file hashes), labelled
//! `go-h1`, not a digest of any file. go.mod records no edges.

use std::collections::HashMap;

use super::{Dependency, Ecosystem, Hash, HashEncoding, Lockfile, Package, ParseError};

/// Strips a `//` comment; returns (code, comment).
fn split_comment(l: &str) -> (&str, &str) {
    match l.find("//") {
        Some(i) => (l[..i].trim(), l[i + 2..].trim()),
        None => (l.trim(), ""),
    }
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| s.strip_prefix('`').and_then(|x| x.strip_suffix('`')))
        .unwrap_or(s)
}

/// A module version: `v` + SemVer (pseudo-versions and `+incompatible`
/// included).
fn valid_version(v: &str) -> bool {
    v.strip_prefix('v')
        .is_some_and(|s| semver::Version::parse(s).is_ok())
}

struct Replace {
    from_version: Option<String>,
    to: String,
    to_version: Option<String>,
}

/// A `require` line: its line, module path, version and whether it is
/// marked `// indirect`.
type Require = (u32, String, String, bool);

/// go.mod as read: the module, its requirements and replacements by path.
struct GoMod {
    module: String,
    requires: Vec<Require>,
    replaces: HashMap<String, Vec<Replace>>,
}

pub fn parse(display: &str, text: &str, go_sum: Option<&str>) -> Result<Lockfile, ParseError> {
    let GoMod {
        module,
        requires,
        replaces,
    } = read_mod(text)?;
    let sums = match go_sum {
        Some(t) => read_sum(t)?,
        None => HashMap::new(),
    };
    let mut l = Lockfile::new(display, Ecosystem::Go, "go.mod");
    l.roots.push(module);
    let mut direct = Vec::new();
    for (line, path, version, indirect) in requires {
        let rep = replaces.get(&path).and_then(|rs| {
            rs.iter()
                .find(|r| r.from_version.as_deref() == Some(version.as_str()))
                .or_else(|| rs.iter().find(|r| r.from_version.is_none()))
        });
        let (name, ver, source) = match rep {
            Some(r) => match &r.to_version {
                Some(tv) => (
                    r.to.clone(),
                    tv.clone(),
                    Some(format!("replace {path} {version} => {} {tv}", r.to)),
                ),
                None => {
                    l.unchecked.push((
                        line,
                        format!("{path} {version}: replaced by the local directory {}", r.to),
                    ));
                    continue;
                }
            },
            None => (path.clone(), version.clone(), None),
        };
        let hashes = sums
            .get(&(name.clone(), ver.clone()))
            .map(|h| {
                vec![Hash {
                    algorithm: "go-h1".into(),
                    value: h.clone(),
                    encoding: HashEncoding::Base64,
                }]
            })
            .unwrap_or_default();
        if !indirect {
            let mut d = Dependency::named(name.clone());
            d.version = Some(ver.clone());
            direct.push(d);
        }
        l.packages.push(Package {
            name,
            version: ver,
            source,
            line,
            hashes,
            ..Package::default()
        });
    }
    l.direct = Some(direct);
    l.resolve_edges();
    Ok(l)
}

/// go.mod's directives, one a line or in `verb ( ... )` blocks.
fn read_mod(text: &str) -> Result<GoMod, ParseError> {
    let mut module: Option<String> = None;
    let mut requires: Vec<Require> = Vec::new();
    let mut replaces: HashMap<String, Vec<Replace>> = HashMap::new();
    let mut block: Option<(String, u32)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (code, comment) = split_comment(raw);
        if code.is_empty() {
            continue;
        }
        let err = |m: String| Err(ParseError::new(Some(u64::from(n)), m));
        let (verb, rest) = match &block {
            Some((v, _)) if code == ")" => {
                let _ = v;
                block = None;
                continue;
            }
            Some((v, _)) => (v.clone(), code.to_string()),
            None => {
                let (verb, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some((verb.to_string(), n));
                    continue;
                }
                (verb.to_string(), rest.to_string())
            }
        };
        let words: Vec<&str> = rest.split_whitespace().map(unquote).collect();
        match verb.as_str() {
            "module" => module = words.first().map(|s| (*s).to_string()),
            "require" => {
                let [path, version] = words.as_slice() else {
                    return err(format!(
                        "`require {rest}`: expected a module path and a version"
                    ));
                };
                if !valid_version(version) {
                    return err(format!(
                        "`{path} {version}`: `{version}` is not a Go module version (v + SemVer)"
                    ));
                }
                let indirect = comment.split(';').any(|c| c.trim() == "indirect");
                requires.push((n, (*path).to_string(), (*version).to_string(), indirect));
            }
            "replace" => {
                let (from, r) =
                    replace(&words, &rest).map_err(|m| ParseError::new(Some(u64::from(n)), m))?;
                replaces.entry(from).or_default().push(r);
            }
            "go" | "toolchain" | "exclude" | "retract" | "godebug" | "tool" | "ignore" => {}
            other => return err(format!("unknown go.mod directive `{other}`")),
        }
    }
    if let Some((v, line)) = block {
        return Err(ParseError::new(
            Some(u64::from(line)),
            format!("`{v} (` block is never closed with `)` (a truncated go.mod?)"),
        ));
    }
    let Some(module) = module else {
        return Err(ParseError::new(Some(1), "no `module` line: not a go.mod"));
    };
    Ok(GoMod {
        module,
        requires,
        replaces,
    })
}

/// A `replace` directive's words, `old [version] => new [version]`: the
/// old path and its replacement, or the error message.
fn replace(words: &[&str], rest: &str) -> Result<(String, Replace), String> {
    let Some(arrow) = words.iter().position(|w| *w == "=>") else {
        return Err(format!(
            "`replace {rest}`: expected `old [version] => new [version]`"
        ));
    };
    let (left, right) = words.split_at(arrow);
    let right = &right[1..];
    let (Some(from), Some(to)) = (left.first(), right.first()) else {
        return Err(format!(
            "`replace {rest}`: expected `old [version] => new [version]`"
        ));
    };
    if left.len() > 2 || right.len() > 2 {
        return Err(format!("`replace {rest}`: too many words"));
    }
    Ok((
        (*from).to_string(),
        Replace {
            from_version: left.get(1).map(|s| (*s).to_string()),
            to: (*to).to_string(),
            to_version: right.get(1).map(|s| (*s).to_string()),
        },
    ))
}

/// go.sum: `module version h1:base64=` and `module version/go.mod h1:...`
/// lines. Only the module content hashes are kept.
fn read_sum(text: &str) -> Result<HashMap<(String, String), String>, ParseError> {
    let mut out = HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.is_empty() {
            continue;
        }
        let w: Vec<&str> = t.split_whitespace().collect();
        let [module, version, hash] = w.as_slice() else {
            return Err(ParseError::new(
                Some(i as u64 + 1),
                format!("go.sum: `{t}` is not `module version hash`"),
            ));
        };
        let Some(h1) = hash.strip_prefix("h1:") else {
            continue; // another hash algorithm: go ignores unknown ones
        };
        if version.ends_with("/go.mod") {
            continue;
        }
        out.insert(
            ((*module).to_string(), (*version).to_string()),
            h1.to_string(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Hand-written edge case: blocks, single-line requires, `// indirect`,
    /// replace by a module and by a directory, go.sum hashes.
    #[test]
    fn requires_indirect_replace_and_sums() {
        let m = "module example.com/app\n\ngo 1.21\n\nrequire github.com/a/b v1.2.3\n\nrequire (\n\tgolang.org/x/text v0.3.7 // indirect\n\tgithub.com/c/d v0.0.0-20191109021931-daa7c04131f5\n\texample.com/local v1.0.0\n\tgithub.com/e/f v2.0.0+incompatible\n)\n\nreplace github.com/c/d => github.com/fork/d v0.1.0\nreplace example.com/local => ../local\n";
        let s = "github.com/a/b v1.2.3 h1:AAAA=\ngithub.com/a/b v1.2.3/go.mod h1:BBBB=\ngithub.com/fork/d v0.1.0 h1:CCCC=\n";
        let l = parse("go.mod", m, Some(s)).unwrap();
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
            .collect();
        assert_eq!(
            got,
            [
                ("github.com/a/b", "v1.2.3", 5),
                ("golang.org/x/text", "v0.3.7", 8),
                ("github.com/fork/d", "v0.1.0", 9),
                ("github.com/e/f", "v2.0.0+incompatible", 11)
            ]
        );
        assert_eq!(l.packages[0].hashes[0].algorithm, "go-h1");
        assert_eq!(l.packages[0].hashes[0].value, "AAAA=");
        assert_eq!(l.packages[2].hashes[0].value, "CCCC=");
        assert_eq!(l.unchecked.len(), 1);
        let direct: Vec<_> = l
            .direct
            .as_ref()
            .unwrap()
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(
            direct,
            ["github.com/a/b", "github.com/fork/d", "github.com/e/f"]
        );
        assert_eq!(l.roots, ["example.com/app"]);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("go.mod", "module x\n\nrequire (\n\ta v1.0.0\n", None).unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = parse("go.mod", "module x\nrequire a 1.0.0\n", None).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse("go.mod", "module x\n", Some("a v1\n")).unwrap_err();
        assert!(e.message.starts_with("go.sum"), "{e:?}");
    }
}
