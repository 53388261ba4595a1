//! `Pipfile.lock` (pipfile-spec 6): `default` and `develop` sections.
//!
//! A package only in `develop` is dev-only. Pipfile.lock records neither
//! dependency edges nor which packages the Pipfile names directly.

use serde_json::Value;

use super::{Ecosystem, Hash, Lockfile, Package, ParseError, json_error, npm::key_lines};

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| json_error("Pipfile.lock", "regenerate it with `pipenv lock`", &e))?;
    let Some(obj) = doc.as_object() else {
        return Err(ParseError::new(Some(1), "a Pipfile.lock is a JSON object"));
    };
    let spec = obj
        .get("_meta")
        .and_then(|m| m.get("pipfile-spec"))
        .and_then(Value::as_u64);
    if spec != Some(6) {
        let line = text
            .lines()
            .position(|l| l.contains("\"pipfile-spec\""))
            .or_else(|| text.lines().position(|l| l.contains("\"_meta\"")))
            .map(|i| i as u64 + 1);
        return Err(ParseError::new(
            line.or(Some(1)),
            format!(
                "unknown Pipfile.lock pipfile-spec {} (supported: 6)",
                spec.map_or_else(|| "(missing)".to_string(), |s| s.to_string())
            ),
        ));
    }
    let lines = key_lines(text);
    let mut l = Lockfile::new(display, Ecosystem::PyPI, "Pipfile.lock v6");
    for section in ["default", "develop"] {
        let Some(map) = obj.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, meta) in map {
            let line = lines
                .get(&format!("{section}\0{name}"))
                .copied()
                .unwrap_or(1);
            let Some(m) = meta.as_object() else {
                return Err(ParseError::new(
                    Some(u64::from(line)),
                    format!("{section}.{name} is not an object"),
                ));
            };
            let Some(pin) = m.get("version").and_then(Value::as_str) else {
                // git / path / editable entries
                l.unchecked
                    .push((line, format!("{name}: no pinned version (VCS or path)")));
                continue;
            };
            let Some(version) = pin.strip_prefix("==").or_else(|| pin.strip_prefix("===")) else {
                l.unchecked
                    .push((line, format!("{name}{pin}: not pinned with ==")));
                continue;
            };
            if version.parse::<pep440_rs::Version>().is_err() {
                return Err(ParseError::new(
                    Some(u64::from(line)),
                    format!("{section}.{name}: `{version}` is not a PEP 440 version"),
                ));
            }
            if section == "develop"
                && l.packages
                    .iter()
                    .any(|p| p.name == *name && p.version == version)
            {
                continue; // in `default` too: required
            }
            let hashes = m
                .get("hashes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(|h| h.split_once(':'))
                .map(|(a, v)| Hash::hex(a, v))
                .collect();
            l.packages.push(Package {
                name: name.clone(),
                version: version.to_string(),
                source: m.get("index").and_then(Value::as_str).map(str::to_string),
                dev: section == "develop",
                line,
                hashes,
                ..Package::default()
            });
        }
    }
    Ok(l)
}
