//! Refs: reading HEAD and branches, taking git's lock on a ref, and moving a ref
//! by compare-and-swap, never one checked out in a working tree.

use std::path::PathBuf;

use git2::{ErrorCode, Repository};

use super::error::{CommitError, Context, GitError};
use super::{Git, Oid, lock, short_id};

/// The reflog line of a commit berth makes: its subject, as git writes
/// `commit: <subject>`.
pub(super) fn reflog_message(message: &str) -> String {
    let subject = message.lines().next().unwrap_or_default();
    format!("berth: {subject}")
}

/// A ref that points somewhere else than where it was read, its commits named by
/// 12 digits as berth prints every commit.
pub(super) fn conflict(refname: &str, expected: Option<Oid>, found: Option<Oid>) -> CommitError {
    let name = |id: Option<Oid>, absent: &str| id.map_or_else(|| absent.to_owned(), short_id);
    CommitError::Conflict {
        refname: refname.to_owned(),
        expected: name(expected, "no commit"),
        found: name(found, "nothing"),
    }
}

/// Whether `name` is a valid full ref name (`refs/heads/main`).
pub fn is_valid_ref_name(name: &str) -> bool {
    git2::Reference::is_valid_name(name)
}

impl Git {
    /// Whether HEAD names a commit (it does not in a repository with no commits).
    pub fn has_head_commit(&self) -> bool {
        self.repo
            .head()
            .and_then(|head| head.peel_to_commit())
            .is_ok()
    }

    /// The branch HEAD points at, by its full ref name, even when it has no commits.
    pub fn head_branch(&self) -> Result<Option<String>, GitError> {
        let head = self
            .repo
            .find_reference("HEAD")
            .context(|| "reading HEAD".to_owned())?;
        let target = head
            .symbolic_target()
            .context(|| "reading HEAD".to_owned())?;
        Ok(target.map(str::to_owned))
    }

    /// The commit a ref points at, or `None` if the ref does not exist.
    pub fn ref_target(&self, refname: &str) -> Result<Option<Oid>, GitError> {
        match self.repo.refname_to_id(refname) {
            Ok(oid) => Ok(Some(oid)),
            Err(error) if error.code() == ErrorCode::NotFound => Ok(None),
            Err(error) => Err(GitError {
                action: format!("reading `{refname}`"),
                error,
            }),
        }
    }

    /// The ref a revision names by its full name, when it is one as written, by
    /// git's rules (`origin/env/dev` is `refs/remotes/origin/env/dev`, `env/dev`
    /// is `refs/heads/env/dev`); `None` for a commit id, `HEAD~1` or a tag.
    pub fn ref_named(&self, revision: &str) -> Result<Option<String>, super::BadRevision> {
        let (_, reference) =
            self.repo
                .revparse_ext(revision)
                .map_err(|error| super::BadRevision {
                    revision: revision.to_owned(),
                    error,
                })?;
        Ok(reference
            .filter(|reference| reference.is_branch() || reference.is_remote())
            .and_then(|reference| reference.name().ok().map(str::to_owned)))
    }

    /// The branch HEAD points at, and its tip (`None` before its first commit).
    pub fn head_tip(&self) -> Result<(String, Option<Oid>), CommitError> {
        let refname = self.head_branch()?.ok_or(CommitError::DetachedHead)?;
        let tip = self.ref_target(&refname)?;
        Ok((refname, tip))
    }

