//! The only module that touches git: opening repositories, identities, and commits
//! that move a branch by compare-and-swap.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, FileMode, ObjectType, Repository, RepositoryInitOptions, Signature, Time};

mod files;
mod lock;
mod plumbing;

pub use files::{BadRevision, Changeset, FilesError, GitFiles, Head};
use lock::IndexLock;
pub use plumbing::PlumbingError;

use crate::source::EntryKind;
/// A git object id: a commit, tree or blob.
pub use git2::Oid;

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

trait Context<T> {
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
        /// The tip berth read.
        expected: String,
        /// The tip it found.
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
    /// HEAD is detached, so there is no branch to move.
    #[error("HEAD is detached; berth commits to a branch")]
    #[diagnostic(
        code("berth::detached-head"),
        help("check out a branch (`git switch <branch>`) and run the command again")
    )]
    DetachedHead,
    /// No author identity configured.
    #[error("git does not know who you are: {0}")]
    #[diagnostic(
        code("berth::no-identity"),
        help(
            "set it with `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com`"
        )
    )]
    NoIdentity(String),
    /// Anything else git reported.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
}

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

/// The reflog line of a commit berth makes: its subject, as git writes
/// `commit: <subject>`.
fn reflog_message(message: &str) -> String {
    let subject = message.lines().next().unwrap_or_default();
    format!("berth: {subject}")
}

