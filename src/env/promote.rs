//! `berth promote` and `berth rollback`: one commit per package on the
//! environment's ref, the ref moved once, by compare-and-swap.
//!
//! Everything is planned and guarded first: what each package gets, from which
//! source commit, and whether the object exists, validates, came along an allowed
//! path and is ready. Then the commits are built on the tip that was read, touching
//! only the paths that change. If the ref moved meanwhile and no promoted
//! package's entry changed, the commits are rebuilt on the new tip and the move is
//! retried; otherwise nothing moves and the conflict names both objects.

use std::collections::HashSet;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use super::guard::latest_event;
use super::log::{self, ACTION, Action, EnvCommit, FROM, OBJECT, PACKAGE, first_parents};
use super::objects::{Finder, Located};
use super::provenance::{Anchors, Hop, Provenance};
use super::state::{Entry, STATE_FILE, State};
use super::{EnvError, PackageAt, read_state, section};
use crate::diagnostic::finding::Finding;
use crate::kinds::event::Latest;
use crate::kinds::event::Status;
use crate::names;
use crate::objects::lookup::{self, BadSpec, LookupError, ObjectSpec};
use crate::repo::{CommitError, Git, GitError, Oid, ShallowHistory, TreeChange};
use crate::settings::EnvironmentSection;
use crate::store::{OBJECTS_DIR, ObjectPath, ObjectRef};
use crate::workspace::Workspace;

/// How many times a promotion is rebuilt on a tip that moved before giving up.
const ATTEMPTS: u32 = 8;

/// What to promote.
#[derive(Debug, Clone, Default)]
pub struct PromoteRequest<'a> {
    /// The objects: `<store>/<hash>`, a unique hash prefix, or `<package>@<env>`.
    pub targets: &'a [String],
    /// The environment to promote to.
    pub to: &'a str,
    /// The environment to promote from, instead of the target's single `from`.
    pub from: Option<&'a str>,
    /// Tags to add to each entry.
    pub tags: &'a [String],
    /// Promote every package whose object in the source differs from the target's.
    pub all: bool,
}

/// One commit made.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Promotion {
    /// The commit.
    pub commit: String,
    /// `promote` or `rollback`.
    pub action: Action,
    /// The package.
    pub package: String,
    /// The object the package now has: `<store>/<hash>`.
    pub object: String,
    /// The object it had before, if any.
    pub previous: Option<String>,
    /// Where the object came from: an environment, or the catalog branch.
    pub from: String,
    /// The commit that brought the object there: the commit's second parent.
    pub source_commit: String,
    /// The commit's parents: the environment's previous tip, then the source commit.
    pub parents: Vec<String>,
    /// The entry's tags.
    pub tags: Vec<String>,
}

/// A package the environment already held as asked.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Unchanged {
    /// The package.
    pub package: String,
    /// The object it already has.
    pub object: String,
}

/// What `berth promote` or `berth rollback` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PromoteOutcome {
    /// The environment.
    pub environment: String,
    /// Its ref.
    #[serde(rename = "ref")]
    pub refname: String,
    /// The tip before, or null if the environment had not been opened.
    pub previous_tip: Option<String>,
    /// The tip now.
    pub tip: Option<String>,
    /// Whether this opened the environment with its root commit.
    pub opened: bool,
    /// The commits made, oldest first; empty when nothing changed.
    pub promotions: Vec<Promotion>,
    /// Packages that already held what was asked: no commit.
    pub unchanged: Vec<Unchanged>,
    /// How many times the ref had moved and the commits were rebuilt on its new tip.
    pub retries: u32,
}

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
    BadPackageAt(#[from] super::BadPackageAt),
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
    },
    /// `require_signed`: berth does not sign the commits it writes.
    #[error("{environment} requires signed promotion commits, and berth does not sign commits yet")]
    #[diagnostic(
        code("berth::unsigned-promotion"),
        help(
            "set `require_signed = false` for {environment} in berth.toml, or make and sign the commit with git (`git commit-tree -S`); berth writes nothing it cannot sign into such an environment"
        )
    )]
    UnsignedPromotion {
        /// The environment.
        environment: String,
    },
    /// `require_ready`: the object is not ready.
    #[error("`{object}` is {status}, not ready: {environment} requires a `ready` event")]
    #[diagnostic(
        code("berth::not-ready"),
        help(
            "record a `ready` event for the object in objects/events/<package>/ on the catalog once its artifact is built"
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
            "promote a newer object of the package (`berth release ls --package <package>`); a status is an event, so un-deprecating is a new `ready` event (`berth mark <ref> ready`)"
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
        help("name the environment to promote from with `--from`, or name the objects")
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
        help("berth promote <store>/<hash>... --to <env>, or berth promote --all --to <env>")
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
}

