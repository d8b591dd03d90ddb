//! Reading environments: lineage, history, status, what promoting would change,
//! and the object a package holds, now or as of a time. Derived only from commits,
//! their parents, their trailers and their trees.

use std::collections::{BTreeSet, HashMap};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::log::{Action, EnvCommit, first_parents, standing_commits};
use super::objects::{Finder, Located};
use super::provenance::{Anchors, Break, Override, Provenance, Source, state_of};
use super::state::STATE_FILE;
use super::tip::{RemoteRead, Standing, Tip, log_ahead_behind, standing};
use super::{EnvError, EnvView, PackageAt, Unverified, person, section, time_of, view, view_of};
use crate::kinds::event::Event;
use crate::kinds::{Kinds, version_of};
use crate::objects::lookup::ShownObject;
use crate::repo::{Git, GitError, Oid};
use crate::settings::Settings;
use crate::signers::Signer;
use crate::store::{Object, ObjectRef};
use crate::workspace::Workspace;

/// One step of a lineage.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LineageStep {
    /// The environment, or the catalog branch for the last step.
    pub environment: String,
    /// The commit.
    pub commit: String,
    /// `promote` or `rollback`; null for the catalog commit.
    pub action: Option<Action>,
    /// The object: `<store>/<hash>`.
    pub object: String,
    /// When the commit was made (RFC 3339).
    pub time: String,
    /// Who made it: `Name <email>`.
    pub author: String,
    /// Who signed it, when its signature verifies with a key the environment's
    /// allowed-signers file allows; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
}

/// The path a package's object took to an environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Lineage {
    /// The package.
    pub package: String,
    /// The environment asked about.
    pub environment: String,
    /// From the environment back to the catalog commit that added the object's file.
    pub steps: Vec<LineageStep>,
    /// The environments read from the remote's copy, since this clone has no
    /// ref of its own for them: the one asked about, and those whose tips place
    /// the path's steps.
    pub read_from_remote: Vec<RemoteRead>,
}

/// Walks from the newest commit of the environment that set the package, along
/// second parents, to the catalog commit that added the object.
///
/// Every step is verified, not read off the trailers (see [`super::provenance`]):
/// a path that cannot be verified is refused with [`EnvError::Unverified`] rather
/// than shown with a catalog origin nobody can vouch for.
pub fn lineage(workspace: &Workspace, target: &PackageAt) -> Result<Lineage, EnvError> {
    let git = &workspace.git;
    let settings = &workspace.settings;
    section(settings, &target.environment)?;
    let tips = Tip::locate_all(git, settings)?;
    let tip = tips
        .iter()
        .find(|tip| tip.name == target.environment)
        .cloned()
        .map_or_else(|| Tip::locate(git, settings, &target.environment), Ok)?;
    let view = view_of(git, &tip, None)?;
    let not_held = || EnvError::NotHeld {
        package: target.package.clone(),
        environment: target.environment.clone(),
        at: None,
    };
    let object = view
        .state
        .packages
        .get(&target.package)
        .map(|entry| entry.object.clone())
        .ok_or_else(not_held)?;
    let current = newest_setting(git, &view, &target.package)?.ok_or_else(|| {
        EnvError::Unverified(Box::new(Unverified {
            package: target.package.clone(),
            environment: target.environment.clone(),
            commit: view
                .commit
                .as_ref()
                .map(|c| c.id.to_string())
                .unwrap_or_default(),
            reason: format!(
                "no promotion or rollback in {}'s log set it",
                target.environment
            ),
        }))
    })?;
    let mut provenance = Provenance::new(git, settings, Anchors::tips(git, settings, &tips)?);
    let path = path_from(
        &mut provenance,
        &target.environment,
        &target.package,
        current,
        &object,
    )?;
    // A step berth.toml does not allow is still a real step, and shown as one
    // (`berth check` reports it); a claim that does not hold ends the path short
    // of the catalog, and nothing is shown.
    if let (false, Some(broken)) = (path.complete, path.broken) {
        return Err(EnvError::Unverified(Box::new(Unverified {
            package: target.package.clone(),
            environment: target.environment.clone(),
            commit: broken.commit.to_string(),
            reason: broken.reason,
        })));
    }
    Ok(Lineage {
        package: target.package.clone(),
        environment: target.environment.clone(),
        steps: path.steps,
        read_from_remote: tips.iter().filter_map(Tip::remote_read).collect(),
    })
}

