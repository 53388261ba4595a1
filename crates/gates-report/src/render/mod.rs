//! Renderers: one module per output format, all reading a [`Report`].
//!
//! Renderers are pure (report in, text out); printing and writing files is
//! `run`'s job through [`crate::out`].

pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

use crate::report::{Report, Rule};

/// An output format (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    /// Plain text for people; colour on a terminal unless `NO_COLOR` is set.
    Human,
    /// The JSON report, schema v1 (`docs/report-v1.md`).
    Json,
    /// GitHub-flavoured Markdown (the job summary).
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub workflow commands (annotations).
    Github,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
            Format::Github => "github",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "human" | "text" => Some(Format::Human),
            "json" => Some(Format::Json),
            "markdown" | "md" => Some(Format::Markdown),
            "sarif" => Some(Format::Sarif),
            "github" | "annotations" => Some(Format::Github),
            _ => None,
        }
    }
}

/// Options that change how a report is rendered.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// ANSI colour in human output.
    pub color: bool,
    /// Verbose human output: every finding instead of the first 50.
    pub verbose: bool,
}

/// Renders `report` in `format`.
pub fn render(format: Format, report: &Report, rules: &[Rule], opts: &RenderOptions) -> String {
    match format {
        Format::Human => human::render(report, opts),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Sarif => sarif::render(report, rules),
        Format::Github => github::render(report),
    }
}
