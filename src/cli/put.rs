//! `berth put`: validate files and write them into a store.

use std::path::{Path, PathBuf};

use berth::diagnostic::finding::plural;
use berth::objects::put::{self, InputFile, PutRequest};
use berth::repo::{Onto, Push, Pushed};
use berth::workspace::Workspace;

use super::error::CliError;
use super::progress::spinner;
use super::render::{Output, table};
use berth::report::short::{short_commit, short_hash};

/// Validate, hash and write files into objects/<store>/<partition>/<hash>.<ext>
///
/// Every file is checked first; if any fails, nothing is written. Putting data the
/// store already holds (in either format) is a no-op that reports `created: false`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "Validate a version set, write it into its store and commit it",
        "berth put version-sets search-1.json --commit",
    ),
    (
        "Several files, JSON or TOML, in one commit with a message",
        "berth put version-sets search-2.json devpad-1.toml -m \"Add search 2 and devpad 1\"",
    ),
    ("A lifecycle event, as any other object", "berth put events search-1-ready.json --commit"),
    (
        "Committed on the shared remote's tip and pushed there (retried if it moved)",
        "berth put version-sets search-3.json --push",
    ),
]))]
pub struct Args {
    /// The store to put into, such as `version-sets`
    store: String,
    /// JSON or TOML files, each one object
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Commit the objects on the current branch
    #[arg(long)]
    commit: bool,
    /// The commit message (implies --commit)
    #[arg(short, long, value_name = "MESSAGE")]
    message: Option<String>,
    /// Build the commit on the remote's tip of the branch and push it there,
    /// without force (implies --commit; REMOTE defaults to berth.toml's [repo]
    /// remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let files: Vec<InputFile> = args
        .files
        .iter()
        .map(|file| InputFile {
            path: cwd.join(file),
            name: file.display().to_string(),
            bytes: None,
        })
        .collect();
    let request = PutRequest {
        store: &args.store,
        files: &files,
        commit: (args.commit || args.message.is_some() || args.push.is_some()).then_some(Onto::Tip),
        message: args.message.as_deref(),
        push: super::promote::remote(&workspace, args.push.as_deref()).map(|remote| Push {
            remote,
            guard: Vec::new(),
        }),
    };
    let putting = spinner(out, format!("putting {}", plural(files.len(), "file")));
    let outcome = put::put(&workspace, &request)?;
    drop(putting);
    for warning in &outcome.warnings {
        out.diagnostic(warning);
    }
    if out.is_json() {
        out.json(&outcome);
        return Ok(0);
    }
    if !out.quiet {
        let rows: Vec<Vec<String>> = outcome
            .objects
            .iter()
            .map(|object| {
                let status = if object.created { "created" } else { "exists" };
                let target = if out.verbose {
                    object.path.clone()
                } else {
                    format!("{}/{}", object.store, short_hash(&object.hash))
                };
                vec![
                    status.to_owned(),
                    target,
                    object.partition.clone(),
                    format!("<- {}", object.file),
                ]
            })
            .collect();
        out.text(&table(&rows));
        if let Some(commit) = &outcome.commit {
            out.line(format!("committed {}", short_commit(commit)));
        }
        if let Some(pushed) = &outcome.pushed {
            out.line(pushed_line(outcome.commit.as_deref(), pushed));
        }
    }
    Ok(0)
}

/// What a writer's `--push` did: the commit it pushed, or that the remote
/// already held the files.
pub fn pushed_line(commit: Option<&str>, pushed: &Pushed) -> String {
    let tries = match pushed.tries {
        0 | 1 => String::new(),
        tries => format!(" ({tries} tries: the remote moved meanwhile)"),
    };
    match commit {
        Some(commit) => format!(
            "pushed {} to {}/{}{tries}",
            short_commit(commit),
            pushed.remote,
            pushed.branch
        ),
        None => format!(
            "{}/{} already holds it, at {}; the local branch is there too",
            pushed.remote,
            pushed.branch,
            short_commit(&pushed.tip)
        ),
    }
}
