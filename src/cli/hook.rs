//! `berth hook install`: run the validator before every commit.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use berth::repo::Git;
use berth::source::{Content, MAX_INPUT_BYTES, read_capped};
use serde::Serialize;

use super::error::CliError;
use super::render::Output;

/// Manage the git hook that validates before each commit
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Validate what is about to be committed before each commit", "berth hook install"),
    ("Replace a pre-commit hook berth did not write", "berth hook install --force"),
]))]
pub struct Args {
    #[command(subcommand)]
    command: HookCommand,
}

#[derive(Debug, clap::Subcommand)]
enum HookCommand {
    /// Write a pre-commit hook that runs `berth validate --staged --base HEAD`
    ///
    /// The hook checks exactly what is about to be committed, and that no object
    /// already committed changes; `git commit` stops on any error. It runs the
    /// berth that installed it, or `berth` on PATH if that one is gone. Writes into
    /// core.hooksPath when it is set. A pre-commit hook berth did not write is left
    /// alone unless --force is given.
    #[command(after_long_help = super::examples(&[
        ("Validate what is about to be committed, before each commit", "berth hook install"),
        ("Replace a pre-commit hook berth did not write", "berth hook install --force"),
    ]))]
    Install {
        /// Replace a pre-commit hook that berth did not write
        #[arg(long)]
        force: bool,
    },
}

/// The line that marks a hook as berth's.
const MARK: &str = "# Written by `berth hook install`";

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let HookCommand::Install { force } = args.command;
    let git = Git::discover(cwd)?;
    let path = git.hooks_dir()?.join("pre-commit");
    let script = script(&std::env::current_exe().unwrap_or_else(|_| PathBuf::from("berth")));
    let io_error = |error: io::Error| CliError::Io {
        path: path.clone(),
        error,
    };
    // Read as any input is: a FIFO where the hook goes is refused, not waited on.
    let existing = match read_capped(&path, MAX_INPUT_BYTES) {
        Ok(Content::Bytes(bytes)) => Ok(bytes),
        Ok(Content::TooLarge { .. }) => Ok(Vec::new()),
        Err(error) => Err(error),
    };
    match existing {
        Ok(existing) if existing == script.as_bytes() => {
            report(out, &path, false);
            return Ok(0);
        }
        // A hook berth wrote, for a berth installed elsewhere, is replaced; one that
        // anybody changed since is theirs.
        Ok(existing) if !force && !is_berths_own(&existing) => {
            let edited = String::from_utf8_lossy(&existing).contains(MARK);
            return Err(CliError::HookExists { path, edited });
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(error)),
    }
    berth::fs::replace(&path, script.as_bytes()).map_err(io_error)?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(io_error)?;
    report(out, &path, true);
    Ok(0)
}

/// What `berth hook install` did.
#[derive(Serialize)]
struct Installed<'a> {
    /// The hook's path.
    hook: &'a Path,
    /// False when berth's hook was there already.
    written: bool,
}

fn report(out: &mut Output, hook: &Path, written: bool) {
    if out.is_json() {
        out.json(&Installed { hook, written });
    } else if written {
        out.line(format!("installed {}", hook.display()));
    } else {
        out.note(format!("{} is already berth's hook", hook.display()));
    }
}

/// Whether a hook is exactly one that `berth hook install` writes, whatever the
/// berth it runs.
fn is_berths_own(hook: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(hook) else {
        return false;
    };
    let berth = text
        .lines()
        .find_map(|line| line.strip_prefix("berth='")?.strip_suffix('\''))
        .map(|quoted| quoted.replace(r"'\''", "'"));
    berth.is_some_and(|berth| script(Path::new(&berth)) == text)
}

/// The hook: berth's path quoted for the shell, with PATH as the fallback.
fn script(berth: &Path) -> String {
    let quoted = berth.display().to_string().replace('\'', r"'\''");
    format!(
        "#!/bin/sh\n{MARK}: validate what is about to be committed.\nberth='{quoted}'\n[ -x \"$berth\" ] || berth=berth\nexec \"$berth\" validate --staged --base HEAD\n"
    )
}
