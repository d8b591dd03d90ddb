//! The guards every planned entry passes before anything is built: signed
//! promotions where required, a path back to the catalog that verifies, and the
//! lifecycle (`require_ready`: the object's latest event is `ready`).

use crate::diagnostic::finding::Finding;
use crate::env::log::Action;
use crate::env::objects::Finder;
use crate::env::provenance::{Anchors, Hop, Provenance};
use crate::env::state::State;
use crate::kinds::event::{self, Latest, Status};
use crate::repo::{Git, GitError, Oid};
use crate::settings::EnvironmentSection;
use crate::store::{OBJECTS_DIR, ObjectRef};
use crate::workspace::Workspace;

use super::plan::catalog_ref;
use super::{Plan, PromoteError};

/// An environment that accepts only signed commits gets none from berth, which
/// cannot sign them (DESIGN.md section 8 is not built).
pub(super) fn refuse_unsigned(
    environment: &str,
    target: &EnvironmentSection,
) -> Result<(), PromoteError> {
    if target.require_signed {
        return Err(PromoteError::UnsignedPromotion {
            environment: environment.to_owned(),
        });
    }
    Ok(())
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
pub(super) fn verify_paths(
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
pub(super) fn guard(
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

/// The latest event naming `object` among `package`'s events in `tree`.
///
/// Events that do not parse or are not events are skipped: the validator reports
/// them.
pub fn latest_event(
    git: &Git,
    tree: Oid,
    package: &str,
    object: &ObjectRef,
) -> Result<Option<Latest>, GitError> {
    let dir = format!("{OBJECTS_DIR}/{}/{package}", event::STORE);
    let mut events = Vec::new();
    for (path, blob) in git.list_files(tree, &dir)? {
        if let Some(event) = event::parse_event(&path, &git.blob(blob)?) {
            events.push((path, event));
        }
    }
    Ok(event::latest(events, &object.to_string()))
}
