//! `berth repair`: restore what commits berth cannot verify changed in an
//! environment, in one new commit.

use std::path::Path;

use berth::env::promote::{self, RepairOutcome};
use berth::report::short::{short_commit, short_object};
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::Output;

/// Restore what commits berth cannot verify changed in an environment
///
/// For an environment whose history holds commits made by hand, forged, or
/// squash- or rebase-merged: one new commit (action `repair`) whose state keeps
/// every entry a verified commit set and restores each other entry to the last
/// object a verified commit set (or removes it, if none). The commit names the
/// commits it repairs and the reason; `berth check` then reports them as
/// `env-repaired` warnings. Nothing is rewritten or force-pushed.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "Restore staging after a commit made by hand",
        "berth repair staging --reason \"INC-42: state.toml edited by hand\"",
    ),
    (
        "On the shared remote: built on its tip and pushed",
        "berth repair production --reason \"squash-merged PR #7\" --push",
    ),
]))]
pub struct Args {
    /// The environment
    #[arg(value_name = "ENV")]
    environment: String,
    /// Why, in one line: recorded in the commit and shown by `check` and `review`
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Build on the remote's tip and push the environment there, without force
    /// (REMOTE defaults to berth.toml's [repo] remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let remote = super::promote::remote(&workspace, args.push.as_deref());
    let outcome = promote::repair(
        &workspace,
        &args.environment,
        &args.reason,
        remote.as_deref(),
    )?;
    render(&outcome, out);
    Ok(0)
}

fn render(outcome: &RepairOutcome, out: &mut Output) {
    if out.is_json() {
        out.json(outcome);
        return;
    }
    let Some(commit) = &outcome.commit else {
        out.line(format!(
            "nothing to repair: every entry of {} is what a commit berth verifies set",
            outcome.environment
        ));
        return;
    };
    for repaired in &outcome.repairs {
        out.line(format!(
            "repaired {} (\"{}\")",
            short_commit(&repaired.commit),
            repaired.subject
        ));
    }
    let object =
        |object: &Option<String>| object.as_deref().map_or("nothing".to_owned(), short_object);
    for restored in &outcome.restored {
        out.line(format!(
            "restored {} in {}: {} -> {}",
            restored.package,
            outcome.environment,
            object(&restored.was),
            object(&restored.now)
        ));
    }
    out.line(format!(
        "repair of {} is commit {}",
        outcome.environment,
        short_commit(commit)
    ));
    if let Some(remote) = &outcome.pushed_to {
        out.line(format!(
            "pushed {} to {remote}; the local ref is there too",
            outcome.refname
        ));
    }
}
