//! Commits, trees and blobs read and written directly, without a checkout:
//! environments live entirely in git objects.

use std::path::Path;

use git2::{ErrorCode, FileMode, ObjectType, Signature};

use super::error::{CommitError, Context, GitError};
use super::identity::Role;
use super::sign::Signing;
use super::{Git, Oid, files};
use crate::source::EntryKind;

/// A commit, as berth reads it.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    /// The commit.
    pub id: Oid,
    /// Its parents, in order.
    pub parents: Vec<Oid>,
    /// Its tree.
    pub tree: Oid,
    /// The whole message.
    pub message: String,
    /// Who wrote it, and when.
    pub author: Stamp,
    /// When it was committed: what `--at` compares against.
    pub committed: Stamp,
}

/// A person and a moment, as a commit records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The name.
    pub name: String,
    /// The email address.
    pub email: String,
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// The offset from UTC in minutes, as recorded.
    pub offset_minutes: i32,
}

impl Stamp {
    fn of(signature: &Signature<'_>) -> Stamp {
        let when = signature.when();
        Stamp {
            name: String::from_utf8_lossy(signature.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(signature.email_bytes()).into_owned(),
            seconds: when.seconds(),
            offset_minutes: when.offset_minutes(),
        }
    }
}

/// What a tree entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeEntryKind {
    /// A regular or executable file.
    File,
    /// A directory.
    Tree,
    /// A symbolic link, a submodule, or anything else.
    Other,
}

/// One entry of a git tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Its name within the tree.
    pub name: String,
    /// The object it points at.
    pub id: Oid,
    /// File, directory or other.
    pub kind: TreeEntryKind,
}

/// A change to make to a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeChange {
    /// Put this blob at this path, replacing what is there.
    Upsert {
        /// The path, with `/`.
        path: String,
        /// The blob.
        blob: Oid,
    },
    /// Remove the file at this path; directories left empty go too.
    Remove {
        /// The path, with `/`.
        path: String,
    },
}

/// The trailers at the end of a commit message, in order.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    match git2::message_trailers_strs(message) {
        Ok(found) => found
            .iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Reading and writing commits, trees and blobs directly, without a checkout:
/// environments live entirely in git objects.
impl Git {
    /// Reads a commit.
    pub fn commit(&self, id: Oid) -> Result<CommitInfo, GitError> {
        let commit = self
            .repo
            .find_commit(id)
            .context(|| format!("reading commit {id}"))?;
        Ok(CommitInfo {
            id,
            parents: commit.parent_ids().collect(),
            tree: commit.tree_id(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
            author: Stamp::of(&commit.author()),
            committed: Stamp::of(&commit.committer()),
        })
    }

    /// The entry at `path` below `tree`, if there is one.
    pub fn entry(&self, tree: Oid, path: &str) -> Result<Option<TreeEntry>, GitError> {
        let tree = self.find_tree(tree)?;
        match tree.get_path(Path::new(path)) {
            Ok(entry) => Ok(Some(tree_entry(&entry))),
            Err(error) if error.code() == ErrorCode::NotFound => Ok(None),
            Err(error) => Err(GitError {
                action: format!("looking up `{path}`"),
                error,
            }),
        }
    }

    /// The entries directly inside the directory `dir` of `tree` (`""` for the
    /// root), in git's order; empty if there is no such directory.
    pub fn list_dir(&self, tree: Oid, dir: &str) -> Result<Vec<TreeEntry>, GitError> {
        let subtree = if dir.is_empty() {
            tree
        } else {
            match self.entry(tree, dir)? {
                Some(entry) if entry.kind == TreeEntryKind::Tree => entry.id,
                _ => return Ok(Vec::new()),
            }
        };
        let subtree = self.find_tree(subtree)?;
        Ok(subtree.iter().map(|entry| tree_entry(&entry)).collect())
    }

    /// Every file below the directory `dir` of `tree`, by path from the root, in
    /// git's order.
    pub fn list_files(&self, tree: Oid, dir: &str) -> Result<Vec<(String, Oid)>, GitError> {
        let mut files = Vec::new();
        let mut pending = vec![dir.to_owned()];
        while let Some(dir) = pending.pop() {
            for entry in self.list_dir(tree, &dir)? {
                let path = if dir.is_empty() {
                    entry.name
                } else {
                    format!("{dir}/{}", entry.name)
                };
                match entry.kind {
                    TreeEntryKind::Tree => pending.push(path),
                    TreeEntryKind::File => files.push((path, entry.id)),
                    TreeEntryKind::Other => {}
                }
            }
        }
        files.sort_unstable();
        Ok(files)
    }

    /// A blob's bytes.
    pub fn blob(&self, id: Oid) -> Result<Vec<u8>, GitError> {
        let blob = self
            .repo
            .find_blob(id)
            .context(|| format!("reading blob {id}"))?;
        Ok(blob.content().to_vec())
    }

    /// The bytes of the file at `path` below `tree`, with its blob id, if it is a
    /// file.
    pub fn read_file(&self, tree: Oid, path: &str) -> Result<Option<(Oid, Vec<u8>)>, GitError> {
        match self.entry(tree, path)? {
            Some(entry) if entry.kind == TreeEntryKind::File => {
                Ok(Some((entry.id, self.blob(entry.id)?)))
            }
            _ => Ok(None),
        }
    }

    /// Writes a blob.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<Oid, GitError> {
        self.repo
            .blob(bytes)
            .context(|| "writing a blob".to_owned())
    }

