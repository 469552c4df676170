//! The `appointment-setter` binary: everything lives in the library; see [`appointment_setter::cli`].

fn main() -> std::process::ExitCode {
    appointment_setter::cli::main()
}
