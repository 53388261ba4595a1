fn main() -> std::process::ExitCode {
    gate_core::run::main::<gate_sarif::SarifGate>()
}