/// A package's path back to the catalog, as far as it verifiably goes.
#[derive(Debug, Clone)]
pub struct Path {
    /// From the environment asked about towards the catalog: each step's commit
    /// verifiably holds the object.
    pub steps: Vec<LineageStep>,
    /// Whether the steps end at the catalog commit that holds the object's file.
    pub complete: bool,
    /// The first step that breaks a rule, if any: a claim that does not hold
    /// (then the path is not complete) or a step berth.toml does not allow.
    pub broken: Option<Break>,
    /// The first step that skipped the promotion path by an override berth.toml
    /// allows, on a path that verifies.
    pub overridden: Option<Override>,
}

/// The path a package's object took to `environment`, from the commit of that
/// environment that set it to `object`: along the verified sources, from
/// environment to environment, to the catalog commit at the end. Where the path
/// cannot be verified, the steps end at the commit at fault, and the break says
/// why.
pub fn path_from(
    provenance: &mut Provenance<'_>,
    environment: &str,
    package: &str,
    commit: EnvCommit,
    object: &str,
) -> Result<Path, EnvError> {
    let git = provenance.git();
    let catalog = provenance.catalog().to_owned();
    let verdict = provenance.verify(environment, &commit, package, object)?;
    let broken = verdict.broken.clone();
    let overridden = verdict.overridden.clone();
    let settings = provenance.settings();
    let mut steps = vec![step(git, settings, environment, &commit, commit.action)?];
    let mut source = verdict.source;
    let mut complete = false;
    // Each step shown is a real one: its commit verifiably holds the object
    // (whether berth.toml allows the step is what `broken` says). A path is
    // finite, since every source is an ancestor of the commit before it.
    while let Some(next) = source {
        match next {
            Source::Catalog(id) => {
                let info = git.commit(id)?;
                steps.push(LineageStep {
                    environment: catalog,
                    commit: id.to_string(),
                    action: None,
                    object: object.to_owned(),
                    time: time_of(&info.committed),
                    author: person(&info.author),
                    signer: None,
                });
                complete = true;
                break;
            }
            Source::Environment { name, commit } => {
                let setter = EnvCommit::read(git, commit)?;
                steps.push(step(git, settings, &name, &setter, setter.action)?);
                source = match provenance.verdict(&name, commit, package) {
                    Some(verdict) => verdict.source.clone(),
                    None => provenance.verify(&name, &setter, package, object)?.source,
                };
            }
        }
    }
    Ok(Path {
        steps,
        complete,
        broken,
        overridden,
    })
}

fn step(
    git: &Git,
    settings: &Settings,
    environment: &str,
    commit: &EnvCommit,
    action: Option<Action>,
) -> Result<LineageStep, GitError> {
    Ok(LineageStep {
        environment: environment.to_owned(),
        commit: commit.info.id.to_string(),
        action,
        object: commit.object.clone().unwrap_or_default(),
        time: time_of(&commit.info.committed),
        author: person(&commit.info.author),
        signer: signer(git, settings, environment, commit)?,
    })
}

/// Who signed an environment's commit, when its environment names an
/// allowed-signers file and the signature verifies with a key it allows.
fn signer(
    git: &Git,
    settings: &Settings,
    environment: &str,
    commit: &EnvCommit,
) -> Result<Option<Signer>, GitError> {
    let Some(signers) = settings.allowed_signers(environment) else {
        return Ok(None);
    };
    Ok(match super::signature::verify(git, signers, commit)? {
        super::signature::Signed::Good { signer } => Some(signer),
        _ => None,
    })
}

fn newest_setting(git: &Git, view: &EnvView, package: &str) -> Result<Option<EnvCommit>, EnvError> {
    for commit in standing_commits(git, view.commit.as_ref().map(|c| c.id)) {
        let commit = commit?;
        if commit.sets(package) {
            return Ok(Some(commit));
        }
    }
    Ok(None)
}

