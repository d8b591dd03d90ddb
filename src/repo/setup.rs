//! What surrounds the working tree: git's configuration (where hooks go, which
//! remotes exist, the repository's own keys), the exclude file, and a path
//! restored from HEAD.

use std::path::PathBuf;

use git2::ErrorCode;

use super::Git;
use super::error::{Context, GitError};

impl Git {
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

    /// Whether the repository has a remote of this name.
    pub fn has_remote(&self, name: &str) -> bool {
        self.repo.find_remote(name).is_ok()
    }

    /// The remote whose remote-tracking refs `refname` is among
    /// (`refs/remotes/<remote>/...`), the longest name when several fit.
    pub fn remote_of(&self, refname: &str) -> Option<String> {
        let rest = refname.strip_prefix("refs/remotes/")?;
        let names = self.repo.remotes().ok()?;
        let mut best: Option<&str> = None;
        for name in names.iter().flatten().flatten() {
            let fits = rest
                .strip_prefix(name)
                .is_some_and(|after| after.starts_with('/'));
            if fits && best.is_none_or(|best| best.len() < name.len()) {
                best = Some(name);
            }
        }
        best.map(str::to_owned)
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
}
