//! Repository files read straight from git objects: a revision's tree or the index,
//! behind the same [`Source`] interface as the working tree, so the validator reads
//! what was committed or what would be committed, never the checkout.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

use git2::{FileMode, IndexEntry, ObjectType, Repository, TreeWalkMode, TreeWalkResult};

use super::{Context, Git, GitError, Oid};
use crate::source::{Content, Entry, EntryKind, Source, SourceError};

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
}

/// The files of a revision's tree or of the index, by path.
pub struct GitFiles {
    /// "revision <rev> (<short id>)" or "index".
    name: String,
    /// Where to open more handles on the repository: libgit2 handles cannot be
    /// shared between threads, so each reading thread takes one from the pool.
    git_dir: PathBuf,
    files: BTreeMap<String, (Oid, EntryKind)>,
    pool: Mutex<Vec<Repository>>,
}

impl Git {
    /// The files of the tree of the commit `revision` names.
    pub fn files_at(&self, revision: &str) -> Result<GitFiles, FilesError> {
        let bad = |error| BadRevision {
            revision: revision.to_owned(),
            error,
        };
        let commit = self
            .repo
            .revparse_single(revision)
            .and_then(|object| object.peel_to_commit())
            .map_err(bad)?;
        let tree = commit
            .tree()
            .context(|| format!("reading the tree of {revision}"))?;
        let mut files = BTreeMap::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Tree) {
                return TreeWalkResult::Ok;
            }
            let kind = mode_kind(entry.filemode());
            let name = String::from_utf8_lossy(entry.name_bytes());
            files.insert(format!("{dir}{name}"), (entry.id(), kind));
            TreeWalkResult::Ok
        })
        .context(|| format!("listing the tree of {revision}"))?;
        let id = commit.id().to_string();
        Ok(self.git_files(format!("revision {revision} ({})", &id[..12]), files))
    }

    /// The files of the index: exactly what `git commit` would commit.
    pub fn staged_files(&self) -> Result<GitFiles, FilesError> {
        let index = self
            .repo
            .index()
            .context(|| "reading the index".to_owned())?;
        let mut files = BTreeMap::new();
        for entry in index.iter() {
            let path = String::from_utf8_lossy(&entry.path).into_owned();
            files.insert(path, (entry.id, index_kind(&entry)));
        }
        Ok(self.git_files("index".to_owned(), files))
    }

    fn git_files(&self, name: String, files: BTreeMap<String, (Oid, EntryKind)>) -> GitFiles {
        GitFiles {
            name,
            git_dir: self.repo.path().to_owned(),
            files,
            pool: Mutex::new(Vec::new()),
        }
    }
}

/// A file, a symlink, or (a submodule, or a path in conflict) something else.
fn index_kind(entry: &IndexEntry) -> EntryKind {
    // The stage is kept in bits 12-13 of the flags; a conflicted path has entries
    // in stages 1-3 and is not a file that could be committed.
    let stage = (entry.flags >> 12) & 0b11;
    if stage != 0 {
        return EntryKind::Other;
    }
    mode_kind(i32::try_from(entry.mode).unwrap_or(0))
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

impl GitFiles {
    fn error(&self, path: &str, error: git2::Error) -> SourceError {
        SourceError {
            path: path.to_owned(),
            source_name: self.name.clone(),
            error: io::Error::other(error),
        }
    }

    /// Runs `read` with a repository handle of this thread's own.
    fn with_handle<T>(
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
}

impl Source for GitFiles {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        let Some((id, _)) = self.files.get(path) else {
            return Ok(None);
        };
        let read = self.with_handle(|repo| {
            let odb = repo.odb()?;
            let (size, _) = odb.read_header(*id)?;
            let size = u64::try_from(size).unwrap_or(u64::MAX);
            if size > limit {
                return Ok(Content::TooLarge { size });
            }
            Ok(Content::Bytes(odb.read(*id)?.data().to_vec()))
        });
        read.map(Some).map_err(|error| self.error(path, error))
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{}/", dir.trim_end_matches('/'))
        };
        Ok(self
            .files
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, (_, kind))| Entry {
                path: path.clone(),
                kind: *kind,
            })
            .collect())
    }
}
