//! Landing: the commits built on the tip that was read, and the ref moved by
//! compare-and-swap, rebuilt and retried when another writer moved it first.

use std::collections::HashSet;

use super::publish::{Attempt, Landing};
use super::{Plan, PromoteError, PromoteOutcome, Promotion, Target, Unchanged, state_at};
use crate::env::log::{self, ACTION, Action, FROM, OBJECT, OVERRIDE, PACKAGE};
use crate::env::objects::Finder;
use crate::env::state::{Entry, STATE_FILE, State};
use crate::repo::{CommitError, GitError, Oid, TreeChange};
use crate::store::ObjectRef;
use crate::workspace::Workspace;

/// How many times a promotion is rebuilt on a tip that moved before giving up.
pub(super) const ATTEMPTS: u32 = 8;

/// How many times a pushed promotion is rebuilt on a remote tip that moved: more
/// than locally, since many machines may push to one environment at once.
const REMOTE_ATTEMPTS: u32 = 24;

/// The commits built on one tip, not yet on the ref.
struct Built {
    head: Oid,
    opened: bool,
    promotions: Vec<Promotion>,
    unchanged: Vec<Unchanged>,
}

/// Builds the commits on the tip, moves the ref (or pushes it, and then moves the
/// local one), and on a race rebuilds on the new tip while the promoted packages'
/// entries are as they were read.
pub(super) fn land(
    workspace: &Workspace,
    target: &Target<'_>,
    plans: &[Plan],
    tip: Option<Oid>,
    base: &State,
    landing: &Landing,
) -> Result<PromoteOutcome, PromoteError> {
    let git = &workspace.git;
    let (environment, refname) = (target.name, target.refname.as_str());
    let pushed_to = match landing {
        Landing::Local => None,
        Landing::Remote(remote) => Some(remote.name.clone()),
    };
    let attempts = match landing {
        Landing::Local => ATTEMPTS,
        Landing::Remote(_) => REMOTE_ATTEMPTS,
    };
    let unmoved = |tip: Option<Oid>| PromoteOutcome {
        environment: environment.to_owned(),
        refname: refname.to_owned(),
        previous_tip: tip.map(|id| id.to_string()),
        tip: tip.map(|id| id.to_string()),
        opened: false,
        promotions: Vec::new(),
        unchanged: Vec::new(),
        retries: 0,
        pushed_to: pushed_to.clone(),
    };
    if plans.is_empty() {
        if let (Landing::Remote(remote), Some(tip)) = (landing, tip) {
            remote.follow(workspace, refname, tip)?;
        }
        return Ok(unmoved(tip));
    }
    let mut tip = tip;
    let mut current = base.clone();
    for attempt in 0..attempts {
        let built = build(workspace, target, plans, tip, &current)?;
        let outcome = |built: Built, new_tip: Option<Oid>| PromoteOutcome {
            environment: environment.to_owned(),
            refname: refname.to_owned(),
            previous_tip: tip.map(|id| id.to_string()),
            tip: new_tip.map(|id| id.to_string()),
            opened: built.opened,
            promotions: built.promotions,
            unchanged: built.unchanged,
            retries: attempt,
            pushed_to: pushed_to.clone(),
        };
        if built.promotions.is_empty() {
            if let (Landing::Remote(remote), Some(tip)) = (landing, tip) {
                remote.follow(workspace, refname, tip)?;
            }
            return Ok(outcome(built, tip));
        }
        let subject = match built.promotions.as_slice() {
            [one] => format!("{} {} in {environment}", one.action.as_str(), one.package),
            many => format!("promote {} packages to {environment}", many.len()),
        };
        let attempted = match landing {
            Landing::Local => match git.move_ref(refname, tip, built.head, &subject) {
                Ok(()) => Attempt::Landed,
                Err(CommitError::Conflict { .. }) => Attempt::Moved(git.ref_target(refname)?),
                Err(error) => return Err(error.into()),
            },
            Landing::Remote(remote) => remote.push(workspace, refname, built.head, attempt)?,
        };
        match attempted {
            Attempt::Landed => {
                let head = built.head;
                return Ok(outcome(built, Some(head)));
            }
            Attempt::SourceMoved(from) => {
                return Err(PromoteError::SourceMoved {
                    environment: environment.to_owned(),
                    from,
                    remote: pushed_to.clone().unwrap_or_default(),
                });
            }
            Attempt::Moved(moved) => {
                let now = state_at(git, refname, moved)?;
                still_as_read(
                    environment,
                    plans.iter().map(|plan| plan.package.as_str()),
                    base,
                    &now,
                )?;
                if let Landing::Local = landing {
                    backoff(attempt);
                }
                tip = moved;
                current = now;
            }
        }
    }
    Err(PromoteError::Contended {
        environment: environment.to_owned(),
        attempts,
    })
}

