//! `berth show`: one object, with its store, hash, path, tags and data.

use std::path::Path;

use berth::store::lookup::{self, ObjectSpec};
use berth::workspace::Workspace;

use super::error::{CliError, INVALID};
use super::render::{Output, table};

/// Show an object: its store, hash, path, tags and the file as written
///
/// The object is named by <store>/<hash>, or by a unique prefix of at least 8 hex
/// digits. berth checks it as `berth validate` would and reports what it finds.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The object: <store>/<hash>, <hash>, or a unique prefix of 8+ hex digits
    #[arg(value_name = "REF")]
    object: String,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let spec: ObjectSpec = args.object.parse()?;
    let workspace = Workspace::open(cwd)?;
    let shown = lookup::show(&workspace, &spec)?;
    for finding in &shown.findings {
        out.diagnostic(finding);
    }
    if out.is_json() {
        out.json(&shown);
    } else {
        let rows = vec![
            vec!["object".to_owned(), shown.object.clone()],
            vec!["store".to_owned(), shown.store.clone()],
            vec!["partition".to_owned(), shown.partition.clone()],
            vec!["path".to_owned(), shown.path.clone()],
            vec!["tags".to_owned(), shown.tags.join(" ")],
        ];
        out.text(&table(&rows));
        out.line("");
        out.text(&shown.text);
        if !shown.text.ends_with('\n') {
            out.line("");
        }
    }
    Ok(if shown.findings.iter().any(|f| f.is_error()) {
        INVALID
    } else {
        0
    })
}
