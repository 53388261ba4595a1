//! Escaping for GitHub Actions workflow commands.
//!
//! The runner reads every line a step prints. A line that starts with `::`
//! (after leading white space) is a command (`::error file=…::message`), and a
//! line containing `##[` anywhere is a legacy command. Untrusted text (file
//! names, package names, HTTP bodies, PR titles) must therefore never reach
//! stdout raw:
//!
//! - command *data* escapes `%`, CR and LF (`%25`, `%0D`, `%0A`), so it stays
//!   on its command's line;
//! - command *properties* additionally escape `:` and `,` (`%3A`, `%2C`);
//! - [`neutralize`] breaks `::` and `##[` with a zero-width space anywhere in
//!   untrusted text, so even a line of plain output cannot become a command.
//!
//! The runner's own parser is modelled in the tests (`parse_line`), and every
//! escaping function is proven against it with adversarial strings.

/// Zero-width space: invisible in the log, but breaks the command markers.
pub const ZWSP: char = '\u{200B}';

/// Breaks `::` and `##[` so the runner cannot read a command in `text`, and
/// replaces other control characters (ANSI escapes, NUL, ...) with `�`, so
/// untrusted text cannot restyle or rewrite the log either. Newlines and tabs
/// are kept (callers that need one line escape them afterwards).
pub fn neutralize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ':' if prev == Some(':') => {
                out.push(ZWSP);
                out.push(':');
            }
            '#' if prev == Some('#') && chars.peek() == Some(&'[') => {
                out.push(ZWSP);
                out.push('#');
            }
            '\n' | '\t' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// Replaces control characters but LF, CR and tab (ANSI escapes, NUL, ...)
