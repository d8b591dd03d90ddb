//! The anchors a source commit is placed by: the catalog branch's commits and
//! each environment's tips, read from the refs or given by a review.

use std::collections::HashMap;

use crate::env::state::STATE_FILE;
use crate::env::tip::Tip;
use crate::repo::{Git, GitError, Oid};
use crate::settings::Settings;

/// The commits that stand for the catalog branch and for each environment: a
/// source commit must be reachable from the catalog's, or on the first-parent log
/// of an environment's.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    pub(super) catalog: Vec<Oid>,
    pub(super) environments: HashMap<String, Vec<Oid>>,
}

impl Anchors {
    /// The catalog branch's ref and every environment's ref, where they exist.
    pub fn refs(git: &Git, settings: &Settings) -> Result<Anchors, GitError> {
        let mut anchors = Anchors::default();
        if let Some(tip) = git.ref_target(&format!("refs/heads/{}", settings.catalog()))? {
            anchors.catalog.push(tip);
        }
        for name in settings.environment_order() {
            if let Some(tip) = git.ref_target(&settings.env_ref(name))? {
                anchors.add_environment(name, tip);
            }
        }
        Ok(anchors)
    }

    /// The catalog branch's ref and every environment's tip as readers find it:
    /// its own ref, or in a clone without one, the remote's copy (see
    /// [`crate::env::tip`]).
    pub fn tips(git: &Git, settings: &Settings, tips: &[Tip]) -> Result<Anchors, GitError> {
        let mut anchors = Anchors::default();
        if let Some(tip) = git.ref_target(&format!("refs/heads/{}", settings.catalog()))? {
            anchors.catalog.push(tip);
        }
        for tip in tips {
            if let (_, Some(commit)) = tip.read() {
                anchors.add_environment(&tip.name, commit);
            }
        }
        Ok(anchors)
    }

    /// Counts `commit` as the catalog too: the commit `berth check` or a review
    /// checks, which becomes the catalog when it merges. An environment commit
    /// (one with a state.toml) never stands for the catalog: every promotion's
    /// second parent is reachable from it.
    pub fn add_catalog(&mut self, git: &Git, commit: Oid) -> Result<(), GitError> {
        if git.entry(git.commit(commit)?.tree, STATE_FILE)?.is_none()
            && !self.catalog.contains(&commit)
        {
            self.catalog.push(commit);
        }
        Ok(())
    }

    /// Counts `commit` as a tip of `environment`: the commit a review was given.
    pub fn add_environment(&mut self, environment: &str, commit: Oid) {
        let tips = self.environments.entry(environment.to_owned()).or_default();
        if !tips.contains(&commit) {
            tips.push(commit);
        }
    }
}