/// One promotion or rollback of a package.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HistoryEntry {
    /// The commit.
    pub commit: String,
    /// `promote`, `rollback` or `repair`; null for a commit berth did not make
    /// that changed the entry (by hand, or squash-merged), which `berth check`
    /// reports.
    pub action: Option<Action>,
    /// The object the package got; when `removed`, the object it had.
    pub object: String,
    /// Whether the commit removed the package (a repair of a package no
    /// verified commit set, or a commit made by hand).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// The object it had before, if any.
    pub previous: Option<String>,
    /// Where the object came from: an environment or the catalog branch.
    pub from: String,
    /// When (RFC 3339).
    pub time: String,
    /// Who: `Name <email>`.
    pub author: String,
    /// When the commit came by a hosting service's merge button: the merge
    /// commit on the environment's log, and who merged it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged: Option<MergedBy>,
    /// Who signed the commit, when its signature verifies with a key the
    /// environment's allowed-signers file allows; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
}

/// The merge commit that brought a berth commit onto an environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MergedBy {
    /// The merge commit.
    pub commit: String,
    /// Who merged: the merge commit's committer, `Name <email>`.
    pub by: String,
    /// When (RFC 3339).
    pub time: String,
}

impl MergedBy {
    fn of(commit: &EnvCommit) -> Option<MergedBy> {
        commit.merged.as_ref().map(|merge| MergedBy {
            commit: merge.id.to_string(),
            by: person(&merge.by),
            time: time_of(&merge.by),
        })
    }
}

/// A package's promotions and rollbacks in an environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct History {
    /// The package.
    pub package: String,
    /// The environment.
    pub environment: String,
    /// Newest first.
    pub entries: Vec<HistoryEntry>,
    /// The environment, when it was read from the remote's copy since this
    /// clone has no ref of its own for it.
    pub read_from_remote: Vec<RemoteRead>,
}

/// Lists a package's promotions and rollbacks in an environment, newest first.
pub fn history(workspace: &Workspace, target: &PackageAt) -> Result<History, EnvError> {
    let git = &workspace.git;
    let view = view(git, &workspace.settings, &target.environment, None)?;
    let mut entries: Vec<HistoryEntry> = Vec::new();
    for commit in first_parents(git, view.commit.as_ref().map(|c| c.id)) {
        let commit = commit?;
        let (object, removed) = if commit.sets(&target.package) {
            (commit.object.clone().unwrap_or_default(), false)
        } else if matches!(commit.action, None | Some(Action::Repair)) {
            // Read through what berth did not make, and what a repair restored.
            match set_by(git, &view.refname, &commit, &target.package)? {
                Some(change) => change,
                None => continue,
            }
        } else {
            continue;
        };
        entries.push(HistoryEntry {
            commit: commit.info.id.to_string(),
            action: commit.action,
            object,
            removed,
            previous: None,
            from: commit.from.clone().unwrap_or_default(),
            time: time_of(&commit.info.committed),
            author: person(&commit.info.author),
            merged: MergedBy::of(&commit),
            signer: signer(git, &workspace.settings, &target.environment, &commit)?,
        });
    }
    if entries.is_empty() {
        return Err(EnvError::NotHeld {
            package: target.package.clone(),
            environment: target.environment.clone(),
            at: None,
        });
    }
    let previous: Vec<_> = entries.iter().skip(1).map(|e| e.object.clone()).collect();
    for (entry, previous) in entries.iter_mut().zip(previous) {
        entry.previous = Some(previous);
    }
    Ok(History {
        package: target.package.clone(),
        environment: target.environment.clone(),
        entries,
        read_from_remote: view.remote_read.into_iter().collect(),
    })
}

/// How a commit changed `package`'s entry from its first parent's, if it did:
/// the object it set, or the one it removed (then `true`).
fn set_by(
    git: &Git,
    refname: &str,
    commit: &EnvCommit,
    package: &str,
) -> Result<Option<(String, bool)>, EnvError> {
    let after = state_of(git, refname, &commit.info)?
        .packages
        .remove(package);
    let before = match commit.first_parent()? {
        Some(parent) => state_of(git, refname, &git.commit(parent)?)?
            .packages
            .remove(package),
        None => None,
    };
    Ok(match (before, after) {
        (before, Some(after)) if before.as_ref() != Some(&after) => Some((after.object, false)),
        (Some(before), None) => Some((before.object, true)),
        _ => None,
    })
}

/// An upstream environment that holds another object for a package.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Drift {
    /// The upstream environment.
    pub environment: String,
    /// What it holds.
    pub object: String,
}

