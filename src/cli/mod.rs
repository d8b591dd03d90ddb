//! The command line: parse arguments, make one library call, render what comes back,
//! and map the outcome to an exit code.

mod demo;
mod diff;
mod error;
mod history;
mod init;
mod lineage;
mod ls;
mod promote;
mod put;
mod render;
mod rollback;
mod show;
mod status;
mod validate;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use error::CliError;
use render::Output;

/// Keep the deployable state of a software estate in git.
///
/// Manifests, releases and configs are immutable, content-hashed files; promoting
/// to an environment is a commit that moves its ref; lineage is read off commit
/// parents; and a validator enforces the invariants.
#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Flags every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Run as if berth was started in DIR
    #[arg(short = 'C', id = "chdir", value_name = "DIR", global = true)]
    dir: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    format: Format,
    /// Never use color
    #[arg(long, global = true)]
    no_color: bool,
    /// Print only errors and the results asked for
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print more detail
    #[arg(short, long, global = true)]
    verbose: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: tables and diagnostics with source spans
    Human,
    /// For programs: one JSON document on stdout, whatever the outcome
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    Init(init::Args),
    Put(put::Args),
    Show(show::Args),
    Ls(ls::Args),
    Promote(promote::Args),
    Rollback(rollback::Args),
    Status(status::Args),
    History(history::Args),
    Lineage(lineage::Args),
    Diff(diff::Args),
    Validate(validate::Args),
    Demo(demo::Args),
}

/// Runs berth with the process's arguments.
pub fn main() -> ExitCode {
    run(std::env::args_os())
}

/// Runs berth with the given arguments (the first is the program name).
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout and usage errors to stderr,
            // and exits 0 or 2 as berth's exit codes say.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let mut out = Output::new(&cli.global);
    let outcome = dispatch(&cli, &mut out);
    out.finish(outcome)
}

fn dispatch(cli: &Cli, out: &mut Output) -> Result<u8, CliError> {
    let dir = working_dir(&cli.global)?;
    match &cli.command {
        Command::Init(args) => init::run(args, &dir, out),
        Command::Put(args) => put::run(args, &dir, out),
        Command::Show(args) => show::run(args, &dir, out),
        Command::Ls(args) => ls::run(args, &dir, out),
        Command::Promote(args) => promote::run(args, &dir, out),
        Command::Rollback(args) => rollback::run(args, &dir, out),
        Command::Status(args) => status::run(args, &dir, out),
        Command::History(args) => history::run(args, &dir, out),
        Command::Lineage(args) => lineage::run(args, &dir, out),
        Command::Diff(args) => diff::run(args, &dir, out),
        Command::Validate(args) => validate::run(args, &dir, out),
        Command::Demo(args) => demo::run(args, &dir, &cli.global, out),
    }
}

/// The directory berth runs in: `-C DIR`, relative to the current directory.
fn working_dir(global: &GlobalArgs) -> Result<PathBuf, CliError> {
    let current = std::env::current_dir().map_err(|error| CliError::Io {
        path: PathBuf::from("."),
        error,
    })?;
    Ok(match &global.dir {
        Some(dir) => current.join(dir),
        None => current,
    })
}
