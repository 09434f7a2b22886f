//! The `ta-kernels` command: compute indicators, scan for triggers and
//! benchmark the crate on real or sample bars. See `ta-kernels --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