    /// Writes the tree that `base` (or the empty tree) becomes with `changes`,
    /// reading and writing only the subtrees on the changed paths.
    pub fn update_tree(&self, base: Option<Oid>, changes: &[TreeChange]) -> Result<Oid, GitError> {
        let base = match base {
            Some(id) => self.find_tree(id)?,
            None => self.empty_tree()?,
        };
        let mut update = git2::build::TreeUpdateBuilder::new();
        for change in changes {
            match change {
                TreeChange::Upsert { path, blob } => {
                    update.upsert(path.as_str(), *blob, FileMode::Blob);
                }
                TreeChange::Remove { path } => {
                    update.remove(path.as_str());
                }
            }
        }
        update
            .create_updated(&self.repo, &base)
            .context(|| "building the new tree".to_owned())
    }

    /// Writes a commit of `tree` with these parents, by the configured author
    /// and committer, signed with `signing` when given. No ref moves.
    pub fn write_commit(
        &self,
        tree: Oid,
        parents: &[Oid],
        message: &str,
        signing: Option<&Signing>,
    ) -> Result<Oid, CommitError> {
        let tree = self.find_tree(tree)?;
        let parents = parents
            .iter()
            .map(|id| {
                self.repo
                    .find_commit(*id)
                    .context(|| format!("reading commit {id}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let author = self.identity(Role::Author)?;
        let committer = self.identity(Role::Committer)?;
        self.create_commit(&author, &committer, message, &tree, &parents, signing)
    }

    /// Writes a commit, signed with `signing` when given, as git writes it.
    pub(super) fn create_commit(
        &self,
        author: &Signature<'_>,
        committer: &Signature<'_>,
        message: &str,
        tree: &git2::Tree<'_>,
        parents: &[&git2::Commit<'_>],
        signing: Option<&Signing>,
    ) -> Result<Oid, CommitError> {
        let Some(signing) = signing else {
            return Ok(self
                .repo
                .commit(None, author, committer, message, tree, parents)
                .context(|| "writing the commit".to_owned())?);
        };
        let payload = self
            .repo
            .commit_create_buffer(author, committer, message, tree, parents)
            .context(|| "building the commit".to_owned())?;
        // Made of a message, names and ids that are all text: always UTF-8.
        let payload = String::from_utf8_lossy(&payload);
        let signature = self.sign(signing, payload.as_bytes(), committer.when().seconds())?;
        Ok(self
            .repo
            .commit_signed(&payload, &signature, Some("gpgsig"))
            .context(|| "writing the signed commit".to_owned())?)
    }

    /// When a commit written now would say it was committed, in seconds since
    /// the Unix epoch (`GIT_COMMITTER_DATE`, or the clock).
    pub fn committer_time(&self) -> Result<i64, CommitError> {
        Ok(self.identity(Role::Committer)?.when().seconds())
    }

    pub(super) fn find_tree(&self, id: Oid) -> Result<git2::Tree<'_>, GitError> {
        self.repo
            .find_tree(id)
            .context(|| format!("reading tree {id}"))
    }

    /// The empty tree, written if the repository lacks it.
    fn empty_tree(&self) -> Result<git2::Tree<'_>, GitError> {
        let empty = self
            .repo
            .treebuilder(None)
            .and_then(|builder| builder.write())
            .context(|| "writing the empty tree".to_owned())?;
        self.find_tree(empty)
    }
}

fn tree_entry(entry: &git2::TreeEntry<'_>) -> TreeEntry {
    let kind = if entry.kind() == Some(ObjectType::Tree) {
        TreeEntryKind::Tree
    } else if files::mode_kind(entry.filemode()) == EntryKind::File {
        TreeEntryKind::File
    } else {
        TreeEntryKind::Other
    };
    TreeEntry {
        name: String::from_utf8_lossy(entry.name_bytes()).into_owned(),
        id: entry.id(),
        kind,
    }
}
