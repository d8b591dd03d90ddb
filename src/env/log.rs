//! An environment's log: its first-parent commits, each read through its `Berth-*`
//! trailers. Lineage and history are derived from these and from parents alone.

use schemars::JsonSchema;
use serde::Serialize;

use crate::repo::{self, CommitInfo, Git, GitError, Oid};

/// The trailer naming what a commit did.
pub const ACTION: &str = "Berth-Action";
/// The trailer naming the package a commit set.
pub const PACKAGE: &str = "Berth-Package";
/// The trailer naming the object a commit set.
pub const OBJECT: &str = "Berth-Object";
/// The trailer naming where the object came from: an environment or the catalog.
pub const FROM: &str = "Berth-From";

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
}

impl EnvCommit {
    /// Reads a commit and its trailers.
    pub fn read(git: &Git, id: Oid) -> Result<EnvCommit, GitError> {
        let info = git.commit(id)?;
        let mut commit = EnvCommit {
            action: None,
            package: None,
            object: None,
            from: None,
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
pub struct FirstParents<'a> {
    git: &'a Git,
    next: Option<Oid>,
}

/// The first-parent chain from `tip` (nothing if `None`).
pub fn first_parents(git: &Git, tip: Option<Oid>) -> FirstParents<'_> {
    FirstParents { git, next: tip }
}

impl Iterator for FirstParents<'_> {
    type Item = Result<EnvCommit, GitError>;

    fn next(&mut self) -> Option<Self::Item> {
        let id = self.next.take()?;
        let commit = EnvCommit::read(self.git, id);
        if let Ok(commit) = &commit {
            self.next = commit.info.parents.first().copied();
        }
        Some(commit)
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
