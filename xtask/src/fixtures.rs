//! `cargo xtask fixtures`: the fixture root (`../shared/fixtures` on the
//! project's own machines) rebuilt from its pinned sources and verified by
//! sha256 against `xtask/fixtures.toml`.
//!
//! - `fixtures [--dest DIR] [--mirror DIR|URL]`: fetch every entry of the
//!   manifest that `DIR` (default `../shared/fixtures` beside the clone)
//!   does not already hold verified, verify it in a staging directory, and
//!   only then move it into place. Sources: a single file from its upstream
//!   URL at a pinned commit (`url`), a tree from a GitHub archive of a pinned
//!   commit (`archive`, `strip`, `include`), or the project's own bundle for
//!   what was produced here and has no upstream (`bundle = true`). With
//!   `--mirror`, every entry is taken from `<mirror>/<path>` instead (a
//!   directory or a `file://`/`https://` base): the same staging and
//!   verification, offline. `--rewrite FROM=TO` (repeatable) replaces the
//!   URL prefix FROM by TO in every upstream URL (a local copy of GitHub's
//!   layout, to test the upstream code paths offline).
//! - `fixtures --verify DIR`: check `DIR` against the manifest; every
//!   missing or differing entry is listed, and the exit code is 1.
//! - `fixtures --update-manifest DIR`: recompute the `sha256` and `files`
//!   of every entry from `DIR` (keeps the provenance as written).
//! - `fixtures --pack-bundle DIR OUT`: write the reproducible tar.gz of the
//!   `bundle = true` entries (sorted, mtime 0, numeric owner 0, `gzip -n`).
//!
//! A file's digest is its sha256. A tree's digest is the sha256 of the
//! listing `<sha256>  <relative path>\n` of its regular files, sorted by
//! path bytes, which is what
//! `cd DIR && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum`
//! prints.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST: &str = "xtask/fixtures.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    bundle: Bundle,
    fixture: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Bundle {
    url: String,
    sha256: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    sha256: String,
    #[serde(default)]
    files: Option<u64>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    archive: Option<String>,
    #[serde(default)]
    strip: Option<String>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    bundle: bool,
}

impl Entry {
    fn is_tree(&self) -> bool {
        self.files.is_some()
    }
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let manifest_path = root.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    check_paths(&manifest)?;
    match args {
        [flag, dir] if flag == "--verify" => verify_all(&manifest, Path::new(dir)),
        [flag, dir] if flag == "--update-manifest" => {
            update_manifest(&manifest_path, &text, Path::new(dir))
        }
        [flag, dir, out] if flag == "--pack-bundle" => {
            pack_bundle(&manifest, Path::new(dir), Path::new(out))
        }
        _ => {
            let a = fetch_args(root, args)?;
            let ctx = Fetch {
                mirror: a.mirror.as_deref(),
                rewrites: &a.rewrites,
                bundle: &manifest.bundle,
                unpacked: std::cell::OnceCell::new(),
            };
            fetch_all(&manifest, &a.dest, &ctx)
        }
    }
}

struct FetchArgs {
    dest: PathBuf,
    mirror: Option<String>,
    rewrites: Vec<(String, String)>,
}

fn fetch_args(root: &Path, args: &[String]) -> Result<FetchArgs, String> {
    let mut dest = root.join("../shared/fixtures");
    let mut mirror = None;
    let mut rewrites = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dest" => dest = PathBuf::from(it.next().ok_or("--dest needs a directory")?),
            "--mirror" => {
                mirror = Some(
                    it.next()
                        .ok_or("--mirror needs a directory or URL")?
                        .clone(),
                )
            }
            "--rewrite" => {
                let r = it.next().ok_or("--rewrite needs FROM=TO")?;
                let (from, to) = r.split_once('=').ok_or("--rewrite needs FROM=TO")?;
                rewrites.push((from.to_string(), to.to_string()));
            }
            _ => {
                return Err(
                    "usage: cargo xtask fixtures [--dest DIR] [--mirror DIR|URL] [--rewrite FROM=TO]... \
                     | --verify DIR \
                     | --update-manifest DIR | --pack-bundle DIR OUT"
                        .into(),
                );
            }
        }
    }
    Ok(FetchArgs {
        dest,
        mirror,
        rewrites,
    })
}