/// One package's promotion, planned and guarded, independent of the target's tip.
#[derive(Debug, Clone)]
struct Plan {
    package: String,
    object: ObjectRef,
    /// The object in the source commit's tree.
    located: Located,
    source_tree: Oid,
    source_commit: Oid,
    from: String,
    action: Action,
    tags: Vec<String>,
}

/// Where an environment may take objects from.
enum Sources {
    /// The catalog branch: environments without `from`.
    Catalog,
    /// These environments, in order.
    Environments(Vec<String>),
}

/// Promotes objects to an environment.
pub fn promote(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
) -> Result<PromoteOutcome, PromoteError> {
    let git = &workspace.git;
    let target = section(&workspace.settings, request.to)?;
    if let Some(from) = request.from {
        section(&workspace.settings, from)?;
    }
    refuse_unsigned(request.to, target)?;
    workspace.kinds.prepare_promotable();
    let tags = check_tags(request.tags)?;
    if request.targets.is_empty() && !request.all {
        return Err(PromoteError::NothingNamed);
    }
    git.require_identity()?;
    let refname = workspace.settings.env_ref(request.to);
    let tip = git.ref_target(&refname)?;
    let base = state_at(git, &refname, tip)?;
    let sources = sources(request.to, target, request.from)?;
    let mut plans = Vec::new();
    if request.all {
        plans.extend(plan_all(workspace, request, &sources, &base, &tags)?);
    }
    for text in request.targets {
        plans.push(plan_target(workspace, request, &sources, text, &tags)?);
    }
    let mut packages = HashSet::new();
    for plan in &plans {
        if !packages.insert(plan.package.as_str()) {
            return Err(PromoteError::DuplicatePackage {
                package: plan.package.clone(),
            });
        }
    }
    for plan in &plans {
        guard(workspace, request.to, target, plan)?;
    }
    verify_paths(workspace, request.to, &plans, None)?;
    land(workspace, request.to, &refname, &plans, tip, &base)
}

/// Sets a package back to the object it held before its current one.
pub fn rollback(
    workspace: &Workspace,
    package: &str,
    environment: &str,
) -> Result<PromoteOutcome, PromoteError> {
    let git = &workspace.git;
    let target = section(&workspace.settings, environment)?;
    names::check(package).map_err(PromoteError::BadPackage)?;
    refuse_unsigned(environment, target)?;
    workspace.kinds.prepare_promotable();
    git.require_identity()?;
    let refname = workspace.settings.env_ref(environment);
    let tip = git.ref_target(&refname)?;
    let base = state_at(git, &refname, tip)?;
    let not_held = || EnvError::NotHeld {
        package: package.to_owned(),
        environment: environment.to_owned(),
        at: None,
    };
    let current = base.packages.get(package).ok_or_else(not_held)?;
    let mut previous = None;
    for commit in first_parents(git, tip) {
        let commit = commit?;
        if commit.sets(package) && commit.object.as_deref() != Some(current.object.as_str()) {
            previous = Some(commit);
            break;
        }
    }
    let previous = previous.ok_or_else(|| PromoteError::NoPrevious {
        package: package.to_owned(),
        environment: environment.to_owned(),
    })?;
    let object = previous
        .object
        .as_deref()
        .and_then(|text| text.parse::<ObjectRef>().ok())
        .ok_or_else(|| not_an_env_commit(&refname, &previous))?;
    // The restored object's source is the commit that first brought it: a
    // rollback's own second parent already is.
    let source_commit = match (previous.action, previous.source().map_err(EnvError::from)?) {
        (Some(Action::Rollback), Some(source)) => source,
        _ => previous.info.id,
    };
    let source_tree = git.commit(source_commit)?.tree;
    let located = Finder::new(git, source_tree)
        .locate(&object, Some(package))?
        .ok_or_else(|| PromoteError::NotFound {
            spec: object.to_string(),
            place: format!("in {environment}'s commit {source_commit}"),
            help: format!(
                "the environment's history was not written by berth; `git log --first-parent {refname}` shows it"
            ),
        })?;
    let previous_state = read_state(git, &refname, &previous.info)?;
    let tags = previous_state
        .packages
        .get(package)
        .map(|entry| entry.tags.clone())
        .unwrap_or_default();
    let plan = Plan {
        package: package.to_owned(),
        object,
        located,
        source_tree,
        source_commit,
        from: environment.to_owned(),
        action: Action::Rollback,
        tags,
    };
    guard(workspace, environment, target, &plan)?;
    verify_paths(
        workspace,
        environment,
        std::slice::from_ref(&plan),
        Some((previous.info.id, previous_state)),
    )?;
    land(
        workspace,
        environment,
        &refname,
        std::slice::from_ref(&plan),
        tip,
        &base,
    )
}

