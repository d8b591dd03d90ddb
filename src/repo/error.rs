//! Why a git operation failed: git's own errors with what berth was doing, and
//! why a repository could not be opened or a commit was not made.

use std::path::PathBuf;

/// A git operation that failed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("git: {action}")]
#[diagnostic(
    code("berth::git"),
    help("run `git status` in the repository to see what git reports")
)]
pub struct GitError {
    /// What berth was doing.
    pub action: String,
    /// What libgit2 said.
    #[source]
    pub error: git2::Error,
}

pub(super) trait Context<T> {
    fn context(self, action: impl FnOnce() -> String) -> Result<T, GitError>;
}

impl<T> Context<T> for Result<T, git2::Error> {
    fn context(self, action: impl FnOnce() -> String) -> Result<T, GitError> {
        self.map_err(|error| GitError {
            action: action(),
            error,
        })
    }
}

/// Why a repository could not be opened.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum OpenError {
    /// No git repository at or above the directory.
    #[error("`{}` is not inside a git repository", path.display())]
    #[diagnostic(
        code("berth::not-a-repository"),
        help("run `berth init` to create a berth repository, or pass `-C <dir>` to point at one")
    )]
    NotARepository {
        /// Where the search started.
        path: PathBuf,
    },
    /// A bare repository: berth works on a checkout.
    #[error("`{}` is a bare git repository; berth needs a working tree", path.display())]
    #[diagnostic(
        code("berth::bare-repository"),
        help("clone the repository and run berth in the clone")
    )]
    Bare {
        /// The repository.
        path: PathBuf,
    },
    /// Anything else git reported.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
}

