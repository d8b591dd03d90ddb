//! Why a promotion or a rollback moved nothing.

use crate::diagnostic::finding::Finding;
use crate::env::EnvError;
use crate::env::fetch::{Diverged, FetchError};
use crate::kinds::event::Latest;
use crate::names;
use crate::objects::lookup::{BadSpec, LookupError};
use crate::repo::{CommitError, GitError, Oid, RemoteError, short_id};

use super::land::reason_text;

/// Why nothing was promoted. Nothing is written in any of these cases.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PromoteError {
    /// An environment could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] EnvError),
    /// A malformed object reference.
    #[error(transparent)]
    #[diagnostic(transparent)]
    BadSpec(#[from] BadSpec),
    /// A malformed `<package>@<env>`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    BadPackageAt(#[from] crate::env::BadPackageAt),
    /// A package name that breaks the name rule.
    #[error("package {0}")]
    #[diagnostic(
        code("berth::bad-name"),
        help("package names use a-z, 0-9, `.`, `_` and `-`, without `..`")
    )]
    BadPackage(names::BadName),
    /// No object matches.
    #[error("no object matches `{spec}` {place}")]
    #[diagnostic(code("berth::object-not-found"))]
    NotFound {
        /// What was given.
        spec: String,
        /// Where berth looked.
        place: String,
        /// What to do.
        #[help]
        help: String,
    },
    /// More than one object matches a prefix.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lookup(#[from] LookupError),
    /// The object's store is not promotable.
    #[error("`{object}` is in `{store}`, whose objects are not promoted to environments")]
    #[diagnostic(
        code("berth::not-promotable"),
        help(
            "promote version sets, or objects of a store declared with `promotable = true` in berth.toml"
        )
    )]
    NotPromotable {
        /// The object.
        object: String,
        /// Its store.
        store: String,
    },
    /// The object does not validate.
    #[error("`{object}` does not validate: {}", findings.first().map(ToString::to_string).unwrap_or_default())]
    #[diagnostic(
        code("berth::invalid-object"),
        help("fix the object with a new one (objects are immutable), put it, and promote that")
    )]
    InvalidObject {
        /// The object.
        object: String,
        /// What the validator found.
        #[related]
        findings: Vec<Finding>,
    },
    /// The object did not come along a path the environment allows.
    #[error("`{object}` cannot go to {environment}: {reason}")]
    #[diagnostic(code("berth::promotion-path"))]
    PromotionPath {
        /// The object.
        object: String,
        /// The target environment.
        environment: String,
        /// Why not.
        reason: String,
        /// What to do.
        #[help]
        help: String,
        /// The environment to promote the object to first, when that is the way.
        first: Option<String>,
    },
    /// A promotion that skips the path, into an environment whose berth.toml
    /// section does not allow that.
    #[error("{environment} does not allow promotions that skip the promotion path")]
    #[diagnostic(
        code("berth::override-not-allowed"),
        help(
            "promote through the environments berth.toml names for {environment}; to allow hotfixes that skip them, set `allow_override = true` in [environments.{environment}] and commit berth.toml"
        )
    )]
    OverrideNotAllowed {
        /// The target environment.
        environment: String,
    },
    /// The reason for a commit (skipping the path, a repair) is not one line
    /// of text.
    #[error("the reason {problem}")]
    #[diagnostic(
        code("berth::bad-reason"),
        help("give one line saying why, such as the incident it is about")
    )]
    BadReason {
        /// What is wrong with it.
        problem: String,
    },
    /// `require_signed`: the key berth would sign with is not one the
    /// environment's allowed signers accept now, so the audit would reject the
    /// commit.
    #[error("{environment} does not accept commits signed by the key {fingerprint}: {reason}")]
    #[diagnostic(
        code("berth::key-not-allowed"),
        help(
            "sign with a key the environment's allowed-signers file lists (user.signingKey), or have the key added to that file on the catalog branch; nothing was written"
        )
    )]
    KeyNotAllowed {
        /// The environment.
        environment: String,
        /// The signing key's fingerprint.
        fingerprint: String,
        /// Why the allowed signers refuse it.
        reason: String,
    },
    /// `require_ready`: the object is not ready.
    #[error("`{object}` is {status}, not ready: {environment} requires a `ready` event")]
    #[diagnostic(
        code("berth::not-ready"),
        help(
            "mark it ready once its artifact is built: promotion reads the events committed on the catalog branch"
        )
    )]
    NotReady {
        /// The object.
        object: String,
        /// The target environment.
        environment: String,
        /// Its status: `draft` without events, else its latest event's.
        status: String,
    },
    /// `require_ready`: the object has no event on the catalog branch, which
    /// promotion reads, but the working tree has a `ready` event for it.
    #[error(
        "`{object}` is draft, not ready: {environment} requires a `ready` event, and the one in the working tree, {file}, is not committed on `{catalog}`"
    )]
    #[diagnostic(
        code("berth::not-ready"),
        help(
            "promotion reads the events committed on the catalog branch: commit the event on `{catalog}` (`git add {file}`, then `git commit`) and promote again"
        )
    )]
    ReadyNotCommitted {
        /// The object.
        object: String,
        /// The target environment.
        environment: String,
        /// The event's file in the working tree.
        file: String,
        /// The catalog branch.
        catalog: String,
    },
    /// `require_ready`: the object's build failed.
    #[error("`{object}` failed at {} ({}){}; {environment} takes only ready objects", event.at, event.file, reason_text(event.reason.as_deref()))]
    #[diagnostic(
        code("berth::failed"),
        help(
            "fix the build, make a new object, mark it ready (`berth mark <ref> ready`) and promote that"
        )
    )]
    Failed {
        /// The object.
        object: String,
        /// The target environment.
        environment: String,
        /// The event that says so.
        event: Box<Latest>,
    },
    /// `require_ready`: the object was deprecated or archived.
    #[error("`{object}` was {} at {} ({}){}; it is not to be promoted again", event.status.as_str(), event.at, event.file, reason_text(event.reason.as_deref()))]
    #[diagnostic(
        code("berth::deprecated"),
        help(
            "promote a newer object of the package (`berth release ls` lists them); a status is an event, so un-deprecating is a new `ready` event (`berth mark <ref> ready`)"
        )
    )]
    Deprecated {
        /// The object.
        object: String,
        /// The event that says so.
        event: Box<Latest>,
    },
    /// `require_ready`: the object's artifact was deleted.
    #[error("`{object}`'s artifact was deleted at {at} ({file}); it cannot be deployed")]
    #[diagnostic(
        code("berth::artifact-deleted"),
        help("build the artifact again and promote the new object")
    )]
    ArtifactDeleted {
        /// The object.
        object: String,
        /// When.
        at: String,
        /// The event's file.
        file: String,
    },
    /// Rollback with nothing to roll back to.
    #[error(
        "{environment} has held only one object for `{package}`; there is nothing to roll back to"
    )]
    #[diagnostic(
        code("berth::no-previous"),
        help(
            "`berth history {package}@{environment}` lists what it held; promote another object instead"
        )
    )]
    NoPrevious {
        /// The package.
        package: String,
        /// The environment.
        environment: String,
    },
    /// The package's entry changed underneath.
    #[error(
        "{environment} moved while promoting: `{package}` was expected to hold {expected}, but now holds {found}"
    )]
    #[diagnostic(
        code("berth::conflict"),
        help(
            "someone else changed `{package}` in {environment}; check `berth status` and run the command again if it still applies"
        )
    )]
    Conflict {
        /// The environment.
        environment: String,
        /// The package.
        package: String,
        /// What berth read.
        expected: String,
        /// What it found.
        found: String,
    },
    /// The ref kept moving.
    #[error(
        "{environment} kept moving: {attempts} attempts to promote on its tip all lost the race"
    )]
    #[diagnostic(
        code("berth::conflict"),
        help("other writers kept moving it first; run the command again")
    )]
    Contended {
        /// The environment.
        environment: String,
        /// How many times berth tried.
        attempts: u32,
    },
    /// An upstream environment the promotion read moved on the remote, every
    /// time it was planned anew.
    #[error(
        "{from} kept moving on `{remote}` while a promotion from it to {environment} was pushed"
    )]
    #[diagnostic(
        code("berth::conflict"),
        help(
            "other promotions keep changing {from}; check `berth status` and run the command again if it still applies. Nothing changed on the remote"
        )
    )]
    SourceMoved {
        /// The environment promoted to.
        environment: String,
        /// The upstream environment that moved.
        from: String,
        /// The remote.
        remote: String,
    },
    /// The same package twice in one promotion.
    #[error("`{package}` is named twice; one promotion sets each package once")]
    #[diagnostic(
        code("berth::duplicate-package"),
        help("promote one object per package")
    )]
    DuplicatePackage {
        /// The package.
        package: String,
    },
    /// A tag berth does not accept.
    #[error("tag `{tag}` {reason}")]
    #[diagnostic(
        code("berth::bad-tag"),
        help(
            "tags are 1 to 128 of a-z, A-Z, 0-9 and `._:/-`, such as shape:onebox; berth sets pkg: and env: itself"
        )
    )]
    BadTag {
        /// The tag.
        tag: String,
        /// What is wrong.
        reason: String,
    },
    /// `--all` with no single environment to take from.
    #[error("{environment} {reason}, so `--all` has nothing to compare with")]
    #[diagnostic(
        code("berth::no-source"),
        help("name the environment to promote from, or name the objects")
    )]
    NoSource {
        /// The target environment.
        environment: String,
        /// Why.
        reason: String,
    },
    /// Nothing to promote was named.
    #[error("nothing to promote: name objects, or pass `--all`")]
    #[diagnostic(
        code("berth::nothing-named"),
        help("name the objects to promote, or promote every package whose object differs")
    )]
    NothingNamed,
    /// The commit could not be written.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Commit(#[from] CommitError),
    /// A git operation failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// Fetching from or pushing to the remote failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Remote(#[from] RemoteError),
    /// The remote's environments could not be fetched.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fetch(#[from] FetchError),
    /// The local environment ref has promotions the remote has not: building on
    /// the remote's tip and moving the local ref there would drop them.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Diverged(Box<Diverged>),
    /// The promotion's source commit is not on the remote: pushing the
    /// environment would publish it as the promotion's parent.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unpublished(Box<Unpublished>),
}

