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

pub use gates_lockfile::pep503;

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

/// A Go module version (`v1.2.3`, `v0.0.0-20191109021931-daa7c04131f5`,
/// `v2.0.0+incompatible`) as SemVer: the `v` is dropped, a pseudo-version
/// is the pre-release it is written as (so it sorts below the release it
/// precedes, as Go's `semver.Compare` orders it), `+incompatible` is build
/// metadata and takes no part. OSV's Go bounds come without `v`; both
/// spellings parse.
pub fn parse_go(s: &str) -> Option<Version> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    Version::parse(t).ok().map(|v| strip_build(&v))
}

/// One segment of a RubyGems version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GemSeg {
    Num(u64),
    Str(String),
}

/// A `Gem::Version`, ordered as RubyGems orders it
/// (`lib/rubygems/version.rb`): segments are the runs of digits and of
/// letters; a `-` reads as `.pre.`; trailing zeros of the numeric part and
/// of the part after the first letter segment are dropped
/// (`canonical_segments`); missing segments count as 0; a letter segment
/// sorts below any number (so `1.0.a` < `1.0`, a pre-release); letters
/// compare as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GemVersion(pub Vec<GemSeg>);

impl GemVersion {
    /// Parses what `Gem::Version.correct?` accepts (digits first, then
    /// alphanumerics, dots and dashes); an empty string is `0`.
    pub fn parse(s: &str) -> Option<GemVersion> {
        let t = s.trim();
        let t = if t.is_empty() { "0" } else { t };
        if !t.starts_with(|c: char| c.is_ascii_digit())
            || !t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return None;
        }
        let t = t.replace('-', ".pre.");
        let mut segs = Vec::new();
        let b = t.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n = t[start..i].parse::<u64>().ok()?;
                segs.push(GemSeg::Num(n));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segs.push(GemSeg::Str(t[start..i].to_string()));
            } else {
                i += 1;
            }
        }
        // canonical_segments: trailing zeros dropped in the numeric part
        // and in the rest, then joined
        let split = segs
            .iter()
            .position(|s| matches!(s, GemSeg::Str(_)))
            .unwrap_or(segs.len());
        let (mut num, mut rest) = (segs[..split].to_vec(), segs[split..].to_vec());
        for part in [&mut num, &mut rest] {
            while part.last() == Some(&GemSeg::Num(0)) {
                part.pop();
            }
        }
        num.extend(rest);
        Some(GemVersion(num))
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.0.len().max(other.0.len());
        for i in 0..n {
            let a = self.0.get(i).cloned().unwrap_or(GemSeg::Num(0));
            let b = other.0.get(i).cloned().unwrap_or(GemSeg::Num(0));
            let o = match (&a, &b) {
                (GemSeg::Num(x), GemSeg::Num(y)) => x.cmp(y),
                (GemSeg::Str(x), GemSeg::Str(y)) => x.cmp(y),
                (GemSeg::Str(_), GemSeg::Num(_)) => Ordering::Less,
                (GemSeg::Num(_), GemSeg::Str(_)) => Ordering::Greater,
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One part of a Composer version after PHP's `version_compare`
/// canonicalisation: a number, or a special form's rank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhpPart {
    Num(u64),
    /// PHP's order of special forms: any other string -1 < `dev` 0 <
    /// `alpha`/`a` 1 < `beta`/`b` 2 < `RC`/`rc` 3 < (a number, `#`) 4 <
    /// `pl`/`p` (Composer's `patch`) 5; matched by prefix as PHP does.
    Special(i8),
}

fn php_special(s: &str) -> i8 {
    for (name, rank) in [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ] {
        if s.starts_with(name) {
            return rank;
        }
    }
    -1
}

/// A Composer (Packagist) version, ordered as Composer orders normalised
/// versions: `VersionParser::normalize` (a leading `v` dropped, the
/// numeric part padded to four numbers, `stable` dropped) then PHP's
/// `version_compare` (`-`, `_`, `+` and digit/letter changes separate
/// parts; numbers compare as numbers; special forms by rank; a number
/// outranks `alpha`/`beta`/`RC` but not `patch`; when one side runs out,
/// the other is newer if its next part is a number or a `patch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposerVersion(pub Vec<PhpPart>);

impl ComposerVersion {
    pub fn parse(s: &str) -> Option<ComposerVersion> {
        let t = s.trim();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        if !t.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        // numeric prefix `1.2.3`, padded to four parts
        let end = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (nums, rest) = t.split_at(end);
        let mut parts: Vec<PhpPart> = Vec::new();
        for n in nums.split('.').filter(|p| !p.is_empty()) {
            parts.push(PhpPart::Num(n.parse().ok()?));
        }
        while parts.len() < 4 {
            parts.push(PhpPart::Num(0));
        }
        let rest = rest.trim_start_matches(['.', '-', '_', '+']);
        let rest = rest.strip_prefix("stable").unwrap_or(rest);
        // PHP canonicalisation of the rest
        let mut cur = String::new();
        let flush = |cur: &mut String, parts: &mut Vec<PhpPart>| -> Option<()> {
            if !cur.is_empty() {
                if cur.bytes().all(|b| b.is_ascii_digit()) {
                    parts.push(PhpPart::Num(cur.parse().ok()?));
                } else {
                    parts.push(PhpPart::Special(php_special(cur)));
                }
                cur.clear();
            }
            Some(())
        };
        for c in rest.chars() {
            if matches!(c, '.' | '-' | '_' | '+') {
                flush(&mut cur, &mut parts)?;
                continue;
            }
            if let Some(last) = cur.chars().last()
                && last.is_ascii_digit() != c.is_ascii_digit()
            {
                flush(&mut cur, &mut parts)?;
            }
            cur.push(c);
        }
        flush(&mut cur, &mut parts)?;
        Some(ComposerVersion(parts))
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let rank = |p: &PhpPart| match p {
            PhpPart::Num(_) => 4,
            PhpPart::Special(r) => *r,
        };
        for (a, b) in self.0.iter().zip(&other.0) {
            let o = match (a, b) {
                (PhpPart::Num(x), PhpPart::Num(y)) => x.cmp(y),
                _ => rank(a).cmp(&rank(b)),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        // one side ran out: the next part of the longer one against `#`
        match (self.0.get(other.0.len()), other.0.get(self.0.len())) {
            (Some(p), _) => rank(p).cmp(&4).then(Ordering::Greater),
            (_, Some(p)) => 4.cmp(&rank(p)).then(Ordering::Less),
            _ => Ordering::Equal,
        }
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod ecosystem_order_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn gem(a: &str, b: &str) -> Ordering {
        GemVersion::parse(a)
            .unwrap()
            .cmp(&GemVersion::parse(b).unwrap())
    }

    /// rubygems/rubygems test/rubygems/test_gem_version.rb, `test_spaceship`
    /// and `test_semver`, case for case.
    #[test]
    fn rubygems_spaceship() {
        use Ordering::*;
        assert_eq!(gem("1.0", "1.0.0"), Equal);
        assert_eq!(gem("1.0", "1.0.a"), Greater);
        assert_eq!(gem("1.8.2", "0.0.0"), Greater);
        assert_eq!(gem("1.8.2", "1.8.2.a"), Greater);
        assert_eq!(gem("1.8.2.b", "1.8.2.a"), Greater);
        assert_eq!(gem("1.8.2.a", "1.8.2"), Less);
        assert_eq!(gem("1.8.2.a10", "1.8.2.a9"), Greater);
        assert_eq!(gem("", "0"), Equal);
        assert_eq!(gem("0.beta.1", "0.0.beta.1"), Equal);
        assert_eq!(gem("0.0.beta", "0.0.beta.1"), Less);
        assert_eq!(gem("0.0.beta", "0.beta.1"), Less);
        assert_eq!(gem("5.a", "5.0.0.rc2"), Less);
        assert_eq!(gem("5.x", "5.0.0.rc2"), Greater);
        // test_semver
        assert_eq!(gem("1.0.0-alpha", "1.0.0-alpha.1"), Less);
        assert_eq!(gem("1.0.0-alpha.1", "1.0.0-beta.2"), Less);
        assert_eq!(gem("1.0.0-beta.2", "1.0.0-beta.11"), Less);
        assert_eq!(gem("1.0.0-beta.11", "1.0.0-rc.1"), Less);
        assert_eq!(gem("1.0.0-rc1", "1.0.0"), Less);
        assert_eq!(gem("1.0.0-1", "1"), Less);
        assert!(GemVersion::parse("junk").is_none());
    }

    fn php(a: &str, b: &str) -> Ordering {
        ComposerVersion::parse(a)
            .unwrap()
            .cmp(&ComposerVersion::parse(b).unwrap())
    }

    /// PHP's documented `version_compare` order ("any string not found <
    /// dev < alpha = a < beta = b < RC = rc < # < pl = p", php.net manual)
    /// after Composer's normalisation (composer/semver
    /// `VersionParser::normalize`: `v1.0` → `1.0.0.0`, `1.0.0-beta.1` →
    /// `1.0.0.0-beta1`, `-p1`/`-patch1` after the release).
    #[test]
    fn composer_order() {
        use Ordering::*;
        assert_eq!(php("v1.2.3", "1.2.3"), Equal);
        assert_eq!(php("1.2", "1.2.0.0"), Equal);
        assert_eq!(php("1.0.0-beta.1", "1.0.0-beta1"), Equal);
        assert_eq!(php("1.0.0-dev", "1.0.0-alpha1"), Less);
        assert_eq!(php("1.0.0-alpha2", "1.0.0-beta1"), Less);
        assert_eq!(php("1.0.0-beta2", "1.0.0-RC1"), Less);
        assert_eq!(php("1.0.0-RC1", "1.0.0"), Less);
        assert_eq!(php("1.0.0", "1.0.0-patch1"), Less);
        assert_eq!(php("1.0.0-p1", "1.0.0-pl1"), Equal);
        assert_eq!(php("1.0.0-beta10", "1.0.0-beta9"), Greater);
        assert_eq!(php("2.10.0", "2.9.9"), Greater);
        assert_eq!(php("1.0.0-stable", "1.0.0"), Equal);
        assert!(ComposerVersion::parse("dev-main").is_none());
    }

    /// Go's semver ordering (golang.org/x/mod/semver `Compare`): a
    /// pseudo-version precedes its release; `+incompatible` is ignored.
    #[test]
    fn go_order() {
        let v = |s| parse_go(s).unwrap();
        assert!(v("v0.0.0-20191109021931-daa7c04131f5") < v("v0.0.0"));
        assert!(v("v1.2.4-0.20191109021931-daa7c04131f5") > v("v1.2.3"));
        assert!(v("v1.2.4-0.20191109021931-daa7c04131f5") < v("v1.2.4"));
        assert_eq!(v("v2.0.0+incompatible"), v("2.0.0"));
        assert!(v("v1.10.0") > v("v1.9.0"));
        assert!(parse_go("v1.2").is_none());
    }
}
