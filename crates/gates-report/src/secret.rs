//! Secrets: values that must never reach a log.
//!
//! Masking happens in one place. A gate registers each secret with the run's
//! [`Masker`] the moment it learns it (the token, a `${VAR}` header value, a
//! URL password, `user:password` of basic auth). From then on:
//!
//! - every byte gate-core's `out` prints is redacted with every secret any masker
//!   in the process has learned ([`redact_printed`]);
//! - `run` redacts the whole report (every string) before it is rendered,
//!   written to a file, recorded in the ledger or published;
//! - the ledger redacts deployment and status texts before storing them.
//!
//! A secret is masked in every form it is printed in: as is, percent-encoded
//! (as a URL's userinfo, query or path carries it, upper- or lower-case hex,
//! or form-encoded), base64 (standard or URL-safe, padded or not: the
//! `Authorization: Basic` header of `user:password`), JSON-escaped; and, for
//! secrets of 12 characters or more, any prefix of 8 characters or more of
//! those forms (a text cut short must not keep most of a token).

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine as _;

/// A secret value. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that needs it (an HTTP header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What replaces a secret.
pub const MASK: &str = "***";

/// Secrets shorter than this (trimmed) are not masked: the runner would mask
/// every occurrence of a single character.
const MIN_SECRET: usize = 4;
/// Forms of at least this many characters are also masked by their prefixes...
const PREFIX_FROM: usize = 12;
/// ... of at least this many characters.
const MIN_PREFIX: usize = 8;

/// Every secret learned by any masker in this process, as the forms to mask,
/// longest first. `out` redacts everything it prints with it.
static PRINTED: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Forms to announce to the runner (`::add-mask::`), learned by announcing
/// maskers and not printed yet. The one printer (gate-core's `out`) takes
/// them before it prints anything else, so the runner learns a secret
/// before any line that could hold it.
static ANNOUNCE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Takes the forms waiting to be announced with `::add-mask::`, in the
/// order they were learned.
pub fn take_announcements() -> Vec<String> {
    ANNOUNCE
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default()
}

/// `text` with every secret learned in this process masked, in every form.
/// The fast path (no secret learned) does not copy.
pub fn redact_printed(text: &str) -> std::borrow::Cow<'_, str> {
    let Ok(list) = PRINTED.read() else {
        return std::borrow::Cow::Borrowed(text);
    };
    if list.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    redact_with(text, &list)
}

/// The forms a secret can be printed in (see the module docs), deduplicated,
/// none shorter than [`MIN_SECRET`].
pub fn forms(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if s.trim().len() >= MIN_SECRET && !out.contains(&s) {
            out.push(s);
        }
    };
    push(value.to_string());
    // Percent-encoding: every byte outside RFC 3986's unreserved set, in
    // both cases of hex digit, and form encoding (space as `+`).
    let mut upper = String::new();
    let mut lower = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            upper.push(b as char);
            lower.push(b as char);
        } else {
            upper.push_str(&format!("%{b:02X}"));
            lower.push_str(&format!("%{b:02x}"));
        }
    }
    push(upper);
    push(lower);
    push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    // As the url crate (reqwest, octocrab errors) prints it in each component.
    if let Ok(mut u) = url::Url::parse("http://h/") {
        if u.set_password(Some(value)).is_ok()
            && let Some(p) = u.password()
        {
            push(p.to_string());
        }
        if u.set_username(value).is_ok() {
            push(u.username().to_string());
        }
        u.set_query(Some(value));
        if let Some(q) = u.query() {
            push(q.to_string());
        }
        u.set_path(value);
        push(u.path().trim_start_matches('/').to_string());
        u.set_fragment(Some(value));
        if let Some(f) = u.fragment() {
            push(f.to_string());
        }
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        push(engine.encode(value.as_bytes()));
    }
    if let Ok(json) = serde_json::to_string(value) {
        push(json[1..json.len() - 1].to_string());
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// Masks every form in `list` (longest first) in `text`, and the prefixes of
/// the long ones.
fn redact_with<'a>(text: &'a str, list: &[String]) -> std::borrow::Cow<'a, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    for s in list {
        if out.contains(s.as_str()) {
            out = std::borrow::Cow::Owned(out.replace(s.as_str(), MASK));
        }
    }
    for s in list.iter().filter(|s| s.chars().count() >= PREFIX_FROM) {
        if let Some(masked) = mask_prefixes(&out, s) {
            out = std::borrow::Cow::Owned(masked);
        }
    }
    out
}

