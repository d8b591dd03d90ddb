//! Promoting through a remote (`--push`): the promotion built on the remote's
//! tip, pushed without force, and the local ref moved to what the remote took
//! only once it took it.
//!
//! The push itself tells whether the remote moved, so berth first builds on the
//! remote's refs as the last fetch left them, without fetching: the remote takes
//! the push only if the environment is still at that tip (a fast-forward) and
//! every upstream environment the promotion reads is still where it was read (a
//! lease). When it is not, or when the answer could depend on what moved since
//! (nothing to promote, a refusal), berth fetches and plans again, exactly as
//! if it had fetched first.
//!
//! A promotion may only publish what the team has published: the commit an
//! object is promoted from must already be on the remote, or pushing the
//! environment would carry an unreviewed commit along as its parent.

use super::error::Unpublished;
use super::{Plan, PromoteError, PromoteOutcome};
use crate::env::fetch::{self, Diverged, EnvSync, FetchError};
use crate::repo::{
    CommitError, Lease, Oid, PushStatus, RefUpdate, Rejection, RemoteError, lost_race_wait,
};
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
    /// The upstream environments the promotion reads, each held to the tip it
    /// was read at: the environment's name and the lease.
    leases: Vec<(String, Lease)>,
}

/// What became of one attempt to land.
pub(super) enum Attempt {
    /// The ref took the commits.
    Landed,
    /// Another writer moved it first: its tip now.
    Moved(Option<Oid>),
    /// An upstream environment the promotion read moved on the remote: its name.
    SourceMoved(String),
}

/// How many times a promotion is planned anew because an upstream environment
/// it reads moved on the remote before the push landed.
const PASSES: u32 = 4;

/// What a write to an environment reports.
pub(super) trait Outcome {
    /// Whether it moved nothing: nothing was pushed.
    fn moved_nothing(&self) -> bool;
}

impl Outcome for PromoteOutcome {
    fn moved_nothing(&self) -> bool {
        self.promotions.is_empty()
    }
}

/// Runs `promote` on the local environment ref's tip, or against `remote`
/// when there is one.
pub(super) fn land_on<T: Outcome>(
    workspace: &Workspace,
    environment: &str,
    refname: &str,
    remote: Option<&str>,
    mut promote: impl FnMut(Landing, Option<Oid>) -> Result<T, PromoteError>,
) -> Result<T, PromoteError> {
    match remote {
        None => promote(Landing::Local, workspace.git.ref_target(refname)?),
        Some(remote) => with_remote(workspace, environment, remote, promote),
    }
}

/// Runs `promote` against `remote`: first on the refs as the last fetch left
/// them, when there are such refs, then on a fresh fetch whenever the answer may
/// depend on what moved since.
fn with_remote<T: Outcome>(
    workspace: &Workspace,
    environment: &str,
    remote: &str,
    mut promote: impl FnMut(Landing, Option<Oid>) -> Result<T, PromoteError>,
) -> Result<T, PromoteError> {
    let mut fetch = !fetched_before(workspace, environment, remote)?;
    let mut pass: u32 = 1;
    loop {
        let result = prepare(workspace, environment, remote, fetch)
            .and_then(|(remote, tip)| promote(Landing::Remote(remote), tip));
        match result {
            // Nothing to push, or a refusal, on refs fetched a while ago: the
            // remote may have moved to where the answer differs.
            Ok(outcome) if !fetch && outcome.moved_nothing() => fetch = true,
            Err(error) if !fetch && error.may_be_stale() => fetch = true,
            Err(PromoteError::SourceMoved { .. }) if pass < PASSES => {
                std::thread::sleep(lost_race_wait(pass));
                fetch = true;
            }
            result => return result,
        }
        pass = pass.saturating_add(1);
    }
}

/// Whether an earlier fetch left remote-tracking refs of the environment and
/// the catalog to build on.
fn fetched_before(
    workspace: &Workspace,
    environment: &str,
    remote: &str,
) -> Result<bool, PromoteError> {
    let git = &workspace.git;
    let settings = &workspace.settings;
    let catalog = format!("refs/heads/{}", settings.catalog());
    let (Some(tracking), Some(catalog)) = (
        settings.tracking_env_ref(remote, environment),
        tracking_ref(&catalog, remote),
    ) else {
        return Ok(false);
    };
    Ok(git.ref_target(&tracking)?.is_some() && git.ref_target(&catalog)?.is_some())
}

/// Fetches the catalog and the environments from `remote` (when `fetch`; else
/// takes them as the last fetch left them), fast-forwards the local
/// environments that are behind except `environment` (whose local ref moves
/// only once the push lands), and refuses when the local `environment` has
/// promotions the remote lacks. Returns the remote and its tip of
/// `environment`.
fn prepare(
    workspace: &Workspace,
    environment: &str,
    remote: &str,
    fetch: bool,
) -> Result<(Remote, Option<Oid>), PromoteError> {
    let git = &workspace.git;
    let settings = &workspace.settings;
    let tracking = fetch::tracking(settings, remote, environment)?;
    let catalog = if fetch {
        fetch::fetch_refs(git, settings, remote)?.tracking_ref
    } else {
        let branch = format!("refs/heads/{}", settings.catalog());
        tracking_ref(&branch, remote).unwrap_or(branch)
    };
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
    let catalog = git.ref_target(&catalog)?;
    let remote = Remote {
        name: remote.to_owned(),
        tracking,
        catalog,
        leases: Vec::new(),
    };
    Ok((remote, remote_tip))
}

impl Remote {
    /// Refuses a plan whose source commit the remote does not have: the catalog
    /// commit that added the object must be on the remote's catalog branch, an
    /// upstream environment's commit on the remote's copy of that environment.
    /// Holds each upstream environment read to its tip for the push.
    pub(super) fn check_published(
        &mut self,
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
                if let Some(expect) = tip
                    && !self.leases.iter().any(|(from, _)| *from == plan.from)
                {
                    let lease = Lease {
                        refname: settings.env_ref(&plan.from),
                        expect,
                    };
                    self.leases.push((plan.from.clone(), lease));
                }
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

    /// Pushes `head` to the remote's environment ref, while the upstream
    /// environments read are where they were. When the environment moved, waits
    /// (longer after each of the `lost` races before), fetches it again and
    /// returns its new tip, so that the rebuild is pushed right after the fetch;
    /// when it took the commits, moves the remote-tracking ref and the local ref
    /// there.
    pub(super) fn push(
        &self,
        workspace: &Workspace,
        refname: &str,
        head: Oid,
        lost: u32,
    ) -> Result<Attempt, PromoteError> {
        let git = &workspace.git;
        let update = RefUpdate {
            refname: refname.to_owned(),
            new: head,
        };
        let leases: Vec<Lease> = self.leases.iter().map(|(_, lease)| lease.clone()).collect();
        let report = git.push(&self.name, &[update], &leases)?;
        let stale = |lease: &Lease| {
            report.refs.iter().any(|pushed| {
                pushed.refname == lease.refname
                    && pushed.status == PushStatus::Rejected(Rejection::Stale)
            })
        };
        if let Some((from, _)) = self.leases.iter().find(|(_, lease)| stale(lease)) {
            return Ok(Attempt::SourceMoved(from.clone()));
        }
        match report.into_result(&self.name) {
            Ok(_) => {
                self.follow(workspace, refname, head)?;
                Ok(Attempt::Landed)
            }
            Err(RemoteError::RemoteMoved { .. }) => {
                std::thread::sleep(lost_race_wait(lost));
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