/// Whether a promotion may be rebuilt on a tip another writer moved: only while
/// every package it sets has the entry it had when it was planned. Another
/// package's change is no conflict; a change to one of these is, and names the
/// object expected and the one found.
fn still_as_read<'p>(
    environment: &str,
    packages: impl IntoIterator<Item = &'p str>,
    base: &State,
    now: &State,
) -> Result<(), PromoteError> {
    for package in packages {
        let (before, after) = (base.packages.get(package), now.packages.get(package));
        if before != after {
            let name = |entry: Option<&Entry>| {
                entry.map_or_else(|| "nothing".to_owned(), |e| e.object.clone())
            };
            return Err(PromoteError::Conflict {
                environment: environment.to_owned(),
                package: package.to_owned(),
                expected: name(before),
                found: name(after),
            });
        }
    }
    Ok(())
}

/// Waits a little longer after each lost race, with jitter so that racing
/// promoters spread out.
pub(super) fn backoff(attempt: u32) {
    std::thread::sleep(crate::repo::local_race_wait(attempt));
}

/// Writes one commit per plan on top of `tip`, whose state is `state`.
fn build(
    workspace: &Workspace,
    target: &Target<'_>,
    plans: &[Plan],
    tip: Option<Oid>,
    state: &State,
) -> Result<Built, PromoteError> {
    let git = &workspace.git;
    let environment = target.name;
    let signing = target.signing.as_ref();
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
            let id = git.write_commit(tree, &[], &message, signing)?;
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
        let mut headline = format!(
            "{verb} {} {preposition} {environment}: {}/{}",
            plan.package,
            plan.object.store,
            plan.object.hash.short(12)
        );
        let mut trailers = vec![
            (ACTION, plan.action.as_str()),
            (PACKAGE, &plan.package),
            (OBJECT, &object),
            (FROM, &plan.from),
        ];
        if let Some(reason) = &plan.override_reason {
            // The reason is also the message's body, where `git log` shows it.
            headline.push_str(&format!("\n\n{reason}"));
            trailers.push((OVERRIDE, reason));
        }
        let message = log::message(&headline, &trailers);
        let parents = [head, plan.source_commit];
        let commit = git.write_commit(tree, &parents, &message, signing)?;
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
            override_reason: plan.override_reason.clone(),
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
pub(super) fn reason_text(reason: Option<&str>) -> String {
    reason.map_or_else(String::new, |reason| format!(": {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::promote::tests::{refusal, state};

    #[test]
    fn a_moved_tip_is_built_on_again_only_while_the_promoted_packages_are_as_read() {
        let base = state(&[("api", "v/1"), ("web", "v/2")]);
        let cases = [
            (
                "nothing changed",
                state(&[("api", "v/1"), ("web", "v/2")]),
                Ok(()),
            ),
            (
                "another package changed",
                state(&[("api", "v/1"), ("web", "v/3")]),
                Ok(()),
            ),
            (
                "another package appeared",
                state(&[("api", "v/1"), ("db", "v/4"), ("web", "v/2")]),
                Ok(()),
            ),
            (
                "the promoted package changed",
                state(&[("api", "v/9"), ("web", "v/2")]),
                Err("conflict on api: v/1, now v/9"),
            ),
            (
                "the promoted package was removed",
                state(&[("web", "v/2")]),
                Err("conflict on api: v/1, now nothing"),
            ),
        ];
        for (name, now, expected) in cases {
            let got = still_as_read("prod", ["api"], &base, &now).map_err(|e| refusal(&e));
            assert_eq!(got, expected.map_err(str::to_owned), "{name}");
        }
        let got = still_as_read("prod", ["new"], &state(&[]), &state(&[("new", "v/5")]));
        assert_eq!(
            got.map_err(|e| refusal(&e)),
            Err("conflict on new: nothing, now v/5".to_owned()),
            "a package new to the environment was set by another writer"
        );
    }
}
