//! `collect`: all of gate-sbom's I/O. Generate (read the lockfiles, write the
//! SBOM, its XML, the subjects file and the Statement, then read the SBOM
//! back and validate it), `check` (read and validate SBOMs) or `diff` (two
//! sides, see [`crate::revision`]), into an [`SbomInput`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gate_core::{Context, GateError};

use crate::attest::{self, BuildFacts};
use crate::config::{SbomArgs, SbomCommand, SbomConfig};
use crate::doc::{Doc, check_bytes, sha256_hex};
use crate::generate::{self, Artifact, Options};
use crate::revision;
use crate::sources::{Source, display_path, graph_for, sources_under};

/// What `collect` gathers.
#[derive(Debug, Clone)]
pub struct SbomInput {
    /// `generate`, `check` or `diff`.
    pub mode: &'static str,
    pub docs: Vec<Doc>,
    pub artifacts: Vec<Artifact>,
    pub subjects_path: Option<String>,
    pub provenance_path: Option<String>,
    /// `diff`: the base SBOMs, one per head SBOM in `docs`, in the same order.
    pub bases: Vec<Doc>,
}

impl SbomInput {
    /// The input of a mode that writes no artifact, subjects or Statement.
    fn of(mode: &'static str, docs: Vec<Doc>, bases: Vec<Doc>) -> SbomInput {
        SbomInput {
            mode,
            docs,
            artifacts: Vec::new(),
            subjects_path: None,
            provenance_path: None,
            bases,
        }
    }
}

fn commit_time(repo: &Path) -> Option<i64> {
    let o = gate_core::git::command(repo)
        .args(["log", "-1", "--format=%ct"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !o.status.success() {
        return None;
    }
    String::from_utf8_lossy(&o.stdout).trim().parse().ok()
}

fn source_date(repo: &Path, has_commit: bool) -> gate_core::Result<Option<String>> {
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH")
        && !v.trim().is_empty()
    {
        let secs: i64 = v.trim().parse().map_err(|_| {
            GateError::Usage(format!(
                "SOURCE_DATE_EPOCH `{v}` is not a number of seconds since 1970-01-01 UTC"
            ))
        })?;
        return generate::timestamp(secs)
            .map(Some)
            .ok_or_else(|| GateError::Usage(format!("SOURCE_DATE_EPOCH `{v}` is out of range")));
    }
    if !has_commit {
        return Ok(None);
    }
    Ok(commit_time(repo).and_then(generate::timestamp))
}

fn write(path: &Path, bytes: &[u8]) -> gate_core::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| GateError::write(dir, e))?;
    }
    gate_core::ledger::local::atomic_write(path, bytes)
}

/// Everything the run reads and writes, for the pure `evaluate`.
pub fn collect(
    ctx: &Context,
    config: &SbomConfig,
    args: &SbomArgs,
) -> gate_core::Result<SbomInput> {
    let root = &ctx.repo_root;
    for l in &config.deny_licenses {
        if spdx::license_id(l).is_none() {
            return Err(GateError::Config(vec![format!(
                "sbom.deny-licenses: `{l}` is not an SPDX license id (e.g. GPL-3.0-only, AGPL-3.0-or-later)"
            )]));
        }
    }
    match &args.command {
        Some(SbomCommand::Diff { base, head }) => {
            let (bases, docs) = revision::diff_docs(ctx, config, base, head)?;
            Ok(SbomInput::of("diff", docs, bases))
        }
        Some(SbomCommand::Check { files }) => {
            let mut docs = Vec::new();
            for f in files {
                let p = ctx.resolve(f);
                let bytes = std::fs::read(&p).map_err(|e| GateError::read(&p, e))?;
                docs.push(check_bytes(&display_path(root, &p), &p, &bytes)?);
            }
            Ok(SbomInput::of("check", docs, Vec::new()))
        }
        None => generate_input(ctx, config),
    }
}

/// Refuses output paths that several inputs would all write.
fn check_paths(config: &SbomConfig, inputs: usize) -> gate_core::Result<()> {
    if inputs > 1 && !config.sbom_path.contains("{product}") {
        return Err(GateError::Config(vec![format!(
            "sbom.sbom-path `{}`: {inputs} inputs give {inputs} SBOMs; put `{{product}}` in the path (e.g. sbom/{{product}}.cdx.json)",
            config.sbom_path,
        )]));
    }
    if let Some(xp) = &config.xml_path
        && inputs > 1
        && !xp.contains("{product}")
    {
        return Err(GateError::Config(vec![format!(
            "sbom.xml-path `{xp}`: {inputs} inputs give {inputs} SBOMs; put `{{product}}` in the path (e.g. sbom/{{product}}.cdx.xml)",
        )]));
    }
    Ok(())
}

/// The release files, digested, sorted by name.
fn digest_artifacts(ctx: &Context, config: &SbomConfig) -> gate_core::Result<Vec<Artifact>> {
    let root = &ctx.repo_root;
    let mut artifacts = Vec::new();
    for a in config
        .artifacts
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let p = ctx.resolve(a);
        let name = match p.strip_prefix(root) {
            Ok(r) => r.to_string_lossy().replace('\\', "/"),
            Err(_) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| a.to_string()),
        };
        artifacts.push(attest::digest_file(&p, name)?);
    }
    artifacts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(artifacts)
}

