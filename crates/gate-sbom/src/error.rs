//! gate-sbom's errors are gate-core's: each carries its exit code.

pub use gate_core::GateError as Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;
