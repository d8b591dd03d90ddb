//! The index as git itself reads it, through its plumbing commands.
//!
//! A pre-commit hook must see exactly what `git commit` is about to commit, and
//! only git knows that for certain: `git commit -a` and `git commit <paths>` hand
//! their hooks a temporary index through `GIT_INDEX_FILE`, and split, sparse and
//! fsmonitor-refreshed indexes are git's to read. git also reads a 100,000-entry
//! index about ten times faster than libgit2 does. Everything else berth reads
//! from git goes through libgit2.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::Oid;
use super::files::mode_kind;
use crate::source::{ChangeKind, EntryKind};

/// A git command that could not run or failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`git {command}` failed: {message}")]
#[diagnostic(
    code("berth::git-command"),
    help(
        "berth reads the index with the git command: make sure `git` is on PATH and that `git status` works here"
    )
)]
pub struct PlumbingError {
    /// The command's arguments.
    pub command: String,
    /// What went wrong.
    pub message: String,
}

/// A path that differs from a base, as git reports it.
#[derive(Debug, Clone)]
pub(super) struct RawChange {
    pub path: String,
    pub kind: ChangeKind,
    /// The new git file mode (the old one for a deletion).
    pub mode: i32,
    /// The new blob, or `None` when the new content is the working tree's file.
    pub blob: Option<Oid>,
    /// The base's blob, for a modification or deletion.
    pub old_blob: Option<Oid>,
    /// Whether the path is in conflict in the index (a merge stopped there).
    pub unmerged: bool,
}

/// The index as `git ls-files --stage` lists it.
pub(super) struct Staged {
    /// Every path: its blob and kind. Paths in conflict are `Other`.
    pub files: BTreeMap<String, (Oid, EntryKind)>,
    /// The paths in conflict, each once.
    pub unmerged: Vec<String>,
}

/// Runs git's plumbing in a working tree.
pub(super) struct Plumbing {
    workdir: PathBuf,
}

impl Plumbing {
    pub fn new(workdir: &Path) -> Plumbing {
        Plumbing {
            workdir: workdir.to_owned(),
        }
    }

    /// Every index entry: path, blob and kind, and which paths are in conflict.
    pub fn staged(&self) -> Result<Staged, PlumbingError> {
        let args = ["ls-files", "--stage", "-z"];
        let output = self.run(&args)?;
        let mut files = BTreeMap::new();
        let mut unmerged = Vec::new();
        for record in records(&output) {
            // <mode> SP <object> SP <stage> TAB <path>
            let parsed = record.split_once('\t').and_then(|(head, path)| {
                let mut fields = head.split(' ');
                let mode = i32::from_str_radix(fields.next()?, 8).ok()?;
                let id = Oid::from_str(fields.next()?).ok()?;
                let merged = fields.next()? == "0";
                let kind = if merged {
                    mode_kind(mode)
                } else {
                    EntryKind::Other
                };
                Some((path.to_owned(), id, kind, merged))
            });
            let Some((path, id, kind, merged)) = parsed else {
                return Err(unexpected(&args, record));
            };
            // git lists a conflict's stages together, in order.
            if !merged && unmerged.last() != Some(&path) {
                unmerged.push(path.clone());
            }
            files.insert(path, (id, kind));
        }
        Ok(Staged { files, unmerged })
    }

    /// What the index changes from the tree of `base`.
    pub fn staged_changes(&self, base: Oid) -> Result<Vec<RawChange>, PlumbingError> {
        let base = base.to_string();
        self.diff_index(&[
            "diff-index",
            "--cached",
            "--raw",
            "-z",
            "--no-renames",
            &base,
            "--",
        ])
    }

    /// What the working tree changes from the tree of `base`: tracked files as
    /// `git diff <base>` sees them, and the untracked files under `objects/` and an
    /// untracked berth.toml, ignored ones too, as the working-tree validator reads
    /// everything under `objects/`. (Untracked files elsewhere, such as build
    /// output, are never listed.)
    pub fn worktree_changes(&self, base: Oid) -> Result<Vec<RawChange>, PlumbingError> {
        let base = base.to_string();
        let mut changes =
            self.diff_index(&["diff-index", "--raw", "-z", "--no-renames", &base, "--"])?;
        let output = self.run(&["ls-files", "--others", "-z", "--", "objects", "berth.toml"])?;
        changes.extend(records(&output).map(|path| RawChange {
            path: path.to_owned(),
            kind: ChangeKind::Added,
            mode: i32::from(git2::FileMode::Blob),
            blob: None,
            old_blob: None,
            unmerged: false,
        }));
        Ok(changes)
    }

    /// Parses `git diff-index --raw -z`:
    /// `:<old mode> <new mode> <old id> <new id> <status>` NUL `<path>` NUL.
    fn diff_index(&self, args: &[&str]) -> Result<Vec<RawChange>, PlumbingError> {
        let output = self.run(args)?;
        let mut fields = records(&output);
        let mut changes = Vec::new();
        while let Some(header) = fields.next() {
            let Some(path) = fields.next() else {
                return Err(unexpected(args, header));
            };
            let parsed = header.strip_prefix(':').and_then(|header| {
                let parts: Vec<&str> = header.split(' ').collect();
                let [old_mode, new_mode, old_id, new_id, status] = parts[..] else {
                    return None;
                };
                let old_mode = i32::from_str_radix(old_mode, 8).ok()?;
                let new_mode = i32::from_str_radix(new_mode, 8).ok()?;
                let old_id = Oid::from_str(old_id).ok()?;
                let new_id = Oid::from_str(new_id).ok()?;
                let status = status.chars().next()?;
                let (kind, mode) = match status {
                    'A' => (ChangeKind::Added, new_mode),
                    'D' => (ChangeKind::Deleted, old_mode),
                    // Unmerged: a path in conflict is not a file that can be committed.
                    'U' => (ChangeKind::Modified, 0),
                    _ => (ChangeKind::Modified, new_mode),
                };
                // git leaves the id of a working-tree file it has not hashed as zeros.
                let blob = (!new_id.is_zero()).then_some(new_id);
                Some(RawChange {
                    path: path.to_owned(),
                    kind,
                    mode,
                    blob,
                    old_blob: (!old_id.is_zero()).then_some(old_id),
                    unmerged: status == 'U',
                })
            });
            changes.push(parsed.ok_or_else(|| unexpected(args, header))?);
        }
        Ok(changes)
    }

    fn run(&self, args: &[&str]) -> Result<String, PlumbingError> {
        let command = args.join(" ");
        let output = Command::new("git")
            .args(args)
            .current_dir(&self.workdir)
            // Reading must never take the index lock from a concurrent `git commit`.
            .env("GIT_OPTIONAL_LOCKS", "0")
            .output()
            .map_err(|error| PlumbingError {
                command: command.clone(),
                message: if error.kind() == io::ErrorKind::NotFound {
                    "git is not installed or not on PATH".to_owned()
                } else {
                    error.to_string()
                },
            })?;
        if !output.status.success() {
            return Err(PlumbingError {
                command,
                message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        String::from_utf8(output.stdout).map_err(|_| PlumbingError {
            command,
            message: "git printed a path that is not UTF-8".to_owned(),
        })
    }
}

/// The NUL-terminated records of `-z` output.
fn records(output: &str) -> impl Iterator<Item = &str> {
    output.split('\0').filter(|record| !record.is_empty())
}

fn unexpected(args: &[&str], record: &str) -> PlumbingError {
    PlumbingError {
        command: args.join(" "),
        message: format!("unexpected output `{record}`"),
    }
}