/// An environment that accepts only signed commits gets none from berth, which
/// cannot sign them (DESIGN.md section 8 is not built).
fn refuse_unsigned(environment: &str, target: &EnvironmentSection) -> Result<(), PromoteError> {
    if target.require_signed {
        return Err(PromoteError::UnsignedPromotion {
            environment: environment.to_owned(),
        });
    }
    Ok(())
}

fn not_an_env_commit(refname: &str, commit: &EnvCommit) -> PromoteError {
    PromoteError::Env(EnvError::bad_state(
        refname,
        commit.info.id,
        format!("the commit has no valid `{PACKAGE}` and `{OBJECT}` trailers"),
        ("commit message", commit.info.message.clone()),
        None,
    ))
}

fn state_at(git: &Git, refname: &str, tip: Option<Oid>) -> Result<State, EnvError> {
    match tip {
        Some(id) => read_state(git, refname, &git.commit(id)?),
        None => Ok(State::default()),
    }
}

fn sources(
    environment: &str,
    target: &EnvironmentSection,
    from: Option<&str>,
) -> Result<Sources, PromoteError> {
    match (target.from.is_empty(), from) {
        (true, None) => Ok(Sources::Catalog),
        (true, Some(from)) => Err(PromoteError::PromotionPath {
            object: "anything".to_owned(),
            environment: environment.to_owned(),
            reason: format!("{environment} receives from the catalog, not from {from}"),
            help: format!(
                "promote into {environment} without `--from`, or add `from = [\"{from}\"]` to [environments.{environment}]"
            ),
        }),
        (false, Some(from)) if !target.from.iter().any(|s| s == from) => {
            Err(PromoteError::PromotionPath {
                object: "anything".to_owned(),
                environment: environment.to_owned(),
                reason: format!(
                    "{environment} receives only from {}, not from {from}",
                    target.from.join(", ")
                ),
                help: format!("promote through {} first", target.from.join(" or ")),
            })
        }
        (false, Some(from)) => Ok(Sources::Environments(vec![from.to_owned()])),
        (false, None) => Ok(Sources::Environments(target.from.clone())),
    }
}

fn check_tags(tags: &[String]) -> Result<Vec<String>, PromoteError> {
    for tag in tags {
        let bad = |reason: &str| PromoteError::BadTag {
            tag: tag.clone(),
            reason: reason.to_owned(),
        };
        if tag.is_empty() || tag.len() > 128 {
            return Err(bad("is empty or longer than 128 characters"));
        }
        if !tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b))
        {
            return Err(bad("has characters other than letters, digits and `._:/-`"));
        }
        if tag.starts_with("pkg:") || tag.starts_with("env:") {
            return Err(bad("is set by berth itself"));
        }
    }
    Ok(tags.to_vec())
}

/// The tags of an entry: the kind's own, `env:<environment>`, then those given.
fn entry_tags(
    workspace: &Workspace,
    environment: &str,
    object: &ObjectRef,
    package: &str,
    extra: &[String],
) -> Vec<String> {
    let mut tags: Vec<String> = workspace
        .kinds
        .held(&object.store)
        .map(|kind| kind.tags(package))
        .unwrap_or_default();
    tags.push(format!("env:{environment}"));
    tags.extend(extra.iter().cloned());
    tags.sort();
    tags.dedup();
    tags
}

fn plan_all(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    sources: &Sources,
    base: &State,
    tags: &[String],
) -> Result<Vec<Plan>, PromoteError> {
    let source = match sources {
        Sources::Catalog => {
            return Err(PromoteError::NoSource {
                environment: request.to.to_owned(),
                reason: "receives from the catalog, which holds many objects per package"
                    .to_owned(),
            });
        }
        Sources::Environments(list) => match list.as_slice() {
            [only] => only.clone(),
            _ => {
                return Err(PromoteError::NoSource {
                    environment: request.to.to_owned(),
                    reason: format!("receives from {}", list.join(" and ")),
                });
            }
        },
    };
    let view = super::read(&workspace.git, &workspace.settings, &source, None)?;
    let mut plans = Vec::new();
    for (package, entry) in &view.state.packages {
        let differs = base
            .packages
            .get(package)
            .is_none_or(|held| held.object != entry.object);
        if differs {
            let at = PackageAt {
                package: package.clone(),
                environment: source.clone(),
            };
            plans.push(plan_held(workspace, request, &at, tags)?);
        }
    }
    Ok(plans)
}

