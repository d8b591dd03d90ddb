//! Repository files read straight from git objects: a revision's tree or the index,
//! behind the same [`Source`](crate::source::Source) interface as the working tree,
//! so the validator reads what was committed or what would be committed, never the
//! checkout. And the same files as changes over a base revision, so that validating
//! a change costs what the change costs.
//!
//! `snapshot` holds a revision's or the index's files, `changeset` a change over a
//! base, and `diff` how that change is found; what they share (reading blobs from
//! any thread, refusing links, listing below a directory) is here.

mod changeset;
mod diff;
mod snapshot;

pub use changeset::{Changeset, Head};
pub use snapshot::GitFiles;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{ErrorCode, FileMode, ObjectType, Repository, TreeWalkMode, TreeWalkResult};

use super::error::GitError;
use super::plumbing;
use super::{Git, Oid};
use crate::source::{Content, Entry, EntryKind, Refusal, SourceError};

/// A revision that does not name a commit.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{revision}` does not name a commit here")]
#[diagnostic(
    code("berth::bad-revision"),
    help("name a commit as git does: a branch, a tag, a hash or an expression such as HEAD~1")
)]
pub struct BadRevision {
    /// The revision as given.
    pub revision: String,
    /// What libgit2 said.
    #[source]
    pub error: git2::Error,
}

/// Why git files could not be listed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FilesError {
    /// The revision does not resolve to a commit.
    #[error(transparent)]
    #[diagnostic(transparent)]
    BadRevision(#[from] BadRevision),
    /// Reading the tree or the index failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// The git command failed or is missing.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plumbing(#[from] plumbing::PlumbingError),
    /// A shallow clone lacks the history the comparison needs.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Shallow(#[from] super::ShallowHistory),
}

/// Repository handles for reading threads: libgit2 handles cannot be shared
/// between threads, so each reading thread takes one from the pool.
struct Handles {
    git_dir: PathBuf,
    pool: Mutex<Vec<Repository>>,
}