    /// Takes git's lock on `refname`, waiting a little for another writer; the lock
    /// is held until the transaction is committed or dropped.
    pub(super) fn lock_ref(&self, refname: &str) -> Result<git2::Transaction<'_>, CommitError> {
        let mut transaction = self
            .repo
            .transaction()
            .context(|| format!("locking `{refname}`"))?;
        let locked = lock::patiently(
            || transaction.lock_ref(refname),
            |error| error.code() == ErrorCode::Locked,
        );
        match locked {
            Ok(()) => Ok(transaction),
            Err(error) if error.code() == ErrorCode::Locked => Err(lock::locked(
                format!("`{refname}`"),
                self.ref_lock_path(refname),
            )),
            Err(error) => Err(GitError {
                action: format!("locking `{refname}`"),
                error,
            }
            .into()),
        }
    }

    /// Where git keeps the lock of a ref: `<ref file>.lock` in the git directory.
    fn ref_lock_path(&self, refname: &str) -> PathBuf {
        self.repo.path().join(format!("{refname}.lock"))
    }

    /// Moves `refname` from `expected` (`None`: it must not exist) to `new`, or
    /// reports a conflict if it points anywhere else. A branch checked out in a
    /// working tree is refused: moving it would leave that checkout's index and
    /// files describing another commit.
    pub fn move_ref(
        &self,
        refname: &str,
        expected: Option<Oid>,
        new: Oid,
        message: &str,
    ) -> Result<(), CommitError> {
        if let Some(worktree) = self.checked_out_at(refname)? {
            return Err(CommitError::CheckedOut {
                refname: refname.to_owned(),
                worktree,
            });
        }
        if expected.is_none()
            && let Some(other) = self.clashing_ref(refname)?
        {
            return Err(CommitError::RefClash {
                refname: refname.to_owned(),
                other,
            });
        }
        let log = reflog_message(message);
        // libgit2 checks that a ref is absent only before taking its lock unless
        // the expected old value is given: the zero id means "absent", checked
        // under the lock, so two creators cannot both win.
        let old = expected.unwrap_or(Oid::ZERO_SHA1);
        let moved = lock::patiently(
            || self.repo.reference_matching(refname, new, true, old, &log),
            |error| error.code() == ErrorCode::Locked,
        );
        match moved {
            Ok(_) => Ok(()),
            Err(error) if error.code() == ErrorCode::Locked => Err(lock::locked(
                format!("`{refname}`"),
                self.ref_lock_path(refname),
            )),
            Err(error) if matches!(error.code(), ErrorCode::Modified | ErrorCode::Exists) => {
                let found = self.ref_target(refname)?;
                if found == expected {
                    // Nothing moved: the name itself cannot be a ref here, such
                    // as `refs/heads/a/b` beside a branch `refs/heads/a`.
                    return Err(GitError {
                        action: format!("creating `{refname}`"),
                        error,
                    }
                    .into());
                }
                Err(conflict(refname, expected, found))
            }
            Err(error) => Err(GitError {
                action: format!("moving `{refname}`"),
                error,
            }
            .into()),
        }
    }

    /// A ref that keeps `refname` from being created: one named like a directory
    /// on its path (`refs/heads/team` for `refs/heads/team/dev`), or one inside
    /// it. git stores refs as files, so a name cannot be both.
    fn clashing_ref(&self, refname: &str) -> Result<Option<String>, GitError> {
        let mut prefix = String::new();
        let mut parts = refname.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                break;
            }
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if prefix.matches('/').count() >= 2 && self.ref_target(&prefix)?.is_some() {
                return Ok(Some(prefix));
            }
        }
        let mut inside = self
            .repo
            .references_glob(&format!("{refname}/*"))
            .context(|| format!("listing the refs under `{refname}`"))?;
        match inside.names().next() {
            Some(name) => Ok(Some(
                name.context(|| format!("listing the refs under `{refname}`"))?
                    .to_owned(),
            )),
            None => Ok(None),
        }
    }

    /// The working tree that has `refname` checked out, if any: this one or a
    /// linked one (`git worktree add`).
    fn checked_out_at(&self, refname: &str) -> Result<Option<PathBuf>, GitError> {
        if self.head_branch()?.as_deref() == Some(refname) {
            return Ok(Some(self.workdir.clone()));
        }
        let names = self
            .repo
            .worktrees()
            .context(|| "listing the linked working trees".to_owned())?;
        for name in names.iter().flatten().flatten() {
            let Ok(worktree) = self.repo.find_worktree(name) else {
                continue;
            };
            let Ok(repo) = Repository::open_from_worktree(&worktree) else {
                continue;
            };
            let head = repo.find_reference("HEAD").ok();
            let target = head
                .as_ref()
                .and_then(|head| head.symbolic_target().ok().flatten());
            if target == Some(refname) {
                return Ok(Some(worktree.path().to_owned()));
            }
        }
        Ok(None)
    }
}