/// Entry paths are relative, normal and unique: nothing is written outside the root.
fn check_paths(m: &Manifest) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for e in &m.fixture {
        let p = Path::new(&e.path);
        let normal = p
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if e.path.is_empty() || !normal || !seen.insert(e.path.clone()) {
            return Err(format!("{MANIFEST}: bad or duplicate path {:?}", e.path));
        }
        let sources =
            usize::from(e.url.is_some()) + usize::from(e.archive.is_some()) + usize::from(e.bundle);
        if sources != 1 {
            return Err(format!(
                "{MANIFEST}: {} needs exactly one of url, archive, bundle",
                e.path
            ));
        }
        if e.archive.is_some() && !e.is_tree() {
            return Err(format!(
                "{MANIFEST}: {}: an archive entry is a tree (files = N)",
                e.path
            ));
        }
    }
    Ok(())
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn tree_files(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for ent in rd {
        let ent = ent.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let ft = ent
            .file_type()
            .map_err(|e| format!("{}: {e}", ent.path().display()))?;
        if ft.is_dir() {
            tree_files(&ent.path(), &r, out)?;
        } else if ft.is_file() {
            out.push((r, ent.path()));
        } else {
            return Err(format!(
                "{}: not a regular file or directory",
                ent.path().display()
            ));
        }
    }
    Ok(())
}

/// (digest, file count) of a file or a tree; `None` when it is absent.
fn digest(path: &Path, tree: bool) -> Result<Option<(String, u64)>, String> {
    if !path.exists() {
        return Ok(None);
    }
    if !tree {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Some((sha256_hex(&bytes), 1)));
    }
    let mut files = Vec::new();
    tree_files(path, "", &mut files)?;
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut listing = String::new();
    for (rel, p) in &files {
        let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let _ = writeln!(listing, "{}  {rel}", sha256_hex(&bytes));
    }
    Ok(Some((sha256_hex(listing.as_bytes()), files.len() as u64)))
}

/// `Ok(())` when `path` holds exactly the entry, else why not.
fn verify_entry(e: &Entry, path: &Path) -> Result<(), String> {
    match digest(path, e.is_tree())? {
        None => Err(format!("{}: missing", e.path)),
        Some((d, n)) if d == e.sha256 && e.files.is_none_or(|f| f == n) => Ok(()),
        Some((d, n)) => Err(format!(
            "{}: sha256 {d} ({n} files), manifest {} ({} files)",
            e.path,
            e.sha256,
            e.files.unwrap_or(1)
        )),
    }
}

fn verify_all(m: &Manifest, dir: &Path) -> Result<(), String> {
    let mut bad = Vec::new();
    let mut files = 0;
    for e in &m.fixture {
        match verify_entry(e, &dir.join(&e.path)) {
            Ok(()) => files += e.files.unwrap_or(1),
            Err(why) => bad.push(why),
        }
    }
    if bad.is_empty() {
        gate_core::out::stdout(&format!(
            "fixtures: {} entries ({files} files) in {} match {MANIFEST}\n",
            m.fixture.len(),
            dir.display()
        ));
        return Ok(());
    }
    for why in &bad {
        gate_core::out::stderr(&format!("fixtures: {why}\n"));
    }
    Err(format!(
        "{} of {} entries in {} do not match {MANIFEST}",
        bad.len(),
        m.fixture.len(),
        dir.display()
    ))
}

