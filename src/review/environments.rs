//! The environments section: each environment's move from its commit before the
//! change to its commit after, with the audit of every entry that moved.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{
    EnvironmentReview, Held, Move, NotCompared, NotComparedReason, PathOverride, Previous,
    RepairMade, Review, Revision,
};
use super::{ReviewError, Reviewer};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::document;
use crate::env::audit::{EnvAt, audit_at, grown, rewritten};
use crate::env::log::{Action, EnvCommit, first_parents};
use crate::env::provenance::{Anchors, Override, Provenance};
use crate::env::pull_request::{EnvRevision, resolve_given};
use crate::env::query::{held_data, held_version, path_from};
use crate::env::state::State;
use crate::env::tip::{RemoteRead, Tip};
use crate::env::{EnvError, read_state};
use crate::kinds::Kinds;
use crate::repo::{GitError, Oid};
use crate::settings::{Settings, tracking_ref};
use crate::store::ObjectRef;

impl Reviewer<'_> {
    /// Each environment's commits before and after the change, in promotion order:
    /// named on the command line, else the remote-tracking ref and the local ref;
    /// and the environments that cannot be compared, with why.
    pub(super) fn env_pairs(
        &self,
        settings: &Settings,
    ) -> Result<(Vec<EnvPair>, Vec<NotCompared>), ReviewError> {
        let env_base = resolve_given(self.git, settings, self.request.env_base)?;
        let env_head = resolve_given(self.git, settings, self.request.env_head)?;
        let given = |list: &[EnvRevision], name: &str| {
            list.iter()
                .find(|given| given.environment == name)
                .map(|given| (given.revision.clone(), given.commit))
        };
        let has_remote = self.git.has_remote(self.request.remote);
        let mut pairs = Vec::new();
        let mut not_compared = Vec::new();
        for name in settings.environment_order() {
            if self.only.is_some_and(|only| only != name) {
                continue;
            }
            let refname = settings.env_ref(name);
            // After: the local ref, or in a clone without one the remote's copy,
            // as every reader decides (the same commit as before, then).
            let tip = Tip::locate_on(self.git, settings, self.request.remote, name)?;
            let mut remote_read = None;
            let after = match given(&env_head, name) {
                Some(after) => Some(after),
                None => {
                    remote_read = tip.remote_read();
                    let (read, commit) = tip.read();
                    commit.map(|id| (read.to_owned(), id))
                }
            };
            let tracking = tracking_ref(&refname, self.request.remote);
            let before = match given(&env_base, name) {
                Some(before) => Some(before),
                None => match &tracking {
                    Some(tracking) => self
                        .git
                        .ref_target(tracking)?
                        .map(|id| (tracking.clone(), id)),
                    None => None,
                },
            };
            // Named commits are compared whatever the remote holds; a local ref
            // alone is compared only with a remote that could hold it.
            let named = given(&env_base, name).is_some() || given(&env_head, name).is_some();
            let Some(after) = after.or_else(|| before.clone()) else {
                // Nothing of it here: with a remote, it may be there unfetched.
                if has_remote && tracking.is_some() {
                    not_compared.push(NotCompared {
                        environment: name.to_owned(),
                        reason: NotComparedReason::NoRef,
                        tracking_ref: tracking,
                    });
                }
                continue;
            };
            let compared = before.is_some() || named || (has_remote && tracking.is_some());
            if !compared {
                not_compared.push(NotCompared {
                    environment: name.to_owned(),
                    reason: NotComparedReason::NoRemoteTrackingRef,
                    tracking_ref: tracking,
                });
            }
            pairs.push(EnvPair {
                name: name.to_owned(),
                before,
                after,
                compared,
                remote_read,
            });
        }
        Ok((pairs, not_compared))
    }

    /// Adds every environment whose entries differ between its two commits, the
    /// environment findings about the entries that moved, and a note of the
    /// environments that could not be compared.
    pub(super) fn environments(
        &self,
        settings: &Settings,
        kinds: &Kinds,
        pairs: &[EnvPair],
        review: &mut Review,
    ) -> Result<(), ReviewError> {
        let mut anchors = Anchors::refs(self.git, settings)?;
        anchors.add_catalog(self.git, self.catalog)?;
        // Every environment as readers read it: the upstream ones of a pull
        // request into one are where its sources are found.
        for name in settings.environment_order() {
            let tip = Tip::locate_on(self.git, settings, self.request.remote, name)?;
            if let (_, Some(commit)) = tip.read() {
                anchors.add_environment(name, commit);
            }
        }
        for pair in pairs {
            anchors.add_environment(&pair.name, pair.after.1);
        }
        let mut provenance = Provenance::new(self.git, settings, anchors);
        review.notes.extend(
            pairs
                .iter()
                .filter_map(|pair| pair.remote_read.as_ref())
                .map(ToString::to_string),
        );
        for pair in pairs {
            let (name, base, head) = (pair.name.as_str(), pair.before.as_ref(), &pair.after);
            if !pair.compared {
                continue;
            }
            if base.is_some_and(|(_, id)| *id == head.1) {
                continue;
            }
            let environment = self.environment(kinds, &mut provenance, name, base, head)?;
            let at = EnvAt {
                name,
                refname: &head.0,
                tip: head.1,
            };
            let moved: BTreeSet<String> = environment
                .moves
                .iter()
                .filter(|m| m.to.is_some())
                .map(|m| m.package.clone())
                .collect();
            let mut found = audit_at(
                self.git,
                settings,
                kinds,
                &mut provenance,
                &at,
                Some(&moved),
            )?;
            if let (true, Some((revision, id))) = (environment.rewritten, base) {
                let base = EnvRevision {
                    environment: name.to_owned(),
                    revision: revision.clone(),
                    commit: *id,
                };
                found.extend(rewritten(settings, &at, &base));
            }
            let environment = with_problems(environment, &found);
            review.findings.extend(found);
            if !environment.moves.is_empty() {
                review.environments.push(environment);
            }
        }
        review.notes.extend(not_compared_notes(
            settings,
            self.request.remote,
            &review.not_compared,
        ));
        Ok(())
    }

    /// Each environment's state before the change, in promotion order, with its
    /// tree: the commit before, or the local ref of an environment that cannot be
    /// compared (the best knowledge there is).
    pub(super) fn states_before(
        &self,
        pairs: &[EnvPair],
    ) -> Result<Vec<(String, Oid, State)>, ReviewError> {
        let mut states = Vec::new();
        for pair in pairs {
            let before = match (&pair.before, pair.compared) {
                (Some(before), _) => before,
                (None, false) => &pair.after,
                (None, true) => continue,
            };
            let commit = self.git.commit(before.1)?;
            if let Ok(state) = read_state(self.git, &before.0, &commit) {
                states.push((pair.name.clone(), commit.tree, state));
            }
        }
        Ok(states)
    }

    /// What the first environment holding `package` held before the change, when
    /// it is an object of `store`: a new object of a kind without versions is
    /// compared with what it would replace.
    pub(super) fn held_before(
        &self,
        states: &[(String, Oid, State)],
        store: &str,
        package: &str,
    ) -> Result<Option<(Previous, Value)>, ReviewError> {
        let Some((name, tree, object)) = states
            .iter()
            .find_map(|(name, tree, state)| Some((name, *tree, state.object(package)?)))
        else {
            return Ok(None);
        };
        if object.store != store {
            return Ok(None);
        }
        let Some((file, data)) = held_data(self.git, tree, &object, package)? else {
            return Ok(None);
        };
        let previous = Previous {
            object: object.to_string(),
            file,
            version: None,
            held_by: Some(name.clone()),
        };
        Ok(Some((previous, data)))
    }

    /// One environment's moves from `base` to `head`.
    pub(super) fn environment(
        &self,
        kinds: &Kinds,
        provenance: &mut Provenance<'_>,
        name: &str,
        base: Option<&(String, Oid)>,
        head: &(String, Oid),
    ) -> Result<EnvironmentReview, ReviewError> {
        let git = self.git;
        let head_commit = git.commit(head.1)?;
        let after = read_state(git, &head.0, &head_commit)?;
        let (before, base_tree) = match base {
            Some((revision, id)) => {
                let commit = git.commit(*id)?;
                (read_state(git, revision, &commit)?, Some(commit.tree))
            }
            None => (State::default(), None),
        };
        let at = EnvAt {
            name,
            refname: &head.0,
            tip: head.1,
        };
        let rewritten = match base {
            Some((revision, id)) => {
                let base = EnvRevision {
                    environment: name.to_owned(),
                    revision: revision.clone(),
                    commit: *id,
                };
                !grown(git, &at, &base)?
            }
            None => false,
        };
        let packages: BTreeSet<&String> = before
            .packages
            .keys()
            .chain(after.packages.keys())
            .collect();
        let mut moves = Vec::new();
        let held =
            |state: &State, tree: Option<Oid>, package: &str| -> Result<Option<Held>, GitError> {
                let (Some(entry), Some(tree)) = (state.packages.get(package), tree) else {
                    return Ok(None);
                };
                let version = match entry.object.parse::<ObjectRef>() {
                    Ok(object) => held_version(git, kinds, tree, &object, package)?,
                    Err(_) => None,
                };
                Ok(Some(Held {
                    object: entry.object.clone(),
                    version,
                }))
            };
        let mut setters = self.setters(head.1, base.map(|(_, id)| *id), &after, &before)?;
        for package in packages {
            let object = |state: &State| state.packages.get(package).map(|e| e.object.clone());
            if object(&before) == object(&after) {
                continue;
            }
            let from = held(&before, base_tree, package)?;
            let to = held(&after, Some(head_commit.tree), package)?;
            let setter = setters.remove(package.as_str());
            let action = setter.as_ref().and_then(|commit| commit.action);
            // The path as far as it verifies: a step that does not is the last
            // shown, and the audit's finding says why.
            let (path, overridden) = match (setter, &to) {
                (Some(commit), Some(to)) => {
                    let path = path_from(provenance, name, package, commit, &to.object)?;
                    (path.steps, path.overridden.map(PathOverride::from))
                }
                _ => (Vec::new(), None),
            };
            moves.push(Move {
                package: package.clone(),
                from,
                to,
                action,
                path,
                allowed: true,
                overridden,
                problems: Vec::new(),
            });
        }
        let mut repairs = Vec::new();
        for commit in first_parents(git, Some(head.1)) {
            let commit = commit?;
            if Some(commit.on_log()) == base.map(|(_, id)| *id) {
                break;
            }
            if commit.action == Some(Action::Repair) {
                repairs.push(RepairMade {
                    commit: commit.info.id.to_string(),
                    reason: commit.reason.clone().unwrap_or_default(),
                    repairs: commit.repairs.iter().map(ToString::to_string).collect(),
                });
            }
        }
        Ok(EnvironmentReview {
            environment: name.to_owned(),
            base: base.map(|(revision, id)| Revision {
                revision: revision.clone(),
                commit: id.to_string(),
            }),
            head: Revision {
                revision: head.0.clone(),
                commit: head.1.to_string(),
            },
            rewritten,
            moves,
            repairs,
        })
    }

    /// The berth commit that last set each package whose entry differs, walking the
    /// head's first parents back to the base commit.
    pub(super) fn setters(
        &self,
        head: Oid,
        base: Option<Oid>,
        after: &State,
        before: &State,
    ) -> Result<BTreeMap<String, EnvCommit>, EnvError> {
        let mut pending: BTreeSet<&str> = after
            .packages
            .iter()
            .filter(|(package, entry)| before.packages.get(*package) != Some(*entry))
            .map(|(package, _)| package.as_str())
            .collect();
        let mut found = BTreeMap::new();
        for commit in first_parents(self.git, Some(head)) {
            if pending.is_empty() {
                break;
            }
            let commit = commit?;
            if Some(commit.info.id) == base {
                break;
            }
            if let Some(package) = commit.package.clone()
                && matches!(commit.action, Some(Action::Promote | Action::Rollback))
                && pending.remove(package.as_str())
            {
                found.insert(package, commit);
            }
        }
        Ok(found)
    }
}