impl PromoteError {
    /// Whether the answer may differ on refs fetched now: the error came from
    /// what a remote-tracking ref held (an environment, the catalog), which
    /// another promoter may have moved since the last fetch.
    pub(super) fn may_be_stale(&self) -> bool {
        matches!(
            self,
            PromoteError::Env(_)
                | PromoteError::NotFound { .. }
                | PromoteError::PromotionPath { .. }
                | PromoteError::NoPrevious { .. }
                | PromoteError::Conflict { .. }
                | PromoteError::SourceMoved { .. }
                | PromoteError::Diverged(_)
                | PromoteError::Unpublished(_)
        )
    }
}

/// A promotion to push whose source commit the remote does not have.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error(
    "{object} came to {from} in {}, which `{remote}` does not have: pushing {environment} would publish it",
    short_id(*source_commit)
)]
#[diagnostic(
    code("berth::unpublished-source"),
    help(
        "a promotion may only publish what the team has published: push {from} first (its commit {} must be on the remote's `{tracking}`), or promote an object that is already there",
        short_id(*source_commit)
    )
)]
pub struct Unpublished {
    /// The environment promoted to.
    pub environment: String,
    /// The object.
    pub object: String,
    /// Where it came from: the catalog branch or an environment.
    pub from: String,
    /// The commit that brought it there.
    pub source_commit: Oid,
    /// The remote.
    pub remote: String,
    /// The remote-tracking ref that lacks it.
    pub tracking: String,
}
