//! `berth diff`: what promoting one environment into another would change.

use std::path::Path;

use berth::env::query::{self, Change};
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::{Output, short_object, table};

/// Compare two environments: what promoting FROM into TO would change
///
/// Lists every package either holds: added (TO lacks it), changed, unchanged, or
/// kept (only TO holds it; promoting leaves it alone). Exits 0 either way.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment to promote from
    from: String,
    /// The environment to promote to
    to: String,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let diff = query::diff(&workspace, &args.from, &args.to)?;
    if out.is_json() {
        out.json(&diff);
        return Ok(0);
    }
    if diff.changes.is_empty() {
        out.note(format!(
            "neither {} nor {} holds anything",
            diff.from, diff.to
        ));
        return Ok(0);
    }
    let mut rows = vec![vec![
        "PACKAGE".to_owned(),
        "CHANGE".to_owned(),
        diff.to.to_uppercase(),
        diff.from.to_uppercase(),
    ]];
    for entry in &diff.changes {
        let change = match entry.change {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
            Change::Kept => "kept",
        };
        let name = |object: &Option<String>| {
            object
                .as_deref()
                .map_or_else(|| "-".to_owned(), short_object)
        };
        rows.push(vec![
            entry.package.clone(),
            change.to_owned(),
            name(&entry.to_object),
            name(&entry.from_object),
        ]);
    }
    out.text(&table(&rows));
    if diff.is_empty() {
        out.note(format!(
            "promoting {} to {} would change nothing",
            diff.from, diff.to
        ));
    }
    Ok(0)
}
