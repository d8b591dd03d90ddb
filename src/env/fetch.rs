//! `berth fetch`: the catalog branch and every environment from a remote into
//! remote-tracking refs, and each local environment that is behind
//! fast-forwarded to the remote's.
//!
//! Remote-tracking refs are where `git clone` puts them
//! (`refs/remotes/<remote>/env/dev`) and follow the remote whatever it did, as
//! git's own do. A local environment ref moves only forward, by compare-and-swap
//! against the tip that was read: one whose promotions the remote lacks (ahead,
//! or diverged) is left where it is and reported.

use schemars::JsonSchema;
use serde::Serialize;

use crate::repo::{CommitError, Git, GitError, Oid, RemoteError, short_id};
use crate::settings::{Settings, tracking_ref};
use crate::workspace::Workspace;

/// Why a fetch did not finish.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FetchError {
    /// git could not fetch.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Remote(#[from] RemoteError),
    /// Environments that are not branches have no remote-tracking refs.
    #[error(
        "environments live under `{prefix}`, which is not under refs/heads/, so a remote keeps no remote-tracking refs for them"
    )]
    #[diagnostic(
        code("berth::untracked-environments"),
        help(
            "share environments as branches: set env_ref_prefix in berth.toml's [repo] to a prefix under refs/heads/, such as refs/heads/env/"
        )
    )]
    Untracked {
        /// berth.toml's env_ref_prefix.
        prefix: String,
    },
    /// A local environment ref could not be moved.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Commit(#[from] CommitError),
    /// Reading refs or history failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
}

/// A local environment ref that has promotions its remote-tracking ref has not.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error(
    "{environment} has promotions here that `{remote}` has not: the local `{refname}` is at {}, the remote's at {}",
    short_id(*local),
    remote_tip.map_or_else(|| "nothing".to_owned(), short_id)
)]
#[diagnostic(
    code("berth::env-diverged"),
    help(
        "compare them with `git log --oneline --graph {refname} {tracking}`. To take the remote's, `git update-ref {refname} {tracking}` (the local promotions stay in the reflog); to keep them, promote them again onto the remote's tip"
    )
)]
pub struct Diverged {
    /// The environment.
    pub environment: String,
    /// The remote.
    pub remote: String,
    /// The local ref.
    pub refname: String,
    /// The local tip.
    pub local: Oid,
    /// The remote-tracking ref.
    pub tracking: String,
    /// The remote's tip, if it has the environment.
    pub remote_tip: Option<Oid>,
}

/// What a fetch did to one environment's local ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EnvSync {
    /// Local and remote are at the same commit.
    UpToDate,
    /// The local ref was behind and moved forward to the remote's.
    FastForwarded,
    /// There was no local ref; it was created at the remote's.
    Created,
    /// The local ref has promotions the remote has not, and lacks none of its.
    Ahead,
    /// Each has promotions the other has not: the local ref was left alone.
    Diverged,
    /// The remote does not have the environment; a local ref was left alone.
    NotOnRemote,
}

impl EnvSync {
    /// What to do with a local tip, given the remote's and how their histories
    /// relate (`local_in_remote`: the remote's history contains the local tip;
    /// `remote_in_local` the other way round).
    pub fn decide(
        local: Option<Oid>,
        remote: Option<Oid>,
        local_in_remote: bool,
        remote_in_local: bool,
    ) -> EnvSync {
        match (local, remote) {
            (_, None) => EnvSync::NotOnRemote,
            (None, Some(_)) => EnvSync::Created,
            (Some(local), Some(remote)) if local == remote => EnvSync::UpToDate,
            (Some(_), Some(_)) if local_in_remote => EnvSync::FastForwarded,
            (Some(_), Some(_)) if remote_in_local => EnvSync::Ahead,
            (Some(_), Some(_)) => EnvSync::Diverged,
        }
    }
}

/// One environment after a fetch.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvFetched {
    /// The environment.
    pub environment: String,
    /// Its local ref.
    #[serde(rename = "ref")]
    pub refname: String,
    /// The remote-tracking ref.
    pub tracking_ref: String,
    /// The local tip before the fetch.
    pub previous: Option<String>,
    /// The local tip now.
    pub local: Option<String>,
    /// The remote's tip.
    pub remote: Option<String>,
    /// What happened to the local ref.
    pub status: EnvSync,
}

/// The catalog branch after a fetch.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CatalogFetched {
    /// The catalog branch.
    pub branch: String,
    /// Its remote-tracking ref.
    pub tracking_ref: String,
    /// The remote's tip.
    pub tip: Option<String>,
}

/// What `berth fetch` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FetchOutcome {
    /// The remote.
    pub remote: String,
    /// The catalog branch.
    pub catalog: CatalogFetched,
    /// Each environment of berth.toml, upstream first.
    pub environments: Vec<EnvFetched>,
}

impl FetchOutcome {
    /// The environments left alone because they diverged from the remote's,
    /// each as the report of its two tips.
    pub fn diverged(&self) -> Vec<Diverged> {
        let id = |text: &Option<String>| text.as_deref().and_then(|t| Oid::from_str(t).ok());
        self.environments
            .iter()
            .filter(|env| env.status == EnvSync::Diverged)
            .filter_map(|env| {
                Some(Diverged {
                    environment: env.environment.clone(),
                    remote: self.remote.clone(),
                    refname: env.refname.clone(),
                    local: id(&env.local)?,
                    tracking: env.tracking_ref.clone(),
                    remote_tip: id(&env.remote),
                })
            })
            .collect()
    }
}

