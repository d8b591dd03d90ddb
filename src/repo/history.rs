//! History: whether one commit descends from another, and where a shallow clone
//! cuts it off.

use super::error::{Context, GitError};
use super::{Git, Oid, short_id};

impl Git {
    /// Whether `descendant` is `ancestor` or has it in its history.
    pub fn descends_from(&self, descendant: Oid, ancestor: Oid) -> Result<bool, GitError> {
        if descendant == ancestor {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(descendant, ancestor)
            .context(|| format!("comparing the histories of {descendant} and {ancestor}"))
    }
}

impl Git {
    /// The newest commit, by commit time, among `tips` and their ancestors that
    /// `wanted` accepts (given its id and tree), looking at no more than `limit`
    /// commits.
    pub fn newest_ancestor(
        &self,
        tips: &[Oid],
        limit: usize,
        mut wanted: impl FnMut(Oid, Oid) -> Result<bool, GitError>,
    ) -> Result<Option<Oid>, GitError> {
        let context = || "walking the history".to_owned();
        let mut walk = self.repo.revwalk().context(context)?;
        walk.set_sorting(git2::Sort::TIME).context(context)?;
        for tip in tips {
            walk.push(*tip).context(context)?;
        }
        for id in walk.take(limit) {
            let id = id.context(context)?;
            let tree = self.repo.find_commit(id).context(context)?.tree_id();
            if wanted(id, tree)? {
                return Ok(Some(id));
            }
        }
        Ok(None)
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
