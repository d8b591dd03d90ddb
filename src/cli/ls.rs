//! `berth ls`: list objects.

use std::path::Path;

use berth::objects::lookup;
use berth::report::Listing;
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::short_hash;

/// List objects, by store and partition, newest first
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Every object, by store and partition, newest first", "berth ls"),
    ("One store", "berth ls version-sets"),
    ("One package's objects, for a script", "berth ls --package anthropic-search --format json"),
]))]
pub struct Args {
    /// Only this store
    store: Option<String>,
    /// Only this package (partition)
    #[arg(long, value_name = "PACKAGE")]
    package: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let objects = lookup::list(&workspace, args.store.as_deref(), args.package.as_deref())?;
    if out.is_json() {
        out.json(&Listing { objects: &objects });
        return Ok(0);
    }
    if objects.is_empty() {
        out.note("No objects found.");
        return Ok(0);
    }
    let mut rows = vec![vec![
        "OBJECT".to_owned(),
        "PARTITION".to_owned(),
        "CREATED".to_owned(),
    ]];
    for object in &objects {
        let name = if out.verbose {
            object.object.clone()
        } else {
            format!("{}/{}", object.store, short_hash(&object.hash))
        };
        rows.push(vec![
            name,
            object.partition.clone(),
            object.created_at.clone().unwrap_or_else(|| "-".to_owned()),
        ]);
    }
    out.text(&table(&rows));
    Ok(0)
}
