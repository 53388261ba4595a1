//! Checks on the input files.

use gate_core::report::{Finding, Location, Report, Severity};

use crate::collect::SarifInput;
use crate::config::SarifConfig;
use crate::rules::SarifRule;

/// `input-missing`: every configured input exists.
pub fn missing(input: &SarifInput, report: &mut Report) {
    for f in input.files.iter().filter(|f| f.bytes.is_none()) {
        report.findings.push(
            Finding::new(
                SarifRule::InputMissing,
                Severity::Error,
                format!("{} does not exist", f.path),
            )
            .at(Location::file(f.path.clone())),
        );
    }
}

/// `input-too-large`: no input is over `max-bytes`.
pub fn too_large(input: &SarifInput, config: &SarifConfig, report: &mut Report) {
    let Some(max) = config.max_bytes else {
        return;
    };
    for f in &input.files {
        if let Some(n) = f.bytes.filter(|n| *n > max) {
            report.findings.push(
                Finding::new(
                    SarifRule::InputTooLarge,
                    Severity::Error,
                    format!("{} is {n} bytes, over max-bytes {max}", f.path),
                )
                .at(Location::file(f.path.clone())),
            );
        }
    }
}
