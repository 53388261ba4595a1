//! Secrets: values that must never reach a log.

use std::fmt;
use std::sync::{Arc, Mutex};

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

/// The set of secrets learned during a run. Every one is announced to the
/// runner with `::add-mask::` as soon as it is learned (in Actions), and
/// [`Masker::redact`] replaces them in any text gates print themselves.
#[derive(Clone, Default)]
pub struct Masker {
    secrets: Arc<Mutex<Vec<String>>>,
    announce: bool,
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.secrets.lock().map(|s| s.len()).unwrap_or(0);
        write!(f, "Masker({n} secrets)")
    }
}

impl Masker {
    /// `announce`: print `::add-mask::` for each new secret (in Actions).
    pub fn new(announce: bool) -> Self {
        Masker {
            secrets: Arc::default(),
            announce,
        }
    }

    /// Registers a secret. Empty and very short values are not masked (the
    /// runner would mask every occurrence of a single character).
    pub fn add(&self, secret: &Secret) {
        let value = secret.expose();
        if value.trim().len() < 4 {
            return;
        }
        let Ok(mut list) = self.secrets.lock() else {
            return;
        };
        if list.iter().any(|s| s == value) {
            return;
        }
        list.push(value.to_string());
        // Longest first, so that a secret containing another is masked whole.
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
        drop(list);
        if self.announce {
            for line in value.lines().filter(|l| l.trim().len() >= 4) {
                crate::out::workflow_command(&crate::github::escape::add_mask(line));
            }
        }
    }

    /// `text` with every known secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let Ok(list) = self.secrets.lock() else {
            return text.to_string();
        };
        let mut out = text.to_string();
        for s in list.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
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
}
