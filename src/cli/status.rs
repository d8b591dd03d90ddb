//! `berth status`: what every environment holds.

use std::path::Path;

use berth::env::tip::Standing;
use berth::env::{self, query};
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::{short_commit, short_object};

/// Show what every environment holds: object, version, since when, and drift
///
/// Environments come in promotion order. Drift names an upstream environment
/// that holds another object for the package: a promotion waiting, or a rollback.
///
/// Where the repository has the remote berth.toml shares through ([repo]
/// remote, origin by default), a second table says how each environment's own
/// ref stands against the remote's copy (refs/remotes/origin/env/dev), as `git
/// status -sb` says it of a branch: up to date, ahead 2, behind 1, diverged,
/// local only or remote only, counting promotions and rollbacks (each ref's
/// first parents), not the catalog commits they bring in. An environment this
/// clone has no ref of its own for (right after `git clone`) is read from the
/// remote's copy, and a line on stderr says so.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("What every environment holds, in promotion order", "berth status"),
    ("What they held at a time", "berth status --at 2025-05-01T00:00:00Z"),
    ("For a script", "berth status --format json"),
    (
        "Right after `git clone URL estate`: the environments as the remote holds them",
        "berth status -C estate",
    ),
]))]
pub struct Args {
    /// Show the environments as they were at this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let at = args.at.as_deref().map(env::parse_at).transpose()?;
    let workspace = Workspace::open(cwd)?;
    let status = query::status(&workspace, at)?;
    for read in &status.read_from_remote {
        out.note(read);
    }
    if out.is_json() {
        out.json(&status);
        return Ok(0);
    }
    let mut rows = vec![
        [
            "ENVIRONMENT",
            "PACKAGE",
            "OBJECT",
            "VERSION",
            "STATUS",
            "SINCE",
            "DRIFT",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for environment in &status.environments {
        if environment.packages.is_empty() {
            let state = match &environment.commit {
                Some(commit) => format!("empty at {}", short_commit(commit)),
                None => "not opened".to_owned(),
            };
            rows.push(vec![
                environment.environment.clone(),
                "-".to_owned(),
                state,
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
            ]);
        }
        for package in &environment.packages {
            let drift: Vec<String> = package
                .drift
                .iter()
                .map(|d| format!("{} has {}", d.environment, short_object(&d.object)))
                .collect();
            rows.push(vec![
                environment.environment.clone(),
                package.package.clone(),
                package
                    .object
                    .as_deref()
                    .map_or_else(|| "-".to_owned(), short_object),
                package.version.clone().unwrap_or_else(|| "-".to_owned()),
                package
                    .status
                    .map_or_else(|| "-".to_owned(), |status| status.to_string()),
                package.since.clone().unwrap_or_else(|| "-".to_owned()),
                if drift.is_empty() {
                    "-".to_owned()
                } else {
                    drift.join(", ")
                },
            ]);
        }
    }
    out.text(&table(&rows));
    let tracked = status
        .environments
        .iter()
        .filter(|environment| environment.remote.standing != Standing::Untracked);
    let mut refs: Vec<Vec<String>> = tracked
        .map(|environment| {
            let remote = &environment.remote;
            vec![
                environment.environment.clone(),
                environment.refname.clone(),
                remote.refname.clone().unwrap_or_else(|| "-".to_owned()),
                remote.standing.describe(remote.ahead, remote.behind),
            ]
        })
        .collect();
    if !refs.is_empty() {
        refs.insert(
            0,
            [
                "ENVIRONMENT",
                "READ FROM",
                "REMOTE-TRACKING",
                "LOCAL AGAINST REMOTE",
            ]
            .map(str::to_owned)
            .to_vec(),
        );
        out.line("");
        out.text(&table(&refs));
    }
    Ok(0)
}
