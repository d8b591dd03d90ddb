//! `berth repair`: one new commit on an environment that restores what commits
//! berth cannot verify (made by hand, forged, squash- or rebase-merged) changed.
//!
//! The environment's log is replayed from its root: an entry is what the newest
//! commit that verifies (a promotion or rollback whose trailers match its state
//! and whose path verifies, see [`crate::env::provenance`]) set it to; a commit
//! that changed entries and does not verify is repaired, unless an earlier
//! repair already lists it. The repair commit holds exactly those entries, each
//! object's files taken from the commit that set it, and names the commits it
//! repairs (`Berth-Repairs`) and why (`Berth-Reason`). Its only parent is the
//! tip: nothing is rewritten or force-pushed, and the history keeps what
//! happened. The audit then walks past the repaired commits to the verified
//! ones (reporting each as `env-repaired`) and verifies every entry as before.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::guard::one_line_reason;
use super::land::{ATTEMPTS, backoff};
use super::publish::{Attempt, Landing, Outcome, land_on};
use super::{PromoteError, Target};
use crate::env::log::{self, ACTION, Action, EnvCommit, REASON, REPAIRS, Repaired, first_parents};
use crate::env::objects::Finder;
use crate::env::provenance::{Anchors, Provenance, changed, state_of};
use crate::env::section;
use crate::env::state::{Entry, STATE_FILE, State};
use crate::env::tip::Tip;
use crate::repo::{CommitError, Oid, TreeChange};
use crate::store::ObjectRef;
use crate::workspace::Workspace;

/// A commit a repair restored.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RepairedCommit {
    /// The commit, as the environment's first-parent log has it (a merge
    /// commit for what a merge button brought).
    pub commit: String,
    /// Its subject line.
    pub subject: String,
}

/// An entry a repair changed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Restored {
    /// The package.
    pub package: String,
    /// What the environment held for it before the repair; null if nothing.
    pub was: Option<String>,
    /// What it holds now: the object the last verified commit set; null when
    /// no verified commit set the package, so the repair removed it.
    pub now: Option<String>,
}

/// What `berth repair` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RepairOutcome {
    /// The environment.
    pub environment: String,
    /// Its ref.
    #[serde(rename = "ref")]
    pub refname: String,
    /// The tip before.
    pub previous_tip: Option<String>,
    /// The tip now.
    pub tip: Option<String>,
    /// The repair commit; null when nothing needed repairing.
    pub commit: Option<String>,
    /// The commits repaired, newest first.
    pub repairs: Vec<RepairedCommit>,
    /// The entries the repair changed.
    pub restored: Vec<Restored>,
    /// Why, as given.
    pub reason: String,
    /// The remote the environment was pushed to, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed_to: Option<String>,
}

impl Outcome for RepairOutcome {
    fn moved_nothing(&self) -> bool {
        self.commit.is_none()
    }
}

/// Repairs `environment` (see the module's documentation), on the local ref, or
/// on `remote`'s ref and pushed there without force.
pub fn repair(
    workspace: &Workspace,
    environment: &str,
    reason: &str,
    remote: Option<&str>,
) -> Result<RepairOutcome, PromoteError> {
    section(&workspace.settings, environment)?;
    let reason = one_line_reason(reason)?;
    let reason = reason.as_str();
    workspace.git.require_identity()?;
    let target = Target::new(workspace, environment)?;
    land_on(
        workspace,
        environment,
        &target.refname,
        remote,
        |landing, tip| repair_on(workspace, &target, reason, &landing, tip),
    )
}

