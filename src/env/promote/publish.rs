//! Promoting through a remote (`--push`): the environment fetched, the
//! promotion built on the remote's tip, pushed without force, and the local ref
//! moved to what the remote took only once it took it.
//!
//! A promotion may only publish what the team has published: the commit an
//! object is promoted from must already be on the remote, or pushing the
//! environment would carry an unreviewed commit along as its parent.

use super::error::Unpublished;
use super::{Plan, PromoteError};
use crate::env::fetch::{self, Diverged, EnvSync, FetchError};
use crate::repo::{CommitError, Oid, RefUpdate, RemoteError};
use crate::settings::tracking_ref;
use crate::workspace::Workspace;

/// Where a promotion lands.
pub(super) enum Landing {
    /// The local environment ref, moved by compare-and-swap.
    Local,
    /// The remote's environment ref, pushed; the local one follows.
    Remote(Remote),
}

/// A promotion pushed to a remote.
pub(super) struct Remote {
    /// The remote.
    pub name: String,
    /// Where it keeps the environment.
    pub tracking: String,
    /// The remote's catalog tip, as fetched.
    catalog: Option<Oid>,
}

/// What became of one attempt to land.
pub(super) enum Attempt {
    /// The ref took the commits.
    Landed,
    /// Another writer moved it first: its tip now.
    Moved(Option<Oid>),
}

/// Fetches the catalog and the environments from `remote`, fast-forwards the
/// local environments that are behind except `environment` (whose local ref
/// moves only once the push lands), and refuses when the local `environment`
/// has promotions the remote lacks. Returns the remote and its tip of
/// `environment`.
pub(super) fn prepare(
    workspace: &Workspace,
    environment: &str,
    remote: &str,
) -> Result<(Remote, Option<Oid>), PromoteError> {
    let git = &workspace.git;
    let settings = &workspace.settings;
    let tracking = fetch::tracking(settings, remote, environment)?;
    let catalog = fetch::fetch_refs(git, settings, remote)?;
    for other in settings.environment_order() {
        if other == environment {
            continue;
        }
        // Bringing the other environments forward helps promotions from them;
        // another berth command moving one meanwhile is no reason to stop.
        match fetch::sync(git, settings, remote, other) {
            Ok(_)
            | Err(FetchError::Commit(CommitError::Conflict { .. } | CommitError::Locked { .. })) => {
            }
            Err(error) => return Err(error.into()),
        }
    }
    let refname = settings.env_ref(environment);
    let local_tip = git.ref_target(&refname)?;
    let remote_tip = git.ref_target(&tracking)?;
    if let Some(local) = local_tip {
        let status = fetch::relate(git, Some(local), remote_tip)?;
        if matches!(
            status,
            EnvSync::Ahead | EnvSync::Diverged | EnvSync::NotOnRemote
        ) {
            return Err(PromoteError::Diverged(Box::new(Diverged {
                environment: environment.to_owned(),
                remote: remote.to_owned(),
                refname,
                local,
                tracking,
                remote_tip,
            })));
        }
    }
    let catalog = git.ref_target(&catalog.tracking_ref)?;
    let remote = Remote {
        name: remote.to_owned(),
        tracking,
        catalog,
    };
    Ok((remote, remote_tip))
}

impl Remote {
    /// Refuses a plan whose source commit the remote does not have: the catalog
    /// commit that added the object must be on the remote's catalog branch, an
    /// upstream environment's commit on the remote's copy of that environment.
    pub(super) fn check_published(
        &self,
        workspace: &Workspace,
        environment: &str,
        remote_tip: Option<Oid>,
        plans: &[Plan],
    ) -> Result<(), PromoteError> {
        let git = &workspace.git;
        let settings = &workspace.settings;
        for plan in plans {
            let (tracking, tip) = if plan.from == environment {
                (self.tracking.clone(), remote_tip)
            } else if settings.environment(&plan.from).is_some() {
                let tracking = fetch::tracking(settings, &self.name, &plan.from)?;
                let tip = git.ref_target(&tracking)?;
                (tracking, tip)
            } else {
                let catalog = format!("refs/heads/{}", settings.catalog());
                let tracking = tracking_ref(&catalog, &self.name).unwrap_or(catalog);
                (tracking, self.catalog)
            };
            let published = match tip {
                Some(tip) => git.descends_from(tip, plan.source_commit)?,
                None => false,
            };
            if !published {
                return Err(PromoteError::Unpublished(Box::new(Unpublished {
                    environment: environment.to_owned(),
                    object: plan.object.to_string(),
                    from: plan.from.clone(),
                    source_commit: plan.source_commit,
                    remote: self.name.clone(),
                    tracking,
                })));
            }
        }
        Ok(())
    }

    /// Pushes `head` to the remote's environment ref. When the remote moved,
    /// fetches it again and returns its new tip; when it took the commits, moves
    /// the remote-tracking ref and the local ref there.
    pub(super) fn push(
        &self,
        workspace: &Workspace,
        refname: &str,
        head: Oid,
    ) -> Result<Attempt, PromoteError> {
        let git = &workspace.git;
        let update = RefUpdate {
            refname: refname.to_owned(),
            new: head,
        };
        let report = git.push(&self.name, &[update])?;
        match report.into_result(&self.name) {
            Ok(_) => {
                self.follow(workspace, refname, head)?;
                Ok(Attempt::Landed)
            }
            Err(RemoteError::RemoteMoved { .. }) => {
                fetch::fetch_environments(git, &workspace.settings, &self.name)?;
                Ok(Attempt::Moved(git.ref_target(&self.tracking)?))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Moves the remote-tracking ref (git moves it too, where the remote's fetch
    /// refspec covers it) and the local ref to `tip`, which the remote holds.
    pub(super) fn follow(
        &self,
        workspace: &Workspace,
        refname: &str,
        tip: Oid,
    ) -> Result<(), PromoteError> {
        let git = &workspace.git;
        let message = format!("push {}", self.name);
        let tracked = git.ref_target(&self.tracking)?;
        if tracked != Some(tip) {
            match git.move_ref(&self.tracking, tracked, tip, &message) {
                // A concurrent fetch moved it: the next fetch sets it again.
                Ok(()) | Err(CommitError::Conflict { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        // The local ref follows the remote forward from wherever it is now:
        // another berth command in this repository may have pushed and moved it
        // meanwhile, even past `tip`.
        for _ in 0..8 {
            let local = git.ref_target(refname)?;
            let forward = match local {
                None => true,
                Some(local) if local == tip || git.descends_from(local, tip)? => return Ok(()),
                Some(local) => git.descends_from(tip, local)?,
            };
            if !forward {
                // Promoted here meanwhile without pushing: left for `berth fetch`
                // to report.
                return Ok(());
            }
            match git.move_ref(refname, local, tip, &message) {
                Ok(()) => return Ok(()),
                Err(CommitError::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }
}
