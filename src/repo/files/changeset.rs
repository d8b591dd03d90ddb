//! A head (the working tree, the index or a revision) read as its base's tree
//! with the changes laid over it, and that base read on its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use git2::{FileMode, ObjectType};

use super::{
    FilesError, Handles, dir_prefix, git_io, link_above, link_at_or_above, list_below, mode_kind,
    refusal_of, refused, revision_name, source_error, subdir_of, tree_files,
};
use crate::repo::plumbing::{Plumbing, RawChange};
use crate::repo::{Git, Oid, short_id};
use crate::source::{
    Change, ChangeKind, Content, DiskRead, Entry, EntryKind, Refusal, Source, SourceError, WorkTree,
};

/// Which files a change compares against its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head<'a> {
    /// The working tree, untracked files included.
    WorkTree,
    /// The index.
    Index,
    /// The tree of a commit.
    Revision(&'a str),
}

/// Where the new content of a changed path is.
#[derive(Debug, Clone, Copy)]
enum NewContent {
    /// A blob in the object database.
    Blob(Oid),
    /// A file in the working tree.
    Disk,
}

/// A head read as its base's tree with the changes laid over it: reading an
/// unchanged file reads the base's blob, which is the head's too.
pub struct Changeset {
    name: String,
    /// The commit compared against: the merge base of the base and the head.
    pub base: Oid,
    base_tree: Oid,
    worktree: WorkTree,
    handles: Handles,
    /// The new state of each changed path: `None` when it was deleted.
    changed: BTreeMap<String, Option<(NewContent, EntryKind)>>,
    /// Every change, sorted by path.
    pub changes: Vec<Change>,
    /// The paths in conflict in the index, when the head is the index.
    unmerged: Vec<String>,
    /// The base's directories read so far, by path: a lookup reads each tree once,
    /// not once per file in it (libgit2 caches no tree over 4 KiB).
    base_dirs: Mutex<HashMap<String, Arc<BaseDir>>>,
}

/// The entries of one directory of the base: name -> (id, mode).
type BaseDir = HashMap<String, (Oid, i32)>;

impl Git {
    /// The files of `head` as changes over `base`, compared as `git diff base...head`
    /// does: against the merge base of the two (of `base` and HEAD when the head is
    /// the index or the working tree), so that what the base branch gained since
    /// does not count as removed here.
    pub fn changes_since(&self, base: &str, head: Head<'_>) -> Result<Changeset, FilesError> {
        let base_commit = self.resolve_commit(base)?;
        let head_revision = match head {
            Head::Revision(revision) => Some((revision, self.resolve_commit(revision)?)),
            Head::Index | Head::WorkTree => None,
        };
        let head_commit = match head_revision {
            Some((_, commit)) => Some(commit),
            None => self.resolve_commit("HEAD").ok(),
        };
        let base = match head_commit {
            Some(head_commit) => self.merge_base(base_commit, head_commit)?,
            None => base_commit,
        };
        let base_tree = self.commit(base)?.tree;
        let plumbing = Plumbing::new(self.workdir());
        let (name, raw) = if let Some((revision, commit)) = head_revision {
            let head_tree = self.commit(commit)?.tree;
            (
                revision_name(revision, commit),
                self.tree_changes(base_tree, head_tree)?,
            )
        } else if head == Head::Index {
            ("index".to_owned(), plumbing.staged_changes(base)?)
        } else {
            ("working tree".to_owned(), plumbing.worktree_changes(base)?)
        };
        let mut changed = BTreeMap::new();
        let mut changes = Vec::with_capacity(raw.len());
        let unmerged = raw
            .iter()
            .filter(|change| change.unmerged)
            .map(|change| change.path.clone())
            .collect();
        for change in raw {
            if self.unchanged_on_disk(&change) {
                continue;
            }
            let new = match change.kind {
                ChangeKind::Deleted => None,
                ChangeKind::Added | ChangeKind::Modified => {
                    let content = match change.blob {
                        Some(blob) => NewContent::Blob(blob),
                        None => NewContent::Disk,
                    };
                    Some((content, mode_kind(change.mode)))
                }
            };
            changed.insert(change.path.clone(), new);
            changes.push(Change {
                path: change.path,
                kind: change.kind,
                entry: mode_kind(change.mode),
            });
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Changeset {
            name,
            base,
            base_tree,
            worktree: WorkTree::new(self.workdir()),
            handles: Handles::new(self),
            changed,
            changes,
            unmerged,
            base_dirs: Mutex::new(HashMap::new()),
        })
    }

