//! The berth command: parsing and printing live in `cli`; everything it does is a
//! call into the `berth` library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