/// Masks every run of `text` that is a prefix of `secret` at least
/// [`MIN_PREFIX`] characters long, or `None` when there is none.
fn mask_prefixes(text: &str, secret: &str) -> Option<String> {
    let (head_len, _) = secret.char_indices().nth(MIN_PREFIX)?;
    let head = &secret[..head_len];
    if !text.contains(head) {
        return None;
    }
    let t = text.as_bytes();
    let s = secret.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(pos) = text[from..].find(head).map(|p| p + from) {
        let mut len = head_len;
        while len < s.len() && pos + len < t.len() && t[pos + len] == s[len] {
            len += 1;
        }
        // Back to a character boundary of both (the bytes are equal).
        while !text.is_char_boundary(pos + len) {
            len -= 1;
        }
        out.push_str(&text[copied..pos]);
        out.push_str(MASK);
        copied = pos + len;
        from = copied;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// The set of secrets learned during a run. Every one is announced to the
/// runner with `::add-mask::` (each form) as soon as it is learned (in
/// Actions), and [`Masker::redact`] replaces them in any text.
#[derive(Clone, Default)]
pub struct Masker {
    forms: Arc<Mutex<Vec<String>>>,
    announce: bool,
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.forms.lock().map(|s| s.len()).unwrap_or(0);
        write!(f, "Masker({n} forms)")
    }
}

impl Masker {
    /// `announce`: have `::add-mask::` printed for each new secret (in
    /// Actions; see [`take_announcements`]).
    pub fn new(announce: bool) -> Self {
        Masker {
            forms: Arc::default(),
            announce,
        }
    }

    /// Registers a secret, in every form it can be printed in. Empty and very
    /// short values are not masked (the runner would mask every occurrence
    /// of a single character).
    pub fn add(&self, secret: &Secret) {
        let value = secret.expose();
        if value.trim().len() < MIN_SECRET {
            return;
        }
        let new: Vec<String> = {
            let Ok(mut list) = self.forms.lock() else {
                return;
            };
            let new: Vec<String> = forms(value)
                .into_iter()
                .filter(|f| !list.contains(f))
                .collect();
            list.extend(new.iter().cloned());
            // Longest first, so that a secret containing another is masked whole.
            list.sort_by_key(|s| std::cmp::Reverse(s.len()));
            new
        };
        if new.is_empty() {
            return;
        }
        if let Ok(mut printed) = PRINTED.write() {
            for f in &new {
                if !printed.contains(f) {
                    printed.push(f.clone());
                }
            }
            printed.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        if self.announce {
            // The value itself first, then its other forms.
            let raw = new.iter().filter(|f| f.as_str() == value);
            let others = new.iter().filter(|f| f.as_str() != value);
            for line in raw
                .chain(others)
                .flat_map(|f| f.lines())
                .filter(|l| l.trim().len() >= MIN_SECRET)
            {
                if let Ok(mut pending) = ANNOUNCE.lock() {
                    pending.push(line.to_owned());
                }
            }
        }
    }

    /// `text` with every known secret replaced by `***`, in every form.
    pub fn redact(&self, text: &str) -> String {
        let Ok(list) = self.forms.lock() else {
            return text.to_string();
        };
        redact_with(text, &list).into_owned()
    }

    /// Whether no secret has been learned.
    pub fn is_empty(&self) -> bool {
        self.forms.lock().map(|l| l.is_empty()).unwrap_or(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_formats() {
        let s = Secret::new("ghp_abcdefghijklmnop");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
    }

    #[test]
    fn masker_redacts_longest_first() {
        let m = Masker::new(false);
        m.add(&Secret::new("abcd"));
        m.add(&Secret::new("abcdefgh"));
        m.add(&Secret::new("x"));
        assert_eq!(m.redact("t=abcdefgh u=abcd x"), "t=*** u=*** x");
    }

    #[test]
    fn every_printed_encoding_is_masked() {
        let pw = "p@ss/w:rd#x?y%z&a b+c\"d\\e";
        let m = Masker::new(false);
        m.add(&Secret::new(pw));
        m.add(&Secret::new(format!("user:{pw}")));
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("user:{pw}"));
        let mut u = url::Url::parse("http://127.0.0.1:9/health").unwrap();
        u.set_password(Some(pw)).unwrap();
        u.set_query(Some(&format!("token={pw}")));
        let texts = [
            pw.to_string(),
            u.to_string(),
            format!("authorization: Basic {b64}"),
            serde_json::to_string(&format!("echo {pw}")).unwrap(),
            url::form_urlencoded::byte_serialize(pw.as_bytes()).collect::<String>(),
            pw.bytes()
                .map(|b| match b {
                    b if b.is_ascii_alphanumeric() => (b as char).to_string(),
                    b => format!("%{b:02x}"),
                })
                .collect::<String>(),
        ];
        for t in &texts {
            let r = m.redact(t);
            assert!(!r.contains("w:rd"), "{t:?} -> {r:?}");
            assert!(!r.contains(&b64[..12]), "{t:?} -> {r:?}");
            assert!(r.contains(MASK), "{t:?} -> {r:?}");
        }
        // The process-wide redaction (what `out` prints) knows them too.
        for t in &texts {
            assert!(redact_printed(t).contains(MASK), "{t:?}");
        }
    }

    #[test]
    fn cut_tokens_are_masked_by_their_prefixes() {
        let token = "ghs_0123456789abcdefghijklmnopqrstuvwxyz";
        let m = Masker::new(false);
        m.add(&Secret::new(token));
        for cut in [8, 9, 20, 33, token.len() - 1] {
            let text = format!("bad credentials: {}", &token[..cut]);
            assert_eq!(m.redact(&text), "bad credentials: ***", "cut at {cut}");
        }
        // Seven characters are not enough to tell a token from text.
        assert_eq!(m.redact("x ghs_012 y"), "x ghs_012 y");
        // Two cut copies in one text.
        let text = format!("{} and {}", &token[..10], &token[..30]);
        assert_eq!(m.redact(&text), "*** and ***");
    }

    #[test]
    fn prefixes_respect_character_boundaries() {
        let m = Masker::new(false);
        m.add(&Secret::new("pässwörd-très-secret"));
        assert_eq!(m.redact("x pässwörd-tr"), "x ***");
        assert_eq!(m.redact("x pässwöxx"), "x pässwöxx");
    }
}
