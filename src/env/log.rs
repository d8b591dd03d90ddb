//! An environment's log: its first-parent commits, each read through its `Berth-*`
//! trailers. Lineage and history are derived from these and from parents alone.

use schemars::JsonSchema;
use serde::Serialize;

use super::EnvError;
use crate::repo::{self, CommitInfo, Git, GitError, Oid, ShallowHistory, Stamp};

/// The trailer naming what a commit did.
pub const ACTION: &str = "Berth-Action";
/// The trailer naming the package a commit set.
pub const PACKAGE: &str = "Berth-Package";
/// The trailer naming the object a commit set.
pub const OBJECT: &str = "Berth-Object";
/// The trailer naming where the object came from: an environment or the catalog.
pub const FROM: &str = "Berth-From";
/// The trailer of a repair naming the commits it repairs, by full id.
pub const REPAIRS: &str = "Berth-Repairs";
/// The trailer giving why a commit was made: a repair's reason.
pub const REASON: &str = "Berth-Reason";
/// The trailer of a promotion that skipped the promotion path, with its reason.
pub const OVERRIDE: &str = "Berth-Override";

/// What an environment commit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Opened the environment: its root commit.
    Open,
    /// Set a package's object from a source.
    Promote,
    /// Set a package back to the object it held before.
    Rollback,
    /// Restored the entries that commits berth cannot verify changed.
    Repair,
}

impl Action {
    /// The trailer value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Open => "open",
            Action::Promote => "promote",
            Action::Rollback => "rollback",
            Action::Repair => "repair",
        }
    }

    fn parse(text: &str) -> Option<Action> {
        match text {
            "open" => Some(Action::Open),
            "promote" => Some(Action::Promote),
            "rollback" => Some(Action::Rollback),
            "repair" => Some(Action::Repair),
            _ => None,
        }
    }
}

/// How a hosting service's merge button brought a berth commit onto an
/// environment: a merge commit whose first parent is the environment's tip and
/// whose second parent is the pull request's berth commit, built on that tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// The merge commit, on the environment's first-parent log.
    pub id: Oid,
    /// Who merged it, and when: the merge commit's committer.
    pub by: Stamp,
}

/// How many berth commits one merged pull request may bring.
const MERGED_COMMITS: usize = 256;

/// A commit with its trailers read.
#[derive(Debug, Clone)]
pub struct EnvCommit {
    /// The commit.
    pub info: CommitInfo,
    /// `Berth-Action`, if it is one berth knows.
    pub action: Option<Action>,
    /// `Berth-Package`.
    pub package: Option<String>,
    /// `Berth-Object`.
    pub object: Option<String>,
    /// `Berth-From`.
    pub from: Option<String>,
    /// `Berth-Repairs`: the commits a repair repairs.
    pub repairs: Vec<Oid>,
    /// `Berth-Reason`.
    pub reason: Option<String>,
    /// Whether a shallow clone cut the history here: git shows the commit without
    /// its parents, which it has.
    pub cut: bool,
    /// When the commit came by a merge button: the merge commit that stands for
    /// it on the environment's first-parent log.
    pub merged: Option<Merge>,
}

impl EnvCommit {
    /// Reads a commit and its trailers. A merge commit that brought berth
    /// commits onto the environment unchanged (see [`merged_commits`]) reads as
    /// the newest of them, with [`EnvCommit::merged`] saying so: the same change
    /// as fast-forwarding to it.
    pub fn read(git: &Git, id: Oid) -> Result<EnvCommit, GitError> {
        let commit = EnvCommit::read_one(git, id)?;
        if commit.action.is_some() || commit.cut || commit.info.parents.len() != 2 {
            return Ok(commit);
        }
        match merged_commits(git, &commit.info)?.first() {
            Some(&newest) => {
                let mut merged = EnvCommit::read_one(git, newest)?;
                merged.merged = Some(Merge {
                    id,
                    by: commit.info.committed,
                });
                Ok(merged)
            }
            None => Ok(commit),
        }
    }