/// Builds the repair on `tip` and lands it, built again on the new tip when
/// another writer moved the ref first.
fn repair_on(
    workspace: &Workspace,
    target: &Target<'_>,
    reason: &str,
    landing: &Landing,
    tip: Option<Oid>,
) -> Result<RepairOutcome, PromoteError> {
    let git = &workspace.git;
    let (environment, refname) = (target.name, target.refname.as_str());
    let pushed_to = match landing {
        Landing::Local => None,
        Landing::Remote(remote) => Some(remote.name.clone()),
    };
    let mut tip = tip;
    for attempt in 0..ATTEMPTS {
        let Some(at) = tip else {
            return Ok(unmoved(environment, refname, reason, None, pushed_to));
        };
        let built = build(workspace, target, reason, at)?;
        let Some(head) = built.head else {
            if let Landing::Remote(remote) = landing {
                remote.follow(workspace, refname, at)?;
            }
            return Ok(unmoved(environment, refname, reason, Some(at), pushed_to));
        };
        let attempted = match landing {
            Landing::Local => {
                match git.move_ref(refname, Some(at), head, &format!("repair {environment}")) {
                    Ok(()) => Attempt::Landed,
                    Err(CommitError::Conflict { .. }) => Attempt::Moved(git.ref_target(refname)?),
                    Err(error) => return Err(error.into()),
                }
            }
            Landing::Remote(remote) => remote.push(workspace, refname, head, attempt)?,
        };
        match attempted {
            Attempt::Landed => {
                return Ok(RepairOutcome {
                    environment: environment.to_owned(),
                    refname: refname.to_owned(),
                    previous_tip: Some(at.to_string()),
                    tip: Some(head.to_string()),
                    commit: Some(head.to_string()),
                    repairs: built.repairs,
                    restored: built.restored,
                    reason: reason.to_owned(),
                    pushed_to,
                });
            }
            Attempt::SourceMoved(from) => {
                return Err(PromoteError::SourceMoved {
                    environment: environment.to_owned(),
                    from,
                    remote: pushed_to.unwrap_or_default(),
                });
            }
            Attempt::Moved(moved) => {
                if let Landing::Local = landing {
                    backoff(attempt);
                }
                tip = moved;
            }
        }
    }
    Err(PromoteError::Contended {
        environment: environment.to_owned(),
        attempts: ATTEMPTS,
    })
}

fn unmoved(
    environment: &str,
    refname: &str,
    reason: &str,
    tip: Option<Oid>,
    pushed_to: Option<String>,
) -> RepairOutcome {
    RepairOutcome {
        environment: environment.to_owned(),
        refname: refname.to_owned(),
        previous_tip: tip.map(|id| id.to_string()),
        tip: tip.map(|id| id.to_string()),
        commit: None,
        repairs: Vec::new(),
        restored: Vec::new(),
        reason: reason.to_owned(),
        pushed_to,
    }
}

/// A repair built on a tip, not yet on the ref: no commit when nothing needs
/// repairing.
struct Built {
    head: Option<Oid>,
    repairs: Vec<RepairedCommit>,
    restored: Vec<Restored>,
}

/// An entry as the verified commit that set it has it, and that commit's tree,
/// which holds the object's files.
struct Verified {
    entry: Entry,
    tree: Oid,
}