fn plan_target(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    sources: &Sources,
    text: &str,
    tags: &[String],
) -> Result<Plan, PromoteError> {
    if text.contains('@') {
        let at: PackageAt = text.parse()?;
        section(&workspace.settings, &at.environment)?;
        let allowed = match sources {
            Sources::Catalog => false,
            Sources::Environments(list) => list.contains(&at.environment),
        };
        if !allowed {
            let (reason, help) = match sources {
                Sources::Catalog => (
                    format!(
                        "{} receives from the catalog, not from {}",
                        request.to, at.environment
                    ),
                    "promote an object from the catalog by <store>/<hash>".to_owned(),
                ),
                Sources::Environments(list) => (
                    format!("{} receives only from {}", request.to, list.join(", ")),
                    format!("promote through {} first", list.join(" or ")),
                ),
            };
            return Err(PromoteError::PromotionPath {
                object: text.to_owned(),
                environment: request.to.to_owned(),
                reason,
                help,
            });
        }
        return plan_held(workspace, request, &at, tags);
    }
    let spec: ObjectSpec = text.parse()?;
    match sources {
        Sources::Catalog => plan_from_catalog(workspace, request, &spec, tags),
        Sources::Environments(list) => {
            for source in list {
                if let Some(commit) = find_in_history(workspace, source, &spec)? {
                    return plan_from_commit(workspace, request, source, commit, tags);
                }
            }
            // Never held upstream: either it exists and skipped a step, or it
            // does not exist at all.
            let object = match catalog_lookup(workspace, &spec) {
                Ok((located, _)) => located.path.object_ref().to_string(),
                Err(PromoteError::NotFound { .. }) => {
                    return Err(PromoteError::NotFound {
                        spec: spec.to_string(),
                        place: format!("in the history of {} or on the catalog", list.join(", ")),
                        help: "`berth ls` lists the objects; `berth history <package>@<env>` what an environment held".to_owned(),
                    });
                }
                Err(other) => return Err(other),
            };
            Err(PromoteError::PromotionPath {
                reason: format!(
                    "it has never been held by {}, which {} receives from",
                    list.join(" or "),
                    request.to
                ),
                help: format!(
                    "promote it to {first} first: berth promote {object} --to {first}",
                    first = list.first().map(String::as_str).unwrap_or_default()
                ),
                object,
                environment: request.to.to_owned(),
            })
        }
    }
}

/// Plans promoting what `at.environment` holds for `at.package` now.
fn plan_held(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    at: &PackageAt,
    tags: &[String],
) -> Result<Plan, PromoteError> {
    let git = &workspace.git;
    let view = super::read(git, &workspace.settings, &at.environment, None)?;
    let Some(object) = view.state.object(&at.package) else {
        return Err(EnvError::NotHeld {
            package: at.package.clone(),
            environment: at.environment.clone(),
            at: None,
        }
        .into());
    };
    let tip = view.commit.as_ref().map(|c| c.id);
    for commit in first_parents(git, tip) {
        let commit = commit?;
        if commit.sets(&at.package) && commit.object.as_deref() == Some(object.to_string().as_str())
        {
            return plan_from_commit(workspace, request, &at.environment, commit, tags);
        }
    }
    Err(PromoteError::Env(EnvError::bad_state(
        &view.refname,
        tip.map(|id| id.to_string()).unwrap_or_default(),
        format!("no commit in its log set `{}` to {object}", at.package),
        (STATE_FILE, view.state.to_toml()),
        None,
    )))
}

