//! Version helpers: SemVer 2.0 precedence (build metadata ignored) and a
//! lenient SemVer parser for OSV bounds such as `1.0`.

use std::cmp::Ordering;

use semver::Version;

/// SemVer 2.0 precedence: major, minor, patch, then pre-release; build
/// metadata never takes part (`1.0.0+a == 1.0.0+b`).
pub fn precedence(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| a.pre.cmp(&b.pre))
}

/// `v` without its build metadata (so `Ord` on the result is precedence).
pub fn strip_build(v: &Version) -> Version {
    let mut v = v.clone();
    v.build = semver::BuildMetadata::EMPTY;
    v
}

/// Parses a version as SemVer, accepting a leading `v`/`=` and padding
/// partial versions (`1` → `1.0.0`, `1.0` → `1.0.0`). The flag says whether
/// the text was padded (a non-SemVer bound, reported as a note).
pub fn parse_semver_lenient(s: &str) -> Option<(Version, bool)> {
    let t = s.trim();
    let t = t.strip_prefix('=').unwrap_or(t).trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    if let Ok(v) = Version::parse(t) {
        return Some((strip_build(&v), false));
    }
    let parts: Vec<&str> = t.split('.').collect();
    if parts.is_empty()
        || parts.len() > 2
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let padded = match parts.len() {
        1 => format!("{}.0.0", parts[0]),
        _ => format!("{}.{}.0", parts[0], parts[1]),
    };
    Version::parse(&padded).ok().map(|v| (v, true))
}

/// PEP 503 normalised name: lower case, runs of `-`, `_`, `.` as one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn build_metadata_is_ignored() {
        let a = Version::parse("1.0.0+a").unwrap();
        let b = Version::parse("1.0.0+b").unwrap();
        assert_eq!(precedence(&a, &b), Ordering::Equal);
        assert_ne!(
            a.cmp(&b),
            Ordering::Equal,
            "semver's Ord does compare build"
        );
    }

    #[test]
    fn prerelease_precedence() {
        // semver.org item 11 example chain
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for w in chain.windows(2) {
            let a = Version::parse(w[0]).unwrap();
            let b = Version::parse(w[1]).unwrap();
            assert_eq!(precedence(&a, &b), Ordering::Less, "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn lenient_parse_pads_partial_versions() {
        assert_eq!(
            parse_semver_lenient("1.0").unwrap(),
            (Version::new(1, 0, 0), true)
        );
        assert_eq!(
            parse_semver_lenient("v2").unwrap(),
            (Version::new(2, 0, 0), true)
        );
        assert_eq!(
            parse_semver_lenient("2.6.7").unwrap(),
            (Version::new(2, 6, 7), false)
        );
        assert!(parse_semver_lenient("latest").is_none());
        assert!(parse_semver_lenient("1.x").is_none());
    }

    #[test]
    fn pep503_names() {
        assert_eq!(pep503("Django"), "django");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("Foo__Bar-.baz"), "foo-bar-baz");
    }
}