/// with `�`, so untrusted text cannot restyle or rewrite a terminal or a
/// log. Text for people that `out` prints needs only this: `out` guards
/// every line against workflow commands where the runner reads it, so a
/// local terminal shows `std::io::stdout` as it is written.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\t' | '\r') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The last line of defence, applied by `out` to everything it prints: every
/// line the runner would read as a command (`::` first after white space,
/// `##[` anywhere; lines end at LF, CR or CRLF, as the runner splits them)
/// gets a zero-width space that breaks it. Nothing else changes, so text
/// that was already safe (and local output) prints as it was.
pub fn guard(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("::") && !text.contains("##[") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive(['\n', '\r']) {
        let body = line.trim_start();
        let lead = line.len() - body.len();
        let line = if body.starts_with("::") {
            out.push_str(&line[..lead]);
            out.push(':');
            out.push(ZWSP);
            &line[lead + 1..]
        } else {
            line
        };
        if line.contains("##[") {
            out.push_str(&line.replace("##[", "#\u{200B}#["));
        } else {
            out.push_str(line);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Makes JSON text (a whole document) safe to print where the runner reads:
/// `##[` and `::` can only occur inside JSON strings, where `\u0023` and
/// `\u003a` are the same characters to every JSON reader. The value is
/// unchanged; no line of the text can start a command.
pub fn json_safe(json: String) -> String {
    if !json.contains("::") && !json.contains("##[") {
        return json;
    }
    json.replace("##[", "\\u0023#[").replace("::", ":\\u003a")
}

/// Escapes the data (message) part of a workflow command.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in neutralize(text).chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value of a workflow command.
pub fn escape_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in neutralize(text).chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// Builds `::name k=v,k=v::data` with everything escaped. Property names are
/// ours (static), never untrusted.
pub fn command(name: &str, properties: &[(&str, String)], data: &str) -> String {
    let mut line = format!("::{name}");
    let mut first = true;
    for (k, v) in properties {
        line.push(if first { ' ' } else { ',' });
        first = false;
        line.push_str(k);
        line.push('=');
        line.push_str(&escape_property(v));
    }
    line.push_str("::");
    line.push_str(&escape_data(data));
    line
}

/// `::add-mask::value`. The value is escaped like data (a secret with a
/// newline is masked line by line by the caller).
pub fn add_mask(secret: &str) -> String {
    format!("::add-mask::{}", escape_data_raw(secret))
}

/// Data escaping without neutralizing: only for values that must reach the
/// runner byte for byte (a secret to mask), never for untrusted display text.
fn escape_data_raw(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A model of the runner's parser (actions/runner `ActionCommand`), used by
/// tests here and in gates to prove that output cannot smuggle commands.
pub mod runner_model {
    /// A parsed workflow command.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Parsed {
        /// The legacy `##[cmd]` form (gates never print it).
        pub legacy: bool,
        pub command: String,
        pub properties: Vec<(String, String)>,
        pub data: String,
    }

    fn unescape_data(s: &str) -> String {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%")
    }

    fn unescape_property(s: &str) -> String {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    }

    /// Parses one output line the way the runner does: v2 (`::cmd p=v::data`,
    /// after leading white space), then v1 (`##[cmd p=v;]data`, anywhere).
    pub fn parse_line(line: &str) -> Option<Parsed> {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("::") {
            let end = rest.find("::")?;
            let info = &rest[..end];
            let data = &rest[end + 2..];
            let (cmd, props) = match info.split_once(' ') {
                Some((c, p)) => (c, p),
                None => (info, ""),
            };
            let properties = props
                .split(',')
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k.to_string(), unescape_property(v)))
                })
                .collect();
            return Some(Parsed {
                legacy: false,
                command: cmd.to_string(),
                properties,
                data: unescape_data(data),
            });
        }
        let start = line.find("##[")?;
        let rest = &line[start + 3..];
        let end = rest.find(']')?;
        let info = &rest[..end];
        let (cmd, props) = match info.split_once(' ') {
            Some((c, p)) => (c, p),
            None => (info, ""),
        };
        Some(Parsed {
            legacy: true,
            command: cmd.to_string(),
            properties: props
                .split(';')
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k.to_string(), v.to_string()))
                })
                .collect(),
            data: rest[end + 1..].to_string(),
        })
    }

    /// Every command the runner would see in `output`, split into lines as
    /// the runner's reader does: at LF, CRLF, and a bare CR.
    pub fn parse_output(output: &str) -> Vec<Parsed> {
        output.split(['\n', '\r']).filter_map(parse_line).collect()
    }

    /// For tests of a whole binary, where what the gate meant to print is
    /// not known: the commands in `output` that the hostile values of
    /// `run::testing::HOSTILE` would start if printed raw (a legacy
    /// `##[...]` command, a command gates never print, a `forged`
    /// property, data that begins with the `INJ` marker, or a mask of it).
    pub fn injected(output: &str) -> Vec<Parsed> {
        parse_output(output)
            .into_iter()
            .filter(|p| {
                p.legacy
                    || !matches!(
                        p.command.as_str(),
                        "error" | "warning" | "notice" | "add-mask"
                    )
                    || p.properties.iter().any(|(_, v)| v.contains("forged"))
                    || p.data.starts_with("INJ")
                    || (p.command == "add-mask" && p.data.contains("INJ"))
            })
            .collect()
    }

    /// The commands in `output` that the gate did not mean to print: every
    /// parsed command minus those in `intended` (the lines the gate gave
    /// `out::workflow_command`), counted with multiplicity. Empty means no
    /// input started a command.
    pub fn unintended(output: &str, intended: &[String]) -> Vec<Parsed> {
        let mut allowed: Vec<Parsed> = intended.iter().flat_map(|l| parse_output(l)).collect();
        let mut extra = Vec::new();
        for p in parse_output(output) {
            match allowed.iter().position(|a| *a == p) {
                Some(i) => {
                    allowed.swap_remove(i);
                }
                None => extra.push(p),
            }
        }
        extra
    }
}

#[cfg(test)]
mod tests {
    use super::runner_model::{parse_line, parse_output};
    use super::*;

    pub(crate) const ADVERSARIAL: &[&str] = &[
        "plain",
        "100% done",
        "%0A already escaped %25",
        "line1\nline2",
        "crlf\r\nnext",
        "\n::set-output name=x::pwned",
        "::add-mask::secret",
        "::error::fake",
        "  ::warning file=a::indent",
        "##[error]legacy",
        "text ##[set-env name=X;]1",
        "a:b,c=d",
        "file=x,line=1::data",
        "::stop-commands::token",
        "\u{1b}[31mred\u{1b}[0m",
        "nul\0byte",
        "emoji 🚀 and ümlaut",
        "",
        "::",
        "#[",
        "###[x]",
        "bare\r::error title=forged::INJ",
        "a\r##[add-mask]b",
        "\u{3000}::notice::ideographic space",
    ];

    fn strip(s: &str) -> String {
        s.replace(ZWSP, "")
    }

