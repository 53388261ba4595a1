//! Small text encodings every gate needs, written once: slugs for metric
//! names, RFC 3986 percent-encoding, lowercase hex.

/// Stable kebab-case slug: ASCII letters and digits lowercased, every run of
/// anything else one `-`, no `-` at either end; `fallback` when nothing is
/// left (`"/"` → `fallback`).
pub fn slug(name: &str, fallback: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_matches('-');
    if s.is_empty() {
        fallback.to_owned()
    } else {
        s.to_owned()
    }
}

/// Every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) as
/// `%XX`, upper-case hex.
pub fn percent_encode(s: &str) -> String {
    percent_encode_except(s, b"")
}

/// [`percent_encode`], but the bytes of `keep` stay as they are too (`/`
/// for a path).
pub fn percent_encode_except(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b)
        {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX_UPPER[usize::from(b >> 4)] as char);
            out.push(HEX_UPPER[usize::from(b & 0xf)] as char);
        }
    }
    out
}

/// `%XX` decoded into bytes; a `%` not followed by two hex digits is kept as
/// it is.
pub fn percent_decode_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let digit = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(digit),
            b.get(i + 2).copied().and_then(digit),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(((h << 4) | l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// [`percent_decode_bytes`] as UTF-8; `Err` names the problem when the
/// decoded bytes are not UTF-8.
pub fn percent_decode(s: &str) -> Result<String, String> {
    String::from_utf8(percent_decode_bytes(s))
        .map_err(|_| format!("`{s}` does not decode to UTF-8 text"))
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes` (digests, ids).
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX_LOWER[usize::from(b >> 4)] as char);
        out.push(HEX_LOWER[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("GET /api/users?id=1", "root"), "get-api-users-id-1");
        assert_eq!(slug("--Ünïcode--", "x"), "n-code");
        assert_eq!(slug("/", "root"), "root");
        assert_eq!(slug("", "probe"), "probe");
    }

    #[test]
    fn percent_round_trips_every_byte() {
        let all: String = (0u8..=127).map(char::from).chain("é☃".chars()).collect();
        let enc = percent_encode(&all);
        assert!(enc.bytes().all(|b| b.is_ascii_graphic()));
        assert!(!enc.contains(['/', ':', '?', '#', ' ']));
        assert_eq!(percent_decode(&enc).as_deref(), Ok(all.as_str()));
        assert_eq!(percent_encode_except("a/b c", b"/"), "a/b%20c");
        assert_eq!(percent_decode("100%").as_deref(), Ok("100%"));
        assert_eq!(percent_decode("%zz%4").as_deref(), Ok("%zz%4"));
        assert!(percent_decode("%ff").is_err());
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0, 15, 16, 255]), "000f10ff");
        assert_eq!(hex(&[]), "");
    }
}
