//! `berth rollback`: set a package back to the object it held before.

use std::path::Path;

use berth::env::promote;
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::Output;

/// Roll a package back to the object it held before its current one
///
/// A new commit on the environment's ref (action `rollback`); the guards of a
/// promotion apply. Two rollbacks in a row return to where you started.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "Set staging back to the object it held before its current one",
        "berth rollback anthropic-search --env staging",
    ),
    ("The same in production, for a script", "berth rollback shop --env production --format json"),
]))]
pub struct Args {
    /// The package
    package: String,
    /// The environment
    #[arg(long, value_name = "ENV")]
    env: String,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let outcome = promote::rollback(&workspace, &args.package, &args.env)?;
    super::promote::render(&outcome, out);
    Ok(0)
}
