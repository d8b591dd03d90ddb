//! Pull-request review: what a change does to releases, environments and configs,
//! with everything the validator finds, as data a comment is rendered from.
//!
//! The catalog side is the change from the merge base of the base and the head
//! (what `git diff base...head` shows): the validator checks it as `berth check`
//! does, and only the packages, config ids and registry files it touches are read.
//! The environment side compares each environment's commit before the change with
//! its commit after: named on the command line, or else the remote-tracking ref
//! (what is shared) and the local ref (what the author has promoted). Only the two
//! states, the commits between them and the moved entries' objects are read. An
//! environment that cannot be compared is listed with why.
//!
//! A base that is an environment's commit makes the change a pull request into
//! that environment (`crate::env::pull_request`): its move from the base to the
//! head is reviewed alone, by the catalog branch the remote shares.

mod configs;
mod environments;
mod model;
mod packages;
mod registry;

use crate::check::{self, ValidateError, Validation};
use crate::env::EnvError;
use crate::env::pull_request::{self, IntoEnvironment, PullRequestError, Target};
use crate::kinds::Kinds;
use crate::repo::{BadRevision, FilesError, Git, GitError, Head, Oid};
use crate::settings::Settings;
use crate::source::{ChangeKind, Source, SourceError};
use crate::store::ObjectPath;
use crate::time::{BadEpoch, Clock};

pub use model::{
    ConfigReview, Counts, EnvironmentReview, EventSummary, FileChange, Held, Move, MovedTag,
    NewObject, NotCompared, NotComparedReason, PackageReview, PathOverride, Previous, RegistryKind,
    RegistryReview, RepairMade, Review, Revision, Superseded, TagEntry, Verdict,
};

/// What to review.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The revision the change is compared with, such as `origin/main`.
    pub base: &'a str,
    /// The revision reviewed; `None` reviews the environments alone.
    pub head: Option<&'a str>,
    /// Environments' commits before the change: (environment, revision).
    pub env_base: &'a [(String, String)],
    /// Environments' commits after the change: (environment, revision).
    pub env_head: &'a [(String, String)],
    /// The remote whose tracking refs hold the environments as they are shared.
    pub remote: &'a str,
    /// Where "now" comes from: whether a config version takes effect in the past.
    pub clock: &'a Clock,
}

/// Why a review could not be made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReviewError {
    /// A revision names no commit.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Revision(#[from] BadRevision),
    /// The change could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Files(#[from] FilesError),
    /// The validator could not run.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Validate(#[from] ValidateError),
    /// A file could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
    /// git failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// What the pull request is into could not be told, or an environment's
    /// commit named is not one.
    #[error(transparent)]
    #[diagnostic(transparent)]
    PullRequest(#[from] PullRequestError),
    /// An environment's commit is not one (it has no readable state.toml).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] EnvError),
    /// `SOURCE_DATE_EPOCH` is not a time.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Epoch(#[from] BadEpoch),
}

/// Reviews a change: the catalog from `base` to `head`, and every environment from
/// its commit before to its commit after. A base that is an environment's commit
/// makes it a pull request into that environment (see [`pull_request`]): its move
/// from the base to the head is reviewed, by the catalog the remote shares.
pub fn review(git: &Git, request: &Request<'_>) -> Result<Review, ReviewError> {
    let head = request.head.unwrap_or("HEAD");
    if let Target::Environment(into) =
        pull_request::target(git, request.base, head, Some(request.remote))?
    {
        if !request.env_base.is_empty() || !request.env_head.is_empty() {
            return Err(PullRequestError::NamedBesides {
                base: request.base.to_owned(),
                environment: into.environment().to_owned(),
            }
            .into());
        }
        return review_environment(git, request, &into);
    }
    match request.head {
        Some(head) => {
            let changeset = git.changes_since(request.base, Head::Revision(head))?;
            let base = Revision {
                revision: request.base.to_owned(),
                commit: changeset.base.to_string(),
            };
            let head_commit = git.resolve_commit(head)?;
            let validation = check::validate_changeset(&changeset, request.base)?;
            let mut review = Reviewer {
                git,
                request,
                source: &changeset,
                base_files: Some(&changeset.base_files()),
                changes: &changeset.changes,
                catalog: head_commit,
                only: None,
            }
            .review(base, validation)?;
            review.head = Some(Revision {
                revision: head.to_owned(),
                commit: head_commit.to_string(),
            });
            Ok(review)
        }
        None => {
            let files = git.files_at(request.base)?;
            let base_commit = git.resolve_commit(request.base)?;
            let base = Revision {
                revision: request.base.to_owned(),
                commit: base_commit.to_string(),
            };
            Reviewer {
                git,
                request,
                source: &files,
                base_files: None,
                changes: &[],
                catalog: base_commit,
                only: None,
            }
            .review(base, Validation::default())
        }
    }
}

