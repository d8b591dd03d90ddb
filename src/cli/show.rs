//! `berth show`: one object, with its store, hash, path, tags and data.

use std::path::Path;

use berth::env::{self, PackageAt, query};
use berth::lifecycle;
use berth::objects::lookup::{self, ObjectSpec};
use berth::report::short::short_commit;
use berth::workspace::Workspace;

use super::error::{CliError, INVALID};
use super::render::{Output, table};

/// Show an object: its store, hash, path, tags and the file as written
///
/// The object is named by <store>/<hash>, by a unique prefix of at least 8 hex
/// digits, or by <package>@<env>: what the environment holds, read from the
/// environment's own commit. berth checks it as `berth validate` would and reports
/// what it finds.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("An object by a unique prefix of its hash", "berth show 682cc9b8"),
    ("What production holds for a package", "berth show anthropic-search@production"),
    ("What it held at a time", "berth show anthropic-search@production --at 2025-05-01T12:00:00Z"),
]))]
pub struct Args {
    /// The object: <store>/<hash>, a unique prefix of 8+ hex digits, or <package>@<env>
    #[arg(value_name = "REF")]
    object: String,
    /// With <package>@<env>: what the environment held at this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let at = args.at.as_deref().map(env::parse_at).transpose()?;
    let (workspace, mut shown) = if args.object.contains('@') {
        let target: PackageAt = args.object.parse()?;
        let workspace = Workspace::open(cwd)?;
        let shown = query::show_held(&workspace, &target, at)?;
        (workspace, shown)
    } else {
        if at.is_some() {
            return Err(CliError::AtNeedsEnvironment);
        }
        let spec: ObjectSpec = args.object.parse()?;
        let workspace = Workspace::open(cwd)?;
        let shown = lookup::show(&workspace, &spec)?;
        (workspace, shown)
    };
    shown.lifecycle = lifecycle::of_object(&workspace, &shown)?;
    for read in &shown.read_from_remote {
        out.note(read);
    }
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
        let mut rows = rows;
        if let (Some(environment), Some(commit)) = (&shown.environment, &shown.commit) {
            rows.push(vec!["environment".to_owned(), environment.clone()]);
            rows.push(vec!["commit".to_owned(), short_commit(commit).to_owned()]);
        }
        if let Some(lifecycle) = &shown.lifecycle {
            let status = match &lifecycle.latest {
                Some(latest) => format!(
                    "{} (latest event: {} at {}{})",
                    lifecycle.status,
                    latest.status.as_str(),
                    latest.at,
                    latest
                        .reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
                None => lifecycle.status.to_string(),
            };
            rows.push(vec!["status".to_owned(), status]);
            if !lifecycle.environments.is_empty() {
                rows.push(vec![
                    "held by".to_owned(),
                    lifecycle.environments.join(", "),
                ]);
            }
            if let Some(url) = &lifecycle.preview_url {
                rows.push(vec!["preview".to_owned(), url.clone()]);
            }
        }
        out.text(&table(&rows));
        out.line("");
        // As written, but a hostile file's escape sequences do not reach the
        // terminal.
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
