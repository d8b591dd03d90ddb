//! Committing files onto a remote's branch (`--push`), the way a careful git
//! user would: fetch the branch, build the commit on the remote's tip, push it
//! without force, and only once the remote took it move the local branch, its
//! index and working tree there.
//!
//! A branch with commits the remote lacks is refused before anything is
//! written: pushing onto it would publish commits nobody asked berth to
//! publish. A branch behind the remote is built on the remote's tip, provided
//! what the caller read to decide on its files is the same there. When the
//! remote moves between the fetch and the push, the commit is rebuilt on the new
//! tip, after checking again that nothing the caller read changed.

use std::collections::BTreeSet;
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;

use super::commit::{FileToCommit, Onto};
use super::error::{CommitError, Context, GitError};
use super::identity::Role;
use super::lock::IndexLock;
use super::objects::TreeChange;
use super::refs::{conflict, reflog_message};
use super::remote::{RefUpdate, RemoteError};
use super::wait::lost_race_wait;
use super::{Git, Oid, short_id};

/// How many times a push is built and sent before giving up on a remote that
/// keeps moving.
const TRIES: u32 = 5;

/// Where to push a commit of files, and what the caller read to decide on them.
#[derive(Debug, Clone, Default)]
pub struct Push {
    /// The remote: one of the repository's remotes.
    pub remote: String,
    /// Paths (files or directories) the caller read, besides the files it
    /// writes: the commit is built on a remote tip only where each of them is
    /// as the caller read it.
    pub guard: Vec<String>,
}

/// A commit of files that the remote took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Pushed {
    /// The remote.
    pub remote: String,
    /// The branch, on the remote as here.
    pub branch: String,
    /// The remote's tip now, which the local branch points at too: the commit
    /// pushed, or the remote's tip when it already held the files.
    pub tip: String,
    /// How many times the commit was built and pushed (more than 1 when the
    /// remote moved meanwhile).
    pub tries: u32,
}

/// How the local branch stands to the remote's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// At the remote's tip.
    Even,
    /// Behind it: the remote has commits the branch lacks, and lacks none of its.
    Behind,
    /// The branch has commits the remote lacks.
    Ahead,
}

impl Standing {
    /// Decides from the two tips and whether the remote's contains the local.
    pub fn decide(local: Option<Oid>, remote: Option<Oid>, remote_has_local: bool) -> Standing {
        match (local, remote) {
            (local, remote) if local == remote => Standing::Even,
            (None, Some(_)) => Standing::Behind,
            (Some(_), Some(_)) if remote_has_local => Standing::Behind,
            _ => Standing::Ahead,
        }
    }
}

