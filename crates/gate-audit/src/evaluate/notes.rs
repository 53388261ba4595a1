//! Notes and errors about the lockfiles themselves: crates whose yanked
//! status is unknown, crate names crates.io cannot have, entries that could
//! not be checked.

use gate_core::report::{Finding, Location, Report, Severity};

use crate::collect::AuditInput;
use crate::config::AuditConfig;
use crate::rules::AuditRule;

/// One note per lockfile with crates whose yanked status is unknown.
pub(super) fn yanked_unknown(input: &AuditInput, r: &mut Report) {
    for (path, unknown) in &input.yanked_unknown {
        let n = unknown.len();
        let shown: Vec<&str> = unknown.iter().take(8).map(String::as_str).collect();
        r.findings.push(
            Finding::new(
                AuditRule::YankedUnknown,
                Severity::Note,
                format!(
                    "yanked status unknown for {n} crates.io package(s), not in the local crates.io index ({}{}); run with --fetch to check them",
                    shown.join(", "),
                    if n > shown.len() { ", …" } else { "" }
                ),
            )
            .at(Location::file(path.clone()))
            .with_key("yanked-unknown"),
        );
    }
}

/// An error per crates.io package whose name crates.io cannot have.
pub(super) fn invalid_names(input: &AuditInput, r: &mut Report) {
    for n in &input.invalid_names {
        r.findings.push(
            Finding::new(
                AuditRule::InvalidCrateName,
                Severity::Error,
                format!(
                    "{:?} {} (crates.io): not a valid crates.io crate name ({}), so it was not looked up in the crates.io index; crates.io names are 1 to 64 ASCII letters, digits, `-` and `_`, starting with a letter: review how this entry got into the lockfile and regenerate it (`cargo generate-lockfile`)",
                    n.name, n.version, n.why
                ),
            )
            .at(Location::lines(n.lockfile.clone(), n.line, n.line))
            .with_key(format!("invalid-crate-name@{}@{}", n.name, n.version)),
        );
    }
}

/// A note per lockfile entry that could not be checked; returns how many
/// packages were checked (dev-only ones only with `include-dev`).
pub(super) fn unchecked_entries(input: &AuditInput, config: &AuditConfig, r: &mut Report) -> u64 {
    let mut checked = 0u64;
    for l in &input.lockfiles {
        checked += if config.include_dev {
            l.packages
        } else {
            l.packages - l.dev_packages
        };
        for (line, why) in &l.unchecked {
            r.findings.push(
                Finding::new(AuditRule::UncheckedEntry, Severity::Note, why.clone())
                    .at(Location::lines(l.path.clone(), *line, *line)),
            );
        }
    }
    checked
}
