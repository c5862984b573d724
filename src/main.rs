//! The `netloom` command: the seed's programs on any runtime, and the demo.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