/// One package in one environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PackageStatus {
    /// The package.
    pub package: String,
    /// What the environment holds; null when only an upstream environment has it.
    pub object: Option<String>,
    /// The entry's tags.
    pub tags: Vec<String>,
    /// The object's version, when its kind has one.
    pub version: Option<String>,
    /// When the environment got the object (RFC 3339).
    pub since: Option<String>,
    /// The commit that set it.
    pub set_by: Option<String>,
    /// Upstream environments that hold something else: a promotion waiting, or a
    /// rollback here.
    pub drift: Vec<Drift>,
    /// The held object's derived status: `deployed`, unless its latest event in
    /// the working tree says failed, deprecated, archived or artifact-deleted.
    pub status: Option<crate::kinds::event::Derived>,
}

/// One environment.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvStatus {
    /// The environment.
    pub environment: String,
    /// The ref read: its own, or the remote-tracking ref when this clone has
    /// none of its own.
    #[serde(rename = "ref")]
    pub refname: String,
    /// The commit read; null if it had not been opened.
    pub commit: Option<String>,
    /// How its own ref stands against the remote's copy, at the tips now.
    pub remote: RemoteStatus,
    /// The environments it receives from.
    pub upstream: Vec<String>,
    /// Every package it or an upstream environment holds, by name.
    pub packages: Vec<PackageStatus>,
}

/// How an environment's own ref stands against the remote's copy.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RemoteStatus {
    /// The remote berth.toml shares through.
    pub remote: String,
    /// The remote-tracking ref; null for an environment outside `refs/heads/`.
    #[serde(rename = "ref")]
    pub refname: Option<String>,
    /// Where it points; null when it does not exist.
    pub commit: Option<String>,
    /// Up to date, ahead, behind, diverged, local only, remote only, not opened,
    /// or untracked (no remote-tracking ref can exist).
    pub standing: Standing,
    /// Commits of the local ref's log (its first parents: promotions and
    /// rollbacks) that the remote's copy lacks.
    pub ahead: usize,
    /// Commits of the remote's log that the local ref lacks.
    pub behind: usize,
}

/// Every environment, each after those it receives from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Status {
    /// The time asked about, if any (RFC 3339).
    pub at: Option<String>,
    /// The environments.
    pub environments: Vec<EnvStatus>,
    /// The environments read from the remote's copy, since this clone has no
    /// ref of its own for them.
    pub read_from_remote: Vec<RemoteRead>,
}

/// What every environment holds, now or as of a time.
pub fn status(workspace: &Workspace, at: Option<jiff::Timestamp>) -> Result<Status, EnvError> {
    let git = &workspace.git;
    let settings = &workspace.settings;
    let tips = Tip::locate_all(git, settings)?;
    let mut views: HashMap<&str, EnvView> = HashMap::new();
    let mut remotes: HashMap<&str, RemoteStatus> = HashMap::new();
    let has_remote = git.has_remote(settings.remote());
    for tip in &tips {
        views.insert(&tip.name, view_of(git, tip, at)?);
        remotes.insert(
            &tip.name,
            remote_status(git, settings.remote(), has_remote, tip)?,
        );
    }
    let mut environments = Vec::new();
    let mut events: HashMap<String, Vec<Object<Event>>> = HashMap::new();
    for name in settings.environment_order() {
        let Some(view) = views.get(name) else {
            continue;
        };
        let upstream: Vec<String> = settings
            .environment(name)
            .map(|section| section.from.clone())
            .unwrap_or_default();
        let mut packages: BTreeSet<&str> = view.state.packages.keys().map(String::as_str).collect();
        for source in &upstream {
            if let Some(source) = views.get(source.as_str()) {
                packages.extend(source.state.packages.keys().map(String::as_str));
            }
        }
        let since = set_times(git, view, packages.len())?;
        let mut rows = Vec::new();
        for package in packages {
            let entry = view.state.packages.get(package);
            let object = entry.map(|e| e.object.clone());
            let drift = upstream
                .iter()
                .filter_map(|source| {
                    let held = views.get(source.as_str())?.state.packages.get(package)?;
                    (Some(&held.object) != object.as_ref()).then(|| Drift {
                        environment: source.clone(),
                        object: held.object.clone(),
                    })
                })
                .collect();
            let version = match (&view.commit, view.state.object(package)) {
                (Some(commit), Some(object)) => version(workspace, commit.tree, &object, package)?,
                _ => None,
            };
            let set = since.get(package);
            let status = match &object {
                Some(object) => {
                    if !events.contains_key(package) {
                        let found = crate::kinds::event::events_of(&workspace.tree, package)
                            .map_err(|error| EnvError::Events(Box::new(error)))?;
                        events.insert(package.to_owned(), found);
                    }
                    let latest = crate::kinds::event::latest(
                        events.get(package).into_iter().flatten(),
                        object,
                    );
                    Some(crate::kinds::event::Derived::of(latest.as_ref(), true))
                }
                None => None,
            };
            rows.push(PackageStatus {
                package: package.to_owned(),
                object,
                tags: entry.map(|e| e.tags.clone()).unwrap_or_default(),
                version,
                since: set.map(|(time, _)| time.clone()),
                set_by: set.map(|(_, commit)| commit.to_string()),
                drift,
                status,
            });
        }
        let Some(remote) = remotes.remove(name) else {
            continue;
        };
        environments.push(EnvStatus {
            environment: name.to_owned(),
            refname: view.refname.clone(),
            commit: view.commit.as_ref().map(|c| c.id.to_string()),
            remote,
            upstream,
            packages: rows,
        });
    }
    Ok(Status {
        at: at.map(|t| t.to_string()),
        environments,
        read_from_remote: tips.iter().filter_map(Tip::remote_read).collect(),
    })
}