/// An environment's commits before and after the change.
pub(super) struct EnvPair {
    pub(super) name: String,
    /// Before: how findings name it, and the commit; `None` when it had none.
    pub(super) before: Option<(String, Oid)>,
    /// After (the same commit when nothing names a newer one).
    pub(super) after: (String, Oid),
    /// Whether the two can be compared: false for a local ref with no remote to
    /// hold what it was before.
    pub(super) compared: bool,
    /// The remote-tracking ref read as the commit after, since this clone has
    /// no ref of its own for the environment.
    pub(super) remote_read: Option<RemoteRead>,
}

/// The sentences that say which environments were not compared and why, one per
/// reason.
fn not_compared_notes(settings: &Settings, remote: &str, list: &[NotCompared]) -> Vec<String> {
    let names = |reason: NotComparedReason| -> Vec<&str> {
        list.iter()
            .filter(|entry| entry.reason == reason)
            .map(|entry| entry.environment.as_str())
            .collect()
    };
    let mut notes = Vec::new();
    let local_only = names(NotComparedReason::NoRemoteTrackingRef);
    if !local_only.is_empty() {
        notes.push(format!(
            "not compared: {} (no `{remote}` remote-tracking ref to compare the local ref with; name the commits with --env-base and --env-head)",
            local_only.join(", ")
        ));
    }
    let absent = names(NotComparedReason::NoRef);
    if !absent.is_empty() {
        let own = settings.env_ref("*");
        let fetch = tracking_ref(&own, remote)
            .map(|tracking| format!("; fetch them with `git fetch {remote} '+{own}:{tracking}'`"))
            .unwrap_or_default();
        notes.push(format!(
            "not compared: {} (no local or `{remote}` remote-tracking ref here: not fetched, or never opened{fetch})",
            absent.join(", ")
        ));
    }
    notes
}

/// Marks each move with the environment findings about its entry.
fn with_problems(mut review: EnvironmentReview, findings: &[Finding]) -> EnvironmentReview {
    for entry in &mut review.moves {
        let mut pointer = "/packages".to_owned();
        document::push_segment(&mut pointer, &entry.package);
        for finding in findings {
            if finding.pointer.as_deref() != Some(pointer.as_str()) {
                continue;
            }
            if matches!(
                finding.code,
                Code::PromotionPath
                    | Code::UnsignedPromotion
                    | Code::BadSignature
                    | Code::SignerNotAllowed
            ) && finding.is_error()
            {
                entry.allowed = false;
            }
            entry.problems.push(finding.message.clone());
        }
    }
    review
}

impl From<Override> for PathOverride {
    fn from(overridden: Override) -> PathOverride {
        PathOverride {
            environment: overridden.environment,
            commit: overridden.commit.to_string(),
            from: overridden.from,
            reason: overridden.reason,
        }
    }
}