/// Reviews a pull request into an environment: its move from the base to the
/// head, judged by the catalog `into` was read from.
fn review_environment(
    git: &Git,
    request: &Request<'_>,
    into: &IntoEnvironment,
) -> Result<Review, ReviewError> {
    let name = into.environment();
    let env_base = [(name.to_owned(), into.base.revision.clone())];
    let env_head = [(name.to_owned(), into.head.revision.clone())];
    let request = Request {
        env_base: &env_base,
        env_head: &env_head,
        ..request.clone()
    };
    let mut review = Reviewer {
        git,
        request: &request,
        source: &into.files,
        base_files: None,
        changes: &[],
        catalog: into.catalog,
        only: Some(name),
    }
    .review(
        Revision {
            revision: into.base.revision.clone(),
            commit: into.base.commit.to_string(),
        },
        Validation::default(),
    )?;
    review.head = Some(Revision {
        revision: into.head.revision.clone(),
        commit: into.head.commit.to_string(),
    });
    review.into = Some(name.to_owned());
    review.catalog = Some(Revision {
        revision: into.catalog_ref.clone(),
        commit: into.catalog.to_string(),
    });
    Ok(review)
}

/// One review in the making: the head's files and the change that made them.
struct Reviewer<'a> {
    git: &'a Git,
    request: &'a Request<'a>,
    /// The head's files (the base's, when only environments are reviewed).
    source: &'a dyn Source,
    base_files: Option<&'a dyn Source>,
    changes: &'a [crate::source::Change],
    /// The catalog commit reviewed: a promotion from the catalog may take its
    /// object from it as well as from the catalog branch.
    catalog: Oid,
    /// The one environment a pull request into it moves; `None` compares all.
    only: Option<&'a str>,
}

impl Reviewer<'_> {
    fn review(&self, base: Revision, validation: Validation) -> Result<Review, ReviewError> {
        let mut review = Review {
            base,
            head: None,
            into: None,
            catalog: None,
            verdict: Verdict::Ready,
            counts: Counts::default(),
            packages: Vec::new(),
            environments: Vec::new(),
            configs: Vec::new(),
            registry: Vec::new(),
            findings: validation.findings,
            not_compared: Vec::new(),
            notes: Vec::new(),
        };
        // A berth.toml or schema the head cannot load is already a finding; with
        // no kinds to read objects by, the findings are the review.
        let loaded = Settings::load(self.source)
            .ok()
            .and_then(|settings| Some((Kinds::load(&settings, self.source).ok()?, settings)));
        match loaded {
            Some((kinds, settings)) => {
                let added = self.added_objects();
                let (pairs, not_compared) = self.env_pairs(&settings)?;
                review.not_compared = not_compared;
                review.packages = self.packages(&settings, &kinds, &pairs, &added)?;
                review.configs = self.configs(&settings, &added)?;
                review.registry = self.registry()?;
                self.environments(&settings, &kinds, &pairs, &mut review)?;
            }
            None => review.notes.push(
                "berth.toml or a store's schema could not be loaded at the head, so only the findings are shown"
                    .to_owned(),
            ),
        }
        review
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        review.tally();
        Ok(review)
    }

    /// The object files the change adds, by path.
    fn added_objects(&self) -> Vec<ObjectPath> {
        self.changes
            .iter()
            .filter(|change| change.kind == ChangeKind::Added)
            .filter_map(|change| ObjectPath::parse(&change.path).ok())
            .collect()
    }
}