    /// Whether a working-tree file git reports as changed (it compares file stats
    /// with the index, not content with the base) has exactly the base's content.
    ///
    /// Only a regular file is hashed: hashing follows links, so a link would be
    /// read wherever it points, and a link to a FIFO would block.
    fn unchanged_on_disk(&self, change: &RawChange) -> bool {
        let (ChangeKind::Modified, None, Some(old)) = (change.kind, change.blob, change.old_blob)
        else {
            return false;
        };
        let path = self.workdir.join(&change.path);
        let regular = mode_kind(change.mode) == EntryKind::File
            && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
        regular && git2::Oid::hash_file(ObjectType::Blob, path).is_ok_and(|id| id == old)
    }
}

impl Changeset {
    /// What the head has at `path`: the change's entry, or the base's.
    fn kind_of(&self, path: &str) -> Result<Option<EntryKind>, SourceError> {
        match self.changed.get(path) {
            Some(new) => Ok(new.as_ref().map(|(_, kind)| *kind)),
            None => self
                .base_kind(path)
                .map_err(|error| source_error(&self.name, path, git_io(error))),
        }
    }

    /// What the base has at `path`, if it is not a directory.
    fn base_kind(&self, path: &str) -> Result<Option<EntryKind>, git2::Error> {
        Ok(self.base_entry(path)?.map(|(_, kind)| kind))
    }

    /// The base tree's entry at `path`, if it is not a directory.
    fn base_entry(&self, path: &str) -> Result<Option<(Oid, EntryKind)>, git2::Error> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let entries = self.base_dir(dir)?;
        Ok(entries
            .get(name)
            .filter(|(_, mode)| *mode != i32::from(FileMode::Tree))
            .map(|(id, mode)| (*id, mode_kind(*mode))))
    }

    /// The names of the directories directly inside a directory of the base,
    /// sorted.
    fn base_subdirs(&self, dir: &str) -> Result<Vec<String>, git2::Error> {
        let mut names: Vec<String> = self
            .base_dir(dir)?
            .iter()
            .filter(|(_, (_, mode))| *mode == i32::from(FileMode::Tree))
            .map(|(name, _)| name.clone())
            .collect();
        names.sort_unstable();
        Ok(names)
    }

    /// The entries of a directory of the base (none if it is not one).
    ///
    /// A directory's tree is found in its parent's cached entries, so each tree on
    /// the way is inflated once, however many directories below it are read.
    fn base_dir(&self, dir: &str) -> Result<Arc<BaseDir>, git2::Error> {
        if let Some(entries) = self
            .base_dirs
            .lock()
            .ok()
            .and_then(|dirs| dirs.get(dir).cloned())
        {
            return Ok(entries);
        }
        let tree = if dir.is_empty() {
            Some(self.base_tree)
        } else {
            let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
            self.base_dir(parent)?
                .get(name)
                .filter(|(_, mode)| *mode == i32::from(FileMode::Tree))
                .map(|(id, _)| *id)
        };
        let entries: BaseDir = match tree {
            Some(tree) => self.handles.with(|repo| {
                Ok(repo
                    .find_tree(tree)?
                    .iter()
                    .map(|entry| {
                        let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                        (name, (entry.id(), entry.filemode()))
                    })
                    .collect())
            })?,
            None => HashMap::new(),
        };
        let entries = Arc::new(entries);
        if let Ok(mut dirs) = self.base_dirs.lock() {
            dirs.insert(dir.to_owned(), Arc::clone(&entries));
        }
        Ok(entries)
    }
}

/// The base of a changeset, read as a source: what the change is compared with.
pub struct BaseFiles<'a>(&'a Changeset);

impl Changeset {
    /// The files of the base (the merge base), for rules that compare a file with
    /// what it was.
    pub fn base_files(&self) -> BaseFiles<'_> {
        BaseFiles(self)
    }
}

