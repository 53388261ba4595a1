//! The runner's files and log: step outputs, the job summary, annotations.

use std::io::Write;
use std::path::Path;

use gates_report::error::{GateError, Result};

/// GitHub rejects a step summary over 1 MiB; we stay under it with margin.
pub const SUMMARY_LIMIT: usize = 1024 * 1024 - 4096;

/// A fresh heredoc delimiter: `ghadelimiter_` and 128 random bits.
pub fn random_delimiter() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| GateError::Internal(format!("no randomness for a delimiter: {e}")))?;
    Ok(format!("ghadelimiter_{}", gates_report::text::hex(&bytes)))
}

/// Formats one step output as a heredoc block. Refuses a name that is not a
/// plain identifier and a value that contains the delimiter.
pub fn format_output(name: &str, value: &str, delimiter: &str) -> Result<String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(GateError::Internal(format!(
            "bad step output name `{name}`"
        )));
    }
    if value.contains(delimiter) || name.contains(delimiter) {
        return Err(GateError::Input(format!(
            "step output `{name}` contains the heredoc delimiter; refusing to write it"
        )));
    }
    Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
}

/// Appends step outputs to `$GITHUB_OUTPUT`.
pub fn write_outputs(file: &Path, outputs: &[(String, String)]) -> Result<()> {
    let mut text = String::new();
    for (name, value) in outputs {
        let delimiter = random_delimiter()?;
        text.push_str(&format_output(name, value, &delimiter)?);
    }
    append(file, &text)
}

fn append(file: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(|e| GateError::write(file, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| GateError::write(file, e))
}

/// Cuts `markdown` to fit in `budget` bytes, on a line boundary, with a note.
pub fn fit_summary(markdown: &str, budget: usize) -> String {
    if markdown.len() <= budget {
        return markdown.to_string();
    }
    let note = "\n\n> [!WARNING]\n> This summary was truncated to fit GitHub's 1 MiB limit; the full report is in the JSON output and the check run.\n";
    let keep = budget.saturating_sub(note.len());
    let mut cut = keep.min(markdown.len());
    while cut > 0 && !markdown.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &markdown[..cut];
    let head = match head.rfind('\n') {
        Some(i) => &head[..i],
        None => head,
    };
    // Close a <details> block left open by the cut.
    let opened = head.matches("<details>").count();
    let closed = head.matches("</details>").count();
    let mut out = head.to_string();
    for _ in closed..opened {
        out.push_str("\n</details>");
    }
    out.push_str(note);
    out
}

/// Appends `markdown` to `$GITHUB_STEP_SUMMARY`, keeping the file under 1 MiB.
pub fn append_summary(file: &Path, markdown: &str) -> Result<()> {
    let existing = std::fs::metadata(file)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    let budget = SUMMARY_LIMIT.saturating_sub(existing);
    if budget < 256 {
        return Ok(());
    }
    let mut text = fit_summary(markdown, budget);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    append(file, &text)
}

pub use gates_report::render::github::{ANNOTATIONS_PER_LEVEL, annotations};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_refuses_delimiter_in_value() {
        let d = random_delimiter().unwrap();
        assert_eq!(d.len(), "ghadelimiter_".len() + 32);
        assert_ne!(d, random_delimiter().unwrap());
        let ok = format_output("total", "a\nb", &d).unwrap();
        assert_eq!(ok, format!("total<<{d}\na\nb\n{d}\n"));
        assert!(format_output("total", &format!("x\n{d}\ny=1"), &d).is_err());
        assert!(format_output("bad name", "x", &d).is_err());
    }

    #[test]
    fn outputs_parse_back_like_the_runner() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("out");
        let evil = "multi\nline\nEOF\nverdict<<X".to_string();
        write_outputs(
            &f,
            &[
                ("verdict".into(), "pass".into()),
                ("msg".into(), evil.clone()),
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        // Runner's reading: NAME<<DELIM, then lines until DELIM.
        let mut lines = text.lines();
        let mut got = Vec::new();
        while let Some(header) = lines.next() {
            let (name, delim) = header.split_once("<<").unwrap();
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            got.push((name.to_string(), value.join("\n")));
        }
        assert_eq!(
            got,
            vec![("verdict".into(), "pass".into()), ("msg".into(), evil)]
        );
    }

    #[test]
    fn summary_is_cut_under_the_limit_with_details_closed() {
        let mut md = String::from("# head\n<details>\n\n");
        for i in 0..100_000 {
            md.push_str(&format!("| row {i} | x |\n"));
        }
        let out = fit_summary(&md, 10_000);
        assert!(out.len() <= 10_000, "{}", out.len());
        assert!(out.contains("truncated"));
        assert_eq!(
            out.matches("<details>").count(),
            out.matches("</details>").count()
        );
        assert_eq!(fit_summary("small", 100), "small");
    }

    #[test]
    fn append_summary_respects_existing_content() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("summary");
        std::fs::write(&f, "x".repeat(SUMMARY_LIMIT - 1000)).unwrap();
        append_summary(&f, &"y\n".repeat(5000)).unwrap();
        assert!(std::fs::metadata(&f).unwrap().len() as usize <= SUMMARY_LIMIT);
    }
}
