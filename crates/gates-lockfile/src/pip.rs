//! Pinned `requirements*.txt` (`name==version`, extras, markers, hashes,
//! line continuations).

use super::{Ecosystem, Hash, Lockfile, Package, ParseError};

fn valid_name(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

pub fn parse(display: &str, text: &str) -> Result<Lockfile, ParseError> {
    let mut packages = Vec::new();
    let mut unchecked = Vec::new();
    let mut logical = String::new();
    let mut start = 0u32;
    let mut lines: Vec<(u32, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if logical.is_empty() {
            start = n;
        }
        if let Some(cont) = raw.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(raw);
        lines.push((start, std::mem::take(&mut logical)));
    }
    if !logical.is_empty() {
        lines.push((start, logical));
    }
    for (n, line) in lines {
        // comments start at a `#` preceded by whitespace (or the line start)
        let mut s = line.as_str();
        if let Some(i) = s.find(" #").or_else(|| s.starts_with('#').then_some(0)) {
            s = &s[..i];
        }
        let s = s.trim();
        if s.is_empty() || s.starts_with('-') {
            // options (-r, -c, -e, --index-url, ...)
            if s.starts_with("-e") || s.starts_with("--editable") {
                unchecked.push((n, format!("{s}: editable requirement not checked")));
            }
            continue;
        }
        // per-requirement `--hash=alg:hex` options, then drop the options
        // and environment markers
        let hashes: Vec<Hash> = s
            .split_whitespace()
            .filter_map(|t| t.strip_prefix("--hash="))
            .filter_map(|h| h.split_once(':'))
            .map(|(alg, v)| Hash::hex(&alg.to_ascii_lowercase(), v))
            .collect();
        let s = s.split(" --").next().unwrap_or(s);
        let s = s.split(';').next().unwrap_or(s).trim();
        let pinned = s.split_once("===").or_else(|| s.split_once("=="));
        let Some((name_part, ver)) = pinned else {
            unchecked.push((n, format!("`{s}` is not pinned with ==")));
            continue;
        };
        let name = name_part.split('[').next().unwrap_or(name_part).trim();
        let ver = ver.trim();
        if !valid_name(name) || ver.is_empty() || ver.contains([',', ' ', '*']) {
            unchecked.push((n, format!("`{s}` is not a single pinned version")));
            continue;
        }
        if ver.parse::<pep440_rs::Version>().is_err() {
            return Err(ParseError::new(
                Some(u64::from(n)),
                format!("`{name}=={ver}`: `{ver}` is not a PEP 440 version"),
            ));
        }
        packages.push(Package {
            name: name.to_string(),
            version: ver.to_string(),
            line: n,
            hashes,
            ..Package::default()
        });
    }
    let mut l = Lockfile::new(display, Ecosystem::PyPI, "requirements.txt");
    l.packages = packages;
    l.unchecked = unchecked;
    Ok(l)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pins_extras_markers_hashes_and_continuations() {
        let text = "# top\nDjango==2.2.9  # web\nrequests[socks]==2.22.0 ; python_version >= \"3\"\nflask>=1.0\nPillow==6.2.0 \\\n    --hash=sha256:abc\n-r other.txt\n";
        let l = parse("requirements.txt", text).unwrap();
        let got: Vec<_> = l
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
            .collect();
        assert_eq!(
            got,
            [
                ("Django", "2.2.9", 2),
                ("requests", "2.22.0", 3),
                ("Pillow", "6.2.0", 5)
            ]
        );
        assert_eq!(l.unchecked.len(), 1);
        assert_eq!(l.unchecked[0].0, 4);
        assert_eq!(l.packages[2].hashes, [Hash::hex("sha256", "abc")]);
    }

    #[test]
    fn bad_version_names_the_line() {
        let e = parse("r.txt", "a==1.0\nb==not-a-version!\n").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
