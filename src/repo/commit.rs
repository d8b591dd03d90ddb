//! Committing files onto the branch HEAD points at, the way `git commit <paths>`
//! does: under git's index and ref locks, index written before the branch moves.

use super::error::{CommitError, Context};
use super::identity::Role;
use super::lock::IndexLock;
use super::objects::TreeChange;
use super::refs::{conflict, reflog_message};
use super::{Git, Oid};

/// What a commit of files builds on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Onto {
    /// The branch's tip when the commit is made.
    Tip,
    /// The tip the caller read its state from (`None`: the branch had no commit):
    /// if the branch moved since, the commit is refused as a conflict, so that no
    /// decision is made on stale state.
    Read(Option<Oid>),
}

/// A file to commit: its repository path and contents.
#[derive(Debug, Clone)]
pub struct FileToCommit {
    /// Path relative to the repository root, with `/`.
    pub path: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Git {
    /// Writes each file's bytes as a blob: the tree changes that put them in place.
    pub(super) fn write_blobs(
        &self,
        files: &[FileToCommit],
    ) -> Result<Vec<TreeChange>, CommitError> {
        files
            .iter()
            .map(|file| {
                Ok(TreeChange::Upsert {
                    path: file.path.clone(),
                    blob: self.write_blob(&file.bytes)?,
                })
            })
            .collect()
    }

    /// Commits files onto the branch HEAD points at, moving the branch by
    /// compare-and-swap, and records the files in the index.
    ///
    /// Returns `None` when the files are already committed as they are.
    pub fn commit_files(
        &self,
        files: &[FileToCommit],
        message: &str,
    ) -> Result<Option<Oid>, CommitError> {
        self.commit_files_onto(files, message, Onto::Tip)
    }

    /// [`Git::commit_files`] onto a given tip: the commit is a conflict if the
    /// branch no longer points where the caller read it.
    ///
    /// This is `git commit <paths>` done the way git does it, so that branch, index
    /// and working tree agree whatever fails and whoever writes at the same time.
    /// The index lock and then the branch's lock are taken first; the tip is read
    /// under the lock, and the commit built on it. The index is written next, and
    /// the branch moved last: a process killed in between leaves the files staged
    /// on the old tip, never a committed file missing from the index. If moving
    /// the branch fails, the index is put back.
    pub fn commit_files_onto(
        &self,
        files: &[FileToCommit],
        message: &str,
        onto: Onto,
    ) -> Result<Option<Oid>, CommitError> {
        let (refname, _) = self.head_tip()?;
        let author = self.identity(Role::Author)?;
        let committer = self.identity(Role::Committer)?;
        let signing = self.commit_signing()?;
        let blobs = self.write_blobs(files)?;
        let git_dir = self.repo.path().to_owned();
        let index = IndexLock::acquire(&git_dir)?;
        let mut transaction = self.lock_ref(&refname)?;
        let tip = self.ref_target(&refname)?;
        if let Onto::Read(read) = onto
            && read != tip
        {
            return Err(conflict(&refname, read, tip));
        }
        let base = match tip {
            Some(tip) => Some(self.commit(tip)?.tree),
            None => None,
        };
        let tree = self.update_tree(base, &blobs)?;
        if base == Some(tree) {
            return Ok(None);
        }
        let tree = self.find_tree(tree)?;
        let parent = match tip {
            Some(tip) => Some(
                self.repo
                    .find_commit(tip)
                    .context(|| format!("reading commit {tip}"))?,
            ),
            None => None,
        };
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let commit = self.create_commit(
            &author,
            &committer,
            message,
            &tree,
            &parents,
            signing.as_ref(),
        )?;
        let paths: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
        let previous_index = index.stage(&git_dir, &paths)?;
        index.commit()?;
        let moved = transaction
            .set_target(&refname, commit, Some(&committer), &reflog_message(message))
            .and_then(|()| transaction.commit())
            .context(|| format!("moving `{refname}`"));
        if let Err(error) = moved {
            // The ref may have moved before something after it (its reflog) failed:
            // then the commit landed, and the index already records it.
            if self.ref_target(&refname)? == Some(commit) {
                return Ok(Some(commit));
            }
            // Best effort: the error says the commit did not land, and an index
            // left listing the files as staged loses nothing.
            let _ = IndexLock::put_back(&git_dir, previous_index.as_deref());
            return Err(error.into());
        }
        Ok(Some(commit))
    }
}
