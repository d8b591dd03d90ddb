//! Finding an object's file in a tree and the hash of its bytes, through the
//! trees and hashes already read in this run.

use super::Provenance;
use crate::canonical::ObjectHash;
use crate::document::{self, Format};
use crate::env::objects::{Finder, Located};
use crate::repo::{GitError, Oid, TreeEntryKind};
use crate::store::{OBJECTS_DIR, ObjectPath, ObjectRef};

impl Provenance<'_> {
    /// Records that a blob's data hashes to `hash` (or does not parse), as the
    /// caller already found, so that it is not read again.
    pub fn remember_hash(&mut self, blob: Oid, format: Format, hash: Option<ObjectHash>) {
        self.hashes.insert((blob, format), hash);
    }

    /// The file of `object` in `tree`, looked for in partition `package` first,
    /// as `env::objects::Finder::locate` does.
    ///
    /// Every entry of an environment is looked up in the same few trees (its own
    /// tip's, the catalog commits'): the directories above the partitions are
    /// read once per run, not once per entry (libgit2 keeps no tree, and a store's
    /// directory lists every package).
    pub fn locate(
        &mut self,
        tree: Oid,
        object: &ObjectRef,
        package: &str,
    ) -> Result<Option<Located>, GitError> {
        match self.locate_in_partition(tree, object, package)? {
            Some(located) => Ok(Some(located)),
            None => Finder::new(self.git, tree).locate(object, Some(package)),
        }
    }

    /// The file of `object` in `tree`, in partition `package` only.
    pub(super) fn locate_in_partition(
        &mut self,
        tree: Oid,
        object: &ObjectRef,
        package: &str,
    ) -> Result<Option<Located>, GitError> {
        let mut dir = Some(tree);
        for name in [OBJECTS_DIR, object.store.as_str(), package] {
            dir = match dir {
                Some(id) => self.child_tree(id, name)?,
                None => None,
            };
        }
        if let Some(partition) = dir {
            for format in [Format::Json, Format::Toml] {
                let name = format!("{}.{}", object.hash, format.extension());
                if let Some(entry) = self.git.entry(partition, &name)?
                    && entry.kind == TreeEntryKind::File
                {
                    return Ok(Some(Located {
                        path: ObjectPath {
                            store: object.store.clone(),
                            partition: package.to_owned(),
                            hash: object.hash,
                            format,
                        },
                        blob: entry.id,
                    }));
                }
            }
        }
        Ok(None)
    }

    /// The directory `name` directly inside the tree `id`.
    fn child_tree(&mut self, id: Oid, name: &str) -> Result<Option<Oid>, GitError> {
        if !self.trees.contains_key(&id) {
            let entries = self.git.list_dir(id, "")?;
            self.trees.insert(id, entries);
        }
        Ok(self.trees.get(&id).and_then(|entries| {
            entries
                .iter()
                .find(|entry| entry.name == name && entry.kind == TreeEntryKind::Tree)
                .map(|entry| entry.id)
        }))
    }

    /// The hash of a blob's data, or `None` if it does not parse.
    pub(super) fn hash_of(
        &mut self,
        blob: Oid,
        format: Format,
    ) -> Result<Option<ObjectHash>, GitError> {
        if let Some(known) = self.hashes.get(&(blob, format)) {
            return Ok(*known);
        }
        let bytes = self.git.blob(blob)?;
        let hash = document::parse(&bytes, format)
            .ok()
            .map(|data| ObjectHash::of(&data));
        self.hashes.insert((blob, format), hash);
        Ok(hash)
    }
}