impl Source for BaseFiles<'_> {
    fn name(&self) -> String {
        format!("base {}", short_id(self.0.base))
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        let name = self.name();
        let error = |error: git2::Error| source_error(&name, path, git_io(error));
        let kind_of = |path: &str| self.0.base_kind(path).map_err(error);
        match self.0.base_entry(path).map_err(error)? {
            Some((id, kind)) => match refusal_of(kind) {
                Some(refusal) => Err(refused(&name, path, refusal)),
                None => self.0.handles.blob(id, limit).map(Some).map_err(error),
            },
            None => match link_above(path, kind_of)? {
                Some(link) => Err(refused(&name, path, Refusal::UnderSymlink { link })),
                None => Ok(None),
            },
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let kind_of = |path: &str| {
            self.0
                .base_kind(path)
                .map_err(|error| source_error(&self.name(), path, git_io(error)))
        };
        if let Some(link) = link_at_or_above(dir, kind_of)? {
            return Ok(link);
        }
        let files = self
            .0
            .handles
            .with(|repo| tree_files(repo, self.0.base_tree, dir))
            .map_err(|error| source_error(&self.name(), dir, git_io(error)))?;
        Ok(list_below(&files, dir))
    }

    fn exists(&self, path: &str) -> Result<bool, SourceError> {
        self.0
            .base_entry(path)
            .map(|entry| entry.is_some())
            .map_err(|error| source_error(&self.name(), path, git_io(error)))
    }

    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        self.0
            .base_subdirs(dir.trim_end_matches('/'))
            .map_err(|error| source_error(&self.name(), dir, git_io(error)))
    }
}

impl Source for Changeset {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        let error = |error: git2::Error| source_error(&self.name, path, git_io(error));
        let (content, kind) = match self.changed.get(path) {
            Some(None) => return Ok(None),
            Some(Some((content, kind))) => (*content, *kind),
            None => match self.base_entry(path).map_err(error)? {
                Some((id, kind)) => (NewContent::Blob(id), kind),
                None => {
                    return match link_above(path, |dir| self.kind_of(dir))? {
                        Some(link) => {
                            Err(refused(&self.name, path, Refusal::UnderSymlink { link }))
                        }
                        None => Ok(None),
                    };
                }
            },
        };
        if let Some(refusal) = refusal_of(kind) {
            return Err(refused(&self.name, path, refusal));
        }
        match content {
            NewContent::Blob(id) => self.handles.blob(id, limit).map(Some).map_err(error),
            NewContent::Disk => match self.worktree.read_file(path, limit) {
                Ok(DiskRead::Read(content)) => Ok(content),
                Ok(DiskRead::Refused(refusal)) => Err(refused(&self.name, path, refusal)),
                Err(e) => Err(source_error(&self.name, path, e)),
            },
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        if let Some(link) = link_at_or_above(dir, |dir| self.kind_of(dir))? {
            return Ok(link);
        }
        let prefix = dir_prefix(dir);
        let mut files = self
            .handles
            .with(|repo| tree_files(repo, self.base_tree, dir))
            .map_err(|error| source_error(&self.name, dir, git_io(error)))?;
        for (path, new) in self
            .changed
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
        {
            match new {
                None => {
                    files.remove(path);
                }
                Some((_, kind)) => {
                    files.insert(path.clone(), (Oid::ZERO_SHA1, *kind));
                }
            }
        }
        Ok(list_below(&files, dir))
    }

    fn exists(&self, path: &str) -> Result<bool, SourceError> {
        match self.changed.get(path) {
            Some(new) => Ok(new.is_some()),
            None => self
                .base_entry(path)
                .map(|entry| entry.is_some())
                .map_err(|error| source_error(&self.name, path, git_io(error))),
        }
    }

    fn unmerged(&self) -> &[String] {
        &self.unmerged
    }

    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let dir = dir.trim_end_matches('/');
        let mut names = self
            .base_subdirs(dir)
            .map_err(|error| source_error(&self.name, dir, git_io(error)))?;
        // A directory the change empties may linger here; probing it finds nothing.
        let prefix = dir_prefix(dir);
        names.extend(
            self.changed
                .range(prefix.clone()..)
                .take_while(|(path, _)| path.starts_with(&prefix))
                .filter(|(_, new)| new.is_some())
                .filter_map(|(path, _)| subdir_of(path, dir)),
        );
        names.sort_unstable();
        names.dedup();
        Ok(names)
    }
}