impl Handles {
    fn new(git: &Git) -> Handles {
        Handles {
            git_dir: git.repo.path().to_owned(),
            pool: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` with a repository handle of this thread's own.
    fn with<T>(
        &self,
        read: impl FnOnce(&Repository) -> Result<T, git2::Error>,
    ) -> Result<T, git2::Error> {
        let taken = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        let repo = match taken {
            Some(repo) => repo,
            None => Repository::open(&self.git_dir)?,
        };
        let result = read(&repo);
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(repo);
        }
        result
    }

    /// A blob's bytes, or its size if it is over `limit`.
    fn blob(&self, id: Oid, limit: u64) -> Result<Content, git2::Error> {
        self.with(|repo| {
            let odb = repo.odb()?;
            let (size, _) = odb.read_header(id)?;
            let size = u64::try_from(size).unwrap_or(u64::MAX);
            if size > limit {
                return Ok(Content::TooLarge { size });
            }
            Ok(Content::Bytes(odb.read(id)?.data().to_vec()))
        })
    }
}

fn source_error(source_name: &str, path: &str, error: impl Into<io::Error>) -> SourceError {
    SourceError::Io {
        path: path.to_owned(),
        source_name: source_name.to_owned(),
        error: error.into(),
    }
}

fn refused(source_name: &str, path: &str, refusal: Refusal) -> SourceError {
    SourceError::Refused {
        path: path.to_owned(),
        source_name: source_name.to_owned(),
        refusal,
    }
}

/// Why an entry of a tree or the index is not read: git records a symlink's
/// target as its blob, and reading that as the file would disagree with the
/// working tree, where the link points somewhere else entirely.
fn refusal_of(kind: EntryKind) -> Option<Refusal> {
    Refusal::of_entry(kind)
}

/// The first directory on the way to `path` (`path` itself excluded) that
/// `kind_of` says is a symlink.
fn link_above<E>(
    path: &str,
    kind_of: impl Fn(&str) -> Result<Option<EntryKind>, E>,
) -> Result<Option<String>, E> {
    for (end, _) in path.match_indices('/') {
        let Some(dir) = path.get(..end) else {
            continue;
        };
        if kind_of(dir)? == Some(EntryKind::Symlink) {
            return Ok(Some(dir.to_owned()));
        }
    }
    Ok(None)
}

/// The symlink at `dir` or on the way to it, listed as the one entry there is:
/// nothing below a link is in the repository.
fn link_at_or_above<E>(
    dir: &str,
    kind_of: impl Fn(&str) -> Result<Option<EntryKind>, E>,
) -> Result<Option<Vec<Entry>>, E> {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return Ok(None);
    }
    let link = match kind_of(dir)? {
        Some(EntryKind::Symlink) => Some(dir.to_owned()),
        _ => link_above(dir, &kind_of)?,
    };
    Ok(link.map(|path| {
        vec![Entry {
            path,
            kind: EntryKind::Symlink,
        }]
    }))
}

fn git_io(error: git2::Error) -> io::Error {
    io::Error::other(error)
}

/// Every file, symlink or other non-directory entry below `dir` of `tree`, by path
/// from the root.
fn tree_files(
    repo: &Repository,
    tree: Oid,
    dir: &str,
) -> Result<BTreeMap<String, (Oid, EntryKind)>, git2::Error> {
    let mut files = BTreeMap::new();
    let dir = dir.trim_end_matches('/');
    let Some(subtree) = subtree(repo, tree, dir)? else {
        return Ok(files);
    };
    let prefix = dir_prefix(dir);
    subtree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() == Some(ObjectType::Tree) {
            return TreeWalkResult::Ok;
        }
        let kind = mode_kind(entry.filemode());
        let name = String::from_utf8_lossy(entry.name_bytes());
        files.insert(format!("{prefix}{parent}{name}"), (entry.id(), kind));
        TreeWalkResult::Ok
    })?;
    Ok(files)
}

/// The directory `dir` (`""` for the root) of `tree`, if it is one.
fn subtree<'r>(
    repo: &'r Repository,
    tree: Oid,
    dir: &str,
) -> Result<Option<git2::Tree<'r>>, git2::Error> {
    let root = repo.find_tree(tree)?;
    if dir.is_empty() {
        return Ok(Some(root));
    }
    match root.get_path(Path::new(dir)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => repo.find_tree(entry.id()).map(Some),
        Ok(_) => Ok(None),
        Err(error) if error.code() == ErrorCode::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

fn revision_name(revision: &str, commit: Oid) -> String {
    format!("revision {revision} ({})", super::short_id(commit))
}

/// What a non-directory entry of a tree or the index is, by its git file mode: a
/// regular or executable file, a symlink, or (a submodule) something else.
pub(super) fn mode_kind(mode: i32) -> EntryKind {
    if mode == i32::from(FileMode::Blob) || mode == i32::from(FileMode::BlobExecutable) {
        EntryKind::File
    } else if mode == i32::from(FileMode::Link) {
        EntryKind::Symlink
    } else {
        EntryKind::Other
    }
}

/// Lists the entries of `files` below `dir`.
fn list_below(files: &BTreeMap<String, (Oid, EntryKind)>, dir: &str) -> Vec<Entry> {
    let prefix = dir_prefix(dir);
    files
        .range(prefix.clone()..)
        .take_while(|(path, _)| path.starts_with(&prefix))
        .map(|(path, (_, kind))| Entry {
            path: path.clone(),
            kind: *kind,
        })
        .collect()
}

fn dir_prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{}/", dir.trim_end_matches('/'))
    }
}

/// The directory directly inside `dir` that `path` lies in, if it lies deeper.
fn subdir_of(path: &str, dir: &str) -> Option<String> {
    let rest = path.strip_prefix(&dir_prefix(dir))?;
    let (name, _) = rest.split_once('/')?;
    Some(name.to_owned())
}
