//! Before `collect`: the data sources filled in, fetched ones with `fetch`
//! / `osv-api`, else (nothing configured) the copies fetched earlier,
//! offline.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gate_core::GateError;

use crate::collect::cache_dir;
use crate::config::AuditConfig;
use crate::discover::{discover, rel};
use crate::lockfile::{self, Detail, Lockfile};
use crate::{fetch, yanked};
use gate_core::types::Level;

/// Ecosystems (OSV names) of the lockfiles `collect` will read.
fn lock_ecosystems(root: &Path, config: &AuditConfig) -> gate_core::Result<Vec<Lockfile>> {
    let paths: Vec<PathBuf> = if config.lockfiles.is_empty() {
        discover(root, &config.exclude)?.0
    } else {
        config
            .lockfiles
            .iter()
            .map(|p| {
                let p = Path::new(p);
                if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    root.join(p)
                }
            })
            .collect()
    };
    let mut out = Vec::new();
    for p in paths {
        // unreadable or unknown lockfiles are reported by collect
        let (Some(kind), Ok(bytes)) = (lockfile::kind_of(&p), std::fs::read(&p)) else {
            continue;
        };
        if let Ok(l) = lockfile::parse_with(kind, &rel(root, &p), &bytes, Detail::Packages) {
            out.push(l);
        }
    }
    Ok(out)
}

/// Fills in the data sources: fetched ones with `fetch` / `osv-api`, else
/// (nothing configured) the copies fetched earlier, offline.
pub async fn prepare(
    root: &Path,
    config: &AuditConfig,
) -> gate_core::Result<(AuditConfig, Option<fetch::ApiData>, Vec<String>)> {
    let cache = cache_dir(config, root).map(|c| c.join("audit"));
    let mut cfg = config.clone();
    let mut notes = Vec::new();
    if !config.fetch && !config.osv_api {
        if cfg.rustsec_db.is_none()
            && cfg.osv_db.is_empty()
            && let Some(c) = &cache
        {
            use_cached(c, &mut cfg, &mut notes);
        }
        return Ok((cfg, None, notes));
    }
    let Some(cache) = cache else {
        return Err(GateError::Config(vec![
            "audit.fetch / audit.osv-api: fetched data needs a cache directory, but cache-dir is off; set cache-dir to a directory".into(),
        ]));
    };
    let extra_ca = ca_file(root, config)?;
    let locks = lock_ecosystems(root, config)?;
    let ecos: BTreeSet<&'static str> = locks
        .iter()
        .filter(|l| !l.packages.is_empty())
        .map(|l| l.ecosystem.osv_name())
        .collect();
    if config.fetch && ecos.contains("crates.io") && cfg.rustsec_db.is_none() {
        let (p, downloaded) = fetch::fetch_rustsec(&cache, &config.rustsec_url)?;
        let commit = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        notes.push(format!(
            "RustSec advisory-db {} at commit {commit} ({})",
            if downloaded { "fetched" } else { "up to date" },
            config.rustsec_url
        ));
        cfg.rustsec_db = Some(p.to_string_lossy().into_owned());
    }
    if config.fetch && ecos.contains("crates.io") && config.yanked != Level::Ignore {
        let client = fetch::client_with(&extra_ca)?;
        let n = yanked::fetch(
            &client,
            config.crates_index_url.as_str(),
            &cache.join("crates-index"),
            &locks,
        )
        .await?;
        notes.push(format!(
            "crates.io index: {n} crate(s) fetched from {}",
            config.crates_index_url
        ));
    }
    let osv_ecos: BTreeSet<&str> = ecos.iter().copied().filter(|e| *e != "crates.io").collect();
    let api = fetch_osv(
        &cache, config, &extra_ca, &locks, &osv_ecos, &mut cfg, &mut notes,
    )
    .await?;
    Ok((cfg, api, notes))
}

/// The RustSec checkout and OSV archives fetched by an earlier run, offline.
fn use_cached(cache: &Path, cfg: &mut AuditConfig, notes: &mut Vec<String>) {
    if let Some(p) = fetch::cached_rustsec(cache) {
        notes.push(format!(
            "offline: RustSec advisory-db fetched earlier ({})",
            p.display()
        ));
        cfg.rustsec_db = Some(p.to_string_lossy().into_owned());
    }
    for eco in ["npm", "PyPI"] {
        if let Some(z) = fetch::cached_osv_zip(cache, eco) {
            notes.push(format!(
                "offline: OSV {eco} all.zip fetched earlier ({})",
                z.display()
            ));
            cfg.osv_db.push(z.to_string_lossy().into_owned());
        }
    }
}

/// The PEM certificates of `ca-file` (none when unset), refused now, with
/// the file named, rather than as a TLS error on every request.
fn ca_file(root: &Path, config: &AuditConfig) -> gate_core::Result<Vec<Vec<u8>>> {
    let Some(f) = &config.ca_file else {
        return Ok(Vec::new());
    };
    let p = root.join(f);
    let pem = std::fs::read(&p).map_err(|e| GateError::read(&p, e))?;
    gate_core::tls::client_config(std::slice::from_ref(&pem), false)
        .map_err(|e| GateError::malformed(&p, None, format!("audit.ca-file: {e}")))?;
    Ok(vec![pem])
}

/// OSV data for the lockfiles' non-crates.io ecosystems: the API's records
/// with `osv-api`, else with `fetch` (and no `osv-db`) each ecosystem's
/// `all.zip`, added to `cfg.osv_db`.
async fn fetch_osv(
    cache: &Path,
    config: &AuditConfig,
    extra_ca: &[Vec<u8>],
    locks: &[Lockfile],
    osv_ecos: &BTreeSet<&str>,
    cfg: &mut AuditConfig,
    notes: &mut Vec<String>,
) -> gate_core::Result<Option<fetch::ApiData>> {
    if config.osv_api && !osv_ecos.is_empty() {
        let client = fetch::client_with(extra_ca)?;
        let queries = fetch::queries_for(locks, osv_ecos);
        let mut data =
            fetch::query_api(&client, Some(cache), config.osv_api_url.as_str(), &queries).await?;
        data.ecosystems = osv_ecos.iter().map(|e| e.to_string()).collect();
        notes.push(format!(
            "OSV API {}: {} package versions in {} request(s), {} vulnerabilit{} ({} from cache)",
            data.url,
            data.queries,
            data.requests,
            data.records.len(),
            if data.records.len() == 1 { "y" } else { "ies" },
            data.cached
        ));
        return Ok(Some(data));
    }
    if config.fetch && cfg.osv_db.is_empty() && !osv_ecos.is_empty() {
        let client = fetch::client_with(extra_ca)?;
        for eco in osv_ecos {
            let (p, downloaded) =
                fetch::fetch_osv_zip(&client, cache, config.osv_zip_url.as_str(), eco).await?;
            notes.push(format!(
                "OSV {eco} all.zip {} ({})",
                if downloaded { "fetched" } else { "up to date" },
                config.osv_zip_url
            ));
            cfg.osv_db.push(p.to_string_lossy().into_owned());
        }
    }
    Ok(None)
}
