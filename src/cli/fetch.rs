//! `berth fetch`: the remote's catalog and environments, and the local
//! environments that are behind moved forward.

use std::path::Path;

use berth::env::fetch::{self, EnvFetched, EnvSync, FetchOutcome};
use berth::workspace::Workspace;

use super::error::{CONFLICT, CliError};
use super::render::Output;
use berth::report::short::short_commit;

/// Fetch the catalog and every environment from a remote, and fast-forward the local environments
///
/// The catalog branch and every environment ref go to remote-tracking refs
/// (refs/remotes/<remote>/env/<E>, where `git clone` puts them). Each local
/// environment ref that is behind the remote's moves forward to it, by
/// compare-and-swap; one that is not (it has promotions the remote has not) is
/// left alone. Fetching goes through your git, so its credentials, SSH agent and
/// url.*.insteadOf apply. Exits 3 when an environment diverged.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("From berth.toml's [repo] remote (origin unless it says otherwise)", "berth fetch"),
    ("From another remote", "berth fetch upstream"),
    ("For a script: what moved, and what diverged", "berth fetch --format json"),
]))]
pub struct Args {
    /// The remote (default: berth.toml's [repo] remote, else origin)
    #[arg(value_name = "REMOTE")]
    remote: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let outcome = fetch::fetch(&workspace, args.remote.as_deref())?;
    render(&outcome, out);
    let diverged = outcome.diverged();
    for report in &diverged {
        out.diagnostic(report);
    }
    Ok(if diverged.is_empty() { 0 } else { CONFLICT })
}

fn render(outcome: &FetchOutcome, out: &mut Output) {
    if out.is_json() {
        out.json(outcome);
        return;
    }
    for env in &outcome.environments {
        out.line(line(env));
    }
}

fn line(env: &EnvFetched) -> String {
    let commit = |id: &Option<String>| id.as_deref().map_or("nothing", short_commit).to_owned();
    let name = &env.environment;
    match env.status {
        EnvSync::UpToDate => format!("{name}: up to date at {}", commit(&env.local)),
        EnvSync::FastForwarded => format!(
            "{name}: fast-forwarded {}..{}",
            commit(&env.previous),
            commit(&env.local)
        ),
        EnvSync::Created => format!("{name}: created at {}", commit(&env.local)),
        EnvSync::Ahead => format!(
            "{name}: ahead of {} at {}; left as it is",
            commit(&env.remote),
            commit(&env.local)
        ),
        EnvSync::Diverged => format!(
            "{name}: diverged: here {}, on the remote {}; left as it is",
            commit(&env.local),
            commit(&env.remote)
        ),
        EnvSync::NotOnRemote => match &env.local {
            Some(_) => format!("{name}: not on the remote; here at {}", commit(&env.local)),
            None => format!("{name}: not on the remote"),
        },
    }
}
