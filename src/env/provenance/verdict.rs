//! What verifying an entry found: its verified source, the first broken link
//! of its path, the step that skipped the path by an allowed override, and how
//! a second parent relates to its commit.

use crate::repo::Oid;

/// What verifying the commit that set an entry found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Where the object verifiably came from: the next step of its path. `None`
    /// when the commit's claim does not hold, so there is no path to show.
    pub source: Option<Source>,
    /// The first link of the path, from this commit down, that breaks a rule: a
    /// claim that does not hold, or a real step that berth.toml does not allow.
    /// `None` when the whole path verifies.
    pub broken: Option<Break>,
    /// The first step of the path, from this commit down, that skipped the
    /// promotion path where berth.toml allows that: a hotfix. Only on a path that
    /// verifies (`broken` is `None`).
    pub overridden: Option<Override>,
}

impl Verdict {
    /// Whether the whole path verifies.
    pub fn is_verified(&self) -> bool {
        self.broken.is_none()
    }
}

/// The verified source of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The catalog commit whose tree holds the object's file.
    Catalog(Oid),
    /// The commit of an environment (the upstream one, or the same one for a
    /// rollback) that set the entry there.
    Environment {
        /// The environment.
        name: String,
        /// Its commit.
        commit: Oid,
    },
}

/// Where a path back to the catalog breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The environment whose commit breaks the rule.
    pub environment: String,
    /// That commit.
    pub commit: Oid,
    /// What is wrong, as a sentence about the package.
    pub reason: String,
}

/// A step that berth.toml's `from` does not allow, taken by a commit that gives
/// its reason in a `Berth-Override` trailer, in an environment with
/// `allow_override = true`. Its second parent holds the object as any step's
/// must: only the rule of where it may come from is waived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The environment whose commit skipped the path.
    pub environment: String,
    /// That commit.
    pub commit: Oid,
    /// Where it took the object from: the catalog branch or an environment.
    pub from: String,
    /// The reason its trailer gives.
    pub reason: String,
}

/// How a commit's second parent is related to the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// A promotion from an upstream environment.
    Promotion,
    /// A rollback: the source is an earlier commit of the same environment.
    Rollback,
}
