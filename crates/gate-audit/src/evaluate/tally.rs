//! The counts the checks keep.

use std::collections::BTreeMap;

/// What the checks count, for the metrics, the summary and the details.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Findings (not ignored) by severity level (`unknown`: unrated;
    /// `informational`: the other classes).
    pub(super) counts: BTreeMap<&'static str, u64>,
    pub(super) vulns: u64,
    pub(super) warnings: u64,
    pub(super) ignored: u64,
    pub(super) dev_skipped: u64,
    pub(super) new_vulns: u64,
    /// (lockfile, package, version) → its advisories, for the details.
    pub(super) groups: BTreeMap<(String, String, String), Vec<serde_json::Value>>,
}
