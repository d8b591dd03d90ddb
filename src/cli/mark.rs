//! `berth mark`: record a lifecycle event.

use std::path::Path;

use berth::kinds::event::Status;
use berth::lifecycle::{self, MarkRequest};
use berth::release;
use berth::report::short::{short_commit, short_object};
use berth::workspace::Workspace;
use clap::ValueEnum;

use super::error::CliError;
use super::render::Output;

/// Record that an object entered a status: ready, failed, deprecated, archived or
/// artifact-deleted
///
/// Writes an event object into objects/events/<package>/; the object itself never
/// changes. Its status is its latest event (and `deployed` while an environment
/// holds it); environments with `require_ready` accept only objects whose latest
/// event on the catalog branch is `ready`: commit it there, as --commit does.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "An object is ready: environments with require_ready accept it",
        "berth mark 682cc9b8 ready --commit",
    ),
    (
        "What production holds failed",
        "berth mark shop@production failed --reason 'error rate above 2%' --commit",
    ),
    (
        "A release is superseded",
        "berth mark e4b9790fe145 deprecated --reason 'superseded by 1.1.0' --commit",
    ),
    (
        "Ready, committed on the shared remote's tip and pushed there",
        "berth mark 682cc9b8 ready --push",
    ),
]))]
pub struct Args {
    /// The object: <store>/<hash>, a unique prefix of 8+ hex digits, or <package>@<env>
    #[arg(value_name = "REF")]
    object: String,
    /// The status it enters
    #[arg(value_enum)]
    status: StatusArg,
    /// Why
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// Where the built artifact is stored
    #[arg(long, value_name = "LOCATION")]
    artifact_location: Option<String>,
    /// The artifact's size in bytes
    #[arg(long, value_name = "BYTES")]
    size: Option<u64>,
    /// Commit the event on the current branch
    #[arg(long)]
    commit: bool,
    /// Build the commit on the remote's tip of the branch and push it there,
    /// without force (implies --commit; REMOTE defaults to berth.toml's [repo]
    /// remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

/// A status on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StatusArg {
    Ready,
    Failed,
    Deprecated,
    Archived,
    ArtifactDeleted,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let shown = release::read_ref(&workspace, &args.object)?;
    let status = match args.status {
        StatusArg::Ready => Status::Ready,
        StatusArg::Failed => Status::Failed,
        StatusArg::Deprecated => Status::Deprecated,
        StatusArg::Archived => Status::Archived,
        StatusArg::ArtifactDeleted => Status::ArtifactDeleted,
    };
    let outcome = lifecycle::mark(
        &workspace,
        &MarkRequest {
            object: &shown,
            status,
            reason: args.reason.clone(),
            artifact_location: args.artifact_location.clone(),
            size_bytes: args.size,
            commit: args.commit || args.push.is_some(),
            push: super::promote::remote(&workspace, args.push.as_deref()),
        },
    )?;
    if out.is_json() {
        out.json(&outcome);
        return Ok(0);
    }
    let Some(event) = outcome.put.objects.first() else {
        return Ok(0);
    };
    let wrote = if event.created {
        format!("wrote {}", event.path)
    } else {
        format!("{} already records it", event.path)
    };
    out.line(format!(
        "marked {} {}: {wrote}",
        short_object(&outcome.subject),
        outcome.event.status.as_str()
    ));
    if let Some(commit) = &outcome.put.commit {
        out.line(format!("committed {}", short_commit(commit)));
    }
    if let Some(pushed) = &outcome.put.pushed {
        out.line(super::put::pushed_line(
            outcome.put.commit.as_deref(),
            pushed,
        ));
    }
    if outcome.on_catalog {
        return Ok(0);
    }
    let catalog = workspace.settings.catalog();
    if outcome.put.commit.is_some() {
        out.line(format!(
            "not on {catalog}: promote reads the events committed on the catalog branch, {catalog}"
        ));
    } else {
        out.line(format!(
            "not committed: promote reads the events committed on {catalog}; commit it there (`git add {}`, then `git commit`)",
            event.path
        ));
    }
    Ok(0)
}
