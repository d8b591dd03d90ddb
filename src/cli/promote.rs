//! `berth promote`: move packages' objects into an environment.

use std::path::Path;

use berth::env::promote::{self, PromoteOutcome, PromoteRequest};
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::Output;
use berth::report::short::{short_commit, short_object};

/// Promote objects to an environment: one commit per package on its ref
///
/// From the catalog into an environment without `from`, or from the environment
/// it receives from. The ref moves once, by compare-and-swap: all packages land or
/// none. Promoting what the environment already holds is a no-op. A hotfix may
/// skip the path (--skip-path --reason) where berth.toml allows it for the
/// environment (`allow_override = true`).
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("An object from the catalog into dev", "berth promote 682cc9b82324 --to dev"),
    (
        "What staging holds of a package into production, tagged",
        "berth promote anthropic-search@staging --to production --tag shape:onebox",
    ),
    (
        "Every package whose object in dev differs from staging's",
        "berth promote --all --to staging",
    ),
    (
        "Into dev on the shared remote: built on its tip, pushed, retried if it moved",
        "berth promote 682cc9b82324 --to dev --push",
    ),
]))]
pub struct Args {
    /// The objects: <store>/<hash>, a unique prefix of 8+ hex digits, or <package>@<env>
    #[arg(value_name = "REF", required_unless_present = "all")]
    targets: Vec<String>,
    /// The environment to promote to
    #[arg(long, value_name = "ENV")]
    to: String,
    /// The environment to promote from (default: the target's `from`, else the catalog)
    #[arg(long, value_name = "ENV")]
    from: Option<String>,
    /// A tag to add to each entry, such as shape:onebox (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Promote every package whose object in the source environment differs
    #[arg(long)]
    all: bool,
    /// Skip the promotion path (a hotfix): take objects from the catalog, or from
    /// --from whichever environment; only where berth.toml sets
    /// `allow_override = true` for the target
    #[arg(long, requires = "reason")]
    skip_path: bool,
    /// Why the path is skipped, one line: recorded in the commit's message and
    /// its Berth-Override trailer
    #[arg(long, value_name = "TEXT", requires = "skip_path")]
    reason: Option<String>,
    /// Build on the remote's tip and push the environment there, without force
    /// (REMOTE defaults to berth.toml's [repo] remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let request = PromoteRequest {
        targets: &args.targets,
        to: &args.to,
        from: args.from.as_deref(),
        tags: &args.tags,
        all: args.all,
        skip_path: args.reason.as_deref().filter(|_| args.skip_path),
    };
    let outcome = match remote(&workspace, args.push.as_deref()) {
        Some(remote) => promote::promote_and_push(&workspace, &request, &remote)?,
        None => promote::promote(&workspace, &request)?,
    };
    render(&outcome, out);
    Ok(0)
}

/// The remote `--push` names: the one given, else berth.toml's.
pub fn remote(workspace: &Workspace, push: Option<&str>) -> Option<String> {
    push.map(|remote| match remote {
        "" => workspace.settings.remote().to_owned(),
        remote => remote.to_owned(),
    })
}

/// Prints what a promotion or rollback did.
pub fn render(outcome: &PromoteOutcome, out: &mut Output) {
    if out.is_json() {
        out.json(outcome);
        return;
    }
    if outcome.opened {
        out.note(format!(
            "opened {} at {}",
            outcome.environment, outcome.refname
        ));
    }
    for promotion in &outcome.promotions {
        let previous = promotion
            .previous
            .as_deref()
            .map_or_else(|| "nothing".to_owned(), short_object);
        let verb = match promotion.action {
            berth::env::log::Action::Rollback => "rolled back",
            _ => "promoted",
        };
        let skipped = promotion
            .override_reason
            .as_deref()
            .map_or_else(String::new, |reason| {
                format!("; skipped the promotion path: {reason}")
            });
        out.line(format!(
            "{verb} {} in {}: {previous} -> {} (from {}, commit {}{skipped})",
            promotion.package,
            outcome.environment,
            short_object(&promotion.object),
            promotion.from,
            short_commit(&promotion.commit),
        ));
    }
    for unchanged in &outcome.unchanged {
        out.line(format!(
            "unchanged {}: {} already holds {}",
            unchanged.package,
            outcome.environment,
            short_object(&unchanged.object),
        ));
    }
    if outcome.retries > 0 {
        out.note(format!(
            "{} moved meanwhile; rebuilt on its new tip ({} retries)",
            outcome.environment, outcome.retries
        ));
    }
    if let Some(remote) = &outcome.pushed_to {
        let tip = outcome.tip.as_deref().map_or("nothing", short_commit);
        let tries = outcome.retries.saturating_add(1);
        let tries = if tries == 1 {
            "1 try".to_owned()
        } else {
            format!("{tries} tries")
        };
        out.line(format!(
            "pushed {} to {remote} at {tip} ({tries}); the local ref is there too",
            outcome.refname
        ));
    }
}
