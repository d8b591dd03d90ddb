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
    (
        "In production on the shared remote: built on its tip and pushed",
        "berth rollback shop --env production --push",
    ),
]))]
pub struct Args {
    /// The package
    package: String,
    /// The environment
    #[arg(long, value_name = "ENV")]
    env: String,
    /// Build on the remote's tip and push the environment there, without force
    /// (REMOTE defaults to berth.toml's [repo] remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let outcome = match super::promote::remote(&workspace, args.push.as_deref()) {
        Some(remote) => promote::rollback_and_push(&workspace, &args.package, &args.env, &remote)?,
        None => promote::rollback(&workspace, &args.package, &args.env)?,
    };
    super::promote::render(&outcome, out);
    Ok(0)
}
