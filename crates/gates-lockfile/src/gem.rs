//! `Gemfile.lock` / `gems.locked` (Bundler 1 and 2).
//!
//! `GEM` specs are packages (`name (version[-platform])`, their indented
//! dependencies are edges); `PATH` and `GIT` specs are unchecked (not from
//! a gem server); `DEPENDENCIES` is [`Lockfile::direct`]; Bundler 2.5+'s
//! `CHECKSUMS` section gives `sha256` hashes. Gemfile groups are not in
//! the lockfile, so nothing is reported dev-only.

use std::collections::HashMap;

use super::{Dependency, Ecosystem, Hash, Lockfile, Package, ParseError};

/// `name (1.2.3-x86_64-linux)` → (name, Some("1.2.3"), platform);
/// `name (>= 1.0, < 2)` → requirement.
fn name_paren(s: &str) -> (&str, Option<&str>) {
    match s.split_once(" (") {
        Some((n, rest)) => (n.trim(), rest.strip_suffix(')')),
        None => (s.trim().trim_end_matches('!'), None),
    }
}

/// Splits a locked version from its platform: `1.13.1-x86_64-linux`.
fn version_platform(v: &str) -> (&str, Option<&str>) {
    match v.find('-') {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    }
}

/// A Gem::Version string: digits, letters and dots.
fn valid_gem_version(v: &str) -> bool {
    !v.is_empty()
        && v.as_bytes()[0].is_ascii_digit()
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// A spec line (`    name (version)`) of a source section: a package
/// from GEM, an unchecked entry from the other sources.
fn spec(
    l: &mut Lockfile,
    section: &str,
    remote: Option<&String>,
    n: u32,
    body: &str,
) -> Result<(), ParseError> {
    let err = |m: String| Err(ParseError::new(Some(u64::from(n)), m));
    let (name, v) = name_paren(body);
    let Some(v) = v else {
        return err(format!("spec `{body}` has no `(version)`"));
    };
    if section != "GEM" {
        l.unchecked.push((
            n,
            format!("{name} {v}: from a {} source, not a gem server", section),
        ));
        return Ok(());
    }
    let (version, _platform) = version_platform(v);
    if !valid_gem_version(version) {
        return err(format!("spec `{body}`: `{version}` is not a gem version"));
    }
    l.packages.push(Package {
        name: name.to_string(),
        version: version.to_string(),
        source: remote.cloned(),
        line: n,
        ..Package::default()
    });
    Ok(())
}

/// A GEM spec's dependency line (`      name (requirement)`), added to the
/// last package once.
fn spec_dependency(l: &mut Lockfile, body: &str) {
    let (name, req) = name_paren(body);
    if let Some(p) = l.packages.last_mut()
        && !p.dependencies.iter().any(|d| d.name == name)
    {
        let mut d = Dependency::named(name);
        d.requirement = req.map(str::to_string);
        p.dependencies.push(d);
    }
}

/// A CHECKSUMS line, `name (version) sha256=hex[,sha512=...]`: the name
/// and version (without platform) and the hashes; `None` without a
/// checksum recorded or a version.
fn checksum(body: &str) -> Option<((String, String), Vec<Hash>)> {
    let (spec, sums) = body.rsplit_once(") ")?;
    let spec = format!("{spec})");
    let (name, v) = name_paren(&spec);
    let (version, _) = version_platform(v?);
    let hashes = sums
        .split(',')
        .filter_map(|s| s.split_once('='))
        .map(|(a, h)| Hash::hex(a, h))
        .collect();
    Some(((name.to_string(), version.to_string()), hashes))
}

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let mut l = Lockfile::new(display, Ecosystem::RubyGems, "Gemfile.lock");
    let mut section = String::new();
    let mut remote: Option<String> = None;
    let mut in_specs = false;
    let mut direct = Vec::new();
    let mut checksums: HashMap<(String, String), Vec<Hash>> = HashMap::new();
    let mut saw_section = false;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if indent == 0 {
            section = body.to_string();
            saw_section = true;
            remote = None;
            in_specs = false;
            continue;
        }
        match section.as_str() {
            "GEM" | "PATH" | "GIT" | "PLUGIN SOURCE" => {
                if indent == 2 {
                    in_specs = body == "specs:";
                    if let Some(r) = body.strip_prefix("remote: ") {
                        remote = Some(r.to_string());
                    }
                    continue;
                }
                if !in_specs {
                    continue;
                }
                match indent {
                    4 => spec(&mut l, &section, remote.as_ref(), n, body)?,
                    6 if section == "GEM" => spec_dependency(&mut l, body),
                    _ => {}
                }
            }
            "DEPENDENCIES" if indent == 2 => {
                let (name, req) = name_paren(body);
                let mut d = Dependency::named(name.trim_end_matches('!'));
                d.requirement = req.map(str::to_string);
                direct.push(d);
            }
            "CHECKSUMS" if indent == 2 => {
                if let Some((id, hashes)) = checksum(body) {
                    checksums.insert(id, hashes);
                }
            }
            _ => {}
        }
    }
    if !saw_section && !text.trim().is_empty() {
        return Err(ParseError::new(
            Some(1),
            "no GEM/DEPENDENCIES sections: not a Gemfile.lock",
        ));
    }
    // platform variants (`nokogiri (1.13.1)` and `(1.13.1-x86_64-linux)`) are one version
    let mut seen = std::collections::HashSet::new();
    l.packages
        .retain(|p| seen.insert((p.name.clone(), p.version.clone())));
    for p in &mut l.packages {
        if let Some(h) = checksums.get(&(p.name.clone(), p.version.clone())) {
            p.hashes = h.clone();
        }
    }
    l.direct = Some(direct);
    l.resolve_edges();
    Ok(l)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Hand-written edge case: platform variants, a PATH gem, a `!`
    /// dependency, CHECKSUMS.
    #[test]
    fn specs_dependencies_and_checksums() {
        let t = "PATH\n  remote: .\n  specs:\n    mygem (0.1.0)\n      rack\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.1)\n      racc (~> 1.4)\n    nokogiri (1.13.1-x86_64-linux)\n      racc (~> 1.4)\n    rack (2.2.3)\n    racc (1.6.0)\n\nPLATFORMS\n  ruby\n  x86_64-linux\n\nDEPENDENCIES\n  mygem!\n  nokogiri (>= 1.10)\n\nCHECKSUMS\n  nokogiri (1.13.1) sha256=abcd\n  rack (2.2.3)\n\nBUNDLED WITH\n   2.5.3\n";
        let l = parse("Gemfile.lock", t).unwrap();
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
            .collect();
        assert_eq!(
            got,
            [
                ("nokogiri", "1.13.1", 10),
                ("rack", "2.2.3", 14),
                ("racc", "1.6.0", 15)
            ]
        );
        assert_eq!(l.packages[0].hashes, [Hash::hex("sha256", "abcd")]);
        assert_eq!(l.packages[0].dependencies[0].index, Some(2));
        assert_eq!(l.unchecked.len(), 1);
        let direct: Vec<_> = l
            .direct
            .as_ref()
            .unwrap()
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(direct, ["mygem", "nokogiri"]);
        let e = parse("Gemfile.lock", "GEM\n  remote: x\n  specs:\n    a (1.0\n").unwrap_err();
        assert_eq!(e.line, Some(4));
    }
}