/// How an environment's own ref stands against the remote's copy.
fn remote_status(
    git: &Git,
    remote: &str,
    has_remote: bool,
    tip: &Tip,
) -> Result<RemoteStatus, EnvError> {
    let trackable = has_remote && tip.tracking_ref.is_some();
    let (standing, ahead, behind) = standing(trackable, tip.local, tip.tracking, |one, other| {
        log_ahead_behind(git, one, other)
    })?;
    Ok(RemoteStatus {
        remote: remote.to_owned(),
        refname: tip.tracking_ref.clone(),
        commit: tip.tracking.map(|id| id.to_string()),
        standing,
        ahead,
        behind,
    })
}

/// When each package's current entry was set, walking back only until all are
/// found.
fn set_times(
    git: &Git,
    view: &EnvView,
    wanted: usize,
) -> Result<HashMap<String, (String, Oid)>, EnvError> {
    let mut found: HashMap<String, (String, Oid)> = HashMap::new();
    let held = view.state.packages.len().min(wanted);
    for commit in first_parents(git, view.commit.as_ref().map(|c| c.id)) {
        if found.len() >= held {
            break;
        }
        let commit = commit?;
        if let (Some(Action::Promote | Action::Rollback), Some(package)) =
            (commit.action, &commit.package)
            && view.state.packages.contains_key(package)
            && !found.contains_key(package)
        {
            found.insert(
                package.clone(),
                (time_of(&commit.info.committed), commit.info.id),
            );
        }
    }
    Ok(found)
}

fn version(
    workspace: &Workspace,
    tree: Oid,
    object: &ObjectRef,
    package: &str,
) -> Result<Option<String>, EnvError> {
    Ok(held_version(
        &workspace.git,
        &workspace.kinds,
        tree,
        object,
        package,
    )?)
}

/// An object an environment's tree holds for a package: its file and data (`None`
/// when the tree lacks it or it does not parse).
pub fn held_data(
    git: &Git,
    tree: Oid,
    object: &ObjectRef,
    package: &str,
) -> Result<Option<(String, Value)>, GitError> {
    let finder = Finder::new(git, tree);
    let Some(located) = finder.locate(object, Some(package))? else {
        return Ok(None);
    };
    Ok(finder
        .data(&located)?
        .map(|data| (located.path.path(), data)))
}

/// The version of an object an environment's tree holds for a package, when its
/// kind has versions.
pub fn held_version(
    git: &Git,
    kinds: &Kinds,
    tree: Oid,
    object: &ObjectRef,
    package: &str,
) -> Result<Option<String>, GitError> {
    let Some(kind) = kinds.held(&object.store) else {
        return Ok(None);
    };
    if kind.version_pointer().is_none() {
        return Ok(None);
    }
    let finder = Finder::new(git, tree);
    let Some(located) = finder.locate(object, Some(package))? else {
        return Ok(None);
    };
    Ok(finder
        .data(&located)?
        .and_then(|data| version_of(kind.as_ref(), &data)))
}

/// What promoting would do to one package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// The target does not hold the package yet.
    Added,
    /// The target holds another object.
    Changed,
    /// Both hold the same object.
    Unchanged,
    /// Only the target holds the package; promoting leaves it alone.
    Kept,
}

