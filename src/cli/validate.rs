//! `berth validate`: check every invariant of the repository.

use std::path::Path;

use berth::check::{self, summary_line};
use berth::repo::Git;
use berth::source::{Source, WorkTree};

use super::error::{CliError, INVALID};
use super::render::Output;

/// Check every invariant of the repository
///
/// Checks berth.toml, user-defined schemas and every object: parse, schema, hash,
/// path, names, duplicate keys, size and references. Reads the working tree, or
/// with --staged exactly what would be committed, or with --rev a commit, straight
/// from git with no checkout; berth.toml is read from the same place. Exits 1 if
/// any error is found.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Validate the index (what `git commit` would commit), not the working tree
    #[arg(long, conflicts_with = "rev")]
    staged: bool,
    /// Validate the tree of this commit (a branch, tag, hash or HEAD~1)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let git = Git::discover(cwd)?;
    let source: Box<dyn Source> = match (&args.rev, args.staged) {
        (Some(revision), _) => Box::new(git.files_at(revision)?),
        (None, true) => Box::new(git.staged_files()?),
        (None, false) => Box::new(WorkTree::new(git.workdir())),
    };
    let validation = check::validate(source.as_ref())?;
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
