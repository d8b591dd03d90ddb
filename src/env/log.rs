//! An environment's log: its first-parent commits, each read through its `Berth-*`
//! trailers. Lineage and history are derived from these and from parents alone.

use schemars::JsonSchema;
use serde::Serialize;

use super::EnvError;
use crate::repo::{self, CommitInfo, Git, GitError, Oid, ShallowHistory};

/// The trailer naming what a commit did.
pub const ACTION: &str = "Berth-Action";
/// The trailer naming the package a commit set.
pub const PACKAGE: &str = "Berth-Package";
/// The trailer naming the object a commit set.
pub const OBJECT: &str = "Berth-Object";
/// The trailer naming where the object came from: an environment or the catalog.
pub const FROM: &str = "Berth-From";
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
}

impl Action {
    /// The trailer value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Open => "open",
            Action::Promote => "promote",
            Action::Rollback => "rollback",
        }
    }

    fn parse(text: &str) -> Option<Action> {
        match text {
            "open" => Some(Action::Open),
            "promote" => Some(Action::Promote),
            "rollback" => Some(Action::Rollback),
            _ => None,
        }
    }
}

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
    /// Whether a shallow clone cut the history here: git shows the commit without
    /// its parents, which it has.
    pub cut: bool,
}

impl EnvCommit {
    /// Reads a commit and its trailers.
    pub fn read(git: &Git, id: Oid) -> Result<EnvCommit, GitError> {
        let info = git.commit(id)?;
        let cut = info.parents.is_empty() && git.shallow_boundary()?.contains(&id);
        let mut commit = EnvCommit {
            action: None,
            package: None,
            object: None,
            from: None,
            cut,
            info,
        };
        for (key, value) in repo::trailers(&commit.info.message) {
            match key.as_str() {
                ACTION => commit.action = Action::parse(&value),
                PACKAGE => commit.package = Some(value),
                OBJECT => commit.object = Some(value),
                FROM => commit.from = Some(value),
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