fn build(
    workspace: &Workspace,
    target: &Target<'_>,
    reason: &str,
    tip: Oid,
) -> Result<Built, PromoteError> {
    let git = &workspace.git;
    let (environment, refname) = (target.name, target.refname.as_str());
    let settings = &workspace.settings;
    let tips = Tip::locate_all(git, settings)?;
    let mut provenance = Provenance::new(git, settings, Anchors::tips(git, settings, &tips)?);
    let log: Vec<EnvCommit> = first_parents(git, Some(tip)).collect::<Result<_, _>>()?;
    let mut earlier = Repaired::default();
    for commit in &log {
        earlier.note(commit);
    }
    let mut verified: BTreeMap<String, Verified> = BTreeMap::new();
    // Each commit that does not verify, with the packages it changed that no
    // verified commit has set since: it needs repairing while any is left.
    let mut unverified: Vec<(&EnvCommit, Vec<String>)> = Vec::new();
    for commit in log.iter().rev() {
        if commit.action == Some(Action::Repair) {
            continue;
        }
        let changes = changed(git, refname, commit)?;
        let state = state_of(git, refname, &commit.info)?;
        let set = match commit.action {
            Some(Action::Promote | Action::Rollback) => {
                let package = commit.package.as_deref().unwrap_or_default();
                let object = commit.object.as_deref().unwrap_or_default();
                let holds = state
                    .packages
                    .get(package)
                    .map(|entry| entry.object.as_str());
                let only = changes.iter().all(|changed| changed == package);
                let mut path_holds = || -> Result<bool, PromoteError> {
                    let verdict = provenance.verify(environment, commit, package, object)?;
                    // A break further up the path is that environment's to repair.
                    Ok(verdict.broken.is_none_or(|broken| {
                        broken.environment != environment || broken.commit != commit.info.id
                    }))
                };
                (only && holds == Some(object) && path_holds()?).then_some(package)
            }
            Some(Action::Open) | None if changes.is_empty() => continue,
            _ => None,
        };
        match set {
            Some(package) => {
                for (_, packages) in &mut unverified {
                    packages.retain(|changed| changed != package);
                }
                if let Some(entry) = state.packages.get(package) {
                    let tree = commit.info.tree;
                    let entry = entry.clone();
                    verified.insert(package.to_owned(), Verified { entry, tree });
                }
            }
            None if earlier.of(commit).is_none() => unverified.push((commit, changes)),
            None => {}
        }
    }
    let mut repairs: Vec<EnvCommit> = unverified
        .into_iter()
        .filter(|(_, packages)| !packages.is_empty())
        .map(|(commit, _)| commit.clone())
        .collect();
    let tip_state = state_of(git, refname, &git.commit(tip)?)?;
    let state = State {
        packages: verified
            .iter()
            .map(|(package, verified)| (package.clone(), verified.entry.clone()))
            .collect(),
    };
    let restored = restored(&tip_state, &state);
    if repairs.is_empty() {
        return Ok(Built {
            head: None,
            repairs: Vec::new(),
            restored: Vec::new(),
        });
    }
    let mut changes = vec![TreeChange::Upsert {
        path: STATE_FILE.to_owned(),
        blob: git.write_blob(state.to_toml().as_bytes())?,
    }];
    for (package, verified) in &verified {
        let finder = Finder::new(git, verified.tree);
        let Ok(object) = verified.entry.object.parse::<ObjectRef>() else {
            continue;
        };
        if let Some(located) = finder.locate(&object, Some(package))? {
            for file in finder.closure(&workspace.kinds, located)? {
                changes.push(TreeChange::Upsert {
                    path: file.path.path(),
                    blob: file.blob,
                });
            }
        }
    }
    let tree = git.update_tree(None, &changes)?;
    repairs.reverse();
    let ids: Vec<String> = repairs.iter().map(|c| c.on_log().to_string()).collect();
    let noun = if repairs.len() == 1 {
        "commit"
    } else {
        "commits"
    };
    let ids = ids.join(" ");
    let message = log::message(
        &format!(
            "repair {environment}: {} {noun} berth cannot verify",
            repairs.len()
        ),
        &[
            (ACTION, Action::Repair.as_str()),
            (REPAIRS, &ids),
            (REASON, reason),
        ],
    );
    let head = git.write_commit(tree, &[tip], &message, target.signing.as_ref())?;
    Ok(Built {
        head: Some(head),
        repairs: repairs
            .iter()
            .map(|commit| RepairedCommit {
                commit: commit.on_log().to_string(),
                subject: commit.subject().to_owned(),
            })
            .collect(),
        restored,
    })
}

/// The entries whose object differs between two states.
fn restored(before: &State, after: &State) -> Vec<Restored> {
    let object = |state: &State, package: &str| {
        state
            .packages
            .get(package)
            .map(|entry| entry.object.clone())
    };
    let mut packages: Vec<&String> = before
        .packages
        .keys()
        .chain(after.packages.keys())
        .collect();
    packages.sort();
    packages.dedup();
    packages
        .into_iter()
        .filter_map(|package| {
            let was = object(before, package);
            let now = object(after, package);
            (was != now).then(|| Restored {
                package: package.clone(),
                was,
                now,
            })
        })
        .collect()
}