    /// Reads one commit and its trailers, as it is.
    fn read_one(git: &Git, id: Oid) -> Result<EnvCommit, GitError> {
        let info = git.commit(id)?;
        let cut = info.parents.is_empty() && git.shallow_boundary()?.contains(&id);
        let mut commit = EnvCommit {
            action: None,
            package: None,
            object: None,
            from: None,
            repairs: Vec::new(),
            reason: None,
            cut,
            merged: None,
            info,
        };
        for (key, value) in repo::trailers(&commit.info.message) {
            match key.as_str() {
                ACTION => commit.action = Action::parse(&value),
                PACKAGE => commit.package = Some(value),
                OBJECT => commit.object = Some(value),
                FROM => commit.from = Some(value),
                REPAIRS => {
                    commit.repairs = value
                        .split_whitespace()
                        .filter_map(|id| Oid::from_str(id).ok())
                        .collect()
                }
                REASON => commit.reason = Some(value),
                _ => {}
            }
        }
        Ok(commit)
    }

    /// Whether this commit set `package`'s entry (a promotion or a rollback).
    pub fn sets(&self, package: &str) -> bool {
        matches!(self.action, Some(Action::Promote | Action::Rollback))
            && self.package.as_deref() == Some(package)
    }

    /// The reason a `Berth-Override` trailer gives, when the commit has one: it
    /// says the promotion skipped the promotion path (a claim, verified by
    /// `env::provenance` like the others).
    pub fn override_reason(&self) -> Option<String> {
        repo::trailers(&self.info.message)
            .into_iter()
            .rev()
            .find(|(key, _)| key == OVERRIDE)
            .map(|(_, reason)| reason)
    }

    /// The commit's first parent: the environment's tip before it (`None` for the
    /// root commit), or why a shallow clone cannot tell.
    pub fn first_parent(&self) -> Result<Option<Oid>, ShallowHistory> {
        self.parent(0)
    }

    /// The commit's second parent: where a promotion or rollback says its object
    /// came from, or why a shallow clone cannot tell.
    pub fn source(&self) -> Result<Option<Oid>, ShallowHistory> {
        self.parent(1)
    }

    fn parent(&self, index: usize) -> Result<Option<Oid>, ShallowHistory> {
        if self.cut {
            return Err(ShallowHistory::before(self.info.id));
        }
        Ok(self.info.parents.get(index).copied())
    }

    /// The commit's subject line.
    pub fn subject(&self) -> &str {
        self.info.message.lines().next().unwrap_or_default()
    }

    /// The commit that stands for this one on the environment's first-parent
    /// log: the merge commit that brought it, or itself.
    pub fn on_log(&self) -> Oid {
        self.merged.as_ref().map_or(self.info.id, |merge| merge.id)
    }
}

/// The berth commits a merge commit brought onto an environment, newest first,
/// when it is the same change as fast-forwarding to them: its parents are the
/// environment's tip P and a berth commit Q; Q's first-parent chain reaches P
/// through berth commits only (the pull request was up to date); and the merge
/// commit's tree is Q's. Empty for any other commit: a merge that resolved
/// anything, or one of commits berth did not make, is a commit of its own.
pub fn merged_commits(git: &Git, merge: &CommitInfo) -> Result<Vec<Oid>, GitError> {
    let [tip, newest] = merge.parents.as_slice() else {
        return Ok(Vec::new());
    };
    // A promotion's second parent is its source, not a merged pull request.
    if repo::trailers(&merge.message)
        .iter()
        .any(|(key, _)| key == ACTION)
    {
        return Ok(Vec::new());
    }
    if git.commit(*newest)?.tree != merge.tree {
        return Ok(Vec::new());
    }
    let mut chain = Vec::new();
    let mut next = *newest;
    while chain.len() < MERGED_COMMITS {
        let commit = EnvCommit::read_one(git, next)?;
        if commit.action.is_none() || commit.cut {
            return Ok(Vec::new());
        }
        chain.push(next);
        match commit.info.parents.first() {
            Some(parent) if parent == tip => return Ok(chain),
            Some(&parent) => next = parent,
            None => return Ok(Vec::new()),
        }
    }
    Ok(Vec::new())
}