/// One package in a comparison of two environments.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DiffEntry {
    /// The package.
    pub package: String,
    /// What promoting would do.
    pub change: Change,
    /// What the source environment holds.
    pub from_object: Option<String>,
    /// What the target environment holds.
    pub to_object: Option<String>,
}

/// What promoting everything from one environment to another would change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvDiff {
    /// The source environment.
    pub from: String,
    /// The target environment.
    pub to: String,
    /// Every package either holds, by name.
    pub changes: Vec<DiffEntry>,
    /// The environments read from the remote's copy, since this clone has no
    /// ref of its own for them.
    pub read_from_remote: Vec<RemoteRead>,
}

impl EnvDiff {
    /// Whether promoting would change anything.
    pub fn is_empty(&self) -> bool {
        self.changes
            .iter()
            .all(|entry| matches!(entry.change, Change::Unchanged | Change::Kept))
    }
}

/// Compares two environments: what `berth promote --all --from <from> --to <to>`
/// would change.
pub fn diff(workspace: &Workspace, from: &str, to: &str) -> Result<EnvDiff, EnvError> {
    let git = &workspace.git;
    let source = view(git, &workspace.settings, from, None)?;
    let target = view(git, &workspace.settings, to, None)?;
    let packages: BTreeSet<&String> = source
        .state
        .packages
        .keys()
        .chain(target.state.packages.keys())
        .collect();
    let changes = packages
        .into_iter()
        .map(|package| {
            let from_object = source.state.packages.get(package).map(|e| e.object.clone());
            let to_object = target.state.packages.get(package).map(|e| e.object.clone());
            let change = match (&from_object, &to_object) {
                (None, _) => Change::Kept,
                (Some(_), None) => Change::Added,
                (Some(a), Some(b)) if a == b => Change::Unchanged,
                _ => Change::Changed,
            };
            DiffEntry {
                package: package.clone(),
                change,
                from_object,
                to_object,
            }
        })
        .collect();
    let read_from_remote = [&source, &target]
        .into_iter()
        .filter_map(|view| view.remote_read.clone())
        .fold(Vec::new(), |mut reads: Vec<RemoteRead>, read| {
            if !reads.contains(&read) {
                reads.push(read);
            }
            reads
        });
    Ok(EnvDiff {
        from: from.to_owned(),
        to: to.to_owned(),
        changes,
        read_from_remote,
    })
}

/// The object an environment holds for a package, read from the environment's own
/// tree, now or as of a time.
pub fn show_held(
    workspace: &Workspace,
    target: &PackageAt,
    at: Option<jiff::Timestamp>,
) -> Result<ShownObject, EnvError> {
    let git = &workspace.git;
    let view = view(git, &workspace.settings, &target.environment, at)?;
    let not_held = || EnvError::NotHeld {
        package: target.package.clone(),
        environment: target.environment.clone(),
        at: at.map(|t| t.to_string()),
    };
    let (Some(commit), Some(entry)) = (&view.commit, view.state.packages.get(&target.package))
    else {
        return Err(not_held());
    };
    let object: ObjectRef = entry.object.parse().map_err(|_| not_held())?;
    let finder = Finder::new(git, commit.tree);
    let located: Located = finder
        .locate(&object, Some(&target.package))?
        .ok_or_else(|| {
            EnvError::bad_state(
                &view.refname,
                commit.id,
                format!(
                    "{STATE_FILE} names {object} for `{}`, but the commit's tree does not hold it",
                    target.package
                ),
                (STATE_FILE, view.state.to_toml()),
                None,
            )
        })?;
    let bytes = git.blob(located.blob)?;
    let path = located.path.path();
    let data = crate::store::read_object(&path, &bytes, located.path.format)
        .map_or(Value::Null, |(data, _)| data);
    let findings = finder.check(&workspace.settings, &workspace.kinds, &located)?;
    Ok(ShownObject {
        object: object.to_string(),
        store: object.store.clone(),
        partition: located.path.partition.clone(),
        hash: object.hash.to_hex(),
        path,
        format: located.path.format,
        tags: entry.tags.clone(),
        data,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        findings,
        environment: Some(target.environment.clone()),
        commit: Some(commit.id.to_string()),
        read_from_remote: view.remote_read.clone().into_iter().collect(),
        lifecycle: None,
    })
}
