//! Where a source commit may be: reachable from the catalog branch, or on an
//! environment's first-parent log. Both walks are remembered across entries,
//! and both refuse to answer "no" when a shallow clone cuts the history short.

use std::collections::HashSet;

use super::Provenance;
use crate::env::EnvError;
use crate::repo::{GitError, Oid, ShallowHistory, short_id};

/// An environment's first-parent log from one tip, walked only as far as asked.
#[derive(Debug, Default)]
pub(super) struct Log {
    next: Option<Oid>,
    seen: HashSet<Oid>,
    cut: Option<Oid>,
}

impl Provenance<'_> {
    /// The tips `environment`'s log is walked from.
    fn tips(&self, environment: &str) -> Vec<Oid> {
        self.anchors
            .environments
            .get(environment)
            .cloned()
            .unwrap_or_default()
    }

    /// Records that `commit` is on `environment`'s log, as a walk of the caller's
    /// own from the environment's ref found.
    pub fn note_on_log(&mut self, environment: &str, commit: Oid) {
        for tip in self.tips(environment) {
            self.logs
                .entry((environment.to_owned(), tip))
                .or_insert_with(|| Log::from(tip))
                .seen
                .insert(commit);
        }
    }

    /// Whether a commit is reachable from the catalog branch (or the commit
    /// checked).
    pub(super) fn is_on_catalog(&mut self, commit: Oid) -> Result<bool, EnvError> {
        if let Some(&known) = self.on_catalog.get(&commit) {
            return Ok(known);
        }
        if self.anchors.catalog.is_empty() {
            return Err(EnvError::NoCatalog {
                catalog: self.settings.catalog().to_owned(),
            });
        }
        let mut found = false;
        for &anchor in &self.anchors.catalog {
            if self.git.descends_from(anchor, commit)? {
                found = true;
                break;
            }
        }
        if !found && !self.shallow()?.is_empty() {
            return Err(ShallowHistory {
                needs: format!(
                    "whether commit {} is on the catalog branch",
                    short_id(commit)
                ),
            }
            .into());
        }
        self.on_catalog.insert(commit, found);
        Ok(found)
    }

    /// Whether a commit is on `environment`'s first-parent log: reachable is not
    /// enough, since every commit an environment took from upstream is reachable
    /// from it too.
    pub(super) fn is_on_log(&mut self, environment: &str, commit: Oid) -> Result<bool, EnvError> {
        for tip in self.tips(environment) {
            let key = (environment.to_owned(), tip);
            let mut log = self.logs.remove(&key).unwrap_or_else(|| Log::from(tip));
            let found = log.walk_to(self, commit);
            self.logs.insert(key, log);
            if found? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The commits where a shallow clone's history stops, read once.
    fn shallow(&mut self) -> Result<&HashSet<Oid>, GitError> {
        if self.shallow.is_none() {
            self.shallow = Some(self.git.shallow_boundary()?);
        }
        Ok(self.shallow.get_or_insert_with(HashSet::new))
    }
}

impl Log {
    fn from(tip: Oid) -> Log {
        Log {
            next: Some(tip),
            ..Log::default()
        }
    }

    /// Walks on until `target` is seen or the log ends.
    fn walk_to(&mut self, provenance: &mut Provenance<'_>, target: Oid) -> Result<bool, EnvError> {
        if self.seen.contains(&target) {
            return Ok(true);
        }
        while let Some(id) = self.next.take() {
            let info = provenance.git.commit(id)?;
            self.seen.insert(id);
            // The commits a merge button brought are the environment's own.
            let merged = crate::env::log::merged_commits(provenance.git, &info)?;
            let found_merged = merged.contains(&target);
            self.seen.extend(merged);
            match info.parents.first() {
                Some(&parent) => self.next = Some(parent),
                None if provenance.shallow()?.contains(&id) => self.cut = Some(id),
                None => {}
            }
            if id == target || found_merged {
                return Ok(true);
            }
        }
        match self.cut {
            Some(cut) => Err(ShallowHistory::before(cut).into()),
            None => Ok(false),
        }
    }
}
