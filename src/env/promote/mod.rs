//! `berth promote` and `berth rollback`: one commit per package on the
//! environment's ref, the ref moved once, by compare-and-swap.
//!
//! Everything is planned and guarded first: the signing key, where the
//! environment requires signed commits (one its allowed signers accept, or
//! nothing is written); what each package gets, from which source commit, and
//! whether the object exists, validates, came along an allowed path and is
//! ready. A hotfix may skip the path where berth.toml allows it for the
//! environment (`allow_override`): the commit then says so, with the reason, and
//! every other guard applies as ever. Then the commits are built on the tip that
//! was read, touching only the paths that change, and signed where they must
//! be. If the ref moved meanwhile and no promoted package's entry changed, the
//! commits are rebuilt on the new tip and the move is retried; otherwise nothing
//! moves and the conflict names both objects.

mod error;
mod guard;
mod land;
mod plan;
mod publish;
mod repair;

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::Serialize;

use crate::env::log::{Action, EnvCommit, OBJECT, PACKAGE, standing_commits};
use crate::env::objects::{Finder, Located};
use crate::env::state::State;
use crate::env::{EnvError, read_state, section};
use crate::names;
use crate::repo::{Git, Oid, Signing, short_id};
use crate::settings::EnvironmentSection;
use crate::store::ObjectRef;
use crate::workspace::Workspace;

pub use error::{PromoteError, Unpublished};
pub use repair::{RepairOutcome, RepairedCommit, Restored, repair};

use guard::{guard, override_reason, signing, verify_paths};
use land::land;
use plan::{check_tags, plan_all, plan_target, sources, step_allowed};
use publish::Landing;

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
    /// Skip the promotion path, for this reason (a hotfix while production is
    /// down): the target's `from` no longer decides where an object may come
    /// from, which is the catalog branch unless `from` names an environment.
    /// Each commit that takes a step `from` does not allow records the reason in
    /// a `Berth-Override` trailer. Only where berth.toml allows it for the target
    /// (`allow_override = true`); every other guard still applies.
    pub skip_path: Option<&'a str>,
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
    /// Why the promotion skipped the promotion path, when it took a step
    /// berth.toml's `from` does not allow: its `Berth-Override` trailer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
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
    /// The remote the environment was pushed to, when it was; its ref is then at
    /// `tip`, and so is the local one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed_to: Option<String>,
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
    /// The reason, when the step is one `from` does not allow and the promotion
    /// skips the path: the commit's `Berth-Override` trailer.
    override_reason: Option<String>,
}

/// Where an environment may take objects from.
enum Sources {
    /// The catalog branch: environments without `from`.
    Catalog,
    /// These environments, in order.
    Environments(Vec<String>),
}

/// The environment a command writes commits onto: its settings, its ref, and
/// how its commits are signed.
struct Target<'w> {
    name: &'w str,
    section: &'w EnvironmentSection,
    refname: String,
    signing: Option<Signing>,
}

impl<'w> Target<'w> {
    /// Reads the environment's settings and how its commits are signed,
    /// refusing a signing key it would not accept before anything is written.
    fn new(workspace: &'w Workspace, name: &'w str) -> Result<Target<'w>, PromoteError> {
        let section = section(&workspace.settings, name)?;
        Ok(Target {
            name,
            section,
            refname: workspace.settings.env_ref(name),
            signing: signing(workspace, name, section)?,
        })
    }
}

/// Promotes objects to an environment.
pub fn promote(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
) -> Result<PromoteOutcome, PromoteError> {
    promote_to(workspace, request, None)
}

/// Promotes objects to an environment on `remote`: builds on the remote's tip
/// (as the last fetch left it, fetched again whenever that could change the
/// answer), pushes without force and, when the remote moved meanwhile, rebuilds
/// on its new tip while the promoted packages' entries are unchanged. The local
/// environment ref moves to what the remote took, and only then.
pub fn promote_and_push(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    remote: &str,
) -> Result<PromoteOutcome, PromoteError> {
    promote_to(workspace, request, Some(remote))
}