/// Fetches the catalog and every environment from `remote` (berth.toml's
/// `[repo] remote` when `None`) and fast-forwards each local environment that is
/// behind. Diverged environments are reported in the outcome, not as an error.
pub fn fetch(workspace: &Workspace, remote: Option<&str>) -> Result<FetchOutcome, FetchError> {
    let settings = &workspace.settings;
    let remote = remote.unwrap_or(settings.remote());
    let git = &workspace.git;
    let catalog = fetch_refs(git, settings, remote)?;
    let mut environments = Vec::new();
    for environment in settings.environment_order() {
        environments.push(sync(git, settings, remote, environment)?);
    }
    Ok(FetchOutcome {
        remote: remote.to_owned(),
        catalog,
        environments,
    })
}

/// Fetches the catalog branch and every environment into remote-tracking refs.
pub(crate) fn fetch_refs(
    git: &Git,
    settings: &Settings,
    remote: &str,
) -> Result<CatalogFetched, FetchError> {
    let branch = settings.catalog();
    let catalog_ref = format!("refs/heads/{branch}");
    let tracking = tracking_ref(&catalog_ref, remote).unwrap_or_default();
    let refspecs = [
        format!("+{catalog_ref}:{tracking}"),
        environments_refspec(settings, remote)?,
    ];
    git.fetch(remote, &refspecs)?;
    Ok(CatalogFetched {
        branch: branch.to_owned(),
        tip: git.ref_target(&tracking)?.map(|id| id.to_string()),
        tracking_ref: tracking,
    })
}

/// Fetches every environment (not the catalog) into remote-tracking refs.
pub(crate) fn fetch_environments(
    git: &Git,
    settings: &Settings,
    remote: &str,
) -> Result<(), FetchError> {
    git.fetch(remote, &[environments_refspec(settings, remote)?])?;
    Ok(())
}

/// `+refs/heads/env/*:refs/remotes/<remote>/env/*`.
fn environments_refspec(settings: &Settings, remote: &str) -> Result<String, FetchError> {
    let local = settings.env_ref("*");
    let tracking = settings
        .tracking_env_ref(remote, "*")
        .ok_or_else(|| FetchError::Untracked {
            prefix: settings.env_ref(""),
        })?;
    Ok(format!("+{local}:{tracking}"))
}

/// Where `remote` keeps `environment`.
pub(crate) fn tracking(
    settings: &Settings,
    remote: &str,
    environment: &str,
) -> Result<String, FetchError> {
    settings
        .tracking_env_ref(remote, environment)
        .ok_or_else(|| FetchError::Untracked {
            prefix: settings.env_ref(""),
        })
}

/// Compares one environment's local ref with the fetched remote's and
/// fast-forwards it when it is behind.
pub(crate) fn sync(
    git: &Git,
    settings: &Settings,
    remote: &str,
    environment: &str,
) -> Result<EnvFetched, FetchError> {
    let refname = settings.env_ref(environment);
    let tracking_ref = tracking(settings, remote, environment)?;
    let local = git.ref_target(&refname)?;
    let remote_tip = git.ref_target(&tracking_ref)?;
    let status = relate(git, local, remote_tip)?;
    let now = match (status, remote_tip) {
        (EnvSync::Created | EnvSync::FastForwarded, Some(tip)) => {
            git.move_ref(&refname, local, tip, &format!("fetch {remote}"))?;
            Some(tip)
        }
        _ => local,
    };
    Ok(EnvFetched {
        environment: environment.to_owned(),
        refname,
        tracking_ref,
        previous: local.map(|id| id.to_string()),
        local: now.map(|id| id.to_string()),
        remote: remote_tip.map(|id| id.to_string()),
        status,
    })
}

/// How a local tip stands to the remote's.
pub(crate) fn relate(
    git: &Git,
    local: Option<Oid>,
    remote: Option<Oid>,
) -> Result<EnvSync, GitError> {
    let (local_in_remote, remote_in_local) = match (local, remote) {
        (Some(local), Some(remote)) if local != remote => (
            git.descends_from(remote, local)?,
            git.descends_from(local, remote)?,
        ),
        _ => (false, false),
    };
    Ok(EnvSync::decide(
        local,
        remote,
        local_in_remote,
        remote_in_local,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_ref_moves_only_when_it_is_behind_or_missing() {
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let cases = [
            ("nowhere", None, None, false, false, EnvSync::NotOnRemote),
            (
                "only here",
                Some(a),
                None,
                false,
                false,
                EnvSync::NotOnRemote,
            ),
            ("only there", None, Some(b), false, false, EnvSync::Created),
            (
                "the same",
                Some(a),
                Some(a),
                false,
                false,
                EnvSync::UpToDate,
            ),
            (
                "behind",
                Some(a),
                Some(b),
                true,
                false,
                EnvSync::FastForwarded,
            ),
            ("ahead", Some(a), Some(b), false, true, EnvSync::Ahead),
            (
                "diverged",
                Some(a),
                Some(b),
                false,
                false,
                EnvSync::Diverged,
            ),
        ];
        for (name, local, remote, local_in_remote, remote_in_local, expected) in cases {
            assert_eq!(
                EnvSync::decide(local, remote, local_in_remote, remote_in_local),
                expected,
                "{name}"
            );
        }
    }
}
