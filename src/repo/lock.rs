//! git's locks, taken the way git takes them: a `<file>.lock` created exclusively
//! beside the file, written, and renamed over it. Every process that writes the
//! index or a ref (git itself, libgit2, berth) takes the same lock, so two writers
//! never interleave a read-modify-write.

use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use git2::{Index, Repository};

use super::error::{CommitError, Context, GitError};

/// How long berth waits for a lock that another process holds. git waits 100 ms
/// for a ref lock (`core.filesRefLockTimeout`) and not at all for the index; berth
/// waits longer because its writers hold their locks for milliseconds and several
/// of them running at once is expected (a CI job putting many objects), while a
/// lock that stays is a crashed process's and is named in the error.
const PATIENCE: Duration = Duration::from_secs(2);

/// Retries `attempt` while it reports the lock as held, for up to [`PATIENCE`],
/// sleeping a little longer each time.
pub(super) fn patiently<T, E>(
    mut attempt: impl FnMut() -> Result<T, E>,
    is_locked: impl Fn(&E) -> bool,
) -> Result<T, E> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match attempt() {
            Err(error) if is_locked(&error) && start.elapsed() < PATIENCE => {
                thread::sleep(pause);
                pause = pause.saturating_mul(2).min(Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

/// The error for a lock that stayed held.
pub(super) fn locked(what: impl Into<String>, lock: PathBuf) -> CommitError {
    CommitError::Locked {
        what: what.into(),
        path: lock,
    }
}

/// The index, locked: `index.lock` exists and is berth's until it is committed
/// (renamed over the index) or dropped (removed).
pub(super) struct IndexLock {
    index: PathBuf,
    lock: PathBuf,
    held: bool,
}

impl IndexLock {
    /// Takes the lock on the index of the repository at `git_dir`, waiting a little
    /// for another writer to finish.
    pub fn acquire(git_dir: &Path) -> Result<IndexLock, CommitError> {
        let index = git_dir.join("index");
        let lock = git_dir.join("index.lock");
        let created = patiently(
            || {
                fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&lock)
            },
            |error| error.kind() == ErrorKind::AlreadyExists,
        );
        match created {
            Ok(_) => Ok(IndexLock {
                index,
                lock,
                held: true,
            }),
            Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                Err(locked("the index", lock))
            }
            Err(error) => Err(io_error(&lock, &error).into()),
        }
    }

    /// Writes into the lock the index as it is now with `paths` (relative to the
    /// working tree) staged as the working tree has them. Gives the index's bytes
    /// before, to put back if what follows fails.
    pub fn stage(&self, git_dir: &Path, paths: &[&str]) -> Result<Option<Vec<u8>>, GitError> {
        let previous = match fs::read(&self.index) {
            Ok(bytes) => Some(bytes),
            Err(error) if error.kind() == ErrorKind::NotFound => None,
            Err(error) => return Err(io_error(&self.index, &error)),
        };
        // libgit2 writes an index only to its own path, through its own lock; so the
        // new index is built in a scratch file, which then replaces the (so far
        // empty) lock file: the lock exists throughout.
        let scratch = self
            .lock
            .with_file_name(format!("index.berth-{}.tmp", std::process::id()));
        let built = build_index(git_dir, &scratch, previous.as_deref(), paths)
            .and_then(|()| fs::rename(&scratch, &self.lock).map_err(|e| io_error(&self.lock, &e)));
        if built.is_err() {
            let _ = fs::remove_file(&scratch);
        }
        built.map(|()| previous)
    }

    /// Makes the lock's contents the index, releasing the lock.
    pub fn commit(mut self) -> Result<(), GitError> {
        fs::rename(&self.lock, &self.index).map_err(|error| io_error(&self.index, &error))?;
        self.held = false;
        Ok(())
    }

    /// Writes `bytes` (or removes the index, for `None`) under a lock taken anew:
    /// the undo of a [`IndexLock::commit`] whose ref update then failed.
    pub fn put_back(git_dir: &Path, bytes: Option<&[u8]>) -> Result<(), CommitError> {
        let lock = IndexLock::acquire(git_dir)?;
        match bytes {
            Some(bytes) => {
                fs::write(&lock.lock, bytes).map_err(|error| io_error(&lock.lock, &error))?;
                lock.commit()?;
            }
            None => {
                fs::remove_file(&lock.index).or_else(|error| match error.kind() {
                    ErrorKind::NotFound => Ok(()),
                    _ => Err(io_error(&lock.index, &error)),
                })?;
            }
        }
        Ok(())
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        if self.held {
            // Releasing an uncommitted lock leaves the index as it was.
            let _ = fs::remove_file(&self.lock);
        }
    }
}

fn build_index(
    git_dir: &Path,
    scratch: &Path,
    previous: Option<&[u8]>,
    paths: &[&str],
) -> Result<(), GitError> {
    if let Some(bytes) = previous {
        fs::write(scratch, bytes).map_err(|error| io_error(scratch, &error))?;
    }
    // A handle of its own: the index it stages into belongs to this write only.
    let repo = Repository::open(git_dir).context(|| "opening the repository".to_owned())?;
    let mut index = Index::open(scratch).context(|| "reading the index".to_owned())?;
    repo.set_index(&mut index)
        .context(|| "reading the index".to_owned())?;
    let workdir = repo.workdir().map(Path::to_path_buf);
    for path in paths {
        // A path the working tree no longer has leaves the index (a file a
        // fetched commit removed).
        let gone = workdir
            .as_ref()
            .is_some_and(|dir| fs::symlink_metadata(dir.join(path)).is_err());
        if gone {
            index
                .remove_path(Path::new(path))
                .context(|| format!("removing `{path}` from the index"))?;
        } else {
            index
                .add_path(Path::new(path))
                .context(|| format!("adding `{path}` to the index"))?;
        }
    }
    index.write().context(|| "writing the index".to_owned())
}

fn io_error(path: &Path, error: &io::Error) -> GitError {
    GitError {
        action: format!("writing `{}`", path.display()),
        error: git2::Error::from_str(&error.to_string()),
    }
}
