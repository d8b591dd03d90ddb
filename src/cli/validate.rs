//! `berth validate`: check every invariant of the repository.

use std::path::Path;

use berth::check::{self, summary_line};
use berth::repo::Git;
use berth::source::WorkTree;

use super::error::{CliError, INVALID};
use super::render::Output;

/// Check every invariant of the repository's working tree
///
/// Checks berth.toml, user-defined schemas and every object: parse, schema, hash,
/// path, names, duplicate keys, size and references. Exits 1 if any error is found.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let git = Git::discover(cwd)?;
    let tree = WorkTree::new(git.workdir());
    let validation = check::validate(&tree)?;
    if out.is_json() {
        out.json(&validation.report());
    } else {
        for finding in &validation.findings {
            let text = out.render(finding);
            out.text(&text);
        }
        if !out.quiet || !validation.findings.is_empty() {
            let mark = if validation.errors() == 0 {
                "ok"
            } else {
                "failed"
            };
            out.line(format!("{mark}: {}", summary_line(&validation)));
        }
    }
    Ok(if validation.errors() > 0 { INVALID } else { 0 })
}