/// Generate: one SBOM per input, written and read back, then the subjects
/// file and the Statement.
fn generate_input(ctx: &Context, config: &SbomConfig) -> gate_core::Result<SbomInput> {
    let root = &ctx.repo_root;
    let sources = sources_under(root, config, false)?;
    check_paths(config, sources.len())?;
    let artifacts = digest_artifacts(ctx, config)?;
    let opts = Options {
        spec: config.spec_version,
        timestamp: source_date(root, ctx.commit.is_some())?,
        artifacts: artifacts.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut docs = Vec::new();
    let mut written = BTreeSet::new();
    for src in &sources {
        docs.push(write_sbom(ctx, config, src, &opts, &mut written)?);
    }
    let mut subjects_path = None;
    if !artifacts.is_empty() {
        let p = ctx.resolve(&config.subjects_path);
        write(&p, attest::subjects(&artifacts).as_bytes())?;
        subjects_path = Some(display_path(root, &p));
    }
    let provenance_path = match &config.provenance_path {
        Some(pp) => Some(write_provenance(ctx, pp, &artifacts)?),
        None => None,
    };
    Ok(SbomInput {
        mode: "generate",
        docs,
        artifacts,
        subjects_path,
        provenance_path,
        bases: Vec::new(),
    })
}

/// The product's name as it may appear in a file name.
fn file_safe(product: &str) -> String {
    product
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes the SBOM of one source (and its XML), then reads it back and
/// validates it as a consumer would. `written` holds the paths already
/// written, which no second SBOM may take.
fn write_sbom(
    ctx: &Context,
    config: &SbomConfig,
    src: &Source,
    opts: &Options,
    written: &mut BTreeSet<PathBuf>,
) -> gate_core::Result<Doc> {
    let root = &ctx.repo_root;
    let g = graph_for(root, config, src)?;
    let product = g
        .packages
        .get(&g.root)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "product".into());
    let safe = file_safe(&product);
    let out = ctx.resolve(config.sbom_path.replace("{product}", &safe));
    if !written.insert(out.clone()) {
        return Err(GateError::Config(vec![format!(
            "sbom.sbom-path: two inputs would both write {}; give the products different names",
            out.display()
        )]));
    }
    let bom = generate::bom(&g, opts);
    let bytes = generate::to_bytes(bom.clone())
        .map_err(|e| GateError::Internal(format!("cannot serialize the SBOM: {e}")))?;
    write(&out, &bytes)?;
    let mut xml = None;
    if let Some(xp) = &config.xml_path {
        let xout = ctx.resolve(xp.replace("{product}", &safe));
        if xout == out || !written.insert(xout.clone()) {
            return Err(GateError::Config(vec![format!(
                "sbom.xml-path: {} is already written by another SBOM; give each its own path (with `{{product}}` when there are several inputs)",
                xout.display()
            )]));
        }
        let xbytes = generate::to_xml_bytes(&bom)
            .map_err(|e| GateError::Internal(format!("cannot serialize the SBOM as XML: {e}")))?;
        write(&xout, &xbytes)?;
        xml = Some((display_path(root, &xout), sha256_hex(&xbytes)));
    }
    // Validate what was written, as a consumer would read it.
    let back = std::fs::read(&out).map_err(|e| GateError::read(&out, e))?;
    let mut doc = check_bytes(&display_path(root, &out), &out, &back)?;
    doc.method = format!("{} from {}", g.method, g.source);
    doc.notes = g.notes.clone();
    doc.warnings = g.warnings.clone();
    doc.xml = xml;
    Ok(doc)
}

/// Writes the unsigned in-toto Statement of the artifacts at `path`; returns
/// the path as shown.
fn write_provenance(
    ctx: &Context,
    path: &str,
    artifacts: &[Artifact],
) -> gate_core::Result<String> {
    if artifacts.is_empty() {
        return Err(GateError::Config(vec![
            "sbom.provenance-path: a Statement needs subjects; pass the release files with --artifact".into(),
        ]));
    }
    let gh = &ctx.github;
    let workflow_ref = std::env::var("GITHUB_WORKFLOW_REF")
        .ok()
        .filter(|s| !s.is_empty());
    let facts = BuildFacts {
        server_url: gh.server_url.clone(),
        repository: gh.repository.clone(),
        git_ref: gh.git_ref.clone(),
        commit: gh.sha.clone().or_else(|| ctx.commit.clone()),
        workflow_path: workflow_ref
            .as_deref()
            .and_then(|w| attest::workflow_path(w, &gh.repository)),
        workflow_ref,
        event_name: gh.event_name.clone(),
        run_id: gh.run_id.clone(),
        run_attempt: gh.run_attempt.clone(),
        runner_environment: std::env::var("RUNNER_ENVIRONMENT")
            .ok()
            .filter(|s| !s.is_empty()),
    };
    let st = attest::statement(artifacts, &facts);
    let mut bytes = serde_json::to_vec_pretty(&st)
        .map_err(|e| GateError::Internal(format!("cannot serialize the Statement: {e}")))?;
    bytes.push(b'\n');
    let p = ctx.resolve(path);
    write(&p, &bytes)?;
    Ok(display_path(&ctx.repo_root, &p))
}