/// Why a commit was not made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CommitError {
    /// The branch moved between reading it and updating it.
    #[error("`{refname}` moved while berth was committing: expected {expected}, found {found}")]
    #[diagnostic(
        code("berth::conflict"),
        help(
            "someone else committed to the branch; run the command again to build on the new tip"
        )
    )]
    Conflict {
        /// The branch.
        refname: String,
        /// The tip berth read (12 digits).
        expected: String,
        /// The tip it found (12 digits).
        found: String,
    },
    /// Another process holds git's lock on the index or the ref, or a crashed one
    /// left it behind.
    #[error("{what} is locked: `{}` exists", path.display())]
    #[diagnostic(
        code("berth::locked"),
        help(
            "another git process seems to be running in this repository; if none is, one that crashed left the lock behind: remove `{}` and run the command again", path.display()
        )
    )]
    Locked {
        /// What is locked: "the index" or a ref.
        what: String,
        /// The lock file.
        path: PathBuf,
    },
    /// The ref to move is a branch checked out in a working tree.
    #[error("`{refname}` is checked out in `{}`; berth does not move a checked-out branch", worktree.display())]
    #[diagnostic(
        code("berth::checked-out"),
        help(
            "moving it would leave that working tree's index and files describing another commit: switch that working tree to another branch (`git switch <branch>`) and run the command again"
        )
    )]
    CheckedOut {
        /// The ref.
        refname: String,
        /// Where it is checked out.
        worktree: PathBuf,
    },
    /// Another ref's name makes this one impossible.
    #[error(
        "`{refname}` cannot be created: git already has `{other}`, and a ref cannot be both a branch and a folder of branches"
    )]
    #[diagnostic(
        code("berth::ref-clash"),
        help(
            "rename `{other}` (`git branch -m`), or choose an env_ref_prefix in berth.toml whose refs no branch stands in the way of"
        )
    )]
    RefClash {
        /// The ref berth would create.
        refname: String,
        /// The ref in the way.
        other: String,
    },
    /// The branch to commit onto has no berth.toml, though the working tree has
    /// one: a commit onto it would hold objects whose settings it lacks.
    #[error("berth.toml is not committed: the working tree has one, but `{branch}` has none")]
    #[diagnostic(
        code("berth::settings-not-committed"),
        help(
            "commit it first (`git add berth.toml`, then `git commit`) and run the command again; nothing was written"
        )
    )]
    SettingsNotCommitted {
        /// The branch, by its short name.
        branch: String,
    },
    /// HEAD is detached, so there is no branch to move.
    #[error("HEAD is detached; berth commits to a branch")]
    #[diagnostic(
        code("berth::detached-head"),
        help("check out a branch (`git switch <branch>`) and run the command again")
    )]
    DetachedHead,
    /// A commit to be signed could not be.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Sign(#[from] super::sign::SignError),
    /// No author identity configured.
    #[error("git does not know who you are: {0}")]
    #[diagnostic(
        code("berth::no-identity"),
        help(
            "set it with `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com`"
        )
    )]
    NoIdentity(String),
    /// The branch has commits the remote lacks: a commit pushed onto it would
    /// publish them too.
    #[error(
        "`{branch}` has commits that `{remote}` has not: the local branch is at {local}, the remote's at {remote_tip}"
    )]
    #[diagnostic(
        code("berth::unpushed-commits"),
        help(
            "berth pushes only the commit it makes: push yours first (`git push {remote} {branch}`), or drop them, and run the command again. Nothing was written"
        )
    )]
    Unpushed {
        /// The branch, by its short name.
        branch: String,
        /// The remote.
        remote: String,
        /// The local tip (12 digits).
        local: String,
        /// The remote's tip (12 digits).
        remote_tip: String,
    },
    /// A file to write, or one the command read to decide what to write, is
    /// not on the remote's tip as it was read here.
    #[error("`{path}` changed on `{remote}`'s `{branch}` (now at {}) since the state this command read", super::short_id(*tip))]
    #[diagnostic(
        code("berth::remote-changed"),
        help(
            "someone else wrote it meanwhile: bring the branch up to date (`git pull --ff-only {remote} {branch}`) and run the command again. Nothing was written or pushed"
        )
    )]
    RemoteChanged {
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
        /// The path.
        path: String,
        /// The remote's tip where it changed.
        tip: super::Oid,
    },
    /// Following the remote's branch would overwrite a change in the index or
    /// the working tree.
    #[error("`{path}` changed on `{remote}`'s `{branch}` and is changed here too, uncommitted")]
    #[diagnostic(
        code("berth::would-overwrite"),
        help(
            "commit or stash the change (`git stash`), bring the branch up to date (`git pull --ff-only {remote} {branch}`) and run the command again"
        )
    )]
    WouldOverwrite {
        /// The branch.
        branch: String,
        /// The remote.
        remote: String,
        /// The path.
        path: String,
    },
    /// Following the remote's branch would write something other than a
    /// regular file (a link, an executable, a submodule), or through a link.
    #[error(
        "`{path}` changed on `{remote}`'s `{branch}`, and berth brings only regular files into the working tree"
    )]
    #[diagnostic(
        code("berth::remote-not-plain"),
        help(
            "bring the branch up to date with git itself (`git pull --ff-only {remote} {branch}`) and run the command again. Nothing was written or pushed"
        )
    )]
    NotPlain {
        /// The branch.
        branch: String,
        /// The remote.
        remote: String,
        /// The path.
        path: String,
    },
    /// The remote took the commit, but the local branch could not follow it.
    #[error("pushed {} to {remote}/{branch}, but the local branch could not follow it", super::short_id(*tip))]
    #[diagnostic(
        code("berth::pushed-not-followed"),
        help(
            "the commit is on the remote; `git pull --ff-only {remote} {branch}` brings the local branch there once the reason below is dealt with"
        )
    )]
    NotFollowed {
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
        /// The commit the remote took.
        tip: super::Oid,
        /// Why the branch could not follow.
        #[source]
        error: Box<CommitError>,
    },
    /// Fetching or pushing failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Remote(#[from] super::remote::RemoteError),
    /// Anything else git reported.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
}