fn update_manifest(manifest_path: &Path, text: &str, dir: &Path) -> Result<(), String> {
    let m: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = String::with_capacity(text.len());
    let mut current: Option<&Entry> = None;
    let mut next = 0;
    for line in text.lines() {
        if line.trim() == "[[fixture]]" {
            current = m.fixture.get(next);
            next += 1;
        }
        let e = current.filter(|_| line.starts_with("sha256 = ") || line.starts_with("files = "));
        match e {
            Some(e) => {
                let (d, n) = digest(&dir.join(&e.path), e.is_tree())?
                    .ok_or_else(|| format!("{}: missing in {}", e.path, dir.display()))?;
                if line.starts_with("sha256") {
                    let _ = writeln!(out, "sha256 = \"{d}\"");
                } else {
                    let _ = writeln!(out, "files = {n}");
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    gate_core::fs::atomic_write(manifest_path, out.as_bytes()).map_err(|e| e.to_string())
}

fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    let what = format!("{cmd:?}");
    let st = cmd
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({st})"))
    }
}

fn curl(url: &str, out: &Path) -> Result<(), String> {
    gate_core::out::stdout(&format!("fixtures: fetching {url}\n"));
    run_cmd(
        Command::new("curl")
            .args([
                "--proto",
                "=https,file",
                "--tlsv1.2",
                "-fsSL",
                "--retry",
                "3",
                "-o",
            ])
            .arg(out)
            .arg(url),
    )
}

fn mirror_url(mirror: &str, path: &str) -> String {
    if mirror.contains("://") {
        format!("{}/{path}", mirror.trim_end_matches('/'))
    } else {
        let abs = std::fs::canonicalize(mirror).unwrap_or_else(|_| PathBuf::from(mirror));
        format!("file://{}/{path}", abs.display())
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let mut files = Vec::new();
    tree_files(from, "", &mut files)?;
    for (rel, p) in files {
        let t = to.join(&rel);
        if let Some(parent) = t.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::copy(&p, &t).map_err(|e| format!("{} -> {}: {e}", p.display(), t.display()))?;
    }
    Ok(())
}

/// Fetches one entry into `staged` (its final name inside the staging dir).
fn stage(e: &Entry, staged: &Path, scratch: &Path, ctx: &Fetch) -> Result<(), String> {
    if let Some(parent) = staged.parent() {
        std::fs::create_dir_all(parent).map_err(|err| format!("{}: {err}", parent.display()))?;
    }
    if let Some(mirror) = ctx.mirror {
        if !e.is_tree() {
            return curl(&mirror_url(mirror, &e.path), staged);
        }
        if mirror.contains("://") {
            return Err(format!(
                "{}: a tree cannot be fetched from a URL mirror",
                e.path
            ));
        }
        return copy_tree(&Path::new(mirror).join(&e.path), staged);
    }
    if e.bundle {
        let unpacked = ctx.bundle(scratch)?;
        let from = unpacked.join(&e.path);
        if e.is_tree() {
            return copy_tree(&from, staged);
        }
        return std::fs::copy(&from, staged)
            .map(|_| ())
            .map_err(|err| format!("{}: {err}", from.display()));
    }
    if let Some(url) = &e.url {
        return curl(&ctx.url(url), staged);
    }
    let (Some(archive), Some(strip)) = (&e.archive, &e.strip) else {
        return Err(format!("{}: an archive entry needs `strip`", e.path));
    };
    let tgz = scratch.join("archive.tar.gz");
    curl(&ctx.url(archive), &tgz)?;
    std::fs::create_dir_all(staged).map_err(|err| format!("{}: {err}", staged.display()))?;
    let mut tar = Command::new("tar");
    tar.arg("-xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(staged)
        .arg("--strip-components=1");
    for inc in &e.include {
        tar.arg(format!("{strip}/{inc}"));
    }
    run_cmd(&mut tar)?;
    std::fs::remove_file(&tgz).map_err(|err| err.to_string())
}

struct Fetch<'a> {
    mirror: Option<&'a str>,
    rewrites: &'a [(String, String)],
    bundle: &'a Bundle,
    unpacked: std::cell::OnceCell<PathBuf>,
}

impl Fetch<'_> {
    fn url(&self, url: &str) -> String {
        for (from, to) in self.rewrites {
            if let Some(rest) = url.strip_prefix(from.as_str()) {
                return format!("{to}{rest}");
            }
        }
        url.to_string()
    }

    /// The project's bundle of fixtures produced here, downloaded and
    /// verified once, unpacked under `scratch/bundle`.
    fn bundle(&self, scratch: &Path) -> Result<PathBuf, String> {
        if let Some(p) = self.unpacked.get() {
            return Ok(p.clone());
        }
        let tgz = scratch.join("bundle.tar.gz");
        curl(&self.url(&self.bundle.url), &tgz)?;
        let bytes = std::fs::read(&tgz).map_err(|e| e.to_string())?;
        let got = sha256_hex(&bytes);
        if got != self.bundle.sha256 {
            return Err(format!(
                "bundle {}: sha256 {got}, manifest {}",
                self.bundle.url, self.bundle.sha256
            ));
        }
        let dir = scratch.join("bundle");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        run_cmd(
            Command::new("tar")
                .arg("-xzf")
                .arg(&tgz)
                .arg("-C")
                .arg(&dir),
        )?;
        Ok(self.unpacked.get_or_init(|| dir).clone())
    }
}

fn fetch_all(m: &Manifest, dest: &Path, ctx: &Fetch) -> Result<(), String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    // Staging beside the destination: the final move is a rename on one filesystem.
    let staging = dest.join(".fixtures-staging");
    let _ = std::fs::remove_dir_all(&staging);
    let scratch = staging.join(".scratch");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let (mut kept, mut fetched) = (0, 0);
    let result = (|| {
        for e in &m.fixture {
            let target = dest.join(&e.path);
            if verify_entry(e, &target).is_ok() {
                kept += 1;
                continue;
            }
            let staged = staging.join(&e.path);
            stage(e, &staged, &scratch, ctx)?;
            verify_entry(e, &staged).map_err(|why| format!("fetched, but {why}"))?;
            if target.is_dir() {
                std::fs::remove_dir_all(&target)
                    .map_err(|err| format!("{}: {err}", target.display()))?;
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|err| format!("{}: {err}", parent.display()))?;
            }
            std::fs::rename(&staged, &target)
                .map_err(|err| format!("{}: {err}", target.display()))?;
            fetched += 1;
        }
        Ok::<(), String>(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result?;
    gate_core::out::stdout(&format!(
        "fixtures: {fetched} fetched and verified, {kept} already verified, in {}\n",
        dest.display()
    ));
    verify_all(m, dest)
}

fn pack_bundle(m: &Manifest, dir: &Path, out: &Path) -> Result<(), String> {
    let paths: Vec<&str> = m
        .fixture
        .iter()
        .filter(|e| e.bundle)
        .map(|e| e.path.as_str())
        .collect();
    for e in m.fixture.iter().filter(|e| e.bundle) {
        verify_entry(e, &dir.join(&e.path))?;
    }
    let tar_path = out.with_extension("tmp.tar");
    run_cmd(
        Command::new("tar")
            .args([
                "--sort=name",
                "--mtime=@0",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
            ])
            .args(["--format=gnu", "-cf"])
            .arg(&tar_path)
            .arg("-C")
            .arg(dir)
            .args(&paths),
    )?;
    let gz = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    run_cmd(
        Command::new("gzip")
            .args(["-n", "-9", "-c"])
            .arg(&tar_path)
            .stdout(gz),
    )?;
    std::fs::remove_file(&tar_path).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(out).map_err(|e| e.to_string())?;
    gate_core::out::stdout(&format!(
        "fixtures: bundle {} ({} entries, {} bytes), sha256 {}\n",
        out.display(),
        paths.len(),
        bytes.len(),
        sha256_hex(&bytes)
    ));
    Ok(())
}
