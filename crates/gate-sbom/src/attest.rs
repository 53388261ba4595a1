//! Release artifacts: sha256 digests, the `sha256sum`-format subjects file
//! for `actions/attest` (`subject-checksums`), and an unsigned in-toto
//! Statement v1 with a SLSA v1 provenance predicate in the shape GitHub's
//! builder writes.

use std::io::Read;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::generate::Artifact;

/// sha256 and size of a file, streamed.
pub fn digest_file(path: &Path, name: String) -> Result<Artifact> {
    let mut f = std::fs::File::open(path).map_err(|e| {
        Error::Input(format!(
            "--artifact {}: cannot read it: {e}\n  hint: build the release files before running gate-sbom, and pass their paths",
            path.display()
        ))
    })?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::read(path, e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    let sha256 = gate_core::text::hex(&h.finalize());
    Ok(Artifact { name, sha256, size })
}

/// `HEX  NAME` lines, sorted by name, as `sha256sum` writes them.
pub fn subjects(artifacts: &[Artifact]) -> String {
    let mut v: Vec<&Artifact> = artifacts.iter().collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v.iter()
        .map(|a| format!("{}  {}\n", a.sha256, a.name))
        .collect()
}

/// Facts about the build for the provenance predicate.
#[derive(Debug, Clone, Default)]
pub struct BuildFacts {
    pub server_url: String,
    /// `owner/name`.
    pub repository: String,
    pub git_ref: Option<String>,
    pub commit: Option<String>,
    /// `.github/workflows/release.yml` (from `GITHUB_WORKFLOW_REF`).
    pub workflow_path: Option<String>,
    /// `owner/name/.github/workflows/release.yml@refs/...` as GitHub gives it.
    pub workflow_ref: Option<String>,
    pub event_name: Option<String>,
    pub run_id: Option<String>,
    pub run_attempt: Option<String>,
    pub runner_environment: Option<String>,
}

/// The unsigned in-toto Statement v1 over the artifacts (and the SBOM).
pub fn statement(subjects: &[Artifact], f: &BuildFacts) -> Value {
    let mut subs: Vec<&Artifact> = subjects.iter().collect();
    subs.sort_by(|a, b| a.name.cmp(&b.name));
    let repo_url = format!("{}/{}", f.server_url, f.repository);
    let git_ref = f.git_ref.clone().unwrap_or_default();
    let builder_id = match &f.workflow_ref {
        Some(w) => format!("{}/{w}", f.server_url),
        None => format!("{repo_url}/.github/workflows/unknown@{git_ref}"),
    };
    let invocation = match (&f.run_id, &f.run_attempt) {
        (Some(id), Some(att)) => Some(format!("{repo_url}/actions/runs/{id}/attempts/{att}")),
        (Some(id), None) => Some(format!("{repo_url}/actions/runs/{id}")),
        _ => None,
    };
    let mut resolved = Vec::new();
    if let Some(c) = &f.commit {
        resolved.push(json!({
            "uri": format!("git+{repo_url}@{git_ref}"),
            "digest": { "gitCommit": c }
        }));
    }
    let mut metadata = serde_json::Map::new();
    if let Some(i) = invocation {
        metadata.insert("invocationId".into(), Value::String(i));
    }
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subs.iter().map(|a| json!({"name": a.name, "digest": {"sha256": a.sha256}})).collect::<Vec<_>>(),
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {
                        "ref": git_ref,
                        "repository": repo_url,
                        "path": f.workflow_path.clone().unwrap_or_default(),
                    }
                },
                "internalParameters": {
                    "github": {
                        "event_name": f.event_name.clone().unwrap_or_default(),
                        "runner_environment": f.runner_environment.clone().unwrap_or_default(),
                    }
                },
                "resolvedDependencies": resolved,
            },
            "runDetails": {
                "builder": { "id": builder_id },
                "metadata": metadata,
            }
        }
    })
}

/// `owner/name/.github/workflows/x.yml@ref` → `.github/workflows/x.yml`.
pub fn workflow_path(workflow_ref: &str, repository: &str) -> Option<String> {
    let rest = workflow_ref.strip_prefix(repository)?.strip_prefix('/')?;
    Some(rest.split('@').next().unwrap_or(rest).to_string())
}
