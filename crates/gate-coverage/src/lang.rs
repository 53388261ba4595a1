//! What a path says about its language: the family its extension belongs
//! to and how a line comment starts in it.

/// The language family of a path, from its extension: files of one family
/// are measured by the same coverage tools.
pub fn language(path: &str) -> Option<&'static str> {
    let ext = extension(path)?;
    Some(match ext.as_str() {
        "py" | "pyw" => "python",
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "vue" | "svelte" => {
            "javascript"
        }
        "go" => "go",
        "rs" => "rust",
        "java" | "kt" | "kts" | "scala" | "groovy" => "jvm",
        "c" | "h" | "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "m" | "mm" => "c",
        "cs" | "fs" | "vb" => "dotnet",
        "rb" => "ruby",
        "php" => "php",
        "swift" => "swift",
        "dart" => "dart",
        "ex" | "exs" => "elixir",
        "erl" | "hrl" => "erlang",
        "lua" => "lua",
        "pl" | "pm" => "perl",
        "r" => "r",
        _ => return None,
    })
}

/// Line-comment starts in the language of `path`.
pub fn comment_tokens(path: &str) -> &'static [&'static str] {
    match language(path) {
        Some("python" | "ruby" | "elixir" | "perl" | "r") => &["#"],
        Some("php") => &["#", "//", "/*", "*/", "*"],
        Some("erlang") => &["%"],
        Some("lua") => &["--"],
        Some("dotnet") if path.ends_with(".vb") => &["'"],
        Some(_) => &["//", "/*", "*/", "*"],
        None => &[],
    }
}

/// The lower-cased extension of the last path component, if it has a stem.
fn extension(p: &str) -> Option<String> {
    let name = p.rsplit('/').next().unwrap_or(p);
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() {
        None
    } else {
        Some(ext.to_ascii_lowercase())
    }
}