/// The newest commit of `environment` that set some package to an object matching
/// `spec`, refusing a prefix that matches several objects.
fn find_in_history(
    workspace: &Workspace,
    environment: &str,
    spec: &ObjectSpec,
) -> Result<Option<EnvCommit>, PromoteError> {
    let git = &workspace.git;
    let tip = git.ref_target(&workspace.settings.env_ref(environment))?;
    let full = spec.prefix.len() == 64;
    let mut found: Vec<EnvCommit> = Vec::new();
    for commit in first_parents(git, tip) {
        let commit = commit?;
        if !matches!(commit.action, Some(Action::Promote | Action::Rollback)) {
            continue;
        }
        let Some(object) = commit
            .object
            .as_deref()
            .and_then(|o| o.parse::<ObjectRef>().ok())
        else {
            continue;
        };
        let matches = spec
            .store
            .as_ref()
            .is_none_or(|store| *store == object.store)
            && object.hash.to_hex().starts_with(&spec.prefix);
        if matches && !found.iter().any(|c| c.object == commit.object) {
            found.push(commit);
            if full {
                break;
            }
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(LookupError::Ambiguous {
            spec: spec.to_string(),
            candidates: found.iter().filter_map(|c| c.object.clone()).collect(),
        }
        .into()),
    }
}

fn plan_from_commit(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    source: &str,
    commit: EnvCommit,
    tags: &[String],
) -> Result<Plan, PromoteError> {
    let refname = workspace.settings.env_ref(source);
    let (Some(package), Some(object)) = (
        commit.package.clone(),
        commit
            .object
            .as_deref()
            .and_then(|o| o.parse::<ObjectRef>().ok()),
    ) else {
        return Err(not_an_env_commit(&refname, &commit));
    };
    let located = Finder::new(&workspace.git, commit.info.tree)
        .locate(&object, Some(&package))?
        .ok_or_else(|| PromoteError::NotFound {
            spec: object.to_string(),
            place: format!("in {source}'s commit {}", commit.info.id),
            help: format!(
                "{source}'s commit does not carry the object it names; `git show {}` shows what it holds",
                commit.info.id
            ),
        })?;
    promotable(workspace, &object)?;
    Ok(Plan {
        tags: entry_tags(workspace, request.to, &object, &package, tags),
        package,
        object,
        located,
        source_tree: commit.info.tree,
        source_commit: commit.info.id,
        from: source.to_owned(),
        action: Action::Promote,
    })
}

fn promotable(workspace: &Workspace, object: &ObjectRef) -> Result<(), PromoteError> {
    match workspace.kinds.held(&object.store) {
        Some(kind) if kind.promotable() => Ok(()),
        _ => Err(PromoteError::NotPromotable {
            object: object.to_string(),
            store: object.store.clone(),
        }),
    }
}

fn catalog_ref(workspace: &Workspace) -> String {
    format!("refs/heads/{}", workspace.settings.catalog())
}

/// Finds an object on the catalog branch's tip: the object and the tip.
fn catalog_lookup(
    workspace: &Workspace,
    spec: &ObjectSpec,
) -> Result<(Located, Oid), PromoteError> {
    let git = &workspace.git;
    let catalog = workspace.settings.catalog();
    let not_found = |help: String| PromoteError::NotFound {
        spec: spec.to_string(),
        place: format!("on the catalog branch `{catalog}`"),
        help,
    };
    let Some(tip) = git.ref_target(&catalog_ref(workspace))? else {
        return Err(not_found(format!(
            "the catalog branch `{catalog}` has no commits; commit objects with `berth put --commit`"
        )));
    };
    let tree = git.commit(tip)?.tree;
    let stores: Vec<String> = match &spec.store {
        Some(store) => vec![store.clone()],
        None => workspace.kinds.held_names(),
    };
    let mut matches: Vec<Located> = Vec::new();
    if spec.prefix.len() == 64 {
        let finder = Finder::with_workdir(git, tree, workspace.root());
        for store in &stores {
            let object = format!("{store}/{}", spec.prefix);
            if let Ok(object) = object.parse::<ObjectRef>()
                && let Some(located) = finder.locate(&object, None)?
            {
                matches.push(located);
            }
        }
    } else {
        for store in &stores {
            for (path, blob) in git.list_files(tree, &format!("{OBJECTS_DIR}/{store}"))? {
                let name = path.rsplit('/').next().unwrap_or_default();
                if !name.starts_with(&spec.prefix) {
                    continue;
                }
                if let Ok(path) = ObjectPath::parse(&path)
                    && !matches
                        .iter()
                        .any(|m| m.path.object_ref() == path.object_ref())
                {
                    matches.push(Located { path, blob });
                }
            }
        }
    }
    match matches.len() {
        0 => {
            let uncommitted = lookup::find(workspace, spec).is_ok();
            Err(not_found(if uncommitted {
                format!(
                    "it is in the working tree but not committed on `{catalog}`; commit it first (`berth put --commit`, or git commit)"
                )
            } else {
                "`berth ls` lists the objects".to_owned()
            }))
        }
        1 => Ok((matches.remove(0), tip)),
        _ => Err(LookupError::Ambiguous {
            spec: spec.to_string(),
            candidates: matches
                .iter()
                .map(|m| m.path.object_ref().to_string())
                .collect(),
        }
        .into()),
    }
}

fn plan_from_catalog(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    spec: &ObjectSpec,
    tags: &[String],
) -> Result<Plan, PromoteError> {
    let git = &workspace.git;
    let (located, tip) = catalog_lookup(workspace, spec)?;
    let object = located.path.object_ref();
    promotable(workspace, &object)?;
    let source_commit = adding_commit(git, tip, &located)?;
    let package = located.path.partition.clone();
    Ok(Plan {
        tags: entry_tags(workspace, request.to, &object, &package, tags),
        package,
        object,
        source_tree: git.commit(source_commit)?.tree,
        located,
        source_commit,
        from: workspace.settings.catalog().to_owned(),
        action: Action::Promote,
    })
}

/// The commit that added an object's file, following the parents that already
/// had the same file, as `git log -- <path>` simplifies history.
///
/// In a shallow clone, a walk that reaches the commit where the history was cut
/// cannot tell whether an earlier commit added the file: that is refused.
fn adding_commit(git: &Git, tip: Oid, located: &Located) -> Result<Oid, EnvError> {
    let path = located.path.path();
    let mut current = git.commit(tip)?;
    'walk: loop {
        for parent in &current.parents {
            let parent = git.commit(*parent)?;
            if git.entry(parent.tree, &path)?.map(|entry| entry.id) == Some(located.blob) {
                current = parent;
                continue 'walk;
            }
        }
        if current.parents.is_empty() && git.shallow_boundary()?.contains(&current.id) {
            return Err(ShallowHistory::before(current.id).into());
        }
        return Ok(current.id);
    }
}

