//! Finding, opening and creating a repository with a working tree.

use std::path::Path;

use git2::{ErrorCode, Repository, RepositoryInitOptions};

use super::Git;
use super::error::{Context, GitError, OpenError};

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
}