fn promote_to(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    remote: Option<&str>,
) -> Result<PromoteOutcome, PromoteError> {
    let git = &workspace.git;
    let target = section(&workspace.settings, request.to)?;
    if let Some(from) = request.from {
        section(&workspace.settings, from)?;
    }
    let skip_path = request
        .skip_path
        .map(|reason| override_reason(request.to, target, reason))
        .transpose()?;
    workspace.kinds.prepare_promotable();
    let tags = check_tags(request.tags)?;
    if request.targets.is_empty() && !request.all {
        return Err(PromoteError::NothingNamed);
    }
    git.require_identity()?;
    let target = Target::new(workspace, request.to)?;
    // From here on, the reason is the one checked: trimmed to its one line.
    let request = &PromoteRequest {
        skip_path: skip_path.as_deref(),
        ..request.clone()
    };
    publish::land_on(
        workspace,
        request.to,
        &target.refname,
        remote,
        |landing, tip| promote_on(workspace, request, &target, &tags, landing, tip),
    )
}

/// Plans, guards and lands a promotion on `tip`, the environment's tip where it
/// lands.
fn promote_on(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    target: &Target<'_>,
    tags: &[String],
    mut landing: Landing,
    tip: Option<Oid>,
) -> Result<PromoteOutcome, PromoteError> {
    let git = &workspace.git;
    let refname = target.refname.as_str();
    let section = target.section;
    let base = state_at(git, refname, tip)?;
    let skipping = request.skip_path.is_some();
    let sources = sources(request.to, section, request.from, skipping)?;
    let mut plans = Vec::new();
    if request.all {
        plans.extend(plan_all(workspace, request, &sources, &base, tags)?);
    }
    for text in request.targets {
        plans.push(plan_target(workspace, request, &sources, text, tags)?);
    }
    one_plan_per_package(plans.iter().map(|plan| plan.package.as_str()))?;
    if let Some(reason) = request.skip_path {
        let catalog = workspace.settings.catalog();
        for plan in &mut plans {
            if !step_allowed(section, catalog, &plan.from) {
                plan.override_reason = Some(reason.to_owned());
            }
        }
    }
    for plan in &plans {
        guard(workspace, request.to, section, plan)?;
    }
    verify_paths(workspace, request.to, &plans, None)?;
    if let Landing::Remote(remote) = &mut landing {
        remote.check_published(workspace, request.to, tip, &plans)?;
    }
    land(workspace, target, &plans, tip, &base, &landing)
}

/// Sets a package back to the object it held before its current one.
pub fn rollback(
    workspace: &Workspace,
    package: &str,
    environment: &str,
) -> Result<PromoteOutcome, PromoteError> {
    rollback_to(workspace, package, environment, None)
}

/// Rolls a package back in the environment on `remote`, as
/// [`promote_and_push`] promotes: built on the remote's tip, pushed, retried
/// while the package's entry is unchanged.
pub fn rollback_and_push(
    workspace: &Workspace,
    package: &str,
    environment: &str,
    remote: &str,
) -> Result<PromoteOutcome, PromoteError> {
    rollback_to(workspace, package, environment, Some(remote))
}

fn rollback_to(
    workspace: &Workspace,
    package: &str,
    environment: &str,
    remote: Option<&str>,
) -> Result<PromoteOutcome, PromoteError> {
    let git = &workspace.git;
    section(&workspace.settings, environment)?;
    names::check(package).map_err(PromoteError::BadPackage)?;
    workspace.kinds.prepare_promotable();
    git.require_identity()?;
    let target = Target::new(workspace, environment)?;
    publish::land_on(
        workspace,
        environment,
        &target.refname,
        remote,
        |landing, tip| rollback_on(workspace, package, &target, landing, tip),
    )
}

