fn main() -> std::process::ExitCode {
    // gate-rollback reads the `deploy` section too (see `inherit`).
    gate_rollback::inherit::preload();
    gate_core::run::main::<gate_rollback::RollbackGate>()
}