/// The commits that the repairs met on a walk from an environment's tip back
/// say they repaired. A walk notes each repair it meets and passes over the
/// commits it lists: their changes were restored, so they set nothing.
#[derive(Debug, Default)]
pub struct Repaired {
    by: std::collections::HashMap<Oid, Repair>,
}

/// The repair that restored a commit's changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// The repair commit.
    pub commit: Oid,
    /// Its reason.
    pub reason: String,
}

impl Repaired {
    /// Notes what `commit` repairs, if it is a repair. Whether it is one.
    pub fn note(&mut self, commit: &EnvCommit) -> bool {
        if commit.action != Some(Action::Repair) {
            return false;
        }
        for id in &commit.repairs {
            self.by.entry(*id).or_insert_with(|| Repair {
                commit: commit.info.id,
                reason: commit.reason.clone().unwrap_or_default(),
            });
        }
        true
    }

    /// The repair newer on the walk that repaired `commit`, if one did.
    pub fn of(&self, commit: &EnvCommit) -> Option<&Repair> {
        self.by
            .get(&commit.on_log())
            .or_else(|| self.by.get(&commit.info.id))
    }
}

/// The message of an environment commit: a subject, a blank line, the trailers.
pub fn message(subject: &str, trailers: &[(&str, &str)]) -> String {
    let mut text = format!("{subject}\n\n");
    for (key, value) in trailers {
        text.push_str(&format!("{key}: {value}\n"));
    }
    text
}

/// Walks first parents from a commit, newest first.
///
/// Asked for the commit before one where a shallow clone cut the history, it
/// yields [`EnvError::Shallow`]: a walk that stops earlier gets a true answer, one
/// that would go on gets no answer rather than a wrong one.
pub struct FirstParents<'a> {
    git: &'a Git,
    next: Next,
}

enum Next {
    Commit(Oid),
    Cut(Oid),
    End,
}

/// The first-parent chain from `tip` (nothing if `None`).
pub fn first_parents(git: &Git, tip: Option<Oid>) -> FirstParents<'_> {
    FirstParents {
        git,
        next: tip.map_or(Next::End, Next::Commit),
    }
}

impl Iterator for FirstParents<'_> {
    type Item = Result<EnvCommit, EnvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let id = match std::mem::replace(&mut self.next, Next::End) {
            Next::Commit(id) => id,
            Next::Cut(id) => return Some(Err(ShallowHistory::before(id).into())),
            Next::End => return None,
        };
        let commit = EnvCommit::read(self.git, id);
        if let Ok(commit) = &commit {
            self.next = match (commit.cut, commit.info.parents.first()) {
                (true, _) => Next::Cut(id),
                (false, Some(&parent)) => Next::Commit(parent),
                (false, None) => Next::End,
            };
        }
        Some(commit.map_err(EnvError::from))
    }
}

/// The first-parent chain from `tip` without the repairs and the commits they
/// repaired: the commits whose changes stand.
pub fn standing_commits(
    git: &Git,
    tip: Option<Oid>,
) -> impl Iterator<Item = Result<EnvCommit, EnvError>> {
    let mut repaired = Repaired::default();
    first_parents(git, tip).filter(move |commit| match commit {
        Ok(commit) => !repaired.note(commit) && repaired.of(commit).is_none(),
        Err(_) => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_end_in_trailers_git_can_read() {
        let text = message(
            "promote search to dev",
            &[(ACTION, "promote"), (PACKAGE, "search"), (FROM, "main")],
        );
        assert_eq!(
            text,
            "promote search to dev\n\nBerth-Action: promote\nBerth-Package: search\nBerth-From: main\n"
        );
        assert_eq!(
            repo::trailers(&text),
            [
                (ACTION.to_owned(), "promote".to_owned()),
                (PACKAGE.to_owned(), "search".to_owned()),
                (FROM.to_owned(), "main".to_owned()),
            ]
        );
    }
}
