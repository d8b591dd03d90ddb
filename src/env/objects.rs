//! Objects inside a commit's tree: finding one by store and hash, the in-repo
//! objects it references, and checking it as the validator would.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::check::{apply_severities, check_bytes, object};
use crate::diagnostic::finding::Finding;
use crate::document::{self, Format};
use crate::kinds::Kinds;
use crate::repo::{Git, GitError, Oid, TreeEntryKind};
use crate::settings::Settings;
use crate::store::{OBJECTS_DIR, ObjectIndex, ObjectPath, ObjectRef, Reference};

/// An object file found in a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Where it is.
    pub path: ObjectPath,
    /// Its blob.
    pub blob: Oid,
}

/// Looks objects up in one tree.
pub struct Finder<'a> {
    git: &'a Git,
    tree: Oid,
    /// A checkout of (roughly) the same tree, consulted first to guess an object's
    /// partition without reading every partition's tree.
    workdir: Option<&'a Path>,
}

impl<'a> Finder<'a> {
    /// A finder over `tree`.
    pub fn new(git: &'a Git, tree: Oid) -> Finder<'a> {
        Finder {
            git,
            tree,
            workdir: None,
        }
    }

    /// A finder over `tree` that guesses partitions from a checkout first.
    pub fn with_workdir(git: &'a Git, tree: Oid, workdir: &'a Path) -> Finder<'a> {
        Finder {
            git,
            tree,
            workdir: Some(workdir),
        }
    }

    /// Finds an object, trying `partition` first when given.
    pub fn locate(
        &self,
        object: &ObjectRef,
        partition: Option<&str>,
    ) -> Result<Option<Located>, GitError> {
        if let Some(partition) = partition
            && let Some(found) = self.probe(object, partition)?
        {
            return Ok(Some(found));
        }
        let store_dir = format!("{OBJECTS_DIR}/{}", object.store);
        let partitions: Vec<String> = self
            .git
            .list_dir(self.tree, &store_dir)?
            .into_iter()
            .filter(|entry| entry.kind == TreeEntryKind::Tree)
            .map(|entry| entry.name)
            .collect();
        if let Some(workdir) = self.workdir {
            let on_disk = |partition: &String| {
                [Format::Json, Format::Toml].iter().any(|format| {
                    let file = format!("{}.{}", object.hash, format.extension());
                    workdir
                        .join(&store_dir)
                        .join(partition)
                        .join(file)
                        .is_file()
                })
            };
            for partition in partitions.iter().filter(|p| on_disk(p)) {
                if let Some(found) = self.probe(object, partition)? {
                    return Ok(Some(found));
                }
            }
        }
        for partition in &partitions {
            if let Some(found) = self.probe(object, partition)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    fn probe(&self, object: &ObjectRef, partition: &str) -> Result<Option<Located>, GitError> {
        for format in [Format::Json, Format::Toml] {
            let path = ObjectPath {
                store: object.store.clone(),
                partition: partition.to_owned(),
                hash: object.hash,
                format,
            };
            if let Some(entry) = self.git.entry(self.tree, &path.path())?
                && entry.kind == TreeEntryKind::File
            {
                return Ok(Some(Located {
                    path,
                    blob: entry.id,
                }));
            }
        }
        Ok(None)
    }

    /// The object and every in-repo object it references, directly or through
    /// others, that the tree holds; the object first.
    pub fn closure(&self, kinds: &Kinds, root: Located) -> Result<Vec<Located>, GitError> {
        let mut seen: HashSet<ObjectRef> = HashSet::new();
        seen.insert(root.path.object_ref());
        let mut found = vec![root];
        let mut next = 0;
        while let Some(current) = found.get(next).cloned() {
            next = next.saturating_add(1);
            let Some(data) = self.data(&current)? else {
                continue;
            };
            for target in references(kinds, &current.path.store, &data) {
                if seen.insert(target.clone())
                    && let Some(located) = self.locate(&target, None)?
                {
                    found.push(located);
                }
            }
        }
        Ok(found)
    }

    /// An object's data, or `None` if it does not parse (the check reports why).
    pub fn data(&self, located: &Located) -> Result<Option<Value>, GitError> {
        let bytes = self.git.blob(located.blob)?;
        Ok(document::parse(&bytes, located.path.format).ok())
    }

    /// What the validator finds wrong with an object, references resolved in this
    /// tree, severities as berth.toml sets them.
    pub fn check(
        &self,
        settings: &Settings,
        kinds: &Kinds,
        located: &Located,
    ) -> Result<Vec<Finding>, GitError> {
        let file = located.path.path();
        let bytes = self.git.blob(located.blob)?;
        let limit = settings.max_object_bytes();
        if bytes.len() as u64 > limit {
            return Ok(vec![object::too_large(&file, bytes.len() as u64, limit)]);
        }
        let mut resolver = ObjectIndex::default();
        if let Ok((data, _)) = crate::store::read_object(&file, &bytes, located.path.format) {
            for target in references(kinds, &located.path.store, &data) {
                if self.locate(&target, None)?.is_some() {
                    resolver.insert(&target.store, target.hash);
                }
            }
        }
        let findings = check_bytes(kinds, &resolver, &file, &located.path, &bytes);
        Ok(apply_severities(settings, findings))
    }
}

/// The in-repo objects an object's data refers to.
fn references(kinds: &Kinds, store: &str, data: &Value) -> Vec<ObjectRef> {
    let Some(kind) = kinds.held(store) else {
        return Vec::new();
    };
    kind.references(data)
        .into_iter()
        .filter_map(|field| {
            let reference = Reference::parse(&field.target)?;
            kinds.held(reference.store)?;
            Some(ObjectRef {
                store: reference.store.to_owned(),
                hash: reference.id.parse().ok()?,
            })
        })
        .collect()
}