/// A ref that points somewhere else than where it was read.
fn conflict(refname: &str, expected: Option<Oid>, found: Option<Oid>) -> CommitError {
    let name =
        |id: Option<Oid>, absent: &str| id.map_or_else(|| absent.to_owned(), |id| id.to_string());
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
    /// Finds the repository containing `start`.
    pub fn discover(start: &Path) -> Result<Git, OpenError> {
        match Repository::discover(start) {
            Ok(repo) => Git::from_repo(repo),
            Err(error) if error.code() == ErrorCode::NotFound => Err(OpenError::NotARepository {
                path: start.to_owned(),
            }),
            Err(error) => Err(GitError {
                action: format!("opening the repository at `{}`", start.display()),
                error,
            }
            .into()),
        }
    }

    /// Opens the repository whose working tree is exactly `root`, if there is one.
    pub fn open_root(root: &Path) -> Result<Option<Git>, OpenError> {
        match Repository::open(root) {
            Ok(repo) => Git::from_repo(repo).map(Some),
            Err(error) if error.code() == ErrorCode::NotFound => Ok(None),
            Err(error) => Err(GitError {
                action: format!("opening the repository at `{}`", root.display()),
                error,
            }
            .into()),
        }
    }

    /// Creates a repository at `root` whose first branch is `branch`.
    pub fn init(root: &Path, branch: &str) -> Result<Git, OpenError> {
        let mut options = RepositoryInitOptions::new();
        options.initial_head(branch).mkdir(true);
        let repo = Repository::init_opts(root, &options)
            .context(|| format!("creating a repository at `{}`", root.display()))?;
        Git::from_repo(repo)
    }

    fn from_repo(repo: Repository) -> Result<Git, OpenError> {
        // libgit2 re-hashes every object it reads unless told not to; git itself
        // does not, and berth checks its objects' own content hashes. Reading a
        // promotion's few hundred trees and blobs is several times faster without.
        git2::opts::strict_hash_verification(false);
        // Nor does berth read an object twice often enough for libgit2's object
        // cache to pay: walking an environment's log of 10,000 commits is a fifth
        // faster without it, and a promotion costs the same.
        git2::opts::enable_caching(false);
        let Some(workdir) = repo.workdir() else {
            return Err(OpenError::Bare {
                path: repo.path().to_owned(),
            });
        };
        let workdir = workdir.to_owned();
        Ok(Git { repo, workdir })
    }

    /// The working tree's root directory.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Where git looks for hooks: `core.hooksPath` (from the working tree's root
    /// when relative), else `hooks` in the git directory.
    pub fn hooks_dir(&self) -> Result<PathBuf, GitError> {
        let config = self
            .repo
            .config()
            .context(|| "reading the git configuration".to_owned())?;
        match config.get_path("core.hooksPath") {
            Ok(path) => Ok(self.workdir.join(path)),
            Err(error) if error.code() == ErrorCode::NotFound => Ok(self.repo.path().join("hooks")),
            Err(error) => Err(GitError {
                action: "reading core.hooksPath".to_owned(),
                error,
            }),
        }
    }

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

    /// Whether the repository has a remote of this name.
    pub fn has_remote(&self, name: &str) -> bool {
        self.repo.find_remote(name).is_ok()
    }

    /// Whether `descendant` is `ancestor` or has it in its history.
    pub fn descends_from(&self, descendant: Oid, ancestor: Oid) -> Result<bool, GitError> {
        if descendant == ancestor {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(descendant, ancestor)
            .context(|| format!("comparing the histories of {descendant} and {ancestor}"))
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

    /// The branch HEAD points at, and its tip (`None` before its first commit).
    pub fn head_tip(&self) -> Result<(String, Option<Oid>), CommitError> {
        let refname = self.head_branch()?.ok_or(CommitError::DetachedHead)?;
        let tip = self.ref_target(&refname)?;
        Ok((refname, tip))
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
        let blobs = files
            .iter()
            .map(|file| {
                self.write_blob(&file.bytes).map(|blob| TreeChange::Upsert {
                    path: file.path.clone(),
                    blob,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
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
        let commit = self
            .repo
            .commit(None, &author, &committer, message, &tree, &parents)
            .context(|| "writing the commit".to_owned())?;
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

    /// Takes git's lock on `refname`, waiting a little for another writer; the lock
    /// is held until the transaction is committed or dropped.
    fn lock_ref(&self, refname: &str) -> Result<git2::Transaction<'_>, CommitError> {
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

    /// Restores a path in the working tree to its state at HEAD.
    pub fn restore(&self, path: &str) -> Result<(), GitError> {
        let mut checkout = git2::build::CheckoutBuilder::new();
        checkout.force().path(path);
        self.repo
            .checkout_head(Some(&mut checkout))
            .context(|| format!("restoring `{path}` from HEAD"))
    }

    /// Adds a pattern to `.git/info/exclude`, so git ignores matching paths here
    /// without a `.gitignore` in the tree.
    pub fn exclude(&self, pattern: &str) -> Result<(), GitError> {
        let path = self.repo.path().join("info").join("exclude");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        if !text.lines().any(|line| line == pattern) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(pattern);
            text.push('\n');
            let written = std::fs::create_dir_all(path.parent().unwrap_or(&path))
                .and_then(|()| std::fs::write(&path, text));
            written.map_err(|error| GitError {
                action: format!("writing `{}`", path.display()),
                error: git2::Error::from_str(&error.to_string()),
            })?;
        }
        Ok(())
    }

    /// Sets a key in the repository's own configuration.
    pub fn set_local_config(&self, key: &str, value: &str) -> Result<(), GitError> {
        let config = self
            .repo
            .config()
            .context(|| "opening the repository's config".to_owned())?;
        let mut local = config
            .open_level(git2::ConfigLevel::Local)
            .context(|| "opening the repository's config".to_owned())?;
        local
            .set_str(key, value)
            .context(|| format!("setting `{key}`"))
    }

    /// Whether git can tell who is committing (from the environment or config).
    pub fn has_identity(&self) -> bool {
        self.identity(Role::Author).is_ok()
    }

    /// The author or committer, as git itself would resolve it: `GIT_AUTHOR_NAME`,
    /// `GIT_AUTHOR_EMAIL` and `GIT_AUTHOR_DATE` (or the committer's) before
    /// `user.name` and `user.email`.
    fn identity(&self, role: Role) -> Result<Signature<'static>, CommitError> {
        let prefix = match role {
            Role::Author => "GIT_AUTHOR",
            Role::Committer => "GIT_COMMITTER",
        };
        let config = self.repo.config().ok();
        let lookup = |env: &str, key: &str| {
            std::env::var(format!("{prefix}_{env}"))
                .ok()
                .filter(|v| !v.is_empty())
                .or_else(|| config.as_ref().and_then(|c| c.get_string(key).ok()))
        };
        let name = lookup("NAME", "user.name")
            .ok_or_else(|| CommitError::NoIdentity("no user.name".to_owned()))?;
        let email = lookup("EMAIL", "user.email")
            .ok_or_else(|| CommitError::NoIdentity("no user.email".to_owned()))?;
        let time = match std::env::var(format!("{prefix}_DATE")) {
            Ok(date) if !date.is_empty() => parse_git_date(&date).ok_or_else(|| {
                CommitError::NoIdentity(format!(
                    "{prefix}_DATE `{date}` is not a date git understands"
                ))
            })?,
            _ => now(),
        };
        Signature::new(&name, &email, &time)
            .map_err(|error| CommitError::NoIdentity(error.message().to_owned()))
    }
}

#[derive(Clone, Copy)]
enum Role {
    Author,
    Committer,
}

fn now() -> Time {
    let now = jiff::Zoned::now();
    let offset_minutes = now.offset().seconds() / 60;
    Time::new(now.timestamp().as_second(), offset_minutes)
}

/// Parses the date formats git accepts in `GIT_AUTHOR_DATE`: its internal
/// `<seconds> <+hhmm>` (optionally with a leading `@`) and RFC 3339.
fn parse_git_date(text: &str) -> Option<Time> {
    let text = text.trim();
    if let Some((seconds, zone)) = text.trim_start_matches('@').split_once(' ') {
        let seconds: i64 = seconds.parse().ok()?;
        let (sign, digits) = if let Some(digits) = zone.strip_prefix('+') {
            (1, digits)
        } else if let Some(digits) = zone.strip_prefix('-') {
            (-1, digits)
        } else {
            return None;
        };
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (hours, minutes) = digits.split_at_checked(2)?;
        let hours: i32 = hours.parse().ok()?;
        let minutes: i32 = minutes.parse().ok()?;
        let offset = hours
            .checked_mul(60)?
            .checked_add(minutes)?
            .checked_mul(sign)?;
        return Some(Time::new(seconds, offset));
    }
    let timestamp: jiff::Timestamp = text.parse().ok()?;
    let zoned: jiff::fmt::temporal::Pieces<'_> = jiff::fmt::temporal::Pieces::parse(text).ok()?;
    let offset_minutes = match zoned.offset() {
        Some(jiff::fmt::temporal::PiecesOffset::Numeric(numeric)) => {
            numeric.offset().seconds() / 60
        }
        _ => 0,
    };
    Some(Time::new(timestamp.as_second(), offset_minutes))
}

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

    /// Whether a commit carries a signature (GPG, SSH or X.509); this does not
    /// verify it.
    pub fn is_signed(&self, id: Oid) -> Result<bool, GitError> {
        match self.repo.extract_signature(&id, None) {
            Ok(_) => Ok(true),
            Err(error) if error.code() == ErrorCode::NotFound => Ok(false),
            Err(error) => Err(GitError {
                action: format!("reading the signature of commit {id}"),
                error,
            }),
        }
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

    /// Writes a commit of `tree` with these parents, signed by the configured
    /// author and committer. No ref moves.
    pub fn write_commit(
        &self,
        tree: Oid,
        parents: &[Oid],
        message: &str,
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
        Ok(self
            .repo
            .commit(None, &author, &committer, message, &tree, &parents)
            .context(|| "writing the commit".to_owned())?)
    }

    /// The identity commits will carry, or why there is none, checked before any
    /// work is done.
    pub fn require_identity(&self) -> Result<(), CommitError> {
        self.identity(Role::Author)?;
        self.identity(Role::Committer)?;
        Ok(())
    }

    fn find_tree(&self, id: Oid) -> Result<git2::Tree<'_>, GitError> {
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

/// Shallow clones (`git clone --depth N`): git shows the commits where the history
/// was cut as having no parents, so a walk that reaches one would answer from part
/// of the history as if it were all of it.
impl Git {
    /// The commits where this repository's history stops short: those a shallow
    /// clone lists in `.git/shallow`. Empty when the history is complete.
    pub fn shallow_boundary(&self) -> Result<std::collections::HashSet<Oid>, GitError> {
        if !self.repo.is_shallow() {
            return Ok(std::collections::HashSet::new());
        }
        let path = self.repo.commondir().join("shallow");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => {
                return Err(GitError {
                    action: format!("reading `{}`", path.display()),
                    error: git2::Error::from_str(&error.to_string()),
                });
            }
        };
        Ok(text
            .lines()
            .filter_map(|line| Oid::from_str(line.trim()).ok())
            .collect())
    }
}

/// An answer that needs history a shallow clone does not have: refused rather
/// than guessed from the part there is.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("the answer needs {needs}, which this shallow clone does not have")]
#[diagnostic(
    code("berth::shallow-repository"),
    help(
        "fetch the whole history with `git fetch --unshallow` and run the command again; in CI, check out with the full history (`fetch-depth: 0` in actions/checkout)"
    )
)]
pub struct ShallowHistory {
    /// What the answer needed: "the history before commit 1a2b3c4d5e6f".
    pub needs: String,
}

impl ShallowHistory {
    /// The history before a commit where a shallow clone stops.
    pub fn before(commit: Oid) -> ShallowHistory {
        ShallowHistory {
            needs: format!("the history before commit {}", short_id(commit)),
        }
    }
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

    #[test]
    fn git_dates() {
        let cases = [
            ("1700000000 +0100", Some((1_700_000_000, 60))),
            ("@1700000000 -0530", Some((1_700_000_000, -330))),
            ("2023-11-14T22:13:20Z", Some((1_700_000_000, 0))),
            ("2023-11-14T23:13:20+01:00", Some((1_700_000_000, 60))),
            ("yesterday", None),
            ("1700000000 0100", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_git_date(text).map(|t| (t.seconds(), t.offset_minutes()));
            assert_eq!(parsed, expected, "{text}");
        }
    }
}