/// Plans, guards and lands a rollback on `tip`, the environment's tip where it
/// lands.
fn rollback_on(
    workspace: &Workspace,
    package: &str,
    target: &Target<'_>,
    mut landing: Landing,
    tip: Option<Oid>,
) -> Result<PromoteOutcome, PromoteError> {
    let git = &workspace.git;
    let (environment, refname) = (target.name, target.refname.as_str());
    let base = state_at(git, refname, tip)?;
    let not_held = || EnvError::NotHeld {
        package: package.to_owned(),
        environment: environment.to_owned(),
        at: None,
    };
    let current = base.packages.get(package).ok_or_else(not_held)?;
    let mut previous = None;
    for commit in standing_commits(git, tip) {
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
        .ok_or_else(|| not_an_env_commit(refname, &previous))?;
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
            place: format!("in {environment}'s commit {}", short_id(source_commit)),
            help: format!(
                "the environment's history was not written by berth; `git log --first-parent {refname}` shows it"
            ),
        })?;
    let previous_state = read_state(git, refname, &previous.info)?;
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
        override_reason: None,
    };
    guard(workspace, environment, target.section, &plan)?;
    verify_paths(
        workspace,
        environment,
        std::slice::from_ref(&plan),
        Some((previous.info.id, previous_state)),
    )?;
    if let Landing::Remote(remote) = &mut landing {
        remote.check_published(workspace, environment, tip, std::slice::from_ref(&plan))?;
    }
    land(
        workspace,
        target,
        std::slice::from_ref(&plan),
        tip,
        &base,
        &landing,
    )
}

/// A promotion sets each package once: two targets of one package (named twice,
/// or named and moved by `--all`) are refused rather than one silently winning.
fn one_plan_per_package<'p>(
    packages: impl IntoIterator<Item = &'p str>,
) -> Result<(), PromoteError> {
    let mut seen = HashSet::new();
    for package in packages {
        if !seen.insert(package) {
            return Err(PromoteError::DuplicatePackage {
                package: package.to_owned(),
            });
        }
    }
    Ok(())
}

fn state_at(git: &Git, refname: &str, tip: Option<Oid>) -> Result<State, EnvError> {
    match tip {
        Some(id) => read_state(git, refname, &git.commit(id)?),
        None => Ok(State::default()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::state::{Entry, State};

    /// A state holding `(package, object)` pairs.
    pub(super) fn state(held: &[(&str, &str)]) -> State {
        State {
            packages: held
                .iter()
                .map(|(package, object)| {
                    let entry = Entry {
                        object: (*object).to_owned(),
                        tags: Vec::new(),
                        references: Vec::new(),
                    };
                    ((*package).to_owned(), entry)
                })
                .collect(),
        }
    }

    /// A refusal in a line: its kind and the parts the promotion code writes.
    pub(super) fn refusal(error: &PromoteError) -> String {
        match error {
            PromoteError::PromotionPath { reason, help, .. } => format!("path: {reason}; {help}"),
            PromoteError::NoSource { reason, .. } => format!("no source: {reason}"),
            PromoteError::BadTag { tag, reason } => format!("bad tag `{tag}`: {reason}"),
            PromoteError::DuplicatePackage { package } => format!("twice: {package}"),
            PromoteError::Conflict {
                package,
                expected,
                found,
                ..
            } => format!("conflict on {package}: {expected}, now {found}"),
            PromoteError::InvalidObject { findings, .. } => {
                format!("invalid: {} errors", findings.len())
            }
            PromoteError::KeyNotAllowed { environment, .. } => {
                format!("key not allowed in {environment}")
            }
            PromoteError::NotReady { status, .. } => format!("not ready: {status}"),
            PromoteError::ReadyNotCommitted { file, catalog, .. } => {
                format!("not ready: {file} is not committed on {catalog}")
            }
            PromoteError::Failed { event, .. } => format!("failed at {}", event.at),
            PromoteError::Deprecated { event, .. } => {
                format!("{} at {}", event.status.as_str(), event.at)
            }
            PromoteError::ArtifactDeleted { at, .. } => format!("artifact deleted at {at}"),
            PromoteError::OverrideNotAllowed { environment } => {
                format!("no override into {environment}")
            }
            PromoteError::BadReason { problem } => format!("bad reason: {problem}"),
            other => format!("other: {other}"),
        }
    }

    #[test]
    fn a_promotion_sets_each_package_once() {
        let cases: [(&str, &[&str], Result<(), &str>); 4] = [
            ("nothing", &[], Ok(())),
            ("distinct packages", &["api", "web"], Ok(())),
            (
                "one package twice",
                &["api", "web", "api"],
                Err("twice: api"),
            ),
            (
                "the first repeat is named",
                &["a", "b", "b", "a"],
                Err("twice: b"),
            ),
        ];
        for (name, packages, expected) in cases {
            let got = one_plan_per_package(packages.iter().copied()).map_err(|e| refusal(&e));
            assert_eq!(got, expected.map_err(str::to_owned), "{name}");
        }
    }
}
