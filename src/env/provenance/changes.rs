//! What an environment commit holds and what it changed from its first
//! parent, read leniently: an unreadable state reads as empty, since the audit
//! reports it where it matters. The verifier finds the commit that set an entry
//! with them, and the audit uses them too.

use crate::env::log::EnvCommit;
use crate::env::state::State;
use crate::env::{EnvError, read_state};
use crate::repo::{CommitInfo, Git};

/// An environment commit's state; empty when it cannot be read (the audit
/// reports an unreadable state where it matters).
pub fn state_of(git: &Git, refname: &str, info: &CommitInfo) -> Result<State, EnvError> {
    match read_state(git, refname, info) {
        Ok(state) => Ok(state),
        Err(EnvError::Git(error)) => Err(error.into()),
        Err(_) => Ok(State::default()),
    }
}

/// The packages whose entries a commit changed from its first parent.
pub fn changed(git: &Git, refname: &str, commit: &EnvCommit) -> Result<Vec<String>, EnvError> {
    let after = state_of(git, refname, &commit.info)?;
    let before = match commit.first_parent()? {
        Some(parent) => state_of(git, refname, &git.commit(parent)?)?,
        None => State::default(),
    };
    let mut packages: Vec<String> = after
        .packages
        .iter()
        .filter(|(package, entry)| before.packages.get(*package) != Some(*entry))
        .map(|(package, _)| package.clone())
        .collect();
    packages.extend(
        before
            .packages
            .keys()
            .filter(|package| !after.packages.contains_key(*package))
            .cloned(),
    );
    Ok(packages)
}
