//! The only module that touches git: opening repositories, identities, and commits
//! that move a branch by compare-and-swap.
//!
//! A file per concept: `open` finds and creates a repository, `setup` holds what
//! surrounds the working tree (configuration, excludes, restoring a path), `refs`
//! reads and moves refs, `commit` commits files together with the index,
//! `objects` reads and writes commits, trees and blobs without a checkout,
//! `history` answers ancestry and where a shallow clone stops, `identity` says
//! who commits and when, and `error` why an operation failed. `files` reads a
//! revision, the index or a change as a `Source`, `plumbing` asks git itself for
//! the index, `remote` fetches and pushes through the git command, `publish`
//! commits files onto a remote's branch and pushes them (the writers' `--push`),
//! `lock` takes git's locks, `signature` reads a commit's
//! signature and the bytes it signs, and `sign` signs a commit as
//! `git commit -S` does with an SSH key.

use std::path::PathBuf;

use git2::Repository;

mod commit;
mod error;
mod files;
mod history;
mod identity;
mod lock;
mod objects;
mod open;
mod plumbing;
mod publish;
mod refs;
mod remote;
mod setup;
mod sign;
mod signature;
mod wait;

pub use commit::{FileToCommit, Onto};
pub use error::{CommitError, GitError, OpenError};
pub use files::{BadRevision, Changeset, FilesError, GitFiles, Head};
/// A git object id: a commit, tree or blob.
pub use git2::Oid;
pub use history::ShallowHistory;
pub use objects::{CommitInfo, Stamp, TreeChange, TreeEntry, TreeEntryKind, trailers};
pub use plumbing::PlumbingError;
pub use publish::{Push, Pushed, Standing};
pub use refs::is_valid_ref_name;
pub use remote::{
    Lease, PushReport, PushStatus, PushedRef, RefUpdate, Rejection, RemoteError, parse_porcelain,
};
pub use sign::{SignError, Signing, SigningKey};
pub use signature::CommitSignature;
pub use wait::{local_race_wait, lost_race_wait};

/// A git repository with a working tree.
pub struct Git {
    repo: Repository,
    workdir: PathBuf,
}

/// A commit id cut to 12 digits, as berth names commits in messages.
pub fn short_id(id: Oid) -> String {
    let mut id = id.to_string();
    id.truncate(12);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with_identity() -> (tempfile::TempDir, Git) {
        let dir = tempfile::tempdir().unwrap();
        let git = Git::init(dir.path(), "main").unwrap();
        git.set_local_config("user.name", "Test").unwrap();
        git.set_local_config("user.email", "test@berth.invalid")
            .unwrap();
        (dir, git)
    }

    fn file(git: &Git, path: &str, text: &str) -> FileToCommit {
        std::fs::write(git.workdir().join(path), text).unwrap();
        FileToCommit {
            path: path.to_owned(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_ref_moves_only_from_the_tip_that_was_read() {
        let (_dir, git) = repo_with_identity();
        let first = git
            .commit_files(&[file(&git, "a.txt", "a")], "first")
            .unwrap()
            .unwrap();
        let second = git
            .commit_files(&[file(&git, "b.txt", "b")], "second")
            .unwrap()
            .unwrap();
        let env = "refs/heads/env/dev";
        git.move_ref(env, None, second, "open").unwrap();

        // A writer that read `first` loses: the ref is left where it is.
        let stale = git.move_ref(env, Some(first), first, "stale");
        assert!(
            matches!(stale, Err(CommitError::Conflict { .. })),
            "{stale:?}"
        );
        assert_eq!(git.ref_target(env).unwrap(), Some(second));

        // Creating a ref that someone else created meanwhile also loses.
        let created = git.move_ref(env, None, first, "create");
        assert!(
            matches!(created, Err(CommitError::Conflict { .. })),
            "{created:?}"
        );
    }

    #[test]
    fn a_checked_out_branch_is_never_moved_under_its_working_tree() {
        let (_dir, git) = repo_with_identity();
        let first = git
            .commit_files(&[file(&git, "a.txt", "a")], "first")
            .unwrap()
            .unwrap();
        let moved = git.move_ref("refs/heads/main", Some(first), first, "moved");
        assert!(
            matches!(moved, Err(CommitError::CheckedOut { .. })),
            "{moved:?}"
        );
    }

    #[test]
    fn a_held_lock_is_named_not_reported_as_a_move() {
        let (_dir, git) = repo_with_identity();
        let first = git
            .commit_files(&[file(&git, "a.txt", "a")], "first")
            .unwrap()
            .unwrap();
        let env = "refs/heads/env/dev";
        git.move_ref(env, None, first, "open").unwrap();
        let lock = git.repo.path().join("refs/heads/env/dev.lock");
        std::fs::write(&lock, "").unwrap();
        match git.move_ref(env, Some(first), first, "again") {
            Err(CommitError::Locked { path, .. }) => assert_eq!(path, lock),
            other => panic!("{other:?}"),
        }
        std::fs::remove_file(&lock).unwrap();

        let index_lock = git.repo.path().join("index.lock");
        std::fs::write(&index_lock, "").unwrap();
        match git.commit_files(&[file(&git, "b.txt", "b")], "second") {
            Err(CommitError::Locked { path, .. }) => assert_eq!(path, index_lock),
            other => panic!("{other:?}"),
        }
        assert_eq!(git.ref_target("refs/heads/main").unwrap(), Some(first));
    }

    #[test]
    fn committing_unchanged_files_makes_no_commit() {
        let (_dir, git) = repo_with_identity();
        let first = git
            .commit_files(&[file(&git, "a.txt", "a")], "first")
            .unwrap();
        assert!(first.is_some());
        assert_eq!(
            git.commit_files(&[file(&git, "a.txt", "a")], "again")
                .unwrap(),
            None
        );
    }
}