/// Refuses a promotion from an environment, or a rollback, whose source cannot be
/// verified as the audit will verify the commit berth is about to write: an
/// object that came into the upstream environment by a forged commit goes no
/// further. (A promotion from the catalog takes the commit that added the file on
/// the catalog branch, which is its own proof.)
///
/// `walked` is a commit of the target's own log that the caller reached by
/// walking it (a rollback's previous setting), with its state as already read,
/// so that neither is read again.
fn verify_paths(
    workspace: &Workspace,
    environment: &str,
    plans: &[Plan],
    mut walked: Option<(Oid, State)>,
) -> Result<(), PromoteError> {
    let catalog = workspace.settings.catalog();
    let mut provenance: Option<Provenance<'_>> = None;
    for plan in plans {
        let hop = match plan.action {
            Action::Rollback => Hop::Rollback,
            _ if plan.from == catalog => continue,
            _ => Hop::Promotion,
        };
        let provenance = match &mut provenance {
            Some(provenance) => provenance,
            None => {
                let anchors = Anchors::refs(&workspace.git, &workspace.settings)?;
                let mut fresh = Provenance::new(&workspace.git, &workspace.settings, anchors);
                if let Some((commit, state)) = walked.take() {
                    fresh.note_on_log(environment, commit);
                    fresh.remember_state(commit, state);
                }
                provenance.insert(fresh)
            }
        };
        if hop == Hop::Promotion {
            // Plans from an environment take their source commit from a walk of
            // that environment's first-parent log (`plan_held`,
            // `find_in_history`).
            provenance.note_on_log(&plan.from, plan.source_commit);
        }
        let object = plan.object.to_string();
        let verdict = provenance.verify_source(
            environment,
            &plan.from,
            hop,
            plan.source_commit,
            &plan.package,
            &object,
        )?;
        if let Some(broken) = verdict.broken {
            let place = if broken.environment == environment {
                String::new()
            } else {
                format!(" in {}", broken.environment)
            };
            return Err(PromoteError::PromotionPath {
                object,
                environment: environment.to_owned(),
                reason: format!(
                    "its path back to the catalog cannot be verified{place}: {}",
                    broken.reason
                ),
                help: format!(
                    "`berth check` shows what is wrong with {}; only an object whose every step verifies moves on",
                    broken.environment
                ),
            });
        }
    }
    Ok(())
}

