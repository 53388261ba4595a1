//! The rules of gate-audit, in the order of the report and SARIF (ids,
//! summaries and help texts are published: never change one).

use crate::matcher::Class;

/// The gate's id (`AuditGate::ID`), for the modules below `gate`.
pub const GATE_ID: &str = "audit";

gate_core::rules! {
    /// Rules of gate-audit.
    pub enum AuditRule {
        /// A locked package has a known vulnerability.
        Vulnerability {
            id: "vulnerability",
            summary: "A locked package has a known vulnerability",
            help: "Upgrade the package to a fixed version (see the advisory), or add an ignore with a reason and an expiry date.",
            severity: Error,
        },
        /// A locked package is unmaintained (RustSec informational advisory).
        Unmaintained {
            id: "unmaintained",
            summary: "A locked package is unmaintained (RustSec informational advisory)",
            help: "Plan a replacement; set `unmaintained: note` to stop warning.",
            severity: Warning,
        },
        /// A locked package has an unsound API (RustSec informational advisory).
        Unsound {
            id: "unsound",
            summary: "A locked package has an unsound API (RustSec informational advisory)",
            help: "Upgrade to a fixed version or check that the unsound API is not used.",
            severity: Warning,
        },
        /// A locked package has a notice advisory (RustSec informational).
        Notice {
            id: "notice",
            summary: "A locked package has a notice advisory (RustSec informational)",
            help: "Read the advisory; set `notice: note` to stop warning.",
            severity: Warning,
        },
        /// A locked crate version was yanked from crates.io.
        Yanked {
            id: "yanked",
            summary: "A locked crate version was yanked from crates.io",
            help: "Update the crate (`cargo update -p NAME`): its owners withdrew this version; set `yanked: note` to stop warning.",
            severity: Warning,
        },
        /// The yanked status of some crates is unknown (no local crates.io index entry).
        YankedUnknown {
            id: "yanked-unknown",
            summary: "The yanked status of some crates is unknown (no local crates.io index entry)",
            help: "Run with --fetch (or `cargo update --dry-run` / any cargo build, which fills Cargo's index cache) to check them.",
            severity: Note,
        },
        /// A crates.io package of a Cargo.lock has a name crates.io cannot have.
        InvalidCrateName {
            id: "invalid-crate-name",
            summary: "A crates.io package of a Cargo.lock has a name crates.io cannot have",
            help: "crates.io names are 1 to 64 ASCII letters, digits, `-` and `_`, starting with a letter: the lockfile was edited by hand or tampered with. Review its history and regenerate it (`cargo generate-lockfile`).",
            severity: Error,
        },
        /// A finding matched an ignore entry.
        Ignored {
            id: "ignored",
            summary: "A finding matched an ignore entry",
            help: "Nothing to do until the ignore expires.",
            severity: Note,
        },
        /// An ignore entry is past its expiry date (matching a finding or not).
        IgnoreExpired {
            id: "ignore-expired",
            summary: "An ignore entry is past its expiry date (matching a finding or not)",
            help: "Fix the vulnerability, or renew the ignore with a new reason and date; remove it if it matches nothing.",
            severity: Error,
        },
        /// An ignore entry that has not expired matches no finding.
        IgnoreUnused {
            id: "ignore-unused",
            summary: "An ignore entry that has not expired matches no finding",
            help: "Remove it: the vulnerability is gone (or the id is misspelt).",
            severity: Warning,
        },
        /// A lockfile entry could not be checked (unpinned requirement, git or file dependency).
        UncheckedEntry {
            id: "unchecked-entry",
            summary: "A lockfile entry could not be checked (unpinned requirement, git or file dependency)",
            help: "Pin the requirement with == (pip-compile / uv pip compile) so it can be audited.",
            severity: Note,
        },
    }
}

impl AuditRule {
    /// The rule of a finding of class `c`.
    pub fn of_class(c: Class) -> AuditRule {
        match c {
            Class::Vulnerability => AuditRule::Vulnerability,
            Class::Unmaintained => AuditRule::Unmaintained,
            Class::Unsound => AuditRule::Unsound,
            Class::Notice => AuditRule::Notice,
            Class::Yanked => AuditRule::Yanked,
        }
    }
}
