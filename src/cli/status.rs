//! `berth status`: what every environment holds.

use std::path::Path;

use berth::env::{self, query};
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::{short_commit, short_object};

/// Show what every environment holds: object, version, since when, and drift
///
/// Environments come in promotion order. Drift names an upstream environment
/// that holds another object for the package: a promotion waiting, or a rollback.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("What every environment holds, in promotion order", "berth status"),
    ("What they held at a time", "berth status --at 2025-05-01T00:00:00Z"),
    ("For a script", "berth status --format json"),
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
    Ok(0)
}
