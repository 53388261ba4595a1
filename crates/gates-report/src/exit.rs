//! Exit codes shared by every gate. Documented in `docs/exit-codes.md`;
//! `cargo xtask schema` generates the table there from [`ExitCode::ALL`]
//! (`--check` fails on drift).

/// A process exit code with a documented meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitCode {
    /// The gate passed (warnings included, unless `--fail-on warn`).
    Pass,
    /// The gate ran and its policy failed.
    Fail,
    /// The command line was wrong.
    Usage,
    /// `gates.yml` (or an environment override) is invalid.
    Config,
    /// An input is missing, unreadable or malformed.
    Input,
    /// Something upstream failed: the GitHub API, the network, a proxy.
    Upstream,
    /// A bug in gates.
    Internal,
}

impl ExitCode {
    pub const ALL: [ExitCode; 7] = [
        ExitCode::Pass,
        ExitCode::Fail,
        ExitCode::Usage,
        ExitCode::Config,
        ExitCode::Input,
        ExitCode::Upstream,
        ExitCode::Internal,
    ];

    pub fn code(self) -> u8 {
        match self {
            ExitCode::Pass => 0,
            ExitCode::Fail => 1,
            ExitCode::Usage => 2,
            ExitCode::Config => 3,
            ExitCode::Input => 4,
            ExitCode::Upstream => 5,
            ExitCode::Internal => 70,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ExitCode::Pass => "pass",
            ExitCode::Fail => "fail",
            ExitCode::Usage => "usage",
            ExitCode::Config => "config",
            ExitCode::Input => "input",
            ExitCode::Upstream => "upstream",
            ExitCode::Internal => "internal",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Pass => {
                "The gate passed. Warnings pass too, unless `--fail-on warn` is given."
            }
            ExitCode::Fail => "The gate ran and its policy failed (or it checked nothing).",
            ExitCode::Usage => "Usage error: unknown flag, missing argument, bad flag value.",
            ExitCode::Config => {
                "Invalid configuration: `gates.yml` or a `GATES_*` environment override. Every problem is listed with its file:line and key."
            }
            ExitCode::Input => {
                "An input is missing, unreadable or malformed: a report, a lockfile, an advisory database, a git revision."
            }
            ExitCode::Upstream => {
                "An upstream system failed: the GitHub API (after retries), the network, a proxy or service the gate drives."
            }
            ExitCode::Internal => "Internal error: a bug in gates. Please report it.",
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}