    #[test]
    fn data_stays_on_one_line_and_round_trips() {
        for s in ADVERSARIAL {
            let line = command("error", &[("file", "a.rs".into())], s);
            assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
            let cmds = parse_output(&line);
            assert_eq!(cmds.len(), 1, "{s:?} gave {cmds:?}");
            assert_eq!(cmds[0].command, "error");
            assert_eq!(cmds[0].properties, vec![("file".into(), "a.rs".into())]);
            let expected = neutralize(s);
            assert_eq!(cmds[0].data, expected, "{s:?}");
            assert_eq!(
                strip(&cmds[0].data),
                s.chars()
                    .map(|c| if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
                        '\u{FFFD}'
                    } else {
                        c
                    })
                    .collect::<String>()
            );
        }
    }

    #[test]
    fn properties_cannot_break_out() {
        for s in ADVERSARIAL {
            let line = command(
                "warning",
                &[("file", s.to_string()), ("title", s.to_string())],
                "msg",
            );
            let cmds = parse_output(&line);
            assert_eq!(cmds.len(), 1, "{s:?} gave {cmds:?}");
            assert_eq!(cmds[0].properties.len(), 2, "{s:?} gave {cmds:?}");
            assert_eq!(cmds[0].properties[0].1, neutralize(s));
            assert_eq!(cmds[0].properties[1].1, neutralize(s));
            assert_eq!(cmds[0].data, "msg");
        }
    }

    #[test]
    fn neutralized_text_is_never_a_command() {
        for s in ADVERSARIAL {
            let n = neutralize(s);
            assert!(parse_output(&n).is_empty(), "{s:?} -> {n:?}");
            // Not even when a whole adversarial block is printed as is.
            assert!(parse_line(&format!("  {n}")).is_none());
        }
        let all = ADVERSARIAL.join("\n");
        assert!(parse_output(&neutralize(&all)).is_empty());
        // The model itself does see the raw strings as commands.
        assert!(parse_output(&all).len() >= 6);
    }

    #[test]
    fn a_bare_cr_starts_a_line_for_the_runner() {
        let cmds = parse_output("progress 10%\r::error title=x::forged");
        assert_eq!(cmds.len(), 1);
        assert_eq!(cmds[0].command, "error");
    }

    #[test]
    fn guarded_text_is_never_a_command_and_safe_text_is_unchanged() {
        for s in ADVERSARIAL {
            let g = guard(s);
            assert!(parse_output(&g).is_empty(), "{s:?} -> {g:?}");
            assert_eq!(strip(&g), *s, "guard only inserts zero-width spaces");
        }
        let all = ADVERSARIAL.join("\n");
        assert!(parse_output(&guard(&all)).is_empty());
        // Mid-line `::` (a Rust path, a URL) is left alone: no command there.
        for s in ["gate_core::out", "see https://x/::y", "a :: b"] {
            assert_eq!(guard(s), s);
        }
    }

    #[test]
    fn json_safe_keeps_the_value_and_starts_no_command() {
        for s in ADVERSARIAL {
            let v = serde_json::json!({ "name": s, "list": [s, format!("{s}{s}")], *s: 1 });
            for text in [
                serde_json::to_string(&v).unwrap(),
                serde_json::to_string_pretty(&v).unwrap(),
            ] {
                let safe = json_safe(text);
                assert!(parse_output(&safe).is_empty(), "{s:?} -> {safe}");
                assert!(!safe.contains("::") && !safe.contains("##["), "{safe}");
                let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
                assert_eq!(back, v, "{s:?}");
            }
        }
    }

    #[test]
    fn unintended_counts_only_what_the_gate_did_not_print() {
        let ours = command("error", &[("title", "t".into())], "m");
        let out = format!("{ours}\nhello\n::warning::injected\n");
        let extra = runner_model::unintended(&out, std::slice::from_ref(&ours));
        assert_eq!(extra.len(), 1);
        assert_eq!(extra[0].command, "warning");
        assert!(runner_model::unintended(&format!("{ours}\n"), &[ours]).is_empty());
    }

    #[test]
    fn mask_keeps_secret_bytes() {
        let cmds = parse_output(&add_mask("p%ss::word\nx"));
        assert_eq!(cmds[0].command, "add-mask");
        assert_eq!(cmds[0].data, "p%ss::word\nx");
    }
}
