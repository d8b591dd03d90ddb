//! What changed between two commits: the merge base a change is compared from,
//! and the paths that differ between two trees, reading only the trees on the way
//! to a change.

use std::collections::BTreeMap;

use git2::{ErrorCode, FileMode};

use super::FilesError;
use crate::repo::error::{Context, GitError};
use crate::repo::plumbing::RawChange;
use crate::repo::{Git, Oid, ShallowHistory, short_id};
use crate::source::ChangeKind;

impl Git {
    /// The merge base of two commits, or `one` if they have none.
    ///
    /// In a shallow clone, finding none may only mean that the shared history was
    /// cut off, and comparing with `one` would count everything it gained since as
    /// removed: that is refused.
    pub(super) fn merge_base(&self, one: Oid, two: Oid) -> Result<Oid, FilesError> {
        match self.repo.merge_base(one, two) {
            Ok(merge_base) => Ok(merge_base),
            Err(error) if error.code() == ErrorCode::NotFound => {
                if self.shallow_boundary()?.is_empty() {
                    Ok(one)
                } else {
                    Err(ShallowHistory {
                        needs: format!("the merge base of {} and {}", short_id(one), short_id(two)),
                    }
                    .into())
                }
            }
            Err(error) => Err(GitError {
                action: format!("finding the merge base of {one} and {two}"),
                error,
            }
            .into()),
        }
    }

    /// The files that differ between two trees. Subtrees with equal ids are equal,
    /// so only the directories on the way to a change are read: the cost follows
    /// the change. (libgit2's tree diff inflates every tree of both sides.)
    pub(super) fn tree_changes(&self, base: Oid, head: Oid) -> Result<Vec<RawChange>, GitError> {
        let mut changes = Vec::new();
        self.diff_trees(Some(base), Some(head), "", &mut changes)
            .context(|| format!("comparing trees {base} and {head}"))?;
        Ok(changes)
    }

    fn diff_trees(
        &self,
        old: Option<Oid>,
        new: Option<Oid>,
        dir: &str,
        changes: &mut Vec<RawChange>,
    ) -> Result<(), git2::Error> {
        let entries = |id: Option<Oid>| -> Result<BTreeMap<String, (Oid, i32)>, git2::Error> {
            let Some(id) = id else {
                return Ok(BTreeMap::new());
            };
            let tree = self.repo.find_tree(id)?;
            Ok(tree
                .iter()
                .map(|entry| {
                    let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                    (name, (entry.id(), entry.filemode()))
                })
                .collect())
        };
        let old = entries(old)?;
        let new = entries(new)?;
        let names: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for name in names {
            let path = format!("{dir}{name}");
            let before = old.get(name).copied();
            let after = new.get(name).copied();
            if before == after {
                continue;
            }
            let is_tree = |entry: Option<(Oid, i32)>| {
                entry.is_some_and(|(_, mode)| mode == i32::from(FileMode::Tree))
            };
            let subtree =
                |entry: Option<(Oid, i32)>| entry.filter(|_| is_tree(entry)).map(|(id, _)| id);
            if is_tree(before) || is_tree(after) {
                self.diff_trees(
                    subtree(before),
                    subtree(after),
                    &format!("{path}/"),
                    changes,
                )?;
            }
            let blob = |entry: Option<(Oid, i32)>| entry.filter(|_| !is_tree(entry));
            match (blob(before), blob(after)) {
                (None, None) => {}
                (None, Some((id, mode))) => changes.push(RawChange {
                    path,
                    kind: ChangeKind::Added,
                    mode,
                    blob: Some(id),
                    old_blob: None,
                    unmerged: false,
                }),
                (Some((id, mode)), None) => changes.push(RawChange {
                    path,
                    kind: ChangeKind::Deleted,
                    mode,
                    blob: None,
                    old_blob: Some(id),
                    unmerged: false,
                }),
                (Some((old_id, _)), Some((id, mode))) => changes.push(RawChange {
                    path,
                    kind: ChangeKind::Modified,
                    mode,
                    blob: Some(id),
                    old_blob: Some(old_id),
                    unmerged: false,
                }),
            }
        }
        Ok(())
    }
}
