//! `berth lineage`: the path a package's object took to an environment.

use std::path::Path;

use berth::env::{PackageAt, query};
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::{short_commit, short_object};

/// Show the promotion path of a package's object back to the catalog
///
/// Read only from commits: the environment's newest commit that set the package,
/// then each commit it was promoted from, ending at the catalog commit that added
/// the object's file. Every step is verified against the commits' parents and
/// trees, not read off their trailers: a path that cannot be verified back to the
/// catalog is refused (berth::promotion-path), never shown.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "The path production's object took, back to the catalog commit that added it",
        "berth lineage anthropic-search@production",
    ),
    ("For a script", "berth lineage shop@production --format json"),
]))]
pub struct Args {
    /// <package>@<env>
    #[arg(value_name = "PACKAGE@ENV")]
    target: String,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let target: PackageAt = args.target.parse()?;
    let workspace = Workspace::open(cwd)?;
    let lineage = query::lineage(&workspace, &target)?;
    for read in &lineage.read_from_remote {
        out.note(read);
    }
    if out.is_json() {
        out.json(&lineage);
        return Ok(0);
    }
    let mut rows = vec![
        [
            "ENVIRONMENT",
            "ACTION",
            "OBJECT",
            "COMMIT",
            "TIME",
            "AUTHOR",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for step in &lineage.steps {
        rows.push(vec![
            step.environment.clone(),
            step.action.map_or("add", |a| a.as_str()).to_owned(),
            short_object(&step.object),
            short_commit(&step.commit).to_owned(),
            step.time.clone(),
            step.author.clone(),
        ]);
    }
    out.text(&table(&rows));
    for step in &lineage.steps {
        if let Some(signer) = &step.signer {
            out.text(&format!(
                "{} signed by {signer}\n",
                short_commit(&step.commit)
            ));
        }
    }
    Ok(0)
}