/// The guards every promotion and rollback passes: the object validates, and in a
/// `require_ready` environment its latest event is `ready`.
fn guard(
    workspace: &Workspace,
    environment: &str,
    target: &EnvironmentSection,
    plan: &Plan,
) -> Result<(), PromoteError> {
    let git = &workspace.git;
    let findings = Finder::new(git, plan.source_tree).check(
        &workspace.settings,
        &workspace.kinds,
        &plan.located,
    )?;
    if findings.iter().any(Finding::is_error) {
        return Err(PromoteError::InvalidObject {
            object: plan.object.to_string(),
            findings: findings.into_iter().filter(Finding::is_error).collect(),
        });
    }
    if target.require_ready {
        let latest = match git.ref_target(&catalog_ref(workspace))? {
            Some(tip) => latest_event(git, git.commit(tip)?.tree, &plan.package, &plan.object)?,
            None => None,
        };
        match latest {
            Some(latest) if latest.status == Status::Ready => {}
            Some(latest) if latest.status == Status::ArtifactDeleted => {
                return Err(PromoteError::ArtifactDeleted {
                    object: plan.object.to_string(),
                    at: latest.at,
                    file: latest.file,
                });
            }
            Some(latest) if latest.status == Status::Failed => {
                return Err(PromoteError::Failed {
                    object: plan.object.to_string(),
                    environment: environment.to_owned(),
                    event: Box::new(latest),
                });
            }
            Some(latest) if matches!(latest.status, Status::Deprecated | Status::Archived) => {
                return Err(PromoteError::Deprecated {
                    object: plan.object.to_string(),
                    event: Box::new(latest),
                });
            }
            other => {
                return Err(PromoteError::NotReady {
                    object: plan.object.to_string(),
                    environment: environment.to_owned(),
                    status: other
                        .map_or("draft", |latest| latest.status.as_str())
                        .to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// The commits built on one tip, not yet on the ref.
struct Built {
    head: Oid,
    opened: bool,
    promotions: Vec<Promotion>,
    unchanged: Vec<Unchanged>,
}

/// Builds the commits on the tip, moves the ref, and on a race rebuilds on the new
/// tip while the promoted packages' entries are as they were read.
fn land(
    workspace: &Workspace,
    environment: &str,
    refname: &str,
    plans: &[Plan],
    tip: Option<Oid>,
    base: &State,
) -> Result<PromoteOutcome, PromoteError> {
    let git = &workspace.git;
    if plans.is_empty() {
        return Ok(PromoteOutcome {
            environment: environment.to_owned(),
            refname: refname.to_owned(),
            previous_tip: tip.map(|id| id.to_string()),
            tip: tip.map(|id| id.to_string()),
            opened: false,
            promotions: Vec::new(),
            unchanged: Vec::new(),
            retries: 0,
        });
    }
    let mut tip = tip;
    let mut current = base.clone();
    for attempt in 0..ATTEMPTS {
        let built = build(workspace, environment, plans, tip, &current)?;
        let outcome = |built: Built, new_tip: Option<Oid>| PromoteOutcome {
            environment: environment.to_owned(),
            refname: refname.to_owned(),
            previous_tip: tip.map(|id| id.to_string()),
            tip: new_tip.map(|id| id.to_string()),
            opened: built.opened,
            promotions: built.promotions,
            unchanged: built.unchanged,
            retries: attempt,
        };
        if built.promotions.is_empty() {
            return Ok(outcome(built, tip));
        }
        let subject = match built.promotions.as_slice() {
            [one] => format!("{} {} in {environment}", one.action.as_str(), one.package),
            many => format!("promote {} packages to {environment}", many.len()),
        };
        match git.move_ref(refname, tip, built.head, &subject) {
            Ok(()) => {
                let head = built.head;
                return Ok(outcome(built, Some(head)));
            }
            Err(CommitError::Conflict { .. }) => {
                let moved = git.ref_target(refname)?;
                let now = state_at(git, refname, moved)?;
                for plan in plans {
                    let (before, after) = (
                        base.packages.get(&plan.package),
                        now.packages.get(&plan.package),
                    );
                    if before != after {
                        let name = |entry: Option<&Entry>| {
                            entry.map_or_else(|| "nothing".to_owned(), |e| e.object.clone())
                        };
                        return Err(PromoteError::Conflict {
                            environment: environment.to_owned(),
                            package: plan.package.clone(),
                            expected: name(before),
                            found: name(after),
                        });
                    }
                }
                backoff(attempt);
                tip = moved;
                current = now;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(PromoteError::Contended {
        environment: environment.to_owned(),
        attempts: ATTEMPTS,
    })
}

/// Waits a little longer after each lost race, with jitter so that racing
/// promoters spread out.
fn backoff(attempt: u32) {
    use std::hash::BuildHasher;
    let random = std::collections::hash_map::RandomState::new().hash_one(attempt);
    let millis = (1u64 << attempt.min(5)).saturating_add(random % 8);
    std::thread::sleep(Duration::from_millis(millis));
}

/// Writes one commit per plan on top of `tip`, whose state is `state`.
fn build(
    workspace: &Workspace,
    environment: &str,
    plans: &[Plan],
    tip: Option<Oid>,
    state: &State,
) -> Result<Built, PromoteError> {
    let git = &workspace.git;
    let kinds = &workspace.kinds;
    let (mut head, mut tree, mut state, opened) = match tip {
        Some(id) => {
            let info = git.commit(id)?;
            (id, info.tree, state.clone(), false)
        }
        None => {
            let empty = git.write_blob(b"")?;
            let tree = git.update_tree(
                None,
                &[TreeChange::Upsert {
                    path: STATE_FILE.to_owned(),
                    blob: empty,
                }],
            )?;
            let message = log::message(
                &format!("open environment {environment}"),
                &[(ACTION, Action::Open.as_str())],
            );
            let id = git.write_commit(tree, &[], &message)?;
            (id, tree, State::default(), true)
        }
    };
    let mut promotions = Vec::new();
    let mut unchanged = Vec::new();
    for plan in plans {
        let object = plan.object.to_string();
        let previous = state.packages.get(&plan.package).cloned();
        if previous
            .as_ref()
            .is_some_and(|entry| entry.object == object)
        {
            unchanged.push(Unchanged {
                package: plan.package.clone(),
                object,
            });
            continue;
        }
        let incoming = Finder::new(git, plan.source_tree).closure(kinds, plan.located.clone())?;
        let incoming_paths: HashSet<String> = incoming.iter().map(|l| l.path.path()).collect();
        let mut changes: Vec<TreeChange> = incoming
            .iter()
            .map(|located| TreeChange::Upsert {
                path: located.path.path(),
                blob: located.blob,
            })
            .collect();
        if let Some(previous) = &previous {
            for path in released(
                workspace,
                tree,
                &state,
                &plan.package,
                previous,
                &incoming_paths,
            )? {
                changes.push(TreeChange::Remove { path });
            }
        }
        let mut references: Vec<String> = incoming
            .iter()
            .skip(1)
            .map(|located| located.path.object_ref().to_string())
            .collect();
        references.sort();
        state.packages.insert(
            plan.package.clone(),
            Entry {
                object: object.clone(),
                tags: plan.tags.clone(),
                references,
            },
        );
        changes.push(TreeChange::Upsert {
            path: STATE_FILE.to_owned(),
            blob: git.write_blob(state.to_toml().as_bytes())?,
        });
        tree = git.update_tree(Some(tree), &changes)?;
        let (verb, preposition) = match plan.action {
            Action::Rollback => ("rollback", "in"),
            _ => ("promote", "to"),
        };
        let message = log::message(
            &format!(
                "{verb} {} {preposition} {environment}: {}/{}",
                plan.package,
                plan.object.store,
                plan.object.hash.short(12)
            ),
            &[
                (ACTION, plan.action.as_str()),
                (PACKAGE, &plan.package),
                (OBJECT, &object),
                (FROM, &plan.from),
            ],
        );
        let parents = [head, plan.source_commit];
        let commit = git.write_commit(tree, &parents, &message)?;
        promotions.push(Promotion {
            commit: commit.to_string(),
            action: plan.action,
            package: plan.package.clone(),
            object,
            previous: previous.map(|entry| entry.object),
            from: plan.from.clone(),
            source_commit: plan.source_commit.to_string(),
            parents: parents.iter().map(ToString::to_string).collect(),
            tags: plan.tags.clone(),
        });
        head = commit;
    }
    Ok(Built {
        head,
        opened,
        promotions,
        unchanged,
    })
}

/// The files of a package's previous object (and what it referenced) that no
/// entry holds once the package has its new object. What the other entries hold is
/// read from their state entries (object and references): no other entry's object
/// is read.
fn released(
    workspace: &Workspace,
    tree: Oid,
    state: &State,
    package: &str,
    previous: &Entry,
    incoming: &HashSet<String>,
) -> Result<Vec<String>, GitError> {
    let here = Finder::new(&workspace.git, tree);
    let Ok(old) = previous.object.parse::<ObjectRef>() else {
        return Ok(Vec::new());
    };
    let Some(located) = here.locate(&old, Some(package))? else {
        return Ok(Vec::new());
    };
    let kept: HashSet<&str> = state
        .packages
        .iter()
        .filter(|(other, _)| other.as_str() != package)
        .flat_map(|(_, entry)| std::iter::once(&entry.object).chain(&entry.references))
        .map(String::as_str)
        .collect();
    Ok(here
        .closure(&workspace.kinds, located)?
        .into_iter()
        .filter(|located| !kept.contains(located.path.object_ref().to_string().as_str()))
        .map(|located| located.path.path())
        .filter(|path| !incoming.contains(path))
        .collect())
}

/// `: <reason>` when an event gives one.
fn reason_text(reason: Option<&str>) -> String {
    reason.map_or_else(String::new, |reason| format!(": {reason}"))
}