impl Git {
    /// Commits `files` onto the remote's copy of the branch HEAD points at and
    /// pushes it there without force; once the remote has it, moves the local
    /// branch, the index and the working tree to it, as [`Git::commit_files_onto`]
    /// leaves them. The files must already be in the working tree. Returns the
    /// commit made (`None` when the remote already held the files as they are:
    /// the local branch then follows the remote's tip) and where it went.
    ///
    /// `onto` is checked against the local branch. Nothing is written anywhere
    /// when the local branch has commits the remote lacks
    /// ([`CommitError::Unpushed`]), when a path the caller read changed on the
    /// remote ([`CommitError::RemoteChanged`]), or when the push fails.
    pub fn commit_files_pushed(
        &self,
        files: &[FileToCommit],
        message: &str,
        onto: Onto,
        push: &Push,
    ) -> Result<(Option<Oid>, Pushed), CommitError> {
        let remote = push.remote.as_str();
        let (refname, local) = self.head_tip()?;
        if let Onto::Read(read) = onto
            && read != local
        {
            return Err(conflict(&refname, read, local));
        }
        let branch = refname
            .strip_prefix("refs/heads/")
            .unwrap_or(&refname)
            .to_owned();
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let refspec = format!("+{refname}:{tracking}");
        self.fetch(remote, std::slice::from_ref(&refspec))?;
        let mut tip = self.remote_tip(remote, &tracking, &refname)?;
        let remote_has_local = match local {
            Some(local) if local != tip => self.descends_from(tip, local)?,
            _ => false,
        };
        if Standing::decide(local, Some(tip), remote_has_local) == Standing::Ahead {
            return Err(CommitError::Unpushed {
                branch,
                remote: remote.to_owned(),
                local: local.map_or_else(|| "nothing".to_owned(), short_id),
                remote_tip: short_id(tip),
            });
        }
        let base = match local {
            Some(local) => Some(self.commit(local)?.tree),
            None => None,
        };
        let signing = self.commit_signing()?;
        let blobs = self.write_blobs(files)?;
        let ours: BTreeSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
        let mut tries: u32 = 0;
        loop {
            tries = tries.saturating_add(1);
            let tip_tree = self.commit(tip)?.tree;
            self.check_unchanged(base, tip_tree, &blobs, &push.guard, remote, &branch, tip)?;
            let tree = self.update_tree(Some(tip_tree), &blobs)?;
            let pushed = |tip: Oid| Pushed {
                remote: remote.to_owned(),
                branch: branch.clone(),
                tip: tip.to_string(),
                tries,
            };
            if tree == tip_tree {
                // The remote holds the files as they are: follow it.
                self.follow(&refname, local, tip, &ours, remote)?;
                return Ok((None, pushed(tip)));
            }
            // Refuse before publishing anything the working tree could not follow.
            self.check_clean(local, tip, &ours, &branch, remote)?;
            let commit = self.write_commit(tree, &[tip], message, signing.as_ref())?;
            let report = self.push(
                remote,
                &[RefUpdate {
                    refname: refname.clone(),
                    new: commit,
                }],
                &[],
            )?;
            match report.into_result(remote) {
                Ok(_) => {
                    let message = format!("push {remote}");
                    // git moves it too where the remote's fetch refspec covers it;
                    // a concurrent fetch that moved it sets it again next time.
                    let tracked = self.ref_target(&tracking)?;
                    if tracked != Some(commit) {
                        match self.move_ref(&tracking, tracked, commit, &message) {
                            Ok(()) | Err(CommitError::Conflict { .. }) => {}
                            Err(error) => return Err(error),
                        }
                    }
                    self.follow(&refname, local, commit, &ours, remote)
                        .map_err(|error| CommitError::NotFollowed {
                            remote: remote.to_owned(),
                            branch: branch.clone(),
                            tip: commit,
                            error: Box::new(error),
                        })?;
                    return Ok((Some(commit), pushed(commit)));
                }
                Err(RemoteError::RemoteMoved { .. }) if tries < TRIES => {
                    std::thread::sleep(lost_race_wait(tries));
                    self.fetch(remote, std::slice::from_ref(&refspec))?;
                    tip = self.remote_tip(remote, &tracking, &refname)?;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// The remote-tracking ref's commit, which a fetch just set.
    fn remote_tip(&self, remote: &str, tracking: &str, refname: &str) -> Result<Oid, CommitError> {
        self.ref_target(tracking)?.ok_or_else(|| {
            RemoteError::MissingRef {
                remote: remote.to_owned(),
                refname: refname.to_owned(),
            }
            .into()
        })
    }

    /// Refuses a remote tip on which a file to write, or a path the caller
    /// read, is not as it is in `base` (the files may also be there already, as
    /// they would be written).
    #[allow(clippy::too_many_arguments)]
    fn check_unchanged(
        &self,
        base: Option<Oid>,
        tip_tree: Oid,
        blobs: &[TreeChange],
        guard: &[String],
        remote: &str,
        branch: &str,
        tip: Oid,
    ) -> Result<(), CommitError> {
        let entry = |tree: Option<Oid>, path: &str| -> Result<Option<Oid>, GitError> {
            match tree {
                Some(tree) => Ok(self.entry(tree, path)?.map(|entry| entry.id)),
                None => Ok(None),
            }
        };
        let changed = |path: &str| CommitError::RemoteChanged {
            remote: remote.to_owned(),
            branch: branch.to_owned(),
            path: path.to_owned(),
            tip,
        };
        for change in blobs {
            if let TreeChange::Upsert { path, blob } = change {
                let there = entry(Some(tip_tree), path)?;
                if there != entry(base, path)? && there != Some(*blob) {
                    return Err(changed(path));
                }
            }
        }
        for path in guard {
            if entry(Some(tip_tree), path)? != entry(base, path)? {
                return Err(changed(path));
            }
        }
        Ok(())
    }

    /// The paths other than `ours` that differ between `from` and `to`.
    fn others(
        &self,
        from: Option<Oid>,
        to: Oid,
        ours: &BTreeSet<&str>,
    ) -> Result<BTreeSet<String>, GitError> {
        let from = match from {
            Some(from) => Some(self.find_tree(self.commit(from)?.tree)?),
            None => None,
        };
        let to = self.find_tree(self.commit(to)?.tree)?;
        let diff = self
            .repo
            .diff_tree_to_tree(from.as_ref(), Some(&to), None)
            .context(|| "comparing the branch with the remote's".to_owned())?;
        let mut paths = BTreeSet::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                if let Some(path) = file.path().and_then(Path::to_str)
                    && !ours.contains(path)
                {
                    paths.insert(path.to_owned());
                }
            }
        }
        Ok(paths)
    }

    /// Refuses when a path the remote changed since `local` is changed in the
    /// index or the working tree: following the remote would overwrite it.
    fn check_clean(
        &self,
        local: Option<Oid>,
        tip: Oid,
        ours: &BTreeSet<&str>,
        branch: &str,
        remote: &str,
    ) -> Result<(), CommitError> {
        if local == Some(tip) {
            return Ok(());
        }
        let index = self
            .repo
            .index()
            .context(|| "reading the index".to_owned())?;
        let base = match local {
            Some(local) => Some(self.commit(local)?.tree),
            None => None,
        };
        let tip_tree = self.commit(tip)?.tree;
        for path in self.others(local, tip, ours)? {
            if !self.plain(tip_tree, &path)? {
                return Err(CommitError::NotPlain {
                    branch: branch.to_owned(),
                    remote: remote.to_owned(),
                    path,
                });
            }
            let committed = match base {
                Some(tree) => self.entry(tree, &path)?.map(|entry| entry.id),
                None => None,
            };
            let staged = index.get_path(Path::new(&path), 0).map(|entry| entry.id);
            let on_disk = match std::fs::read(self.workdir.join(&path)) {
                Ok(bytes) => Some(
                    Oid::hash_object(git2::ObjectType::Blob, &bytes)
                        .context(|| format!("hashing `{path}`"))?,
                ),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => {
                    return Err(GitError {
                        action: format!("reading `{path}`"),
                        error: git2::Error::from_str(&error.to_string()),
                    }
                    .into());
                }
            };
            if staged != committed || on_disk != committed {
                return Err(CommitError::WouldOverwrite {
                    branch: branch.to_owned(),
                    remote: remote.to_owned(),
                    path,
                });
            }
        }
        Ok(())
    }

    /// Whether berth can write `path` of `tree` into the working tree as git
    /// would: absent from the tree or a regular, non-executable file, at a path
    /// of plain names that no link in the working tree leads elsewhere.
    fn plain(&self, tree: Oid, path: &str) -> Result<bool, GitError> {
        let names_plain = path.split('/').all(|name| {
            !name.is_empty() && name != "." && name != ".." && !name.eq_ignore_ascii_case(".git")
        });
        if !names_plain {
            return Ok(false);
        }
        let mut dir = self.workdir.clone();
        let mut names = path.split('/').peekable();
        while let Some(name) = names.next() {
            if names.peek().is_none() {
                break;
            }
            dir.push(name);
            if std::fs::symlink_metadata(&dir).is_ok_and(|meta| !meta.is_dir()) {
                return Ok(false);
            }
        }
        if std::fs::symlink_metadata(self.workdir.join(path)).is_ok_and(|meta| !meta.is_file()) {
            return Ok(false);
        }
        let tree = self.find_tree(tree)?;
        match tree.get_path(Path::new(path)) {
            Ok(entry) => Ok(entry.filemode() == 0o100_644),
            Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(true),
            Err(error) => Err(GitError {
                action: format!("reading `{path}`"),
                error,
            }),
        }
    }

    /// Moves the local branch from `local` to `tip`, which the remote holds:
    /// the files the remote changed meanwhile written into the working tree,
    /// and those and `ours` (already there) staged, under git's locks.
    fn follow(
        &self,
        refname: &str,
        local: Option<Oid>,
        tip: Oid,
        ours: &BTreeSet<&str>,
        remote: &str,
    ) -> Result<(), CommitError> {
        if local == Some(tip) {
            return Ok(());
        }
        let git_dir = self.repo.path().to_owned();
        let index = IndexLock::acquire(&git_dir)?;
        let mut transaction = self.lock_ref(refname)?;
        let now = self.ref_target(refname)?;
        if now != local {
            return Err(conflict(refname, local, now));
        }
        let branch = refname.strip_prefix("refs/heads/").unwrap_or(refname);
        self.check_clean(local, tip, ours, branch, remote)?;
        let others = self.others(local, tip, ours)?;
        let tree = self.commit(tip)?.tree;
        for path in &others {
            let target = self.workdir.join(path);
            let written = match self.read_file(tree, path)? {
                Some((_, bytes)) => target
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&target, bytes)),
                None => match std::fs::remove_file(&target) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
                    _ => Ok(()),
                },
            };
            written.map_err(|error| GitError {
                action: format!("writing `{path}`"),
                error: git2::Error::from_str(&error.to_string()),
            })?;
        }
        let mut paths: Vec<&str> = ours.iter().copied().collect();
        paths.extend(others.iter().map(String::as_str));
        let previous_index = index.stage(&git_dir, &paths)?;
        index.commit()?;
        let message = format!("push {remote}");
        let committer = self.identity(Role::Committer)?;
        let moved = transaction
            .set_target(refname, tip, Some(&committer), &reflog_message(&message))
            .and_then(|()| transaction.commit())
            .context(|| format!("moving `{refname}`"));
        if let Err(error) = moved {
            if self.ref_target(refname)? == Some(tip) {
                return Ok(());
            }
            let _ = IndexLock::put_back(&git_dir, previous_index.as_deref());
            return Err(error.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_branch_stands_to_the_remote_as_their_tips_say() {
        let a = Oid::from_str("879ae7f6ed968a89b2329d34799430626a7b7840").ok();
        let b = Oid::from_str("22ebf13e2c0e4b6e8a5c9f0d3e7b1a2c4d6e8f00").ok();
        let cases = [
            (a, a, false, Standing::Even),
            (a, b, true, Standing::Behind),
            (None, b, false, Standing::Behind),
            (a, b, false, Standing::Ahead),
            (a, None, false, Standing::Ahead),
        ];
        for (local, remote, has, expected) in cases {
            assert_eq!(
                Standing::decide(local, remote, has),
                expected,
                "{local:?} {remote:?} {has}"
            );
        }
    }
}
