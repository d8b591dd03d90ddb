//! `berth history`: a package's promotions and rollbacks in an environment.

use std::path::Path;

use berth::env::{PackageAt, query};
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::{short_commit, short_object};

/// List a package's promotions and rollbacks in an environment, newest first
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "A package's promotions and rollbacks in staging, newest first",
        "berth history anthropic-search@staging",
    ),
    ("For a script", "berth history shop@production --format json"),
]))]
pub struct Args {
    /// <package>@<env>
    #[arg(value_name = "PACKAGE@ENV")]
    target: String,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let target: PackageAt = args.target.parse()?;
    let workspace = Workspace::open(cwd)?;
    let history = query::history(&workspace, &target)?;
    for read in &history.read_from_remote {
        out.note(read);
    }
    if out.is_json() {
        out.json(&history);
        return Ok(0);
    }
    let mut rows = vec![
        ["TIME", "ACTION", "OBJECT", "FROM", "COMMIT", "AUTHOR"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for entry in &history.entries {
        rows.push(vec![
            entry.time.clone(),
            entry
                .action
                .map_or("by hand", |action| action.as_str())
                .to_owned(),
            short_object(&entry.object),
            entry.from.clone(),
            short_commit(&entry.commit).to_owned(),
            entry.author.clone(),
        ]);
    }
    out.text(&table(&rows));
    for entry in &history.entries {
        if let Some(signer) = &entry.signer {
            out.text(&format!(
                "{} signed by {signer}\n",
                short_commit(&entry.commit)
            ));
        }
        if let Some(merged) = &entry.merged {
            out.text(&format!(
                "{} arrived by merge {}, merged by {} at {}\n",
                short_commit(&entry.commit),
                short_commit(&merged.commit),
                merged.by,
                merged.time
            ));
        }
    }
    Ok(0)
}
